// After live.e2e.test.mjs, a new studio process on the same project
// (src-tauri/tests/live_e2e.rs restarts it): the replay history is still
// there, read from .mizan/replays.jsonl, and the file holds no secret.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openStudio } from "./browser.mjs";

const env = process.env;
assert.ok(env.MIZAN_STUDIO_URL && env.MIZAN_PROJECT && env.MIZAN_MWT_SECRET, "MIZAN_STUDIO_URL, MIZAN_PROJECT and MIZAN_MWT_SECRET must be set");

let browser;
let page;
let pageErrors;

before(async () => {
  ({ browser, page, pageErrors } = await openStudio(env.MIZAN_STUDIO_URL));
});

after(async () => {
  assert.deepEqual(pageErrors, [], "the page reported errors");
  await browser?.close();
});

test("the replay history survives a restart of the studio", async () => {
  await page.getByTestId("tab-replay").click();
  const items = page.getByTestId("replay-history-item");
  await items.first().waitFor();
  const fns = await items.evaluateAll((els) => els.map((e) => e.dataset.fn));
  assert.ok(fns.filter((f) => f === "rename").length >= 2, `history: ${fns}`);
  assert.equal(fns[0], "add", "newest first");
  assert.ok(fns.length >= 5, `history: ${fns}`);
  const file = readFileSync(join(env.MIZAN_PROJECT, ".mizan/replays.jsonl"), "utf8");
  assert.ok(!file.includes(env.MIZAN_MWT_SECRET) && !file.includes("eyJ"), "no secret or token in the history file");
});
