// Mizan Studio's desktop performance targets, measured on a release build
// (run by scripts/bench-studio, which builds it and runs this under Xvfb):
//
// * cold start → first paint of the window: the app is started with
//   MIZAN_STUDIO_TIMING=1 and the UI itself reports, through the backend
//   call `ui_painted`, the frame after its first render (`shell`) and the
//   frame after the backend's first answer is on screen (`content`; two
//   requestAnimationFrame callbacks after the DOM change, so the frame was
//   painted). We take the time from spawning the process to the line
//   arriving here, and the app's own figure (since `main`).
// * memory of the window, empty and with the 2,000-function IR open: the
//   studio process and every process below it (WebKitWebProcess,
//   WebKitNetworkProcess), from /proc, 5 s after the content was painted;
//   both the RSS sum (shared libraries counted once per process) and the
//   PSS sum (each shared page split among the processes mapping it).
// * open the 2,000-function IR → the graph's SVG has its nodes: web mode in
//   headless Chromium, from the click on Open to the frame after the first
//   `g[data-node]` appeared (a MutationObserver in the page), and the web
//   mode studio's RSS with it open.
//
// Usage: node bench-studio.mjs RELEASE_EXE LARGE_PROJECT_DIR EXAMPLE_DIR
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "./browser.mjs";

const [exe, large, example] = process.argv.slice(2);
const runs = Number(process.env.BENCH_RUNS ?? 5);
if (!exe || !large || !example) {
  console.error("usage: node bench-studio.mjs RELEASE_EXE LARGE_PROJECT_DIR EXAMPLE_DIR");
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)} (${xs.map((x) => x.toFixed(0)).join(", ")})`;

/** Starts the studio; resolves each `stage` ("ui content painted", ...) with [ms since spawn, the app's own ms]. */
function startStudio(args) {
  const settings = join(mkdtempSync(join(tmpdir(), "mizan-bench-")), "settings.json");
  const t0 = performance.now();
  const child = spawn(exe, args, {
    env: { ...process.env, MIZAN_STUDIO_TIMING: "1", MIZAN_STUDIO_SETTINGS: settings },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const seen = new Map();
  const waiters = [];
  let stdout = "";
  let buffer = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => {
    const now = performance.now() - t0;
    buffer += d;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const m = line.match(/mizan-studio timing: (.*?) ([\d.]+) ms after start/);
      if (m && !seen.has(m[1])) seen.set(m[1], [now, Number(m[2])]);
    }
    for (const w of waiters.splice(0)) w();
  });
  const wait = async (stage, timeout = 30000) => {
    const end = performance.now() + timeout;
    while (!seen.has(stage)) {
      if (performance.now() > end || child.exitCode !== null) throw new Error(`no "${stage}" within ${timeout} ms`);
      await Promise.race([new Promise((r) => waiters.push(r)), sleep(50)]);
    }
    return seen.get(stage);
  };
  const url = async () => {
    const end = performance.now() + 30000;
    while (!stdout.includes("http://")) {
      if (performance.now() > end) throw new Error("no URL");
      await sleep(20);
    }
    return stdout.slice(stdout.indexOf("http://")).trim().replace(/\/$/, "");
  };
  const stop = async () => {
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
  };
  return { child, wait, url, stop };
}

/** pid → {name, ppid, rss kB, hwm kB} of every process. */
function processes() {
  const out = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, "utf8");
      const field = (f) => (status.match(new RegExp(`^${f}:\\s*(\\S+)`, "m")) ?? [])[1];
      // PSS: shared pages (libwebkit2gtk, libLLVM, ...) divided among the
      // processes mapping them, so a sum counts them once; RSS counts them
      // in every process.
      const rollup = readFileSync(`/proc/${name}/smaps_rollup`, "utf8");
      const pss = Number((rollup.match(/^Pss:\s*(\d+)/m) ?? [])[1] ?? 0);
      out.set(Number(name), { name: field("Name"), ppid: Number(field("PPid")), rss: Number(field("VmRSS") ?? 0), hwm: Number(field("VmHWM") ?? 0), pss });
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}

/** The process and all its descendants, with their RSS in MB. */
function treeRss(pid) {
  const all = processes();
  const tree = [];
  const walk = (p) => {
    const info = all.get(p);
    if (!info) return;
    tree.push({ pid: p, ...info });
    for (const [child, c] of all) if (c.ppid === p) walk(child);
  };
  walk(pid);
  const mb = (kb) => kb / 1024;
  return {
    total: mb(tree.reduce((s, p) => s + p.rss, 0)),
    pss: mb(tree.reduce((s, p) => s + p.pss, 0)),
    parts: tree.map((p) => `${p.name} RSS ${mb(p.rss).toFixed(0)} MB (peak ${mb(p.hwm).toFixed(0)}), PSS ${mb(p.pss).toFixed(0)} MB`),
  };
}

const results = {};

// ---- window: cold start → first paint ---------------------------------
for (const [label, args] of [
  ["no project (open screen)", []],
  ["example project", [example]],
]) {
  const shell = [];
  const content = [];
  const own = [];
  for (let i = 0; i < runs; i++) {
    const s = startStudio(args);
    try {
      shell.push((await s.wait("ui shell painted"))[0]);
      const [arrived, ownMs] = await s.wait("ui content painted");
      content.push(arrived);
      own.push(ownMs);
    } finally {
      await s.stop();
    }
  }
  console.log(`window, ${label}: first paint (UI shell) ${fmt(shell)}`);
  console.log(`window, ${label}: first paint with the backend's answer ${fmt(content)}; the app's own figure since main ${fmt(own)}`);
  results[`start ${label}`] = median(content);
}

// ---- window: memory, empty and with the 2,000-function IR open ---------
for (const [label, args] of [
  ["no project", []],
  ["2,000-function IR", [large]],
]) {
  const s = startStudio(args);
  try {
    const [painted] = await s.wait("ui content painted", 60000);
    await sleep(5000);
    const rss = treeRss(s.child.pid);
    console.log(
      `window, ${label}: content painted after ${painted.toFixed(0)} ms; 5 s later RSS sum ${rss.total.toFixed(0)} MB, PSS sum ${rss.pss.toFixed(0)} MB = ${rss.parts.join(" + ")}`,
    );
    results[`window ${label} rss MB`] = rss.total;
    results[`window ${label} pss MB`] = rss.pss;
  } finally {
    await s.stop();
  }
}

// ---- web mode: open the 2,000-function IR → graph nodes on screen ------
{
  const s = startStudio(["--web", "127.0.0.1:0"]);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(await s.url());
    const times = [];
    for (let i = 0; i < Math.max(3, Math.min(runs, 5)); i++) {
      await page.getByTestId("open-path").waitFor({ timeout: 30000 });
      await page.getByTestId("open-path").fill(large);
      const r = await page.evaluate(
        () =>
          new Promise((resolve) => {
            const t0 = performance.now();
            const count = () => document.querySelectorAll('[data-testid="graph"] g[data-node]').length;
            const observer = new MutationObserver(() => {
              const n = count();
              if (n > 0) {
                observer.disconnect();
                requestAnimationFrame(() => requestAnimationFrame(() => resolve({ ms: performance.now() - t0, nodes: n })));
              }
            });
            observer.observe(document.body, { childList: true, subtree: true });
            document.querySelector('[data-testid="open-button"]').click();
          }),
      );
      times.push(r.ms);
      if (i === 0) {
        console.log(`web mode, 2,000-function IR: ${r.nodes} nodes drawn (the default view)`);
        await page.screenshot({ path: join(process.env.MIZAN_SHOTS ?? ".", "studio-bench-large.png") });
      }
      await sleep(1500);
      if (i === 0) {
        const rss = treeRss(s.child.pid);
        console.log(`web mode, 2,000-function IR open: studio process ${rss.parts.join(" + ")} (Chromium not counted)`);
        results["web rss MB"] = rss.total;
      }
      await page.getByTestId("open-other").click();
    }
    console.log(`web mode: Open clicked → graph nodes painted ${fmt(times)}`);
    results["open large ms"] = median(times);
  } finally {
    await browser.close();
    await s.stop();
  }
}

console.log(JSON.stringify(results));
