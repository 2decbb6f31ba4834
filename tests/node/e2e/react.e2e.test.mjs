// End to end in a real browser: the page built from the generated React
// hooks (./app.js, bundled from react-app.tsx) is served next to a proxy to
// the live afi-server ($MIZAN_UPSTREAM, host:port) and driven in headless
// Chromium with playwright-core. Driven by crates/mizan-codegen/tests/e2e.rs.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import http from "node:http";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

const upstream = process.env.MIZAN_UPSTREAM;
assert.ok(upstream, "MIZAN_UPSTREAM must be host:port of a running afi-server");
const [upHost, upPort] = upstream.split(":");
const screenshot = process.env.MIZAN_SCREENSHOT ?? "react-e2e.png";

const apiRequests = [];
let server;
let browser;
let origin;

before(async () => {
  const appJs = await readFile(new URL("./app.js", import.meta.url));
  server = http.createServer((req, res) => {
    if (req.url.startsWith("/api/mizan/")) {
      apiRequests.push(`${req.method} ${req.url.slice("/api/mizan".length)}`);
      const proxied = http.request(
        { host: upHost, port: Number(upPort), path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      proxied.on("error", () => res.writeHead(502).end());
      req.pipe(proxied);
    } else if (req.url === "/app.js") {
      res.writeHead(200, { "Content-Type": "text/javascript" }).end(appJs);
    } else {
      res.writeHead(200, { "Content-Type": "text/html" }).end('<!doctype html><title>Mizan e2e</title><div id="root"></div><script type="module" src="/app.js"></script>');
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r) ?? r());
});

test("the profile shows, a rename appears without a hand-written refetch, merges need no request", async () => {
  const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(origin);
  await page.getByTestId("name").filter({ hasText: "user_7" }).waitFor({ timeout: 10000 });
  await page.getByTestId("items").locator("li").first().waitFor();

  apiRequests.length = 0;
  await page.getByTestId("new-name").fill("Grace Hopper");
  await page.getByTestId("rename").click();
  await page.getByTestId("name").filter({ hasText: "Grace Hopper" }).waitFor({ timeout: 10000 });
  await page.waitForTimeout(200);
  assert.deepEqual(
    apiRequests.filter((r) => r !== "GET /session/"),
    ["POST /call/", "GET /ctx/user/?user_id=7"],
    `requests: ${apiRequests.join(", ")}`,
  );

  apiRequests.length = 0;
  await page.getByTestId("star-3").click();
  await page.getByTestId("items").getByText("★").first().waitFor({ timeout: 10000 });
  await page.waitForTimeout(200);
  assert.deepEqual(apiRequests, ["POST /call/"], "the merge is applied without a refetch");

  await page.screenshot({ path: screenshot });
  assert.deepEqual(pageErrors, []);
  assert.match(await page.getByTestId("status").innerText(), /success/);
  await page.close();
});
