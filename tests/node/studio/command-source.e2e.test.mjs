// Mizan Studio in web mode on a project whose IR comes from a command
// (started by src-tauri/tests/web_e2e.rs, `command_source_in_chromium`):
// the command's stderr streams into the job panel, Cancel stops it, Run
// again runs it to the end and the graph appears; the watch globs are
// edited in the status bar's popover (a bad glob is refused, with why).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openStudio } from "./browser.mjs";

const url = process.env.MIZAN_STUDIO_URL;
const project = process.env.MIZAN_PROJECT;
const shots = process.env.MIZAN_SHOTS ?? ".";
assert.ok(url && project, "MIZAN_STUDIO_URL and MIZAN_PROJECT must be set");

let browser;
let page;
let pageErrors;

before(async () => {
  ({ browser, page, pageErrors } = await openStudio(url));
});

after(async () => {
  await browser?.close();
});

test("the running source streams its output, and Cancel stops it", async () => {
  const job = page.locator('[data-testid="job"][data-status="running"]');
  await job.waitFor();
  // Lines arrive while it runs, not at the end.
  await page.getByTestId("job-output").filter({ hasText: "compiling step 2" }).waitFor();
  assert.doesNotMatch(await page.getByTestId("job-output").innerText(), /compiling step 8/);
  assert.equal(await page.getByTestId("export-svg").count(), 0, "nothing to export before there is a graph");
  await page.screenshot({ path: join(shots, "studio-web-job.png") });
  await page.getByTestId("job-cancel").click();
  await page.locator('[data-testid="job"][data-status="cancelled"]').waitFor();
  await page.locator('[data-testid="diagnostic"][data-code="source-failed"]').waitFor();
});

test("Run again runs the source to the end and the graph appears", async () => {
  writeFileSync(join(project, "fast"), "");
  await page.getByTestId("job-retry").click();
  await page.getByTestId("graph").locator('g[data-node="rename"]').waitFor();
  await page.getByTestId("export-svg").waitFor();
  // A success closes the panel by itself.
  await page.getByTestId("job").waitFor({ state: "detached" });
});

test("the watch globs are edited from the status bar; a bad glob says why", async () => {
  await page.getByTestId("status-watch").click();
  const globs = page.getByTestId("watch-globs");
  await globs.fill("*.kdl\n[unclosed");
  await page.getByTestId("watch-globs-save").click();
  await page.getByTestId("watch-settings").locator(".error-text").filter({ hasText: "[unclosed" }).waitFor();
  await globs.fill("*.kdl\n\n");
  await page.getByTestId("watch-globs-save").click();
  await page.getByTestId("status-watch").filter({ hasText: "watching *.kdl" }).waitFor();
  await page.screenshot({ path: join(shots, "studio-web-watch-globs.png") });
  assert.deepEqual(pageErrors, []);
});
