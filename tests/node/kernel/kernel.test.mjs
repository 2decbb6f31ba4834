// Unit tests of the generated TypeScript kernel (bundled by the Rust test
// `crates/mizan-codegen/tests/kernel.rs` into ./mizan.mjs), with fake
// transports: no server needed. Run: node --test kernel.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  MizanError,
  toMizanError,
  callRename,
  callSetItemName,
  createMizanClient,
  fetchUserContext,
  httpTransport,
  instanceKey,
  paramString,
  paramsMatch,
  spliceSlot,
  tauriTransport,
} from "./mizan.mjs";

const tick = () => new Promise((r) => setTimeout(r, 0));
const settle = async () => {
  for (let i = 0; i < 5; i++) await tick();
};

/** A scripted transport recording every request. */
function fakeTransport({ data = {}, call = {} } = {}) {
  const log = [];
  return {
    log,
    fetches: (context) => log.filter((e) => e.op === "fetch" && (context === undefined || e.context === context)),
    async fetchContext(context, params) {
      log.push({ op: "fetch", context, params: { ...params } });
      const d = data[context];
      return typeof d === "function" ? d(params) : structuredClone(d ?? {});
    },
    async call(fn, args) {
      log.push({ op: "call", fn, args });
      const c = call[fn];
      if (c === undefined) throw new MizanError("NOT_FOUND", `no ${fn}`, { status: 404 });
      return typeof c === "function" ? c(args) : c;
    },
  };
}

const userData = (p) => ({
  user_profile: { user_id: Number(p.user_id), name: `u${p.user_id}`, bio: "" },
  user_orders: { user_id: Number(p.user_id), page: 1, orders: [] },
});

test("one fetch per instance, however many subscribers", async () => {
  const t = fakeTransport({ data: { user: userData } });
  const client = createMizanClient({ transport: t });
  const off1 = client.subscribe("user", { user_id: 5 }, () => {});
  const off2 = client.subscribe("user", { user_id: 5 }, () => {});
  const off3 = client.subscribe("user", { user_id: "5" }, () => {}); // values compare as strings
  await settle();
  assert.equal(t.fetches("user").length, 1);
  const s = client.getState("user", { user_id: 5 });
  assert.equal(s.status, "success");
  assert.equal(s.data.user_profile.name, "u5");
  off1(), off2(), off3();
});

test("scoped invalidation refetches only matching mounted instances, batched per tick", async () => {
  const t = fakeTransport({
    data: { user: userData },
    call: {
      rename: { result: { user_id: 5, name: "x", bio: "" }, invalidate: [{ context: "user", params: { user_id: 5 } }] },
      set_bio: { result: { user_id: 0, name: "", bio: "b" }, invalidate: ["user"] },
    },
  });
  const client = createMizanClient({ transport: t });
  client.subscribe("user", { user_id: 5 }, () => {});
  client.subscribe("user", { user_id: 6 }, () => {});
  await settle();
  t.log.length = 0;
  await callRename(client, { user_id: 5, name: "x" });
  await settle();
  assert.deepEqual(t.fetches("user").map((f) => f.params.user_id), [5]);
  t.log.length = 0;
  await client.call("set_bio", { bio: "b" });
  await settle();
  assert.deepEqual(t.fetches("user").map((f) => f.params.user_id).sort(), [5, 6]);
  t.log.length = 0;
  // Several entries hitting the same instance in one tick: one fetch.
  client.invalidate(["user", { context: "user", params: { user_id: "5" } }, { context: "user", function: "user_orders" }]);
  client.invalidate([{ context: "user", params: { user_id: 5 } }]);
  await settle();
  assert.equal(t.fetches("user").filter((f) => f.params.user_id === 5).length, 1);
  assert.equal(t.fetches("user").length, 2);
});

test("unmounted instances are not refetched, but are refreshed when mounted again", async () => {
  const t = fakeTransport({ data: { user: userData } });
  const client = createMizanClient({ transport: t });
  const off = client.subscribe("user", { user_id: 7 }, () => {});
  await settle();
  off();
  t.log.length = 0;
  client.invalidate(["user"]);
  await settle();
  assert.equal(t.fetches().length, 0);
  client.subscribe("user", { user_id: 7 }, () => {});
  await settle();
  assert.equal(t.fetches().length, 1);
});

test("merges splice results without a network request", async () => {
  const t = fakeTransport({
    data: { items: { items_list: [{ id: 1, name: "a" }, { id: 2, name: "b" }] } },
    call: {
      set_item_name: (args) => ({
        result: { id: args.id, name: args.name },
        invalidate: [],
        merge: [{ context: "items", slot: "items_list", value: { id: args.id, name: args.name } }],
      }),
    },
  });
  const client = createMizanClient({ transport: t });
  let notified = 0;
  client.subscribe("items", {}, () => notified++);
  await settle();
  t.log.length = 0;
  const before = notified;
  const item = await callSetItemName(client, { id: 2, name: "B" });
  assert.deepEqual(item, { id: 2, name: "B" });
  // Applied before the call resolves: no tick, no fetch.
  assert.deepEqual(client.getState("items", {}).data.items_list, [{ id: 1, name: "a" }, { id: 2, name: "B" }]);
  assert.ok(notified > before);
  await callSetItemName(client, { id: 3, name: "c" });
  assert.deepEqual(client.getState("items", {}).data.items_list.map((i) => i.id), [1, 2, 3]);
  await settle();
  assert.equal(t.fetches().length, 0);
});

test("merge helpers: upsert by identity, replace lists, params scope", () => {
  assert.deepEqual(spliceSlot([{ k: 1, v: 0 }], { k: "1", v: 1 }, "k"), [{ k: "1", v: 1 }]);
  assert.deepEqual(spliceSlot([{ k: 1 }], { k: 2 }, "k"), [{ k: 1 }, { k: 2 }]);
  assert.deepEqual(spliceSlot([{ k: 1 }], [{ k: 9 }], "k"), [{ k: 9 }]);
  assert.deepEqual(spliceSlot({ a: 1 }, { a: 2 }, "id"), { a: 2 });
  assert.ok(paramsMatch({ user_id: 5 }, { user_id: "5" }));
  assert.ok(!paramsMatch({ user_id: 6 }, { user_id: 5 }));
  assert.ok(paramsMatch({ user_id: 5 }, { user_id: 5, page: 2 }), "a param the instance does not set matches");
  assert.ok(paramsMatch({ flag: true }, { flag: "true" }));
});

test("a failed call invalidates and merges nothing, and is never retried", async () => {
  const t = fakeTransport({ data: { user: userData } });
  const client = createMizanClient({ transport: t, retry: { delayMs: 1 } });
  client.subscribe("user", { user_id: 5 }, () => {});
  await settle();
  t.log.length = 0;
  await assert.rejects(client.call("rename", { user_id: 5, name: "x" }), (e) => e instanceof MizanError && e.code === "NOT_FOUND");
  await settle();
  assert.deepEqual(t.log.map((e) => e.op), ["call"]);
});

test("context fetches retry twice on 5xx and network errors, not on 4xx", async () => {
  let attempts = 0;
  const flaky = fakeTransport();
  flaky.fetchContext = async () => {
    attempts++;
    if (attempts < 3) throw new MizanError(attempts === 1 ? "NETWORK_ERROR" : "INTERNAL_ERROR", "boom", attempts === 1 ? {} : { status: 503 });
    return { counter_value: { value: 1 } };
  };
  const client = createMizanClient({ transport: flaky, retry: { delayMs: 1 } });
  client.subscribe("stats", {}, () => {});
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(attempts, 3);
  assert.equal(client.getState("stats", {}).status, "success");

  let tries = 0;
  const broken = fakeTransport();
  broken.fetchContext = async () => {
    tries++;
    throw new MizanError("INTERNAL_ERROR", "down", { status: 500 });
  };
  const c2 = createMizanClient({ transport: broken, retry: { delayMs: 1 } });
  c2.subscribe("stats", {}, () => {});
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(tries, 3, "1 try + 2 retries");
  const s = c2.getState("stats", {});
  assert.equal(s.status, "error");
  assert.equal(s.error.code, "INTERNAL_ERROR");

  let denied = 0;
  const forbidden = fakeTransport();
  forbidden.fetchContext = async () => {
    denied++;
    throw new MizanError("FORBIDDEN", "no", { status: 403 });
  };
  const c3 = createMizanClient({ transport: forbidden, retry: { delayMs: 1 } });
  await assert.rejects(c3.fetchContext("stats", {}), (e) => e.code === "FORBIDDEN" && e.status === 403);
  assert.equal(denied, 1);
});

test("HTTP transport: session once, CSRF header, query strings, error envelopes", async () => {
  const requests = [];
  const fakeFetch = async (url, init) => {
    requests.push({ url, init });
    const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
    if (url.endsWith("/session/")) return json(200, { csrfToken: "tok" });
    if (url.includes("/ctx/user/")) return json(200, userData({ user_id: 5 }));
    if (url.endsWith("/call/")) {
      const body = JSON.parse(init.body);
      if (body.fn === "rename") return json(200, { result: { user_id: 5, name: body.args.name, bio: "" }, invalidate: [] });
      return json(422, { error: { code: "VALIDATION_ERROR", message: "bad", details: { fields: { name: ["required"] } } } });
    }
    return new Response("nope", { status: 404 });
  };
  const client = createMizanClient({ transport: httpTransport({ baseUrl: "http://x/api/mizan/", fetch: fakeFetch, headers: { "X-Mizan-Token": "mwt" } }) });
  const data = await fetchUserContext(client, { user_id: 5, page: undefined });
  assert.equal(data.user_profile.name, "u5");
  assert.equal(requests[0].url, "http://x/api/mizan/ctx/user/?user_id=5");
  assert.equal(requests[0].init.method, "GET");
  assert.equal(requests[0].init.headers["X-Mizan-Token"], "mwt");
  await callRename(client, { user_id: 5, name: "N" });
  await callRename(client, { user_id: 5, name: "M" });
  const posts = requests.filter((r) => r.init.method === "POST");
  assert.equal(requests.filter((r) => r.url.endsWith("/session/")).length, 1);
  assert.equal(posts.length, 2);
  assert.equal(posts[0].init.headers["X-CSRFToken"], "tok");
  assert.deepEqual(JSON.parse(posts[0].init.body), { fn: "rename", args: { user_id: 5, name: "N" } });
  await assert.rejects(client.call("echo", { text: "" }), (e) => e instanceof MizanError && e.code === "VALIDATION_ERROR" && e.status === 422 && e.details.fields.name[0] === "required");
  const offline = createMizanClient({ retry: { retries: 0 }, transport: httpTransport({ fetch: async () => { throw new TypeError("fetch failed"); } }) });
  await assert.rejects(offline.fetchContext("stats", {}), (e) => e.code === "NETWORK_ERROR" && e.retryable);
});

test("Tauri transport: one plugin command, envelopes, rejections as MizanError", async () => {
  const seen = [];
  globalThis.__TAURI_INTERNALS__ = {
    invoke: async (cmd, args) => {
      seen.push({ cmd, args });
      if (args.envelope.op === "fetch") return { counter_value: { value: 3 } };
      if (args.envelope.fn === "echo") return { result: { message: args.envelope.args.text }, invalidate: [] };
      throw { code: "FORBIDDEN", message: "staff only" };
    },
  };
  try {
    const client = createMizanClient({ transport: tauriTransport() });
    assert.deepEqual(await client.fetchContext("stats", {}), { counter_value: { value: 3 } });
    assert.deepEqual(await client.call("echo", { text: "hi" }), { message: "hi" });
    await assert.rejects(client.call("ping_admin", {}), (e) => e instanceof MizanError && e.code === "FORBIDDEN");
    assert.deepEqual(seen[0], { cmd: "plugin:mizan|mizan_invoke", args: { envelope: { op: "fetch", context: "stats", params: {} } } });
    assert.deepEqual(seen[1].args.envelope, { op: "call", fn: "echo", args: { text: "hi" }, client: client.clientId });
  } finally {
    delete globalThis.__TAURI_INTERNALS__;
  }
});

// The merge table shared with the Rust kernel (tests/merge_cases.json,
// copied next to this file by crates/mizan-codegen/tests/kernel.rs).
test("the shared merge table holds", async () => {
  const { readFileSync } = await import("node:fs");
  const table = JSON.parse(readFileSync(new URL("./merge_cases.json", import.meta.url), "utf8"));
  assert.ok(table.cases.length >= 15, `only ${table.cases.length} cases`);
  for (const c of table.cases) {
    const t = fakeTransport({ data: { c: c.data } });
    const identities = c.list === null ? {} : { c: { [c.slot]: c.list } };
    const client = createMizanClient({ transport: t, schema: { identities } });
    const off = client.subscribe("c", {}, () => {});
    await settle();
    client.applyMerges([{ context: "c", slot: c.slot, value: c.value }]);
    assert.deepEqual(client.getState("c", {}).data, c.expected, c.name);
    off();
  }
});

// Object and array params compare as the core's S(v): canonical JSON, keys
// sorted by code point at every level (vectors from mizan-core's
// canonical_json, so both kernels and the cache keys agree).
test("object params are stringified as canonical JSON", () => {
  assert.equal(paramString({ b: [1.0, "é\n"], a: {} }), '{"a":{},"b":[1,"é\\n"]}');
  assert.equal(paramString({ z: { y: 1, x: [{ d: 1, c: 2 }] }, a: null }), '{"a":null,"z":{"x":[{"c":2,"d":1}],"y":1}}');
  // Code point order, not UTF-16 code units: U+FFFF sorts before U+1F600.
  assert.equal(paramString({ "\u{1F600}": 1, "\uFFFF": 2 }), '{"\uFFFF":2,"\u{1F600}":1}');
  assert.equal(instanceKey("c", { f: { a: 1, b: 2 } }), instanceKey("c", { f: { b: 2, a: 1 } }));
  assert.ok(paramsMatch({ f: { a: 1, b: 2 } }, { f: { b: 2, a: 1 } }));
  assert.equal(paramString([{ b: 1, a: 2 }]), '[{"a":2,"b":1}]');
  assert.equal(paramString({ at: new Date(0) }), '{"at":"1970-01-01T00:00:00.000Z"}');
});

test("a MizanError keeps its cause (set without the ES2022 Error constructor)", () => {
  const inner = new TypeError("fetch failed");
  const e = toMizanError(inner);
  assert.equal(e.cause, inner);
  assert.ok(!Object.keys(e).includes("cause"), "non-enumerable, like a native cause");
  assert.equal(new MizanError("NETWORK_ERROR", "x").cause, undefined);
  assert.ok(!("cause" in new MizanError("NETWORK_ERROR", "x")));
});
