// End to end: the generated TypeScript client (bundled into ./mizan.mjs)
// against a live afi-server at $MIZAN_BASE_URL. Every HTTP request is
// recorded, so the tests assert exactly what went over the network.
// Driven by crates/mizan-codegen/tests/e2e.rs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MizanError, callPlaceOrder, callRename, callSetBio, callSetItemName, createMizanClient, httpTransport } from "./mizan.mjs";

const base = process.env.MIZAN_BASE_URL;
assert.ok(base, "MIZAN_BASE_URL must point at a running afi-server (…/api/mizan)");

/** A client whose every request is logged as "GET /ctx/user/?user_id=5" etc. */
function recordingClient() {
  const log = [];
  const fetchLogged = (url, init) => {
    const u = new URL(url);
    // The session handshake happens once per client, before its first call.
    if (u.pathname.endsWith("/session/")) return fetch(url, init);
    log.push(`${init?.method ?? "GET"} ${u.pathname.replace(/^.*\/api\/mizan/, "")}${u.search}`);
    return fetch(url, init);
  };
  const client = createMizanClient({ transport: httpTransport({ baseUrl: base, fetch: fetchLogged }), retry: { delayMs: 10 } });
  return { client, log };
}

/** Resolves once every listed instance has settled (not fetching). */
async function idle(client, instances, timeoutMs = 5000) {
  const start = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const states = instances.map(([c, p]) => client.getState(c, p));
    if (states.every((s) => s.status !== "idle" && s.status !== "loading" && !s.isFetching)) return states;
    if (Date.now() - start > timeoutMs) throw new Error(`instances never settled: ${JSON.stringify(states)}`);
  }
}

const contextGets = (log) => log.filter((l) => l.startsWith("GET /ctx/"));

test("rename refetches exactly the renamed user's instance; set_bio refetches both", async () => {
  const { client, log } = recordingClient();
  const u5 = ["user", { user_id: 5 }];
  const u6 = ["user", { user_id: 6 }];
  const off5 = client.subscribe(...u5, () => {});
  const off6 = client.subscribe(...u6, () => {});
  await idle(client, [u5, u6]);
  assert.deepEqual(contextGets(log).sort(), ["GET /ctx/user/?user_id=5", "GET /ctx/user/?user_id=6"]);

  log.length = 0;
  const profile = await callRename(client, { user_id: 5, name: "Ada Lovelace" });
  assert.equal(profile.name, "Ada Lovelace");
  const [s5, s6] = await idle(client, [u5, u6]);
  assert.deepEqual(contextGets(log), ["GET /ctx/user/?user_id=5"], `requests: ${log.join(", ")}`);
  assert.equal(s5.data.user_profile.name, "Ada Lovelace");
  assert.equal(s6.data.user_profile.name, "user_6");

  log.length = 0;
  await callSetBio(client, { bio: "Mathematician" });
  const after = await idle(client, [u5, u6]);
  assert.deepEqual(contextGets(log).sort(), ["GET /ctx/user/?user_id=5", "GET /ctx/user/?user_id=6"]);
  assert.ok(after.every((s) => s.data.user_profile.bio === "Mathematician"));

  log.length = 0;
  await callPlaceOrder(client, { user_id: 6, sku: "SKU-1" });
  const [, o6] = await idle(client, [u5, u6]);
  assert.deepEqual(contextGets(log), ["GET /ctx/user/?user_id=6"], "function target user_orders scoped by user_id");
  assert.equal(o6.data.user_orders.orders.length, 1);
  off5();
  off6();
});

test("set_item_name is merged into the item list with no network request", async () => {
  const { client, log } = recordingClient();
  const items = ["items", {}];
  const off = client.subscribe(...items, () => {});
  const [before] = await idle(client, [items]);
  assert.ok(before.data.items_list.length >= 2);
  log.length = 0;
  const item = await callSetItemName(client, { id: 2, name: "Merged without a fetch" });
  assert.equal(item.name, "Merged without a fetch");
  // The merge is applied before the call resolves.
  const now = client.getState(...items);
  assert.equal(now.data.items_list.find((i) => i.id === 2).name, "Merged without a fetch");
  assert.equal(now.data.items_list.length, before.data.items_list.length);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(log, ["POST /call/"], `requests: ${log.join(", ")}`);
  off();
});

test("a failed call invalidates nothing", async () => {
  const { client, log } = recordingClient();
  const u5 = ["user", { user_id: 5 }];
  const off = client.subscribe(...u5, () => {});
  const [before] = await idle(client, [u5]);
  log.length = 0;
  await assert.rejects(
    client.call("rename", { user_id: 5 }),
    (e) => e instanceof MizanError && e.code === "VALIDATION_ERROR" && e.status === 422 && Array.isArray(e.details.fields.name),
  );
  await assert.rejects(client.call("stripe_webhook", { event: "x" }), (e) => e.code === "FORBIDDEN" && e.status === 403);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(log, ["POST /call/", "POST /call/"]);
  assert.equal(client.getState(...u5), before, "state object untouched");
  off();
});

test("context errors surface as MizanError state, without retrying 4xx", async () => {
  const { client, log } = recordingClient();
  const notifications = ["notifications", {}];
  const off = client.subscribe(...notifications, () => {});
  const [s] = await idle(client, [notifications]);
  assert.equal(s.status, "error");
  assert.equal(s.error.code, "UNAUTHORIZED");
  assert.deepEqual(log, ["GET /ctx/notifications/"]);
  off();
});
