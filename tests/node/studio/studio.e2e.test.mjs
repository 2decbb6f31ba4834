// Mizan Studio in web mode, driven in headless Chromium with playwright-core:
// the studio ($MIZAN_STUDIO_URL) was started by src-tauri/tests/web_e2e.rs
// on a temp copy of fixtures/example ($MIZAN_PROJECT). `$MIZAN_CLI` is the
// `mizan` binary (the IR's own graph and `generate --check`), screenshots go
// to $MIZAN_SHOTS. The tests run in order on one page: each step leaves the
// project as the next expects.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

const url = process.env.MIZAN_STUDIO_URL;
const project = process.env.MIZAN_PROJECT;
const cli = process.env.MIZAN_CLI;
const shots = process.env.MIZAN_SHOTS ?? ".";
assert.ok(url && project && cli, "MIZAN_STUDIO_URL, MIZAN_PROJECT and MIZAN_CLI must be set");
const kdl = join(project, "api.kdl");
const generated = join(project, "generated");

/** `mizan ir graph --format json` of the project's IR as it is on disk. */
function irGraph() {
  return JSON.parse(execFileSync(cli, ["ir", "graph", "--format", "json", kdl], { encoding: "utf8" }));
}

/** `mizan generate --check` in the project: [exit status, output]. */
function generateCheck() {
  const r = spawnSync(cli, ["generate", "--check"], { cwd: project, encoding: "utf8" });
  return [r.status, `${r.stdout}${r.stderr}`];
}

/** Path → sha256 of every file under `dir`. */
function snapshot(dir) {
  const out = {};
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p.slice(dir.length + 1)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

let browser;
let page;
const pageErrors = [];

before(async () => {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(url);
  await page.getByTestId("graph").locator("g[data-node]").first().waitFor({ timeout: 20000 });
  // Pushes (watch) need the WebSocket: wait until it is up.
  await page.locator('[data-testid="status-connection"][data-status="connected"]').waitFor({ timeout: 10000 });
});

after(async () => {
  await browser?.close();
});

test("every context of the IR is listed", async () => {
  const contexts = irGraph().nodes.filter((n) => n.kind === "context").map((n) => n.name).sort();
  const items = page.getByTestId("context-item");
  await assert.doesNotReject(() => items.nth(contexts.length - 1).waitFor());
  const names = (await items.evaluateAll((els) => els.map((e) => e.dataset.name))).sort();
  assert.deepEqual(names, contexts);
});

test("the graph has the IR's nodes and edges", async () => {
  const ir = irGraph();
  const svg = page.getByTestId("graph");
  const nodes = await svg.locator("g[data-node]").evaluateAll((els) => els.map((e) => `${e.dataset.kind}:${e.dataset.node}`));
  const edges = await svg.locator("[data-edge]").evaluateAll((els) => els.map((e) => `${e.dataset.edge} ${e.dataset.kind}`));
  assert.equal(nodes.length, ir.nodes.length);
  assert.equal(edges.length, ir.edges.length);
  assert.deepEqual(edges.sort(), ir.edges.map((e) => `${e.from}->${e.to} ${e.kind}`).sort());
  // Mutations are functions with affects/merge; the rest match exactly.
  const kinds = new Map(nodes.map((n) => [n.slice(n.indexOf(":") + 1), n.slice(0, n.indexOf(":"))]));
  for (const n of ir.nodes) {
    const kind = kinds.get(n.name);
    assert.ok(n.kind === "context" ? kind === "context" : kind === "function" || kind === "mutation", `${n.id}: ${kind}`);
  }
  await page.screenshot({ path: join(shots, "studio-web-graph.png") });
});

test("selecting rename highlights what it invalidates; what-if resolves user;user_id=5", async () => {
  await page.getByTestId("graph").locator('g[data-node="rename"][data-kind="mutation"]').click();
  const user = page.getByTestId("graph").locator('g[data-node="user"][data-kind="context"]');
  assert.equal(await user.getAttribute("data-highlight"), "invalidated");
  // Nothing rename does not reach is highlighted.
  const lit = await page.getByTestId("graph").locator("g[data-highlight]").evaluateAll((els) => els.map((e) => e.dataset.node));
  assert.deepEqual(lit, ["user"]);

  const args = page.getByTestId("whatif-args");
  await args.fill('{"user_id": 5, "name": "x"}');
  await args.press("Enter");
  const header = page.getByTestId("whatif-header");
  await header.filter({ hasText: "user;user_id=5" }).waitFor({ timeout: 5000 });
  const result = JSON.parse(await page.getByTestId("whatif-result").innerText());
  assert.deepEqual(result, { invalidate: [{ context: "user", params: { user_id: 5 } }], merge: [] });
  await page.screenshot({ path: join(shots, "studio-web-whatif.png") });
});

test("selecting a context marks the mutations that reach it", async () => {
  await page.getByTestId("context-item").and(page.locator('[data-name="items"]')).click();
  const setItemName = page.getByTestId("graph").locator('g[data-node="set_item_name"]');
  assert.match((await setItemName.getAttribute("class")) ?? "", /\bsource\b/);
  await page.getByTestId("search").fill("rnm");
  const shown = await page.locator('[data-testid="mutation-item"]').evaluateAll((els) => els.map((e) => e.dataset.name));
  assert.deepEqual(shown, ["rename"]);
  await page.getByTestId("search").fill("");
});

test("regenerate writes the files and mizan generate --check is then clean", async () => {
  const [before] = generateCheck();
  assert.equal(before, 1, "the fresh copy has no generated files yet");
  await page.getByTestId("regenerate").click();
  const summary = page.getByTestId("regenerate-summary");
  await summary.waitFor({ timeout: 15000 });
  assert.match(await summary.innerText(), /\d+ written · \d+ removed · \d+ unchanged · [\d.]+ ms/);
  assert.ok(Number(await summary.getAttribute("data-written")) > 0);
  const [status, out] = generateCheck();
  assert.equal(status, 0, out);
  await page.screenshot({ path: join(shots, "studio-web-regenerated.png") });
});

test("a saved new function appears and the files regenerate, without a reload", async () => {
  await page.evaluate(() => {
    window.__studioNotReloaded = true;
  });
  const text = readFileSync(kdl, "utf8");
  const added = text.replace(
    "    function bump_counter {",
    '    function added_by_watch {\n        doc "Added while the studio watched."\n        param n integer\n        returns AddResult\n    }\n    function bump_counter {',
  );
  assert.notEqual(added, text);
  writeFileSync(kdl, added);
  await page.locator('[data-testid="function-item"][data-name="added_by_watch"]').waitFor({ timeout: 10000 });
  await page.getByTestId("graph").locator('g[data-node="added_by_watch"]').waitFor({ timeout: 10000 });
  assert.equal(await page.evaluate(() => window.__studioNotReloaded), true, "the page was reloaded");
  // The watcher regenerated: the files on disk are what the IR says.
  const deadline = Date.now() + 10000;
  let check = generateCheck();
  while (check[0] !== 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    check = generateCheck();
  }
  assert.equal(check[0], 0, check[1]);
  const mentions = Object.keys(snapshot(generated)).filter((p) => readFileSync(join(generated, p), "utf8").includes("added_by_watch"));
  assert.ok(mentions.length > 0, "no generated file has the new function");
  const ir = irGraph();
  assert.equal(await page.getByTestId("graph").locator("g[data-node]").count(), ir.nodes.length);
});

test("a broken save shows a diagnostic and leaves the files as they were", async () => {
  const files = snapshot(generated);
  const text = readFileSync(kdl, "utf8");
  const broken = text.replace('        param n integer\n        returns AddResult\n', "        param n integer\n        returns AddResult\n        affects context=nowhere\n");
  assert.notEqual(broken, text);
  writeFileSync(kdl, broken);
  const diagnostic = page.locator('[data-testid="diagnostic"]').filter({ hasText: "nowhere" });
  await diagnostic.waitFor({ timeout: 10000 });
  const code = await diagnostic.getAttribute("data-code");
  assert.ok(code && code.length > 0);
  await page.getByTestId("failed-load").waitFor();
  // Give a (wrong) regeneration time to happen, then compare.
  await new Promise((r) => setTimeout(r, 800));
  assert.deepEqual(snapshot(generated), files);
  // The last good IR stays on screen.
  await page.getByTestId("graph").locator('g[data-node="added_by_watch"]').waitFor();
  await diagnostic.click();
  await page.screenshot({ path: join(shots, "studio-web-broken-save.png") });
  assert.deepEqual(pageErrors, []);
});

test("web mode: no folder picker; Open… goes back to the open screen, the project is recent and reopens", async () => {
  // Undo the broken save of the previous step.
  writeFileSync(kdl, readFileSync(kdl, "utf8").replace("        affects context=nowhere\n", ""));
  await page.getByTestId("failed-load").waitFor({ state: "detached", timeout: 10000 });
  await page.getByTestId("open-other").click();
  await page.getByTestId("open-path").waitFor({ timeout: 10000 });
  // The backend reports no picker and no drops in web mode: neither shows.
  assert.equal(await page.getByTestId("choose-folder").count(), 0);
  assert.equal(await page.getByTestId("drop-tip").count(), 0);
  const recent = page.getByTestId("recent-item").first();
  assert.match(await recent.innerText(), new RegExp(realpathSync(project).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  await page.screenshot({ path: join(shots, "studio-web-open-screen.png") });
  await recent.locator(".recent-open").click();
  await page.getByTestId("graph").locator("g[data-node]").first().waitFor({ timeout: 20000 });
  assert.deepEqual(pageErrors, []);
});
