// The live tabs (issue #14) in web mode, in headless Chromium, against a
// live afi-server on a real Redis with a cache secret — all started by
// src-tauri/tests/live_e2e.rs:
//   $MIZAN_STUDIO_URL  the studio, on $MIZAN_PROJECT (a copy of the AFI IR
//                      whose .mizan/studio.toml names the server and Redis)
//   $AFI_BASE          the server's Mizan base URL
//   $AFI_REDIS         its Redis
//   $MIZAN_CACHE_SECRET / $MIZAN_MWT_SECRET  what the studio and the
//                      server were both given
//   $MIZAN_CLI         the `mizan` CLI (cache-key, mwt)
//   $DEAD_PORT         a loopback port nothing listens on
// The tests run in order on one page.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openStudio } from "./browser.mjs";

const env = process.env;
for (const name of ["MIZAN_STUDIO_URL", "MIZAN_PROJECT", "AFI_BASE", "AFI_REDIS", "MIZAN_CACHE_SECRET", "MIZAN_MWT_SECRET", "MIZAN_CLI", "DEAD_PORT"]) {
  assert.ok(env[name], `${name} must be set`);
}
const shots = env.MIZAN_SHOTS ?? ".";

let browser;
let page;
let pageErrors;

before(async () => {
  ({ browser, page, pageErrors } = await openStudio(env.MIZAN_STUDIO_URL));
  await page.getByTestId("status-environment").waitFor();
});

after(async () => {
  assert.deepEqual(pageErrors, [], "the page reported errors");
  await browser?.close();
});

/** GET a context over HTTP; returns X-Mizan-Cache. */
async function fetchContext(path, token) {
  const r = await fetch(`${env.AFI_BASE}/ctx/${path}`, { headers: token ? { "X-Mizan-Token": token } : {} });
  assert.equal(r.status, 200, `GET ${path}`);
  return r.headers.get("x-mizan-cache");
}

/** The key `mizan cache-key` derives (the secret from the environment). */
function cliKey(context, params, rev, user) {
  const args = ["cache-key", "--context", context, "--rev", String(rev)];
  for (const [k, v] of Object.entries(params)) args.push("--param", `${k}=${v}`);
  if (user) args.push("--user", user);
  return execFileSync(env.MIZAN_CLI, args, { encoding: "utf8" }).trim();
}

/** Clicks `button` and waits until the Cache tab has shown one more
 *  answer of its kind (`lookups` or `explains`). */
async function answer(button, kind) {
  const answers = page.getByTestId("cache-answers");
  const before = Number(await answers.getAttribute(`data-${kind}`));
  await page.getByTestId(button).click();
  await page.waitForFunction(
    ([k, n]) => Number(document.querySelector('[data-testid="cache-answers"]').dataset[k]) > n,
    [kind, before],
  );
}

/** Fills the Cache form and looks up. */
async function lookup({ context = "user", params = "{}", user = "", rev = "", redis = "" } = {}) {
  await page.getByTestId("cache-context").fill(context);
  await page.getByTestId("cache-params").fill(params);
  await page.getByTestId("cache-user").fill(user);
  await page.getByTestId("cache-rev").fill(rev);
  await page.getByTestId("cache-redis-url").fill(redis);
  await answer("cache-lookup", "lookups");
}

async function explainText() {
  await answer("explain-miss", "explains");
  return page.getByTestId("explain-result").textContent();
}

async function send({ fn, args, target = "", token = "" }) {
  await page.getByTestId("tab-replay").click();
  await page.getByTestId("replay-fn").fill(fn);
  await page.getByTestId("replay-args").fill(args);
  await page.getByTestId("replay-target").fill(target);
  await page.getByTestId("replay-token").fill(token);
  const items = await page.getByTestId("replay-history-item").count();
  await page.getByTestId("replay-send").click();
  // Recorded: the history (a context the send affects) has one more item.
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="replay-history-item"]').length > n, items);
  await page.waitForFunction(() => !document.querySelector('[data-testid="replay-send"]').disabled);
}

test("MISS then HIT, with the key mizan cache-key prints", async () => {
  await page.getByTestId("tab-cache").click();
  await lookup({ params: '{"user_id": 5}', redis: env.AFI_REDIS });
  assert.equal(await page.getByTestId("cache-status").textContent(), "MISS");
  assert.equal(await fetchContext("user/?user_id=5"), "MISS");
  await lookup({ params: '{"user_id": 5}' });
  assert.equal(await page.getByTestId("cache-status").textContent(), "HIT");
  assert.equal(await fetchContext("user/?user_id=5"), "HIT");
  assert.equal(await page.getByTestId("cache-key").textContent(), cliKey("user", { user_id: 5 }, 2));
  assert.match(await page.getByTestId("cache-message").textContent(), /^\{"c":"user","p":\{"user_id":"5"\},"r":2\}$/);
  await page.screenshot({ path: join(shots, "studio-cache.png") });
});

test("Explain diagnoses a rev bump, \"05\" for 5 and a missing user", async () => {
  await lookup({ params: '{"user_id": 5}', rev: "1" });
  assert.equal(await page.getByTestId("cache-status").textContent(), "MISS");
  assert.match(await explainText(), /would hit with rev 2 \(the effective rev\) instead of 1/);

  await lookup({ params: '{"user_id": "05"}' });
  assert.equal(await page.getByTestId("cache-status").textContent(), "MISS");
  assert.match(await explainText(), /would hit with user_id = 5 \(the number, not "05"\)/);

  const token = execFileSync(env.MIZAN_CLI, ["mwt", "mint", "--sub", "7"], { encoding: "utf8", env: { ...env, MIZAN_MWT_SECRET: env.MIZAN_MWT_SECRET } }).trim();
  assert.equal(await fetchContext("user/?user_id=7", token), "MISS");
  await lookup({ params: '{"user_id": 7}' });
  assert.equal(await page.getByTestId("cache-status").textContent(), "MISS");
  assert.match(await explainText(), /would hit with user `7`/);
  await lookup({ params: '{"user_id": 7}', user: "7" });
  assert.equal(await page.getByTestId("cache-status").textContent(), "HIT");
  assert.equal(await page.getByTestId("cache-key").textContent(), cliKey("user", { user_id: 7 }, 2, "7"));
  await lookup({ params: '{"user_id": 5}', rev: "1" });
  await explainText();
  await page.screenshot({ path: join(shots, "studio-cache-explain.png") });
});

test("a minted token decodes and verifies; a tampered one is refused as the server would", async () => {
  await page.getByTestId("tab-tokens").click();
  await page.getByTestId("token-sub").fill("5");
  await page.getByTestId("token-mint").click();
  const token = (await page.getByTestId("token-output").textContent()).trim();
  await page.getByTestId("token-verdict").waitFor();
  assert.equal(await page.getByTestId("token-verdict").textContent(), "valid");
  assert.match(await page.getByTestId("token-claims").textContent(), /"sub": "5"/);
  // The CLI (the server's verifier) agrees.
  execFileSync(env.MIZAN_CLI, ["mwt", "verify", token], { env: { ...env } });
  await page.screenshot({ path: join(shots, "studio-tokens.png") });
  const [h, c, s] = token.split(".");
  const tampered = `${h}.${c}.${s.slice(0, -2)}${s.endsWith("AA") ? "BB" : "AA"}`;
  await page.getByTestId("token-decode-input").fill(tampered);
  await page.waitForFunction(() => document.querySelector('[data-testid="token-verdict"]')?.textContent === "bad_signature");
  await page.getByTestId("token-decode-input").fill(token);
  await page.waitForFunction(() => document.querySelector('[data-testid="token-verdict"]')?.textContent === "valid");
});

test("replaying rename for user 5: predicted == body == header, the user-5 key purged", async () => {
  await send({ fn: "rename", args: '{"user_id": 5, "name": "Ada"}', target: env.AFI_BASE });
  const match = page.getByTestId("replay-match");
  assert.equal(await match.getAttribute("data-match"), "true");
  const predicted = await page.getByTestId("replay-predicted").textContent();
  assert.equal(predicted, "user;user_id=5");
  assert.equal(await page.getByTestId("replay-actual").textContent(), predicted);
  assert.equal(await page.getByTestId("replay-header").textContent(), predicted);
  assert.match(await page.getByTestId("replay-result").textContent(), /"name": "Ada"/);
  const purged = page.locator('[data-testid="replay-generations"] tr[data-purged="true"]');
  assert.equal(await purged.count(), 1);
  assert.match(await purged.textContent(), /user;user_id=5/);
  await page.screenshot({ path: join(shots, "studio-replay.png") });
  // The inspector agrees: the key is gone, and Explain names the mutation.
  await page.getByTestId("tab-cache").click();
  await lookup({ params: '{"user_id": 5}' });
  assert.equal(await page.getByTestId("cache-status").textContent(), "MISS");
  assert.match(await explainText(), /purged by `rename` at/);
});

test("with the IR edited to disagree with the server, the replay flags it", async () => {
  const kdl = join(env.MIZAN_PROJECT, "afi.kdl");
  const text = readFileSync(kdl, "utf8");
  const edited = text.replace(
    /(function rename \{[^}]*?affects) context=user/,
    "$1 context=items",
  );
  assert.notEqual(edited, text, "the edit applies");
  const revision = await page.getByTestId("status-state").textContent();
  writeFileSync(kdl, edited);
  // Watch reloads the project.
  await page.waitForFunction((r) => document.querySelector('[data-testid="status-state"]')?.textContent !== r, revision);
  await send({ fn: "rename", args: '{"user_id": 5, "name": "Grace"}' });
  assert.equal(await page.getByTestId("replay-match").getAttribute("data-match"), "false");
  const differences = await page.getByTestId("replay-differences").textContent();
  assert.match(differences, /the IR predicts `items` but the body does not carry it/);
  assert.match(differences, /the body carries `user;user_id=5`, which the IR does not predict/);
  const edited_revision = await page.getByTestId("status-state").textContent();
  writeFileSync(kdl, text);
  await page.waitForFunction((r) => document.querySelector('[data-testid="status-state"]')?.textContent !== r, edited_revision);
});

test("a backend that is down and a Redis that is down each give their message", async () => {
  const dead = `http://127.0.0.1:${env.DEAD_PORT}/api/mizan`;
  await send({ fn: "add", args: '{"a": 1, "b": 2}', target: dead });
  assert.match(await page.getByTestId("replay-failure").textContent(), /cannot connect to .*is the backend running\?/);
  // The UI is still responsive, and the history kept the failure.
  assert.equal(await page.getByTestId("replay-history-item").first().getAttribute("data-fn"), "add");
  await page.getByTestId("tab-cache").click();
  await lookup({ params: '{"user_id": 5}', redis: `redis://127.0.0.1:${env.DEAD_PORT}/0` });
  assert.match(await page.getByTestId("cache-redis-error").textContent(), /^Redis: /);
  assert.equal(await page.getByTestId("cache-status").count(), 0);
  // The environment's own status in the status bar.
  const status = page.getByTestId("status-environment").locator("span[data-backend]");
  assert.equal(await status.getAttribute("data-backend"), "ok");
  assert.equal(await status.getAttribute("data-redis"), "ok");
});

test("purge through the inspector, and the context's keys page by page", async () => {
  await page.getByTestId("tab-cache").click();
  assert.equal(await fetchContext("user/?user_id=9"), "MISS");
  await lookup({ params: '{"user_id": 9}' });
  assert.equal(await page.getByTestId("cache-status").textContent(), "HIT");
  await page.getByTestId("purge-instance").click();
  await page.getByTestId("purge-confirm").click();
  await page.getByTestId("purge-result").waitFor();
  assert.match(await page.getByTestId("purge-result").textContent(), /went 0 → 1\./);
  await lookup({ params: '{"user_id": 9}' });
  assert.equal(await page.getByTestId("cache-status").textContent(), "MISS");
  assert.equal(await fetchContext("user/?user_id=9"), "MISS", "the server stopped serving it too");
  await page.getByTestId("cache-scan-all").click();
  await page.waitForFunction(() => /complete/.test(document.querySelector('[data-testid="cache-scan-progress"]')?.textContent ?? ""));
  const rows = await page.getByTestId("cache-key-row").count();
  assert.ok(rows >= 2, `${rows} keys listed`);
});

test("a backend that hangs can be cancelled; one that answers HTML is named", async () => {
  const server = createServer((req, res) => {
    if (req.url.startsWith("/html/")) {
      res.writeHead(500, { "content-type": "text/html" });
      res.end("<html><body><h1>Internal Server Error</h1></body></html>");
    }
    // Anything else: never answers.
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const port = server.address().port;
  try {
    await page.getByTestId("tab-replay").click();
    await page.getByTestId("replay-fn").fill("add");
    await page.getByTestId("replay-args").fill('{"a": 1, "b": 2}');
    await page.getByTestId("replay-target").fill(`http://127.0.0.1:${port}/hang`);
    const items = await page.getByTestId("replay-history-item").count();
    await page.getByTestId("replay-send").click();
    await page.getByTestId("replay-cancel").click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="replay-history-item"]').length > n, items);
    assert.equal(await page.getByTestId("replay-failure").textContent(), "cancelled");
    await send({ fn: "add", args: '{"a": 1, "b": 2}', target: `http://127.0.0.1:${port}/html` });
    assert.match(await page.getByTestId("replay-failure").textContent(), /HTTP 500 with text\/html: not a Mizan answer/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test("switching environments from the palette and from the status bar", async () => {
  const status = page.getByTestId("status-environment").locator("span[data-backend]");
  await page.keyboard.press("Control+k");
  await page.keyboard.type("environment elsewhere");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector('[data-testid="status-environment"] span[data-backend]')?.textContent.startsWith("elsewhere"));
  assert.equal(await status.getAttribute("data-backend"), "down");
  await page.getByTestId("status-environment").click();
  const popover = page.getByTestId("environment-popover");
  assert.match(await popover.textContent(), /Connection refused|refused/i);
  await page.screenshot({ path: join(shots, "studio-environments.png") });
  await page.locator('[data-testid="environment-option"][data-name="local"]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="status-environment"] span[data-backend]')?.textContent.startsWith("local"));
  assert.equal(await status.getAttribute("data-backend"), "ok");
  await page.keyboard.press("Escape");
});
