// The Traffic tab (issue #15) in web mode, in headless Chromium: the
// studio's recording proxy in front of a live afi-server on a real Redis
// (started by src-tauri/tests/live_e2e.rs):
//   $MIZAN_STUDIO_URL, $MIZAN_PROJECT (a copy of the AFI IR, afi.kdl)
//   $AFI_BASE     the server's Mizan base URL (the proxy's target)
// Node runs with --experimental-websocket (the push through the proxy).
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openStudio } from "./browser.mjs";

const env = process.env;
for (const name of ["MIZAN_STUDIO_URL", "MIZAN_PROJECT", "AFI_BASE"]) assert.ok(env[name], `${name} must be set`);
const shots = env.MIZAN_SHOTS ?? ".";

let browser;
let page;
let pageErrors;
let proxy;

before(async () => {
  ({ browser, page, pageErrors } = await openStudio(env.MIZAN_STUDIO_URL));
  await page.getByTestId("status-environment").waitFor();
});

after(async () => {
  assert.deepEqual(pageErrors, [], "the page reported errors");
  await browser?.close();
});

const row = (selector) => page.locator(`[data-testid="traffic-row"]${selector}`);

async function call(fn, args, client) {
  const r = await fetch(`${proxy}/call/`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(client ? { "X-Mizan-Client": client } : {}) },
    body: JSON.stringify({ fn, args }),
  });
  const text = await r.text();
  assert.equal(r.status, 200, `${fn}: ${text}`);
  return JSON.parse(text);
}

async function fetchContext(path, client) {
  const r = await fetch(`${proxy}/ctx/${path}`, { headers: client ? { "X-Mizan-Client": client } : {} });
  assert.equal(r.status, 200);
  await r.text();
  return r.headers.get("x-mizan-cache");
}

test("the proxy starts from the tab and records fetches: MISS then HIT", async () => {
  await page.getByTestId("tab-traffic").click();
  await page.getByTestId("proxy-target").fill(env.AFI_BASE);
  await page.getByTestId("proxy-start").click();
  proxy = (await page.getByTestId("proxy-url").textContent()).trim();
  assert.match(proxy, /^http:\/\/127\.0\.0\.1:\d+\/api\/mizan$/);
  assert.equal(await fetchContext("user/?user_id=5", "c1"), "MISS");
  assert.equal(await fetchContext("user/?user_id=5", "c1"), "HIT");
  await row('[data-kind="fetch"][data-cache="HIT"]').first().waitFor();
  assert.equal(await row('[data-kind="fetch"][data-context="user"][data-cache="MISS"]').count(), 1);
  assert.equal(await row('[data-kind="fetch"][data-context="user"][data-cache="HIT"]').count(), 1);
});

test("a rename of user 5 is linked to the refetch of user 5, and why says so", async () => {
  await call("rename", { user_id: 5, name: "Ada" }, "c1");
  assert.equal(await fetchContext("user/?user_id=5", "c1"), "MISS");
  const refetch = row('[data-kind="fetch"][data-context="user"][data-caused-by]');
  await refetch.first().waitFor();
  assert.equal(await refetch.count(), 1);
  const callRow = row('[data-kind="call"][data-fn="rename"]');
  assert.equal(await refetch.getAttribute("data-caused-by"), await callRow.getAttribute("data-id"));
  await refetch.click();
  const why = page.getByTestId("traffic-why");
  await page.waitForFunction(() => /Refetched because/.test(document.querySelector('[data-testid="traffic-why"]')?.textContent ?? ""));
  const text = await why.textContent();
  assert.match(text, /`rename`/);
  assert.match(text, /`affects user`/);
  assert.match(text, /user_id=5/);
  await page.screenshot({ path: join(shots, "studio-traffic.png") });
  // The path is shown in the graph.
  await page.getByTestId("traffic-show-path").click();
  await page.waitForFunction(() => document.querySelector('[data-testid="center-tab"][data-tab="graph"]')?.getAttribute("aria-selected") === "true");
  await page.getByTestId("tab-traffic").click();
});

test("a push over the proxied /ws/ is shown with its mutation", async () => {
  const ws = new WebSocket(`${proxy.replace("http", "ws")}/ws/`);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  try {
    const pushed = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no push within 30 s")), 30_000);
      ws.onmessage = (m) => {
        const frame = JSON.parse(m.data);
        if (frame.op === "push") {
          clearTimeout(timer);
          resolve(frame);
        }
      };
    });
    await call("set_item_name", { id: 1, name: "pushed" });
    const frame = await pushed;
    assert.equal(frame.fn, "set_item_name");
  } finally {
    ws.close();
  }
  const push = row('[data-kind="push"][data-fn="set_item_name"]');
  await push.first().waitFor();
  await push.first().click();
  await page.waitForFunction(() => /A push of `set_item_name`/.test(document.querySelector('[data-testid="traffic-why"]')?.textContent ?? ""));
  assert.match(await page.getByTestId("traffic-why").textContent(), /It announces the call at/);
});

test("the IR edited to disagree with the server flags drift", async () => {
  assert.equal(await row('[data-drift="true"]').count(), 0);
  const kdl = join(env.MIZAN_PROJECT, "afi.kdl");
  const text = readFileSync(kdl, "utf8");
  const edited = text.replace(/(function rename \{[^}]*?affects) context=user/, "$1 context=items");
  assert.notEqual(edited, text);
  const state = await page.getByTestId("status-state").textContent();
  writeFileSync(kdl, edited);
  await page.waitForFunction((s) => document.querySelector('[data-testid="status-state"]')?.textContent !== s, state);
  await call("rename", { user_id: 5, name: "Grace" }, "c1");
  const drifted = row('[data-kind="call"][data-fn="rename"][data-drift="true"]');
  await drifted.first().waitFor();
  await drifted.first().click();
  await page.getByTestId("traffic-differences").waitFor();
  assert.match(await page.getByTestId("traffic-differences").textContent(), /the IR predicts `items`/);
  await page.getByTestId("status-traffic").waitFor();
  assert.equal(await page.getByTestId("status-traffic").getAttribute("data-drift"), "1");
  await page.screenshot({ path: join(shots, "studio-traffic-drift.png") });
  writeFileSync(kdl, text);
});

test("filters, pause and clear", async () => {
  await page.getByTestId("traffic-kind").selectOption("call");
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="traffic-row"]')].every((r) => r.dataset.kind === "call"));
  await page.getByTestId("traffic-kind").selectOption("");
  await page.getByTestId("traffic-filter").fill("user_id=5");
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="traffic-row"]')].every((r) => r.textContent.includes("user_id=5")));
  await page.getByTestId("traffic-filter").fill("");
  await page.getByTestId("traffic-pause").click();
  await page.waitForFunction(() => document.querySelector('[data-testid="traffic-pause"]')?.textContent === "Resume");
  const before = await row("").count();
  await fetchContext("items/");
  await page.waitForFunction(() => /not kept/.test(document.querySelector('[data-testid="traffic-counts"]')?.textContent ?? ""));
  assert.equal(await row("").count(), before);
  await page.getByTestId("traffic-pause").click();
  await page.getByTestId("traffic-clear").click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="traffic-row"]').length === 0);
});

test("a long timeline draws only the rows in view and scrolls to the oldest", async () => {
  // 100 fetches, the most a view sends: the page holds the rows on screen
  // (and a few around them), not all of them; scrolling down brings the
  // oldest into the page.
  for (let i = 0; i < 100; i++) await fetchContext(`user/?user_id=${1000 + i}`, "long");
  await page.waitForFunction(() => /^100 of 100 events/.test(document.querySelector('[data-testid="traffic-counts"]')?.textContent ?? ""));
  const drawn = await row("").count();
  assert.ok(drawn >= 10 && drawn < 70, `${drawn} rows in the page`);
  assert.equal(await row(":has-text('user_id=1000')").count(), 0, "the oldest row is drawn before it is scrolled to");
  const list = page.locator(".traffic-list");
  const height = await list.evaluate((el) => el.scrollHeight);
  assert.ok(height >= 100 * 30, `the list scrolls over every row (${height}px)`);
  await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
  const oldest = row(":has-text('user_id=1000')");
  await oldest.waitFor();
  await oldest.click();
  await page.getByTestId("traffic-why").waitFor();
  assert.match(await page.getByTestId("traffic-why").textContent(), /user_id=1000/);
  assert.ok((await row("").count()) < 70, "scrolled, the page still holds only the rows around the view");
});
