// A small React page built only from the generated hooks: the profile of
// user 7, a rename form, an avatar upload, the item list and the push
// connection's status. No hand-written refetch.
import { useState, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import {
  MizanContext,
  UserProvider,
  useItemsList,
  useMizanStatus,
  useRename,
  useSetItemName,
  useUploadAvatar,
  useUserProfile,
} from "./gen/react.js";

function Profile(): ReactNode {
  const { data, status, error } = useUserProfile();
  const rename = useRename();
  const [name, setName] = useState("");
  return (
    <section>
      <h1 data-testid="name">{data?.name ?? "…"}</h1>
      <p data-testid="status">status: {status}{error !== undefined ? ` (${error.code})` : ""}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void rename.mutate({ user_id: 7, name });
        }}
      >
        <input data-testid="new-name" placeholder="new name" value={name} onChange={(e) => setName(e.target.value)} />
        <button data-testid="rename" type="submit" disabled={rename.isPending}>
          Rename
        </button>
      </form>
      {rename.error !== undefined && <p data-testid="rename-error">{rename.error.code}</p>}
    </section>
  );
}

function Avatar(): ReactNode {
  const upload = useUploadAvatar();
  return (
    <section>
      <h2>Avatar</h2>
      <input
        data-testid="avatar"
        type="file"
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file !== undefined) void upload.mutate({ user_id: 7, file });
        }}
      />
      {upload.data !== undefined && (
        <p data-testid="receipt">
          {upload.data.filename} {upload.data.size} {upload.data.sha256}
        </p>
      )}
      {upload.error !== undefined && <p data-testid="upload-error">{upload.error.code}</p>}
    </section>
  );
}

function Connection(): ReactNode {
  return <p data-testid="connection">push: {useMizanStatus()}</p>;
}

function Items(): ReactNode {
  const items = useItemsList();
  const setItemName = useSetItemName();
  return (
    <section>
      <h2>Items</h2>
      <ul data-testid="items">
        {(items.data ?? []).map((i) => (
          <li key={i.id}>
            {i.name}{" "}
            <button data-testid={`star-${i.id}`} onClick={() => void setItemName.mutate({ id: i.id, name: `${i.name} ★` })}>
              ★
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function App(): ReactNode {
  return (
    <MizanContext baseUrl="/api/mizan">
      <main style={{ fontFamily: "sans-serif", margin: "2rem" }}>
        <Connection />
        <UserProvider user_id={7}>
          <Profile />
          <Avatar />
        </UserProvider>
        <Items />
      </main>
    </MizanContext>
  );
}

const root = document.getElementById("root");
if (root !== null) createRoot(root).render(<App />);
