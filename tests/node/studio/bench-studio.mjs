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
import { join } from "node:path";
import { fmt, median, sleep, startStudio as start, treeRss } from "./bench-common.mjs";
import { launchChromium } from "./browser.mjs";

const [exe, large, example] = process.argv.slice(2);
const runs = Number(process.env.BENCH_RUNS ?? 5);
if (!exe || !large || !example) {
  console.error("usage: node bench-studio.mjs RELEASE_EXE LARGE_PROJECT_DIR EXAMPLE_DIR");
  process.exit(2);
}

const startStudio = (args) => start(exe, args);
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
