// End to end in a real browser: the page built from the generated React
// hooks (./app.js, bundled from react-app.tsx) is served next to a proxy to
// the live afi-server ($MIZAN_UPSTREAM, host:port; HTTP and the WebSocket
// upgrade) and driven in headless Chromium with playwright-core. Driven by
// crates/mizan-codegen/tests/e2e.rs.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
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
  // The page's WebSocket (`/api/mizan/ws/`) goes through the same origin.
  server.on("upgrade", (req, socket, head) => {
    apiRequests.push(`UPGRADE ${req.url.slice("/api/mizan".length)}`);
    const up = net.connect(Number(upPort), upHost, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join("\r\n")}\r\n\r\n`);
      up.write(head);
      socket.pipe(up);
      up.pipe(socket);
    });
    up.on("error", () => socket.destroy());
    socket.on("error", () => up.destroy());
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

  await page.getByTestId("connection").filter({ hasText: "push: connected" }).waitFor({ timeout: 10000 });

  apiRequests.length = 0;
  await page.getByTestId("new-name").fill("Grace Hopper");
  await page.getByTestId("rename").click();
  await page.getByTestId("name").filter({ hasText: "Grace Hopper" }).waitFor({ timeout: 10000 });
  await page.waitForTimeout(300);
  // Its own push is skipped: one refetch, from the response.
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

test("a rename by someone else reaches the page by push; a 1 MB avatar uploads intact", async () => {
  const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(origin);
  await page.getByTestId("connection").filter({ hasText: "push: connected" }).waitFor({ timeout: 10000 });
  await page.getByTestId("name").filter({ hasNotText: "…" }).waitFor({ timeout: 10000 });
  assert.ok(apiRequests.includes("UPGRADE /ws/"), `requests: ${apiRequests.join(", ")}`);

  // Another caller, straight to the server: the page refetches with no call of its own.
  apiRequests.length = 0;
  const res = await fetch(`http://${upstream}/api/mizan/call/`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ fn: "rename", args: { user_id: 7, name: "Pushed From Node" } }),
  });
  assert.equal(res.status, 200);
  await page.getByTestId("name").filter({ hasText: "Pushed From Node" }).waitFor({ timeout: 10000 });
  await page.waitForTimeout(200);
  assert.deepEqual(apiRequests, ["GET /ctx/user/?user_id=7"], `requests: ${apiRequests.join(", ")}`);

  // A 1 MB file through <input type=file>: multipart POST /call/.
  const bytes = randomBytes(1_000_000);
  apiRequests.length = 0;
  await page.getByTestId("avatar").setInputFiles({ name: "avatar.png", mimeType: "image/png", buffer: bytes });
  const receipt = await page.getByTestId("receipt").innerText({ timeout: 15000 });
  assert.equal(receipt, `avatar.png 1000000 ${createHash("sha256").update(bytes).digest("hex")}`);
  await page.waitForTimeout(200);
  assert.deepEqual(
    apiRequests.filter((r) => r !== "GET /session/"),
    ["POST /call/", "GET /ctx/user/?user_id=7"],
    `upload_avatar affects user: ${apiRequests.join(", ")}`,
  );
  await page.screenshot({ path: screenshot.replace(/\.png$/, "-push.png") });
  assert.deepEqual(pageErrors, []);
  await page.close();
});
