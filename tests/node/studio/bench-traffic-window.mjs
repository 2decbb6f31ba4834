// The studio window's memory with 50,000 recorded events (issue #15:
// within the 300 MB PSS budget), run by scripts/bench-traffic-window under
// Xvfb: the window is started with `--proxy` in front of a live
// afi-server, the Traffic tab is opened from the palette (xdotool), and
// N requests go through the proxy — 9 fetches of `user` for 1 `rename`,
// over 500 users, as the backend's traffic bench records them. The PSS of
// the studio and its WebKit processes is read before, and after the last
// event was recorded and the tab had 5 s to settle. BENCH_CLIENTS=1 uses
// the Clients tab before (the targets' grammars then loaded);
// BENCH_SMAPS=1 keeps each process's smaps beside the screenshots.
//
// Usage: node bench-traffic-window.mjs EXE PROJECT_DIR AFI_BASE [N]
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { dumpSmaps, sleep, startStudio, treeRss } from "./bench-common.mjs";

const [exe, project, target, count] = process.argv.slice(2);
const n = Number(count ?? 50000);
if (!exe || !project || !target) {
  console.error("usage: node bench-traffic-window.mjs EXE PROJECT_DIR AFI_BASE [N]");
  process.exit(2);
}
const shots = process.env.MIZAN_SHOTS ?? ".";
const report = (label, pid) => {
  const m = treeRss(pid);
  if (process.env.BENCH_SMAPS) dumpSmaps(pid, join(shots, `smaps-${label.replace(/\W+/g, "-")}`));
  console.log(`window, ${label}: PSS sum ${m.pss.toFixed(0)} MB (RSS sum ${m.total.toFixed(0)} MB) = ${m.parts.join(" + ")}`);
  return m.pss;
};
const xdotool = (...args) => execFileSync("xdotool", args);

const s = startStudio(exe, ["--proxy", target, project]);
try {
  await s.wait("ui content painted", 120000);
  const line = s.output().split("\n").find((l) => l.startsWith("Mizan Studio proxy: "));
  if (!line) throw new Error(`no proxy line in ${JSON.stringify(s.output())}`);
  const proxy = line.slice("Mizan Studio proxy: ".length).split(" -> ")[0];
  await sleep(5000);
  const before = report("example project, no traffic", s.child.pid);

  // Tabs from the palette, as a person would open them.
  const win = execFileSync("xdotool", ["search", "--sync", "--name", "Mizan Studio"]).toString().trim().split("\n")[0];
  xdotool("windowfocus", "--sync", win);
  const palette = async (text) => {
    xdotool("key", "--clearmodifiers", "ctrl+k");
    await sleep(300);
    xdotool("type", "--delay", "15", text);
    await sleep(300);
    xdotool("key", "Return");
  };
  // BENCH_CLIENTS=1: the Clients tab first (a file shown, the plan's
  // files highlighted ahead: the targets' grammars loaded).
  if (process.env.BENCH_CLIENTS) {
    await palette("generated clients");
    await sleep(5000);
    report("Clients tab used", s.child.pid);
  }
  await palette("Traffic");
  await sleep(5000);
  report("Traffic tab open, no events", s.child.pid);

  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const user = i % 500;
      const r =
        i % 10 === 0
          ? await fetch(`${proxy}/call/`, {
              method: "POST",
              headers: { "content-type": "application/json", "x-mizan-client": `client-${i % 7}` },
              body: JSON.stringify({ fn: "rename", args: { user_id: user, name: `user ${i}` } }),
            })
          : await fetch(`${proxy}/ctx/user/?user_id=${user}`, { headers: { "x-mizan-client": `client-${i % 7}` } });
      await r.arrayBuffer();
      if (!r.ok) throw new Error(`request ${i}: ${r.status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const secs = (performance.now() - t0) / 1000;
  console.log(`sent ${n} requests through the window's proxy in ${secs.toFixed(1)} s (${(n / secs).toFixed(0)}/s)`);
  // Let the recorder, the 250 ms publisher and the tab catch up.
  await sleep(5000);
  execFileSync("import", ["-window", "root", join(shots, "studio-window-traffic-50k.png")]);
  const after = report(`${n} events, Traffic tab open`, s.child.pid);
  if (process.env.BENCH_LATER) {
    await sleep(Number(process.env.BENCH_LATER));
    report(`${n} events, ${process.env.BENCH_LATER} ms later`, s.child.pid);
  }
  console.log(
    `window memory with ${n} recorded events: PSS ${after.toFixed(0)} MB (+${(after - before).toFixed(0)} MB over the same window without traffic; budget <= 300 MB)`,
  );
} finally {
  await s.stop();
}
