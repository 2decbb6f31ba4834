// The Traffic tab attached to a Tauri app through its devtools tap (issue
// #15): the app is the studio's own window (WebKitGTK under Xvfb, which
// serves its tap in debug builds), driven with the keyboard by
// src-tauri/tests/live_e2e.rs; this web-mode studio attaches to it.
//   $MIZAN_STUDIO_URL  this studio (web mode, headless Chromium)
//   $GO_FILE           written once attached: the window starts typing
//   $DONE_FILE         written at the end: the window may exit
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openStudio } from "./browser.mjs";

const env = process.env;
for (const name of ["MIZAN_STUDIO_URL", "GO_FILE", "DONE_FILE"]) assert.ok(env[name], `${name} must be set`);
const shots = env.MIZAN_SHOTS ?? ".";
const APP = "Mizan Studio";
// The window needs its own time to start typing on a busy machine.
const WINDOW_TIMEOUT_MS = 240_000;

let browser;
let page;
let pageErrors;

before(async () => {
  ({ browser, page, pageErrors } = await openStudio(env.MIZAN_STUDIO_URL));
  await page.getByTestId("status-environment").waitFor();
});

after(async () => {
  writeFileSync(env.DONE_FILE, "done\n");
  assert.deepEqual(pageErrors, [], "the page reported errors");
  await browser?.close();
});

const row = (selector) => page.locator(`[data-testid="traffic-row"]${selector}`);

test("the window's tap is listed (never this studio's own) and attaches", async () => {
  await page.getByTestId("tab-traffic").click();
  const app = page.locator(`[data-testid="tap-app"][data-name="${APP}"]`);
  await page.getByTestId("tap-find").click();
  await app.waitFor();
  // One entry: the window's. This studio (web mode) serves no tap, and a
  // studio never lists its own.
  assert.equal(await page.getByTestId("tap-app").count(), 1);
  await app.getByTestId("tap-attach").click();
  await app.getByRole("button", { name: "Detach" }).waitFor();
  writeFileSync(env.GO_FILE, "attached\n");
});

test("the window's IPC calls and fetches join the timeline", async () => {
  const mint = row('[data-kind="call"][data-fn="token_mint"]');
  await mint.first().waitFor({ timeout: WINDOW_TIMEOUT_MS });
  const lookup = row('[data-kind="call"][data-fn="cache_lookup"]');
  assert.ok((await lookup.count()) >= 1, "the lookup typed in the window was recorded");
  assert.ok((await row('[data-kind="fetch"][data-context]').count()) >= 1, "the window's context fetches were recorded");
  await mint.first().click();
  const detail = page.locator(".live-card");
  await detail.getByText(`call over ipc (tap:${APP})`).waitFor();
});

test("a replay through the channel runs token_mint inside the window", async () => {
  const mint = row('[data-kind="call"][data-fn="token_mint"]');
  assert.equal(await mint.count(), 1);
  const replay = page.getByTestId("traffic-tap-replay");
  assert.equal((await replay.textContent()).trim(), `Replay in ${APP}`);
  await replay.click();
  await page.getByText(/answered in [\d.]+ ms/).waitFor();
  // The window ran it: its tap reports a second token_mint, from the
  // replay's client.
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid="traffic-row"][data-kind="call"][data-fn="token_mint"]').length === 2,
  );
  await mint.first().click(); // newest first: the replayed one
  await page.locator(".live-card").getByText(/devtools:replay:\d+/).waitFor();
  await page.locator(".live-card").getByText(`call over ipc (tap:${APP})`).waitFor();
  await page.screenshot({ path: join(shots, "studio-traffic-tap.png") });
});
