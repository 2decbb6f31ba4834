// End to end: pushes (SPEC §3.1) and uploads (SPEC §3.2) of the generated
// TypeScript client (./mizan.mjs) against live afi-server processes that
// this script starts, kills and restarts itself ($MIZAN_AFI_SERVER is the
// binary). Runs under `node --experimental-websocket` (Node 20's WebSocket).
// Every HTTP request of each client is recorded, so the tests assert exactly
// what went over the network. Driven by crates/mizan-codegen/tests/e2e.rs.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, createHmac, randomBytes } from "node:crypto";
import net from "node:net";
import { after, before, test } from "node:test";
import { MizanError, callPlaceOrder, callRename, callSetItemName, callUploadAvatar, createMizanClient, httpTransport } from "./mizan.mjs";

const exe = process.env.MIZAN_AFI_SERVER;
assert.ok(exe, "MIZAN_AFI_SERVER must be the path of the afi-server binary");
assert.equal(typeof WebSocket, "function", "run with node --experimental-websocket");

const MWT_SECRET = "e2e-push-mwt-secret-0123456789abcdef";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** Starts `afi-server --port P` and waits for its `listening on` line. */
async function startServer(port, extra = []) {
  const proc = spawn(exe, ["--port", String(port), "--mwt-secret", MWT_SECRET, ...extra], { stdio: ["ignore", "pipe", "ignore"] });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("afi-server did not start within 30 s")), 30000);
    let out = "";
    proc.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.includes(`listening on 127.0.0.1:${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on("exit", (code) => reject(new Error(`afi-server exited (${code}) before listening`)));
  });
  const exited = new Promise((r) => proc.on("exit", r));
  return {
    port,
    root: `http://127.0.0.1:${port}`,
    base: `http://127.0.0.1:${port}/api/mizan`,
    async stop() {
      proc.kill("SIGKILL");
      await exited;
    },
  };
}

/** An MWT for `sub` (SPEC §7), minted here with Node's own HMAC. */
function mintToken(sub) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const pkey = createHash("sha256").update('{"perms":[],"staff":false,"superuser":false}').digest("hex");
  const claims = { sub, staff: false, superuser: false, perms: [], pkey, aud: "mizan", iat: now, nbf: now, exp: now + 300 };
  const unsigned = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
  return `${unsigned}.${createHmac("sha256", MWT_SECRET).update(unsigned).digest("base64url")}`;
}

/** A client whose HTTP requests are logged ("GET /ctx/user/?user_id=5") and whose statuses are recorded. */
function recordingClient(base, { token, schema, WebSocketImpl } = {}) {
  const log = [];
  const fetchLogged = (url, init) => {
    const u = new URL(url);
    if (!u.pathname.endsWith("/session/")) log.push(`${init?.method ?? "GET"} ${u.pathname.replace(/^.*\/api\/mizan/, "")}${u.search}`);
    return fetch(url, init);
  };
  const transport = httpTransport({
    baseUrl: base,
    fetch: fetchLogged,
    token,
    WebSocket: WebSocketImpl,
    reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
    idleCloseMs: 50,
  });
  const client = createMizanClient({ transport, retry: { delayMs: 10 }, ...(schema ? { schema } : {}) });
  const statuses = [];
  client.subscribeStatus(() => statuses.push(client.connectionStatus));
  return { client, log, statuses };
}

async function waitFor(what, cond, timeoutMs = 10000) {
  const start = Date.now();
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Resolves once every listed instance has settled (not fetching). */
const idle = (client, instances) =>
  waitFor(`instances to settle`, () => {
    const states = instances.map(([c, p]) => client.getState(c, p));
    return states.every((s) => s.status !== "idle" && s.status !== "loading" && !s.isFetching) && states;
  });

const connected = (client) => waitFor("connected", () => client.connectionStatus === "connected");
const contextGets = (log) => log.filter((l) => l.startsWith("GET /ctx/"));
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const u5 = ["user", { user_id: 5 }];
const u6 = ["user", { user_id: 6 }];

let server;
const clients = [];
before(async () => {
  server = await startServer(await freePort());
});
after(async () => {
  for (const c of clients) c.close();
  await server?.stop();
});

function track(rc) {
  clients.push(rc.client);
  return rc;
}

test("client A renames user 5: B's user-5 instance refetches by push, user 6 does not; A refetches once, not twice", async () => {
  const a = track(recordingClient(server.base));
  const b = track(recordingClient(server.base));
  for (const { client } of [a, b]) {
    client.subscribe(...u5, () => {});
    client.subscribe(...u6, () => {});
  }
  await Promise.all([connected(a.client), connected(b.client)]);
  await Promise.all([idle(a.client, [u5, u6]), idle(b.client, [u5, u6])]);
  a.log.length = 0;
  b.log.length = 0;

  await callRename(a.client, { user_id: 5, name: "Pushed Name" });
  await waitFor("B's user 5 to show the new name", () => b.client.getState(...u5).data?.user_profile.name === "Pushed Name");
  await sleep(300); // any extra request would have gone out by now
  assert.deepEqual(b.log, ["GET /ctx/user/?user_id=5"], `B made no call and fetched only user 5: ${b.log.join(", ")}`);
  assert.deepEqual(a.log, ["POST /call/", "GET /ctx/user/?user_id=5"], `A fetched once: ${a.log.join(", ")}`);
  assert.equal(b.client.getState(...u6).data.user_profile.name, "user_6");
});

test("a merge pushed by another client's call is spliced in with no request", async () => {
  const a = track(recordingClient(server.base));
  const b = track(recordingClient(server.base));
  const items = ["items", {}];
  b.client.subscribe(...items, () => {});
  await connected(b.client);
  const [before] = await idle(b.client, [items]);
  b.log.length = 0;
  await callSetItemName(a.client, { id: 1, name: "Merged by push" });
  await waitFor("the merge", () => b.client.getState(...items).data.items_list.find((i) => i.id === 1).name === "Merged by push");
  await sleep(200);
  assert.deepEqual(b.log, [], "spliced, not refetched");
  assert.equal(b.client.getState(...items).data.items_list.length, before.data.items_list.length);
});

test("POST /hooks/bump (no client involved) makes a connected client showing `stats` refetch", async () => {
  const c = track(recordingClient(server.base));
  const stats = ["stats", {}];
  c.client.subscribe(...stats, () => {});
  await connected(c.client);
  const [before] = await idle(c.client, [stats]);
  c.log.length = 0;
  const res = await fetch(`${server.root}/hooks/bump`, { method: "POST" });
  assert.equal(res.status, 204);
  await waitFor("the bumped counter", () => c.client.getState(...stats).data.counter_value.value === before.data.counter_value.value + 1);
  await sleep(200);
  assert.deepEqual(c.log, ["GET /ctx/stats/"]);
});

test("the server is killed and restarted on the same port: the client reconnects and refetches what it has mounted", async () => {
  const own = await startServer(await freePort());
  try {
    const c = track(recordingClient(own.base));
    c.client.subscribe(...u5, () => {});
    await connected(c.client);
    await idle(c.client, [u5]);
    await callRename(c.client, { user_id: 5, name: "Before the restart" });
    await waitFor("renamed", () => c.client.getState(...u5).data.user_profile.name === "Before the restart");
    c.log.length = 0;

    await own.stop();
    await waitFor("reconnecting", () => c.client.connectionStatus === "reconnecting");
    await sleep(300); // a few failed attempts
    assert.deepEqual(c.log, [], "nothing is fetched while the server is down");
    const restarted = await startServer(own.port);
    own.stop = restarted.stop;
    await connected(c.client);
    // The restarted server's store is fresh: the refetch brings its data.
    await waitFor("refetched after the reconnect", () => c.client.getState(...u5).data.user_profile.name === "user_5");
    await idle(c.client, [u5]);
    assert.deepEqual(c.log, ["GET /ctx/user/?user_id=5"]);
    const changes = c.statuses.filter((s, i) => s !== c.statuses[i - 1]);
    assert.deepEqual(changes, ["connecting", "connected", "reconnecting", "connected"]);

    // Pushes flow on the new connection.
    const other = track(recordingClient(own.base));
    c.log.length = 0;
    await callRename(other.client, { user_id: 5, name: "After the restart" });
    await waitFor("pushed after the restart", () => c.client.getState(...u5).data.user_profile.name === "After the restart");
  } finally {
    await own.stop();
  }
});

/** A raw WebSocket collecting every frame (optionally authenticated first). */
async function rawSocket(base, token) {
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/ws/`);
  const frames = [];
  ws.onmessage = (ev) => frames.push(JSON.parse(ev.data));
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  if (token !== undefined) {
    ws.send(JSON.stringify({ op: "auth", token }));
    await waitFor("auth ok", () => frames.some((f) => f.op === "auth" && f.ok === true));
  }
  return { ws, frames, pushes: () => frames.filter((f) => f.op === "push") };
}

const mentions = (push, context) => [...(push.invalidate ?? []), ...(push.merge ?? [])].some((e) => (typeof e === "string" ? e : e.context) === context);

test("an anonymous socket never receives a push for `notifications` (auth required); an authenticated one does", async () => {
  const token = mintToken("5");
  const anonRaw = await rawSocket(server.base);
  const authRaw = await rawSocket(server.base, token);
  const notifications = ["notifications", {}];
  const anon = track(recordingClient(server.base));
  const authed = track(recordingClient(server.base, { token: () => token }));
  anon.client.subscribe(...notifications, () => {});
  authed.client.subscribe(...notifications, () => {});
  await Promise.all([connected(anon.client), connected(authed.client)]);
  const [anonState] = await idle(anon.client, [notifications]);
  const [authState] = await idle(authed.client, [notifications]);
  assert.equal(anonState.error?.code, "UNAUTHORIZED");
  assert.equal(authState.status, "success", "the token reaches HTTP too");
  anon.log.length = 0;
  authed.log.length = 0;

  // place_order affects user_orders (open) and notifications (auth required).
  await fetch(`${server.base}/call/`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ fn: "place_order", args: { user_id: 5, sku: "SKU-PUSH" } }),
  });
  await waitFor("the authenticated socket's push", () => authRaw.pushes().some((p) => mentions(p, "notifications")));
  await waitFor("the anonymous socket's push", () => anonRaw.pushes().some((p) => mentions(p, "user")));
  await waitFor("the authenticated client's refetch", () => authed.log.includes("GET /ctx/notifications/"));
  await sleep(300);
  assert.ok(!anonRaw.pushes().some((p) => mentions(p, "notifications")), JSON.stringify(anonRaw.pushes()));
  assert.deepEqual(anon.log, [], "the anonymous client heard nothing about notifications");
  assert.deepEqual(authed.log, ["GET /ctx/notifications/"]);
  anonRaw.ws.close();
  authRaw.ws.close();
});

test("a bad token closes the socket with 4401: status unauthorized, no reconnect loop", async () => {
  let opened = 0;
  class CountingWebSocket extends WebSocket {
    constructor(url) {
      super(url);
      opened++;
    }
  }
  const c = track(recordingClient(server.base, { token: "not-a-valid-token", WebSocketImpl: CountingWebSocket }));
  c.client.subscribe("items", {}, () => {});
  await waitFor("unauthorized", () => c.client.connectionStatus === "unauthorized");
  await sleep(1000);
  assert.equal(opened, 1, "one attempt, no loop");
  assert.equal(c.client.connectionStatus, "unauthorized");
  assert.deepEqual(c.statuses, ["connecting", "unauthorized"]);
});

test("functions called over the WebSocket reach the server, with their invalidation and push", async () => {
  const schema = { identities: {}, websocket: { functions: ["rename", "upload_avatar"], contexts: ["stats"] } };
  const a = track(recordingClient(server.base, { schema }));
  const b = track(recordingClient(server.base));
  for (const { client } of [a, b]) client.subscribe(...u6, () => {});
  await Promise.all([connected(a.client), connected(b.client)]);
  await Promise.all([idle(a.client, [u6]), idle(b.client, [u6])]);
  a.log.length = 0;
  b.log.length = 0;
  const profile = await callRename(a.client, { user_id: 6, name: "Over the socket" });
  assert.equal(profile.name, "Over the socket");
  await waitFor("B's push", () => b.client.getState(...u6).data.user_profile.name === "Over the socket");
  await idle(a.client, [u6]);
  await sleep(200);
  assert.deepEqual(a.log, ["GET /ctx/user/?user_id=6"], "no POST /call/; one refetch");
  assert.deepEqual(b.log, ["GET /ctx/user/?user_id=6"]);
  // A context fetched over the socket, and an upload as base64.
  const stats = await a.client.fetchContext("stats", {});
  assert.equal(typeof stats.counter_value.value, "number");
  const bytes = randomBytes(20000);
  const receipt = await callUploadAvatar(a.client, { user_id: 6, file: new File([bytes], "ws.bin", { type: "application/x-ws" }) });
  assert.deepEqual(receipt, { user_id: 6, filename: "ws.bin", size: 20000, sha256: sha256(bytes) });
  assert.ok(!a.log.some((l) => l.startsWith("POST")) && !a.log.includes("GET /ctx/stats/"), a.log.join(", "));
  // A frame over the body limit: the server closes with 1009, the call fails
  // like an HTTP 413, and the client reconnects. (Channels under daphne may
  // not send 1009 and closes with 4009: the call fails all the same.)
  const tooBig = process.env.MIZAN_AFI_BACKEND === "django"
    ? (e) => e instanceof MizanError
    : (e) => e instanceof MizanError && e.code === "BAD_REQUEST" && e.status === 413;
  await assert.rejects(
    callUploadAvatar(a.client, { user_id: 6, file: new File([randomBytes(1024 * 1024)], "huge.bin") }),
    tooBig,
  );
  await connected(a.client);
  assert.equal((await callRename(a.client, { user_id: 6, name: "Still works" })).name, "Still works");
});

test("uploads from Node: a 1 MB file arrives intact; over the body limit is 413 and nothing ran", async () => {
  const a = track(recordingClient(server.base));
  const observer = track(recordingClient(server.base));
  observer.client.subscribe(...u5, () => {});
  await connected(observer.client);
  await idle(observer.client, [u5]);
  observer.log.length = 0;

  const bytes = randomBytes(1_000_000);
  const receipt = await callUploadAvatar(a.client, { user_id: 5, file: new File([bytes], "avatar.png", { type: "image/png" }) });
  assert.deepEqual(receipt, { user_id: 5, filename: "avatar.png", size: 1_000_000, sha256: sha256(bytes) });
  await waitFor("the upload's push", () => observer.log.includes("GET /ctx/user/?user_id=5"));
  await idle(observer.client, [u5]);
  observer.log.length = 0;

  const tooBig = randomBytes(2 * 1024 * 1024);
  await assert.rejects(
    callUploadAvatar(a.client, { user_id: 5, file: new File([tooBig], "huge.bin") }),
    (e) => e instanceof MizanError && e.status === 413 && e.code === "BAD_REQUEST",
  );
  await sleep(500);
  assert.deepEqual(observer.log, [], "nothing ran: no push, no refetch");
  // A missing file part is a validation error for that field.
  const form = new FormData();
  form.append("envelope", JSON.stringify({ fn: "upload_avatar", args: { user_id: 5 } }));
  const res = await fetch(`${server.base}/call/`, { method: "POST", body: form });
  assert.equal(res.status, 422);
  assert.ok((await res.json()).error.details.fields.file);
});

test("a push for a function target reaches only the instance it scopes", async () => {
  const c = track(recordingClient(server.base));
  c.client.subscribe(...u5, () => {});
  c.client.subscribe(...u6, () => {});
  await connected(c.client);
  await idle(c.client, [u5, u6]);
  c.log.length = 0;
  const other = track(recordingClient(server.base));
  await callPlaceOrder(other.client, { user_id: 6, sku: "SKU-SCOPED" });
  await waitFor("user 6's orders", () => c.client.getState(...u6).data.user_orders.orders.some((o) => o.sku === "SKU-SCOPED"));
  await sleep(200);
  assert.deepEqual(c.log, ["GET /ctx/user/?user_id=6"]);
});
