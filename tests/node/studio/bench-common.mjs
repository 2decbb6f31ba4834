// What the studio's desktop benches share (bench-studio.mjs,
// bench-traffic-window.mjs): starting the studio with its start-up timings
// on, and the memory of a process tree from /proc.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const fmt = (xs) => `median ${median(xs).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)} (${xs.map((x) => x.toFixed(0)).join(", ")})`;

/** Starts `exe` with `args`; resolves each `stage` ("ui content painted", ...) with [ms since spawn, the app's own ms]. */
export function startStudio(exe, args, env = {}) {
  const settings = join(mkdtempSync(join(tmpdir(), "mizan-bench-")), "settings.json");
  const t0 = performance.now();
  const child = spawn(exe, args, {
    env: { ...process.env, ...env, MIZAN_STUDIO_TIMING: "1", MIZAN_STUDIO_SETTINGS: settings },
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
  const output = () => stdout;
  return { child, wait, url, stop, output };
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

/** The process and all its descendants: [{pid, name, ppid, rss, hwm, pss}]. */
function processTree(pid) {
  const all = processes();
  const tree = [];
  const walk = (p) => {
    const info = all.get(p);
    if (!info) return;
    tree.push({ pid: p, ...info });
    for (const [child, c] of all) if (c.ppid === p) walk(child);
  };
  walk(pid);
  return tree;
}

/** Copies /proc/PID/smaps of the process and its descendants into `dir` (one file per process), for a look at what the PSS is made of. */
export function dumpSmaps(pid, dir) {
  mkdirSync(dir, { recursive: true });
  for (const p of processTree(pid)) {
    try {
      writeFileSync(join(dir, `${p.name}-${p.pid}.smaps`), readFileSync(`/proc/${p.pid}/smaps`));
    } catch {
      // The process ended meanwhile.
    }
  }
}

/** The process and all its descendants, with their RSS in MB. */
export function treeRss(pid) {
  const tree = processTree(pid);
  const mb = (kb) => kb / 1024;
  return {
    total: mb(tree.reduce((s, p) => s + p.rss, 0)),
    pss: mb(tree.reduce((s, p) => s + p.pss, 0)),
    parts: tree.map((p) => `${p.name} RSS ${mb(p.rss).toFixed(0)} MB (peak ${mb(p.hwm).toFixed(0)}), PSS ${mb(p.pss).toFixed(0)} MB`),
  };
}
