// Type-checked against the generated AFI client: wrong usage must not compile.
import { callRename, callSetItemName, callUploadAvatar, createMizanClient, fetchUserContext, httpTransport, MizanError, tauriTransport, type DataOf, type MizanConnectionStatus, type Profile } from "./gen/index.js";

export async function demo(): Promise<string> {
  const client = createMizanClient({ transport: httpTransport({ baseUrl: "/api/mizan", headers: () => ({ "X-Mizan-Token": "t" }) }) });
  const profile: Profile = await callRename(client, { user_id: 5, name: "Ada" });
  const item = await callSetItemName(client, { id: 1, name: "x" });
  const user: DataOf<"user"> = await fetchUserContext(client, { user_id: 5 });
  const unsubscribe = client.subscribe("user", { user_id: 5, page: 2 }, () => {
    const state = client.getState("user", { user_id: 5, page: 2 });
    if (state.status === "success" && state.data !== undefined) console.log(state.data.user_profile.name);
  });
  unsubscribe();
  // @ts-expect-error: rename needs a name
  await callRename(client, { user_id: 5 });
  // @ts-expect-error: user_id is an integer
  await fetchUserContext(client, { user_id: "5" });
  // @ts-expect-error: no such function
  await client.call("nope", {});
  // Pushes: the status, a token, a WebSocket implementation, uploads as File/Blob.
  const pushing = createMizanClient({ baseUrl: "/api/mizan", token: async () => "mwt", WebSocket, push: true, pushLingerMs: 500 });
  const status: MizanConnectionStatus = pushing.connectionStatus;
  const off = pushing.subscribeStatus(() => console.log(pushing.connectionStatus === "reconnecting", status));
  off();
  pushing.reconnect();
  const receipt = await callUploadAvatar(pushing, { user_id: 5, file: new File(["x"], "a.txt") });
  await callUploadAvatar(pushing, { user_id: 5, file: new Blob(["x"]) });
  // @ts-expect-error: an upload is a File or Blob, not a string
  await callUploadAvatar(pushing, { user_id: 5, file: "a.txt" });
  // @ts-expect-error: not a status
  const wrong: MizanConnectionStatus = "open";
  void wrong;
  pushing.close();
  const noPush = createMizanClient({ push: false, transport: httpTransport({ baseUrl: "https://api.example.com/api/mizan", reconnect: { initialDelayMs: 100, maxDelayMs: 5000 } }) });
  noPush.close();
  console.log(receipt.sha256, pushing.clientId);
  const ipc = createMizanClient({ transport: tauriTransport() });
  try {
    await ipc.call("echo", { text: "hi" });
  } catch (e) {
    if (e instanceof MizanError) return e.code;
  }
  return `${profile.name} ${item.name} ${user.user_orders.page}`;
}
