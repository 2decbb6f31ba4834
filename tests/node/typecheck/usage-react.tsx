// Type-checked against the generated AFI React bindings.
import type { ReactNode } from "react";
import { MizanContext, UserProvider, useItemsList, useMizan, useMizanStatus, useRename, useSetItemName, useUploadAvatar, useUserContext, useUserProfile, useCurrentUser, useBumpCounter } from "./gen/react.js";
import type { MizanConnectionStatus } from "./gen/index.js";

function Profile(): ReactNode {
  const { data, status, error } = useUserProfile();
  const rename = useRename();
  const bump = useBumpCounter();
  const client = useMizan();
  const ctx = useUserContext();
  if (status === "error") return <p>{error?.message}</p>;
  return (
    <div>
      <h1>{data?.name ?? "…"}</h1>
      <p>{ctx.data?.user_orders.orders.length}</p>
      <button disabled={rename.isPending} onClick={() => void rename.mutate({ user_id: 5, name: "Grace" })}>rename</button>
      <button onClick={() => void bump.mutate()}>bump</button>
      <button onClick={() => void client.refetch("user")}>refetch</button>
    </div>
  );
}

function Connection(): ReactNode {
  const status: MizanConnectionStatus = useMizanStatus();
  const upload = useUploadAvatar();
  // @ts-expect-error: an upload is a File or Blob
  void upload.mutate({ user_id: 5, file: "a.png" });
  return (
    <p>
      {status === "unauthorized" ? "log in again" : status}
      <input type="file" onChange={(e) => e.target.files?.[0] && void upload.mutate({ user_id: 5, file: e.target.files[0] })} />
      {upload.data?.sha256}
    </p>
  );
}

function Items(): ReactNode {
  const items = useItemsList();
  const me = useCurrentUser();
  const setName = useSetItemName();
  // @ts-expect-error: set_item_name needs id and name
  void setName.mutate({ id: 1 });
  return (
    <ul>
      {me.data?.id}
      {items.data?.map((i) => <li key={i.id}>{i.name}</li>)}
    </ul>
  );
}

export function App(): ReactNode {
  return (
    <MizanContext baseUrl="/api/mizan">
      <UserProvider user_id={5}>
        <Profile />
      </UserProvider>
      {/* @ts-expect-error: user_id is required */}
      <UserProvider>
        <Profile />
      </UserProvider>
      <Items />
      <Connection />
    </MizanContext>
  );
}
