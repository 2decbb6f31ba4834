// Unit tests of the generated TypeScript kernel's push side (SPEC §3.1) and
// uploads (SPEC §3.2), bundled by crates/mizan-codegen/tests/kernel.rs into
// ./mizan.mjs: a fake WebSocket and a fake fetch stand in for the server.
// The same features run against a live afi-server in tests/node/e2e.
// Run: node --test push.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  MizanError,
  callRename,
  callUploadAvatar,
  createMizanClient,
  httpTransport,
  newClientId,
  tauriTransport,
  websocketUrl,
} from "./mizan.mjs";

const tick = () => new Promise((r) => setTimeout(r, 0));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const settle = async () => {
  for (let i = 0; i < 5; i++) await tick();
};
async function until(what, cond, timeoutMs = 2000) {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
const userData = (p) => ({
  user_profile: { user_id: Number(p.user_id), name: `u${p.user_id}`, bio: "" },
  user_orders: { user_id: Number(p.user_id), page: 1, orders: [] },
});

/** A fake HTTP backend recording every request (a `fetch`). */
function fakeBackend({ call = () => ({ result: null, invalidate: [] }) } = {}) {
  const requests = [];
  const fetch = async (url, init = {}) => {
    const u = new URL(url);
    requests.push({ method: init.method ?? "GET", path: u.pathname + u.search, headers: init.headers ?? {}, body: init.body });
    if (u.pathname.endsWith("/session/")) return json(200, { csrfToken: null });
    const ctx = u.pathname.match(/\/ctx\/([^/]+)\/$/);
    if (ctx !== null) {
      if (ctx[1] === "user") return json(200, userData(Object.fromEntries(u.searchParams)));
      if (ctx[1] === "items") return json(200, { items_list: [{ id: 1, name: "a" }] });
      return json(200, { counter_value: { value: 1 } });
    }
    return json(200, await call(init));
  };
  const gets = (prefix = "/api/mizan/ctx/") => requests.filter((r) => r.method === "GET" && r.path.startsWith(prefix)).map((r) => r.path);
  return { fetch, requests, gets };
}

/**
 * A fake WebSocket server: `WebSocket` is the constructor to hand to the
 * transport; each socket records what the client sent and lets the test
 * open, answer, push and drop.
 */
function fakeSockets({ autoOpen = true, authOk = true } = {}) {
  const sockets = [];
  const server = { down: false };
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      this.onopen = null;
      this.onmessage = null;
      this.onclose = null;
      this.onerror = null;
      this.createdAt = Date.now();
      sockets.push(this);
      if (autoOpen) setTimeout(() => this.accept(), 0);
    }
    send(data) {
      if (this.readyState !== 1) throw new Error("send on a socket that is not open");
      const frame = JSON.parse(data);
      this.sent.push(frame);
      if (frame.op === "auth" && authOk) this.deliver({ op: "auth", ok: true });
    }
    close(code = 1000) {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this.closedWith = code;
      setTimeout(() => this.onclose?.({ code }), 0);
    }
    // --- the server's side
    accept() {
      if (this.readyState !== 0) return;
      if (server.down) {
        this.drop(1006);
        return;
      }
      if (server.errorOnly) {
        // Node 20's WebSocket on a refused connection: an error, no close.
        this.onerror?.({});
        return;
      }
      this.readyState = 1;
      this.onopen?.({});
    }
    deliver(frame) {
      this.deliverAll([frame]);
    }
    /** Several frames in one task (one tick for the client). */
    deliverAll(frames) {
      setTimeout(() => {
        for (const f of frames) this.onmessage?.({ data: JSON.stringify(f) });
      }, 0);
    }
    drop(code = 1006) {
      this.readyState = 3;
      this.onclose?.({ code });
    }
    frames(op) {
      return this.sent.filter((f) => f.op === op);
    }
  }
  return {
    WebSocket: FakeWebSocket,
    sockets,
    server,
    get last() {
      return sockets[sockets.length - 1];
    },
    open: () => sockets.filter((s) => s.readyState === 1),
  };
}

function pushClient(opts = {}) {
  const backend = opts.backend ?? fakeBackend();
  const ws = opts.ws ?? fakeSockets();
  const transport = httpTransport({
    baseUrl: opts.baseUrl ?? "http://api.test/api/mizan",
    fetch: backend.fetch,
    WebSocket: ws.WebSocket,
    reconnect: opts.reconnect ?? { initialDelayMs: 5, maxDelayMs: 20 },
    idleCloseMs: opts.idleCloseMs ?? 20,
    token: opts.token,
  });
  const client = createMizanClient({ transport, pushLingerMs: opts.pushLingerMs ?? 10, retry: { delayMs: 1 }, ...opts.client });
  const statuses = [];
  client.subscribeStatus(() => statuses.push(client.connectionStatus));
  return { client, backend, ws, statuses };
}

test("client ids: random per kernel, within the SPEC alphabet, sent as X-Mizan-Client and in IPC envelopes", async () => {
  const ids = new Set();
  for (let i = 0; i < 50; i++) ids.add(newClientId());
  assert.equal(ids.size, 50);
  for (const id of ids) assert.match(id, /^[A-Za-z0-9._:-]{1,64}$/);
  // Without crypto.randomUUID: 32 random hex digits.
  const saved = Object.getOwnPropertyDescriptor(globalThis, "crypto");
  Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true, writable: true });
  try {
    const a = newClientId();
    assert.match(a, /^[0-9a-f]{32}$/);
    assert.notEqual(a, newClientId());
  } finally {
    Object.defineProperty(globalThis, "crypto", saved);
  }
  assert.throws(() => createMizanClient({ clientId: "has space", push: false }), /invalid client id/);

  const backend = fakeBackend({ call: () => ({ result: { user_id: 5, name: "x", bio: "" }, invalidate: [] }) });
  const c1 = createMizanClient({ transport: httpTransport({ baseUrl: "http://a/api/mizan", fetch: backend.fetch }) });
  const c2 = createMizanClient({ transport: httpTransport({ baseUrl: "http://a/api/mizan", fetch: backend.fetch }) });
  assert.notEqual(c1.clientId, c2.clientId);
  await callRename(c1, { user_id: 5, name: "x" });
  await callRename(c2, { user_id: 5, name: "y" });
  const posts = backend.requests.filter((r) => r.method === "POST");
  assert.deepEqual(posts.map((p) => p.headers["X-Mizan-Client"]), [c1.clientId, c2.clientId]);
  assert.equal(backend.requests.find((r) => r.method === "GET" && r.path.includes("/session/")).headers["X-Mizan-Client"], undefined);
});

test("the WebSocket URL is the HTTP base with http→ws plus /ws/; relative bases resolve against location", () => {
  assert.equal(websocketUrl("http://127.0.0.1:8000/api/mizan"), "ws://127.0.0.1:8000/api/mizan/ws/");
  assert.equal(websocketUrl("https://api.example.com/api/mizan/"), "wss://api.example.com/api/mizan/ws/");
  assert.equal(websocketUrl("/api/mizan"), undefined, "no page to resolve against");
  globalThis.location = { href: "https://app.example.com/some/page?x=1#top" };
  try {
    assert.equal(websocketUrl("/api/mizan"), "wss://app.example.com/api/mizan/ws/");
  } finally {
    delete globalThis.location;
  }
  // No WebSocket implementation and a relative base: no push source at all.
  assert.equal(httpTransport({ baseUrl: "/api/mizan" }).push, undefined);
  assert.equal(httpTransport({ baseUrl: "http://x/api/mizan" }).push, undefined, "Node 20 has no global WebSocket");
});

test("the socket opens on the first mount, not before, and stays closed with push: false", async () => {
  const { client, ws, statuses } = pushClient();
  assert.equal(client.connectionStatus, "idle");
  await settle();
  assert.equal(ws.sockets.length, 0, "nothing mounted: no socket");
  const off = client.subscribe("user", { user_id: 5 }, () => {});
  await until("connected", () => client.connectionStatus === "connected");
  assert.equal(ws.sockets.length, 1);
  assert.equal(ws.last.url, "ws://api.test/api/mizan/ws/");
  assert.deepEqual(statuses, ["connecting", "connected"]);
  assert.deepEqual(ws.last.frames("watch"), [{ op: "watch", contexts: ["user"] }]);
  // Unmount everything: after the linger the client detaches (idle) and
  // the socket closes once nothing needs it.
  off();
  await until("socket closed", () => ws.last.readyState === 3);
  assert.equal(client.connectionStatus, "idle");
  assert.equal(ws.last.closedWith, 1000);

  const off2 = pushClient({ client: { push: false } });
  off2.client.subscribe("user", { user_id: 5 }, () => {});
  await sleep(30);
  assert.equal(off2.ws.sockets.length, 0);
  assert.equal(off2.client.connectionStatus, "idle");
});

test("a push is applied like a mutation response: batched, de-duplicated, mounted instances only, merges spliced", async () => {
  const { client, backend, ws } = pushClient();
  const off5 = client.subscribe("user", { user_id: 5 }, () => {});
  client.subscribe("user", { user_id: 6 }, () => {});
  const offItems = client.subscribe("items", {}, () => {});
  const off7 = client.subscribe("user", { user_id: 7 }, () => {});
  await until("connected", () => client.connectionStatus === "connected");
  await settle();
  off7(); // cached, no longer mounted
  backend.requests.length = 0;

  // Two pushes in one tick, both hitting user 5 (values compared as strings), one user 6.
  ws.last.deliverAll([
    { op: "push", fn: "rename", invalidate: [{ context: "user", params: { user_id: 5 } }], client: "someone-else" },
    { op: "push", invalidate: [{ context: "user", params: { user_id: "5" } }, { context: "user", params: { user_id: 6 } }] },
  ]);
  await sleep(20);
  assert.deepEqual(backend.gets().sort(), ["/api/mizan/ctx/user/?user_id=5", "/api/mizan/ctx/user/?user_id=6"]);

  // The unmounted instance was marked stale: refetched when mounted again.
  backend.requests.length = 0;
  ws.last.deliver({ op: "push", invalidate: ["user"] });
  await sleep(20);
  assert.deepEqual(backend.gets().sort(), ["/api/mizan/ctx/user/?user_id=5", "/api/mizan/ctx/user/?user_id=6"]);
  backend.requests.length = 0;
  client.subscribe("user", { user_id: 7 }, () => {});
  await sleep(10);
  assert.deepEqual(backend.gets(), ["/api/mizan/ctx/user/?user_id=7"]);

  // A merge push is spliced without a request.
  backend.requests.length = 0;
  ws.last.deliver({ op: "push", fn: "set_item_name", invalidate: [], merge: [{ context: "items", slot: "items_list", value: { id: 1, name: "pushed" } }] });
  await sleep(10);
  assert.deepEqual(client.getState("items", {}).data.items_list, [{ id: 1, name: "pushed" }]);
  assert.deepEqual(backend.requests, []);
  // A push of a context nobody holds costs nothing.
  ws.last.deliver({ op: "push", invalidate: ["notifications"] });
  await sleep(10);
  assert.deepEqual(backend.requests, []);
  off5();
  offItems();
  client.close();
});

test("a push caused by this client's own call is skipped: the caller refetches once, not twice", async () => {
  let sockets;
  const backend = fakeBackend({
    call: async (init) => {
      const { fn, args } = JSON.parse(init.body);
      const entry = { context: "user", params: { user_id: args.user_id } };
      // The server pushes to every connection, the caller's included, before it answers.
      for (const s of sockets.open()) s.deliver({ op: "push", fn, invalidate: [entry], client: init.headers["X-Mizan-Client"] });
      await sleep(5);
      return { result: { user_id: args.user_id, name: args.name, bio: "" }, invalidate: [entry] };
    },
  });
  sockets = fakeSockets();
  const a = pushClient({ backend, ws: sockets });
  const b = pushClient({ backend: fakeBackend(), ws: sockets });
  a.client.subscribe("user", { user_id: 5 }, () => {});
  b.client.subscribe("user", { user_id: 5 }, () => {});
  await until("both connected", () => a.client.connectionStatus === "connected" && b.client.connectionStatus === "connected");
  await settle();
  a.backend.requests.length = 0;
  b.backend.requests.length = 0;
  await callRename(a.client, { user_id: 5, name: "Ada" });
  await sleep(30);
  assert.deepEqual(a.backend.gets(), ["/api/mizan/ctx/user/?user_id=5"], "the caller: once, from its response");
  assert.deepEqual(b.backend.gets(), ["/api/mizan/ctx/user/?user_id=5"], "the other client: once, from the push");
  a.client.close();
  b.client.close();
});

test("watch frames name every context the client holds data of, updated as instances come and go", async () => {
  const { client, ws } = pushClient({ client: { gcTimeMs: 15 } });
  const offUser = client.subscribe("user", { user_id: 5 }, () => {});
  await until("connected", () => client.connectionStatus === "connected");
  const offStats = client.subscribe("stats", {}, () => {});
  await settle();
  offStats(); // unmounted but cached: still watched (it must learn it is stale)
  await settle();
  assert.deepEqual(ws.last.frames("watch").map((f) => f.contexts), [["user"], ["stats", "user"]]);
  await sleep(40); // collected after gcTimeMs
  assert.deepEqual(ws.last.frames("watch").at(-1).contexts, ["user"]);
  offUser();
  client.close();
});

test("the token goes in the first frame; requests wait for the server's ok; 4401 is unauthorized with no reconnect loop", async () => {
  const ws = fakeSockets();
  const { client, statuses } = pushClient({ ws, token: () => "the-mwt", client: { schema: { identities: {}, websocket: { functions: ["echo"], contexts: [] } } } });
  client.subscribe("user", { user_id: 5 }, () => {});
  const echo = client.call("echo", { text: "hi" });
  await until("call sent", () => ws.last?.frames("call").length === 1);
  assert.deepEqual(ws.last.sent[0], { op: "auth", token: "the-mwt" }, "auth is the first frame");
  assert.equal(ws.last.sent.findIndex((f) => f.op === "call") > 0, true);
  const call = ws.last.frames("call")[0];
  ws.last.deliver({ id: call.id, result: { message: "hi" }, invalidate: [] });
  assert.deepEqual(await echo, { message: "hi" });
  assert.deepEqual(statuses, ["connecting", "connected"]);

  // A bad token: the server closes with 4401.
  const bad = fakeSockets({ authOk: false });
  const denied = pushClient({ ws: bad, token: "expired", client: { schema: { identities: {}, websocket: { functions: ["echo"], contexts: [] } } } });
  denied.client.subscribe("user", { user_id: 5 }, () => {});
  const pending = denied.client.call("echo", { text: "x" });
  await until("auth sent", () => bad.last?.frames("auth").length === 1);
  assert.equal(bad.last.frames("call").length, 0, "nothing is sent before the server accepts the token");
  bad.last.drop(4401);
  await assert.rejects(pending, (e) => e instanceof MizanError && e.code === "UNAUTHORIZED" && e.status === 401);
  assert.equal(denied.client.connectionStatus, "unauthorized");
  await sleep(80);
  assert.equal(bad.sockets.length, 1, "no reconnection attempt after 4401");
  await assert.rejects(denied.client.call("echo", { text: "y" }), (e) => e.code === "UNAUTHORIZED");
  // reconnect() (after a login) tries again.
  denied.client.reconnect();
  assert.equal(bad.sockets.length, 2);
  assert.equal(denied.client.connectionStatus, "connecting");
  assert.deepEqual(denied.statuses, ["connecting", "unauthorized", "connecting"]);
  client.close();
  denied.client.close();
});

test("reconnection: jittered exponential back-off, status connected → reconnecting → connected, every mounted instance refetched", async () => {
  const ws = fakeSockets();
  const { client, backend, statuses } = pushClient({ ws, reconnect: { initialDelayMs: 20, maxDelayMs: 80 } });
  client.subscribe("user", { user_id: 5 }, () => {});
  client.subscribe("items", {}, () => {});
  const offStats = client.subscribe("stats", {}, () => {});
  await until("connected", () => client.connectionStatus === "connected");
  await settle();
  offStats();
  backend.requests.length = 0;

  // The server goes away: every attempt fails until it comes back.
  ws.server.down = true;
  ws.last.drop(1006);
  assert.equal(client.connectionStatus, "reconnecting");
  await until("3 failed attempts", () => ws.sockets.length >= 4, 3000);
  assert.ok(!statuses.slice(2).includes("connected"));
  assert.deepEqual(backend.gets(), [], "no refetch while disconnected");

  // Back up: the next attempt connects; everything mounted is refetched,
  // the unmounted instance is only marked stale.
  ws.server.down = false;
  await until("reconnected", () => client.connectionStatus === "connected", 3000);
  await sleep(10);
  assert.deepEqual(statuses.filter((s, i) => s !== statuses[i - 1]), ["connecting", "connected", "reconnecting", "connected"]);
  assert.deepEqual(backend.gets().sort(), ["/api/mizan/ctx/items/", "/api/mizan/ctx/user/?user_id=5"]);
  assert.deepEqual(ws.last.frames("watch").map((f) => f.contexts), [["items", "stats", "user"]], "watch is sent again");
  backend.requests.length = 0;
  client.subscribe("stats", {}, () => {});
  await sleep(10);
  assert.deepEqual(backend.gets(), ["/api/mizan/ctx/stats/"]);
  client.close();
});

test("a refused connection reported by an error event alone (Node 20's WebSocket) is retried", async () => {
  const ws = fakeSockets();
  ws.server.errorOnly = true;
  const { client, statuses } = pushClient({ ws });
  client.subscribe("user", { user_id: 5 }, () => {});
  await until("3 attempts", () => ws.sockets.length >= 3);
  assert.equal(client.connectionStatus, "reconnecting");
  ws.server.errorOnly = false;
  await until("connected", () => client.connectionStatus === "connected");
  assert.deepEqual(statuses, ["connecting", "reconnecting", "connected"]);
  client.close();
});

test("the back-off grows to its cap with ±50% jitter", async () => {
  for (const [rnd, factor] of [
    [0, 0.5],
    [0.999, 1.5],
  ]) {
    const ws = fakeSockets({ autoOpen: false });
    const { client } = pushClient({ ws, reconnect: { initialDelayMs: 10, maxDelayMs: 40 } });
    client.subscribe("user", { user_id: 5 }, () => {});
    const saved = Math.random;
    Math.random = () => rnd;
    const times = [];
    try {
      for (let i = 0; i < 5; i++) {
        await until(`socket ${i + 1}`, () => ws.sockets.length === i + 1, 3000);
        times.push(Date.now());
        ws.last.drop(1006);
      }
    } finally {
      Math.random = saved;
    }
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    [10, 20, 40, 40].forEach((d, i) => {
      const want = d * factor;
      assert.ok(gaps[i] >= want - 3 && gaps[i] < want + 50, `random=${rnd}: gap ${i + 1} was ${gaps[i]} ms, expected about ${want}`);
    });
    client.close();
  }
});

test("websocket functions and contexts travel over the socket; errors and drops reject; HTTP is the fallback", async () => {
  const schema = { identities: {}, websocket: { functions: ["echo", "rename"], contexts: ["stats"] } };
  const { client, backend, ws } = pushClient({ client: { schema } });
  client.subscribe("user", { user_id: 5 }, () => {});
  await until("connected", () => client.connectionStatus === "connected");
  await settle();
  backend.requests.length = 0;

  const renamed = client.call("rename", { user_id: 5, name: "Ada" });
  await until("call frame", () => ws.last.frames("call").length === 1);
  const frame = ws.last.frames("call")[0];
  assert.deepEqual(frame, { id: frame.id, op: "call", fn: "rename", args: { user_id: 5, name: "Ada" }, client: client.clientId });
  ws.last.deliver({ id: frame.id, result: { user_id: 5, name: "Ada", bio: "" }, invalidate: [{ context: "user", params: { user_id: 5 } }] });
  assert.equal((await renamed).name, "Ada");
  await sleep(10);
  assert.deepEqual(backend.gets(), ["/api/mizan/ctx/user/?user_id=5"], "its invalidation is applied");
  assert.equal(backend.requests.filter((r) => r.method === "POST").length, 0, "no HTTP call");

  // An error frame.
  const failing = client.call("echo", { text: "" });
  await until("second call", () => ws.last.frames("call").length === 2);
  const f2 = ws.last.frames("call")[1];
  ws.last.deliver({ id: f2.id, error: { code: "VALIDATION_ERROR", message: "bad", details: { fields: { text: ["empty"] } } } });
  await assert.rejects(failing, (e) => e instanceof MizanError && e.code === "VALIDATION_ERROR" && e.details.fields.text[0] === "empty");

  // A websocket context is fetched over the socket.
  const stats = client.fetchContext("stats", {});
  await until("fetch frame", () => ws.last.frames("fetch").length === 1);
  const f3 = ws.last.frames("fetch")[0];
  assert.deepEqual(f3, { id: f3.id, op: "fetch", context: "stats", params: {} });
  ws.last.deliver({ id: f3.id, result: { counter_value: { value: 9 } } });
  assert.deepEqual(await stats, { counter_value: { value: 9 } });

  // A drop while a call is in flight: NETWORK_ERROR, and the call is not resent.
  const lost = client.call("echo", { text: "lost" });
  await until("third call", () => ws.last.frames("call").length === 3);
  const before = ws.sockets.length;
  ws.last.drop(1006);
  await assert.rejects(lost, (e) => e.code === "NETWORK_ERROR");
  await until("reconnected", () => client.connectionStatus === "connected");
  assert.equal(ws.sockets.length, before + 1);
  assert.equal(ws.last.frames("call").length, 0, "never resent");
  client.close();

  // Without a WebSocket implementation they go over POST /call/.
  const http = fakeBackend({ call: (init) => ({ result: { message: JSON.parse(init.body).args.text }, invalidate: [] }) });
  const plain = createMizanClient({ schema, transport: httpTransport({ baseUrl: "http://api.test/api/mizan", fetch: http.fetch }) });
  assert.deepEqual(await plain.call("echo", { text: "over http" }), { message: "over http" });
  assert.equal(http.requests.filter((r) => r.method === "POST" && r.path === "/api/mizan/call/").length, 1);
});

test("a websocket call with nothing mounted opens the socket, which closes once idle", async () => {
  const schema = { identities: {}, websocket: { functions: ["echo"], contexts: [] } };
  const { client, ws } = pushClient({ client: { schema } });
  const p = client.call("echo", { text: "a" });
  await until("call frame", () => ws.last?.frames("call").length === 1);
  assert.deepEqual(ws.last.frames("watch"), [{ op: "watch", contexts: [] }], "no pushes wanted");
  ws.last.deliver({ id: ws.last.frames("call")[0].id, result: { message: "a" } });
  await p;
  assert.equal(client.connectionStatus, "idle", "push status: nothing mounted");
  await until("idle close", () => ws.last.readyState === 3);
});

test("status listeners: subscribe, unsubscribe, close()", async () => {
  const { client } = pushClient();
  const seen = [];
  const unsubscribe = client.subscribeStatus(() => seen.push(client.connectionStatus));
  client.subscribe("user", { user_id: 1 }, () => {});
  await until("connected", () => client.connectionStatus === "connected");
  unsubscribe();
  client.close();
  assert.equal(client.connectionStatus, "idle");
  assert.deepEqual(seen, ["connecting", "connected"]);
});

/** The parts of a multipart body, as the server would read them. */
async function multipartParts(form) {
  const res = new Response(form);
  const type = res.headers.get("content-type");
  const boundary = type.match(/boundary=(.+)$/)[1];
  const text = Buffer.from(await res.arrayBuffer()).toString("latin1");
  return text
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((raw) => {
      const [head, ...body] = raw.replace(/^\r\n/, "").split("\r\n\r\n");
      return { head, body: body.join("\r\n\r\n").replace(/\r\n$/, "") };
    });
}

test("HTTP uploads: multipart with an `envelope` part (no files) and one file part per upload argument", async () => {
  const backend = fakeBackend({ call: () => ({ result: { user_id: 5, filename: "a.png", size: 3, sha256: "x" }, invalidate: ["user"] }) });
  const client = createMizanClient({ transport: httpTransport({ baseUrl: "http://api.test/api/mizan", fetch: backend.fetch }) });
  const file = new File([new Uint8Array([1, 2, 3])], "a.png", { type: "image/png" });
  const receipt = await callUploadAvatar(client, { user_id: 5, file });
  assert.equal(receipt.filename, "a.png");
  const post = backend.requests.find((r) => r.method === "POST");
  assert.ok(post.body instanceof FormData);
  assert.equal(post.headers["Content-Type"], undefined, "fetch sets the multipart boundary itself");
  assert.equal(post.headers["X-Mizan-Client"], client.clientId);
  const parts = await multipartParts(post.body);
  assert.equal(parts.length, 2);
  assert.match(parts[0].head, /^Content-Disposition: form-data; name="envelope"/);
  assert.doesNotMatch(parts[0].head, /filename=/, "a plain field, not a file");
  assert.deepEqual(JSON.parse(parts[0].body), { fn: "upload_avatar", args: { user_id: 5 } });
  assert.match(parts[1].head, /name="file"; filename="a.png"/);
  assert.match(parts[1].head, /Content-Type: image\/png/);
  assert.deepEqual([...Buffer.from(parts[1].body, "latin1")], [1, 2, 3]);

  // A bare Blob is named "blob".
  await client.call("upload_avatar", { user_id: 6, file: new Blob(["hi"], { type: "text/plain" }) });
  const second = await multipartParts(backend.requests.filter((r) => r.method === "POST")[1].body);
  assert.match(second[1].head, /name="file"; filename="blob"/);
  assert.match(second[1].head, /Content-Type: text\/plain/);
});

test("uploads over the WebSocket and Tauri IPC are {filename, content_type, base64}", async () => {
  const schema = { identities: {}, websocket: { functions: ["upload_avatar"], contexts: [] } };
  const { client, ws } = pushClient({ client: { schema } });
  const bytes = new Uint8Array(70000).map((_, i) => i % 251); // more than one base64 chunk
  const p = client.call("upload_avatar", { user_id: 5, file: new File([bytes], "big.bin", { type: "application/x-test" }) });
  await until("call frame", () => ws.last?.frames("call").length === 1);
  const frame = ws.last.frames("call")[0];
  assert.equal(frame.args.user_id, 5);
  assert.deepEqual(Object.keys(frame.args.file).sort(), ["base64", "content_type", "filename"]);
  assert.equal(frame.args.file.filename, "big.bin");
  assert.equal(frame.args.file.content_type, "application/x-test");
  assert.deepEqual(new Uint8Array(Buffer.from(frame.args.file.base64, "base64")), bytes);
  ws.last.deliver({ id: frame.id, result: { ok: true } });
  await p;
  client.close();

  const seen = [];
  const ipc = createMizanClient({ transport: tauriTransport({ invoke: async (cmd, args) => (seen.push(args), { result: null, invalidate: [] }) }) });
  await ipc.call("upload_avatar", { user_id: 1, file: new Blob([new Uint8Array([255, 0])]) });
  assert.deepEqual(seen[0].envelope.args.file, { filename: "blob", content_type: "application/octet-stream", base64: "/wA=" });
});

/** A fake `window.__TAURI_INTERNALS__` with Tauri 2's channel callbacks. */
function fakeTauri() {
  const callbacks = new Map();
  let nextId = 1;
  const subscriptions = [];
  const unsubscribed = [];
  const internals = {
    transformCallback(cb) {
      const id = nextId++;
      callbacks.set(id, cb);
      return id;
    },
    async invoke(cmd, args) {
      if (cmd === "plugin:mizan|mizan_subscribe") {
        // What Tauri's IPC puts on the wire for this argument.
        const wire = JSON.parse(JSON.stringify(args));
        const id = Number(wire.channel.replace("__CHANNEL__:", ""));
        subscriptions.push({ wire, ipcKey: args.channel["__TAURI_TO_IPC_KEY__"](), send: (raw) => callbacks.get(id)(raw) });
        return subscriptions.length;
      }
      if (cmd === "plugin:mizan|mizan_unsubscribe") {
        unsubscribed.push(args.id);
        return true;
      }
      if (args.envelope.op === "fetch") return { items_list: [{ id: 1, name: "a" }] };
      return { result: null, invalidate: [] };
    },
  };
  return { internals, subscriptions, unsubscribed };
}

test("Tauri: pushes arrive through a channel opened with plugin:mizan|mizan_subscribe, in index order; a dropped channel is reopened", async () => {
  const tauri = fakeTauri();
  globalThis.__TAURI_INTERNALS__ = tauri.internals;
  try {
    const client = createMizanClient({ transport: tauriTransport({ reconnect: { initialDelayMs: 5, maxDelayMs: 5 } }), pushLingerMs: 5 });
    const statuses = [];
    client.subscribeStatus(() => statuses.push(client.connectionStatus));
    const off = client.subscribe("items", {}, () => {});
    await until("subscribed", () => client.connectionStatus === "connected");
    assert.equal(tauri.subscriptions.length, 1);
    const sub = tauri.subscriptions[0];
    assert.match(sub.wire.channel, /^__CHANNEL__:\d+$/, "serialized like Tauri's Channel");
    assert.equal(sub.ipcKey, sub.wire.channel);
    await settle();

    // Out of order: index 1 waits for index 0, so the later merge wins.
    const merge = (name) => ({ op: "push", merge: [{ context: "items", slot: "items_list", value: { id: 1, name } }] });
    sub.send({ id: 1, message: merge("second") });
    assert.equal(client.getState("items", {}).data.items_list[0].name, "a", "held until index 0 arrives");
    sub.send({ id: 0, message: merge("first") });
    assert.equal(client.getState("items", {}).data.items_list[0].name, "second");
    // Its own push is skipped.
    sub.send({ id: 2, message: { ...merge("mine"), client: client.clientId } });
    assert.equal(client.getState("items", {}).data.items_list[0].name, "second");

    // The Rust side drops the channel: reopened, then everything mounted is refetched.
    sub.send({ id: 3, end: true });
    await until("resubscribed", () => tauri.subscriptions.length === 2 && client.connectionStatus === "connected");
    assert.deepEqual(statuses, ["connecting", "connected", "reconnecting", "connected"]);
    await until("refetched", () => client.getState("items", {}).data.items_list[0].name === "a");
    assert.deepEqual(tauri.unsubscribed, [], "the ended channel needs no unsubscribe");

    // Nothing mounted any more: the subscription (id 2) is closed.
    off();
    await until("unsubscribed", () => tauri.unsubscribed.length === 1);
    assert.deepEqual(tauri.unsubscribed, [2]);
    assert.equal(client.connectionStatus, "idle");
    tauri.subscriptions[1].send({ id: 0, message: merge("too late") });
    assert.equal(client.getState("items", {}).data.items_list[0].name, "a", "an old channel's messages are ignored");
  } finally {
    delete globalThis.__TAURI_INTERNALS__;
  }
});
