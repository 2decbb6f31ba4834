// Mizan Studio in web mode on the 2,000-function IR (fixtures/large; started
// by src-tauri/tests/web_e2e.rs, `large_project_in_chromium`): the graph
// opens on the overview of the contexts, selecting one focuses it, "Show
// all" and back; the lists draw a page of rows at a time.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openStudio } from "./browser.mjs";

const url = process.env.MIZAN_STUDIO_URL;
const shots = process.env.MIZAN_SHOTS ?? ".";
assert.ok(url, "MIZAN_STUDIO_URL must be set");

let browser;
let page;
let pageErrors;

before(async () => {
  ({ browser, page, pageErrors } = await openStudio(url));
  await page.getByTestId("graph").locator("g[data-node]").first().waitFor();
});

after(async () => {
  await browser?.close();
});

const nodeCount = () => page.getByTestId("graph").locator("g[data-node]").count();

test("a large graph opens on its contexts, readable; selecting one focuses it", async () => {
  await page.getByTestId("graph-overview").waitFor();
  const kinds = await page.getByTestId("graph").locator("g[data-node]").evaluateAll((els) => [...new Set(els.map((e) => e.dataset.kind))]);
  assert.deepEqual(kinds, ["context"]);
  assert.equal(await nodeCount(), 200);
  // Readable: a context box is drawn at least 0.8 px per unit (not shrunk to fit 200).
  const scale = await page.getByTestId("graph").evaluate((svg) => svg.getScreenCTM().a);
  assert.ok(scale >= 0.79, `overview drawn at ${scale} px per unit`);
  await page.screenshot({ path: join(shots, "studio-web-large-overview.png") });

  await page.locator('[data-testid="context-item"][data-name="ctx_007"]').click();
  const focus = page.getByTestId("graph-focus");
  await focus.filter({ hasText: "ctx:ctx_007" }).waitFor();
  await page.getByTestId("graph").locator('g[data-node="write_0007"]').waitFor();
  const focused = await nodeCount();
  assert.ok(focused > 1 && focused < 200, `${focused} nodes in focus`);
  await page.screenshot({ path: join(shots, "studio-web-large-focus.png") });
  // The chip's × leads back to the overview.
  await focus.locator("button").click();
  await page.getByTestId("graph-overview").waitFor();
});

test("the lists draw a page at a time; search narrows past it", async () => {
  const rows = page.locator('[data-testid="function-item"]');
  assert.equal(await rows.count(), 100);
  const more = page.locator(".list").filter({ has: rows.first() }).getByTestId("list-more");
  assert.match(await more.innerText(), /Show 100 more of 1000/);
  await more.click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="function-item"]').length === 200);
  await page.getByTestId("search").fill("read_0999");
  await page.locator('[data-testid="function-item"][data-name="read_0999"]').waitFor();
  await page.getByTestId("search").fill("");
  assert.equal(await rows.count(), 100, "a new search starts from the first page");
  assert.deepEqual(pageErrors, []);
});
