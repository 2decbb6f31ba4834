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
import { STATE_TIMEOUT_MS, openStudio } from "./browser.mjs";

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

/** The lines `mizan ir check` reports diagnostics with `code` on. */
function irCheckLines(code) {
  const r = spawnSync(cli, ["ir", "check", kdl], { encoding: "utf8" });
  const out = `${r.stdout}${r.stderr}`;
  return [...out.matchAll(new RegExp(`:(\\d+):\\d+: \\w+\\[${code}\\]`, "g"))].map((m) => m[1]);
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
let pageErrors;

before(async () => {
  ({ browser, page, pageErrors } = await openStudio(url));
  await page.getByTestId("graph").locator("g[data-node]").first().waitFor();
  // Pushes (watch) need the WebSocket: wait until it is up.
  await page.locator('[data-testid="status-connection"][data-status="connected"]').waitFor();
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
  await header.filter({ hasText: "user;user_id=5" }).waitFor();
  const result = JSON.parse(await page.getByTestId("whatif-result").innerText());
  assert.deepEqual(result, { invalidate: [{ context: "user", params: { user_id: 5 } }], merge: [] });
  await page.screenshot({ path: join(shots, "studio-web-whatif.png") });
});

test("an inspector location opens the IR source at that line, diagnostics marked", async () => {
  // rename is selected (the previous step).
  const link = page.getByTestId("source-link");
  const [, line] = (await link.innerText()).match(/:(\d+):\d+$/);
  await link.click();
  const pointed = page.getByTestId("source-pointed");
  await pointed.waitFor();
  assert.equal(await pointed.getAttribute("data-line"), line);
  const text = await page.getByTestId("source-view").locator("code").innerText();
  assert.match(text.split("\n")[Number(line) - 1], /function rename\b/);
  // Highlighted, and the theme applies: the line's keyword (`function`)
  // and its string are coloured, each unlike the plain text.
  const colours = await page.getByTestId("source-view").evaluate((view) => {
    const code = view.querySelector("code");
    const spans = [...code.querySelectorAll("span[class]")];
    return {
      text: getComputedStyle(code).color,
      spans: spans.map((s) => getComputedStyle(s).color),
      classes: spans.every((s) => [...s.classList].every((c) => c.startsWith("hl-"))),
    };
  });
  assert.ok(colours.spans.length > 50, "the IR source is not highlighted");
  assert.ok(colours.classes, "a highlighting class without the hl- prefix");
  assert.ok(new Set(colours.spans.filter((c) => c !== colours.text)).size >= 3, "the highlight theme is not applied");
  // The example's one warning (never-invalidated) marks its line.
  const warning = irCheckLines("never-invalidated");
  assert.ok(warning.length > 0);
  for (const l of warning) await page.locator(`.line-mark.warning[data-line="${l}"]`).waitFor();
  await page.screenshot({ path: join(shots, "studio-web-source.png") });
  await page.locator('[data-testid="center-tab"][data-tab="graph"]').click();
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

test("filtering by a context shows it, its members and what reaches them", async () => {
  await page.getByTestId("context-item").and(page.locator('[data-name="user"]')).click();
  await page.getByTestId("filter-context").click();
  await page.getByTestId("graph-context-filter").waitFor();
  const ir = irGraph();
  const keep = new Set(["ctx:user"]);
  for (const e of ir.edges) if (e.to === "ctx:user" && e.kind === "member-of") keep.add(e.from);
  const inner = [...keep];
  for (const e of ir.edges) if (inner.includes(e.to)) keep.add(e.from);
  const svg = page.getByTestId("graph");
  const shownIds = async () =>
    (await svg.locator("g[data-node]").evaluateAll((els) => els.map((e) => `${e.dataset.kind === "context" ? "ctx" : "fn"}:${e.dataset.node}`))).sort();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="graph"] g[data-node]').length === n, keep.size);
  assert.deepEqual(await shownIds(), [...keep].sort());
  assert.ok(keep.size < ir.nodes.length, "the filter must leave something out");
  await page.getByTestId("graph-context-filter").locator("button").click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="graph"] g[data-node]').length === n, ir.nodes.length);
});

/** The Clients tab's files: "state path" per item. */
async function previewItems() {
  return page.getByTestId("preview-file-item").evaluateAll((els) => els.map((e) => `${e.dataset.state} ${e.dataset.path}`));
}

test("the Clients tab lists what mizan generate would write, highlighted", async () => {
  await page.locator('[data-testid="center-tab"][data-tab="clients"]').click();
  await page.getByTestId("preview-file-item").first().waitFor();
  // The same files, in the same state, as the CLI's own dry run says.
  const [, out] = generateCheck();
  const cli = [...out.matchAll(/^would create generated\/(.+)$/gm)].map((m) => `create ${m[1]}`).sort();
  assert.ok(cli.length > 0, out);
  assert.deepEqual((await previewItems()).sort(), cli);
  // The first file is shown, highlighted by the backend's grammars.
  const code = page.getByTestId("preview-code");
  await code.waitFor();
  assert.ok((await code.locator('span[class^="hl-"]').count()) > 10, "the file is not highlighted");
  await page.locator('[data-testid="preview-file-item"][data-path="client.ts"]').click();
  await page.locator('[data-testid="preview-file"][data-path="client.ts"]').waitFor();
  assert.match(await page.getByTestId("preview-code").innerText(), /export/);
  await page.screenshot({ path: join(shots, "studio-web-clients.png") });
  await page.locator('[data-testid="center-tab"][data-tab="graph"]').click();
  await page.getByTestId("graph").waitFor({ state: "visible" });
});

/** The `data-testid` of the focused element. */
const focusedTestId = () => page.evaluate(() => document.activeElement?.dataset?.testid ?? null);

/** Ids of the graph's nodes and edges marked as on the trace. */
const tracedMarks = () =>
  page.getByTestId("graph").locator('[data-trace="on"]').evaluateAll((els) => els.map((e) => e.dataset.id ?? e.dataset.edge).sort());

test("Ctrl+K, `rena`, Enter selects rename everywhere; Escape gives the focus back", async () => {
  await page.getByTestId("search").focus();
  await page.keyboard.press("Control+k");
  const palette = page.getByTestId("command-palette");
  await palette.waitFor();
  assert.equal(await focusedTestId(), "palette-input", "the palette's input takes the focus");
  await page.getByTestId("palette-input").fill("rena");
  const rows = palette.getByTestId("palette-item");
  assert.equal(await rows.first().getAttribute("data-id"), "fn:rename");
  assert.equal(await rows.first().getAttribute("aria-selected"), "true");
  await page.screenshot({ path: join(shots, "studio-web-palette.png") });
  await page.keyboard.press("Enter");
  await palette.waitFor({ state: "detached" });
  assert.equal(await page.getByTestId("inspector-name").innerText(), "rename");
  const node = page.getByTestId("graph").locator('g[data-id="fn:rename"]');
  assert.match((await node.getAttribute("class")) ?? "", /\bselected\b/);
  const item = page.locator('[data-testid="mutation-item"][data-name="rename"]');
  assert.match((await item.getAttribute("class")) ?? "", /\bselected\b/);
  assert.equal(await focusedTestId(), "search", "the focus returns where it was");

  // Empty query: the most recent selection first; arrows move; Esc closes.
  await page.keyboard.press("Control+k");
  await palette.waitFor();
  assert.equal(await rows.first().getAttribute("data-id"), "fn:rename");
  const ids = await rows.evaluateAll((els) => els.map((e) => e.dataset.id));
  for (const id of ["cmd:regenerate", "cmd:toggle-watch", "cmd:fit", "cmd:toggle-full", "cmd:export-svg", "cmd:export-mermaid", "cmd:shortcuts", "cmd:open-project", "cmd:reload", "ctx:user", "type:Profile"]) {
    assert.ok(ids.includes(id), `${id} missing from the palette`);
  }
  await page.keyboard.press("ArrowDown");
  assert.equal(await rows.nth(1).getAttribute("aria-selected"), "true");
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("ArrowUp");
  assert.equal(await rows.last().getAttribute("aria-selected"), "true", "↑ on the first row wraps to the last");
  await page.keyboard.press("Escape");
  await palette.waitFor({ state: "detached" });
  assert.equal(await focusedTestId(), "search");

  // "Open another project…" turns the palette into a picker of recent
  // projects (this one is the only one) and typed paths.
  await page.keyboard.press("Control+k");
  await page.getByTestId("palette-input").fill("open another");
  await page.keyboard.press("Enter");
  await palette.and(page.locator('[data-mode="open-project"]')).waitFor();
  const projects = await rows.evaluateAll((els) => els.map((e) => e.dataset.id));
  assert.ok(projects.some((id) => id.startsWith("project:") && id.endsWith(project.split("/").pop())), `${projects}`);
  await page.keyboard.press("Escape");
  await palette.waitFor({ state: "detached" });
  await page.evaluate(() => document.activeElement?.blur());
});

test("`?` shows every shortcut, never while typing; `/` focuses the search", async () => {
  await page.keyboard.press("?");
  const panel = page.getByTestId("shortcuts");
  await panel.waitFor();
  const text = await panel.innerText();
  for (const words of ["Command palette", "Search the lists", "Select the previous / next visible item", "Focus the selection in the graph", "Zoom", "Fit"]) {
    assert.ok(text.includes(words), `${words} missing from the shortcuts panel`);
  }
  await page.screenshot({ path: join(shots, "studio-web-shortcuts.png") });
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "detached" });

  await page.keyboard.press("/");
  assert.equal(await focusedTestId(), "search");
  await page.keyboard.type("?");
  assert.equal(await panel.count(), 0, "`?` typed into the search box opened the panel");
  assert.equal(await page.getByTestId("search").inputValue(), "?");
  await page.getByTestId("search").fill("");
});

test("↑/↓ in the search box move through the visible rows; Enter focuses in the graph", async () => {
  const search = page.getByTestId("search");
  await search.focus();
  await search.fill("user");
  const visible = await page.locator(".list[open] .list-item[data-id]").evaluateAll((els) => els.map((e) => e.dataset.id));
  assert.ok(visible.length >= 2, `${visible}`);
  // rename is still selected and not visible: ↓ starts at the first row.
  await page.keyboard.press("ArrowDown");
  assert.equal(await page.getByTestId("inspector-name").innerText(), visible[0].split(":")[1]);
  await page.keyboard.press("ArrowDown");
  assert.equal(await page.getByTestId("inspector-name").innerText(), visible[1].split(":")[1]);
  await page.keyboard.press("ArrowUp");
  assert.equal(await page.getByTestId("inspector-name").innerText(), visible[0].split(":")[1]);
  await page.keyboard.press("Enter");
  const chip = page.getByTestId("graph-focus");
  await chip.filter({ hasText: visible[0] }).waitFor();
  await chip.locator("button").click();
  await chip.waitFor({ state: "detached" });
  await search.fill("");
});

test("trace from rename to the user context: steps with reasons, the path highlighted, then ended", async () => {
  await page.locator('[data-testid="mutation-item"][data-name="rename"]').click();
  await page.getByTestId("trace-to").click();
  const palette = page.getByTestId("command-palette");
  await palette.and(page.locator('[data-mode="trace"]')).waitFor();
  await page.getByTestId("palette-input").fill("user");
  await palette.locator('[data-testid="palette-item"][data-id="ctx:user"]').click();
  const result = page.getByTestId("trace-result");
  await result.and(page.locator('[data-found="true"]')).waitFor();
  assert.equal(await result.getAttribute("data-directed"), "true");
  const steps = result.getByTestId("trace-step");
  const n = await steps.count();
  assert.ok(n >= 1);
  assert.equal(await steps.first().getAttribute("data-from"), "fn:rename");
  assert.equal(await steps.last().getAttribute("data-to"), "ctx:user");
  for (let i = 0; i < n; i++) {
    assert.match(await steps.nth(i).innerText(), /declares|member/, "every step says why");
  }
  // The path, and only the path, is marked on the graph.
  const path = await steps.evaluateAll((els) => els.flatMap((e) => [e.dataset.from, e.dataset.to, `${e.dataset.from}->${e.dataset.to}`]));
  assert.deepEqual(await tracedMarks(), [...new Set(path)].sort());
  await page.getByTestId("graph-trace").waitFor();
  await page.screenshot({ path: join(shots, "studio-web-trace.png") });

  // The other way round there is no directed path: said so, with the
  // undirected one.
  await page.getByTestId("context-item").and(page.locator('[data-name="user"]')).click();
  await page.getByTestId("trace-to").click();
  await page.getByTestId("palette-input").fill("rename");
  await page.keyboard.press("Enter");
  await result.and(page.locator('[data-directed="false"]')).waitFor();
  assert.match(await page.getByTestId("trace-summary").innerText(), /does not reach/);
  assert.ok((await tracedMarks()).includes("fn:rename"));

  await page.getByTestId("trace-end").click();
  await result.waitFor({ state: "detached" });
  assert.deepEqual(await tracedMarks(), []);
});

test("Export Mermaid downloads exactly `mizan ir graph --format mermaid`", async () => {
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-mermaid").click()]);
  assert.equal(download.suggestedFilename(), "mizan-graph.mmd");
  const text = readFileSync(await download.path(), "utf8");
  const expected = execFileSync(cli, ["ir", "graph", "--format", "mermaid", kdl], { encoding: "utf8" });
  assert.equal(text, expected);
  await page.getByTestId("notice").filter({ hasText: "mizan-graph.mmd" }).waitFor();
});

test("Export SVG downloads a standalone SVG with every node shown", async () => {
  // From the palette this time.
  await page.keyboard.press("Control+k");
  await page.getByTestId("palette-input").fill("export svg");
  assert.equal(await page.getByTestId("palette-item").first().getAttribute("data-id"), "cmd:export-svg");
  const [download] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
  assert.equal(download.suggestedFilename(), "mizan-graph.svg");
  const text = readFileSync(await download.path(), "utf8");
  assert.ok(text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), text.slice(0, 80));
  assert.ok(text.includes("<style>") && !text.includes("var(--"), "styles are inlined");
  const shown = (await page.getByTestId("graph").locator("g[data-node]").evaluateAll((els) => els.map((e) => e.dataset.id))).sort();
  const file = join(shots, "studio-export.svg");
  writeFileSync(file, text);
  // It renders on its own (no stylesheet, no script) with the same nodes.
  const alone = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await alone.goto(`file://${file}`);
  const parsed = await alone.evaluate(() => ({
    root: document.documentElement.localName,
    errors: document.getElementsByTagName("parsererror").length,
    ids: [...document.querySelectorAll("g[data-id]")].map((g) => g.dataset.id ?? g.getAttribute("data-id")),
    fill: getComputedStyle(document.querySelector("g.node.context rect")).fill,
  }));
  assert.equal(parsed.root, "svg");
  assert.equal(parsed.errors, 0);
  assert.deepEqual(parsed.ids.sort(), shown);
  assert.notEqual(parsed.fill, "rgb(0, 0, 0)", "the context boxes are styled");
  await alone.screenshot({ path: join(shots, "studio-export-svg.png") });
  await alone.close();
});

test("regenerate writes the files and mizan generate --check is then clean", async () => {
  const [before] = generateCheck();
  assert.equal(before, 1, "the fresh copy has no generated files yet");
  await page.getByTestId("regenerate").click();
  const summary = page.getByTestId("regenerate-summary");
  await summary.waitFor();
  assert.match(await summary.innerText(), /\d+ written · \d+ removed · \d+ unchanged · [\d.]+ ms/);
  assert.ok(Number(await summary.getAttribute("data-written")) > 0);
  const [status, out] = generateCheck();
  assert.equal(status, 0, out);
  await page.screenshot({ path: join(shots, "studio-web-regenerated.png") });
});

test("a generated file edited by hand shows as changed, with its diff; regenerate restores it", async () => {
  await page.locator('[data-testid="center-tab"][data-tab="clients"]').click();
  await page.locator('[data-testid="preview-file-item"][data-path="client.ts"][data-state="unchanged"]').waitFor();
  const file = join(generated, "client.ts");
  const text = readFileSync(file, "utf8");
  writeFileSync(file, text.replace("export", "// edited by hand\nexport"));
  // The output folder is watched: no click, no reload.
  const item = page.locator('[data-testid="preview-file-item"][data-path="client.ts"][data-state="update"]');
  await item.waitFor();
  await item.click();
  const removed = page.getByTestId("preview-diff").locator('tr[data-tag="delete"]');
  await removed.first().waitFor();
  assert.equal(await removed.count(), 1);
  assert.match(await removed.first().innerText(), /edited by hand/);
  assert.equal(await page.getByTestId("preview-diff").locator('tr[data-tag="insert"]').count(), 0);
  await page.screenshot({ path: join(shots, "studio-web-clients-diff.png") });
  await page.getByTestId("regenerate").click();
  await page.locator('[data-testid="preview-file-item"][data-path="client.ts"][data-state="unchanged"]').waitFor();
  assert.equal(readFileSync(file, "utf8"), text);
  await page.locator('[data-testid="center-tab"][data-tab="graph"]').click();
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
  await page.locator('[data-testid="function-item"][data-name="added_by_watch"]').waitFor();
  await page.getByTestId("graph").locator('g[data-node="added_by_watch"]').waitFor();
  assert.equal(await page.evaluate(() => window.__studioNotReloaded), true, "the page was reloaded");
  // The watcher regenerated: the files on disk are what the IR says. The
  // backend regenerates before it pushes the new IR, so this holds as soon
  // as the new function is on screen; polled all the same, in case the
  // watcher saw the save as two writes and is still on the second.
  const deadline = Date.now() + STATE_TIMEOUT_MS;
  let check = generateCheck();
  while (check[0] !== 0 && Date.now() < deadline) {
    await page.waitForTimeout(100); // between two looks at the disk, not a wait for the studio
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
  await diagnostic.waitFor();
  const code = await diagnostic.getAttribute("data-code");
  assert.ok(code && code.length > 0);
  // The backend regenerates (when it does) before it publishes the outcome
  // of a load, so once the failed load is on screen a wrong regeneration
  // would already be on disk.
  await page.getByTestId("failed-load").waitFor();
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
  await page.getByTestId("failed-load").waitFor({ state: "detached" });
  await page.getByTestId("open-other").click();
  await page.getByTestId("open-path").waitFor();
  // The backend reports no picker and no drops in web mode: neither shows.
  assert.equal(await page.getByTestId("choose-folder").count(), 0);
  assert.equal(await page.getByTestId("drop-tip").count(), 0);
  const recent = page.getByTestId("recent-item").first();
  assert.match(await recent.innerText(), new RegExp(realpathSync(project).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  await page.screenshot({ path: join(shots, "studio-web-open-screen.png") });
  await recent.locator(".recent-open").click();
  await page.getByTestId("graph").locator("g[data-node]").first().waitFor();
  assert.deepEqual(pageErrors, []);
});
