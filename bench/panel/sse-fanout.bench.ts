/**
 * SSE fan-out: the daemon on the sim world (a real process, loopback only), first with no
 * event stream open, then with 50 open panels (`GET /api/v1/events`; the API allows 8
 * streams per credential, so the streams share read tokens, 8 each). The same
 * faults are driven in both phases (wlan0's cable out and in every 4 s, through the
 * simulator API), so both phases publish the same events. Per phase: the daemon's CPU % and
 * RSS (from /proc), its timer lateness p50/p99/max (probe jitter; a preload records it),
 * events delivered, and the load average. Linux only (/proc).
 *   node --import tsx bench/panel/sse-fanout.bench.ts [--runtime deno|node] [--streams 50] [--phase-s 20]
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    runtime: { type: "string", default: "deno" },
    streams: { type: "string", default: "50" },
    "phase-s": { type: "string", default: "20" },
    port: { type: "string", default: "18477" },
  },
});
const STREAMS = Number(values.streams);
const PHASE_MS = Number(values["phase-s"]) * 1000;
const PORT = Number(values.port);
const TOKEN = "bench-sse-admin-token-0123456789";
const root = fileURLToPath(new URL("../../", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startDaemon(stateDir: string): ChildProcess {
  const common = ["src/main.ts", "--state-dir", stateDir, "--listen", `127.0.0.1:${PORT}`, "--no-scenario"];
  const env = { ...process.env, MULTIWAN_ADMIN_TOKEN: TOKEN, MULTIWAN_ADMIN_PASSWORD: "bench-password-1" };
  if (values.runtime === "node") {
    return spawn(process.execPath, ["--import", "tsx", "--import", "./bench/panel/lateness-preload.ts", ...common], { cwd: root, env });
  }
  return spawn("./node_modules/deno/deno", [
    "run", "--no-prompt", `--allow-net=127.0.0.1:${PORT}`,
    `--allow-read=src,plugins,web,node_modules,${stateDir},package.json,deno.json`, `--allow-write=${stateDir}`,
    "--allow-env=MULTIWAN_ADMIN_TOKEN,MULTIWAN_ADMIN_PASSWORD", "--preload", "bench/panel/lateness-preload.ts", ...common,
  ], { cwd: root, env });
}

/** CPU seconds (user + system, all threads) and RSS of a process, from /proc. */
function usage(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  return { cpuS: ticks / 100, rssMb: Math.round(rssKb / 102.4) / 10 };
}

function api(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1", port: PORT, path, method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (s: string) => (text += s));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

/** One open panel: counts the events it receives. */
function openStream(token: string, counts: { events: number; ready: number }): () => void {
  const req = request({
    host: "127.0.0.1", port: PORT, path: "/api/v1/events",
    headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
  }, (res) => {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      for (const m of chunk.matchAll(/^event: (\S+)/gm)) {
        if (m[1] === "ready") counts.ready++;
        else counts.events++;
      }
    });
  });
  req.on("error", () => {});
  req.end();
  return () => req.destroy();
}

/** Asks the preload for the lateness since the last ask. */
async function lateness(child: ChildProcess, lines: string[]): Promise<Record<string, number>> {
  const before = lines.length;
  child.kill("SIGUSR2");
  for (let i = 0; i < 50 && lines.length === before; i++) await sleep(20);
  return JSON.parse(lines.at(-1) ?? "{}");
}

let wlan0Carrier = true;

/** Runs one phase: faults every 4 s, measuring the daemon meanwhile. */
async function phase(child: ChildProcess, lines: string[], name: string, counts: { events: number }) {
  await lateness(child, lines); // reset
  const u0 = usage(child.pid!);
  const t0 = performance.now();
  const events0 = counts.events;
  for (let t = 0; t < PHASE_MS; t += 4_000) {
    wlan0Carrier = !wlan0Carrier;
    await api("PATCH", "/api/v1/sim/uplinks/wlan0", { carrier: wlan0Carrier });
    await sleep(Math.min(4_000, PHASE_MS - t));
  }
  const u1 = usage(child.pid!);
  const wallS = (performance.now() - t0) / 1000;
  const late = await lateness(child, lines);
  return {
    phase: name,
    cpuPct: Math.round(((u1.cpuS - u0.cpuS) / wallS) * 1000) / 10,
    rssMb: u1.rssMb,
    timerLatenessMs: late,
    eventsDelivered: counts.events - events0,
    loadavg1m: loadavg()[0],
  };
}

const stateDir = await mkdtemp(join(tmpdir(), "mwan-sse-bench-"));
const child = startDaemon(stateDir);
const lines: string[] = [];
let out = "";
child.stderr!.setEncoding("utf8");
child.stderr!.on("data", (s: string) => {
  for (const l of s.split("\n")) if (l.startsWith("LATENESS ")) lines.push(l.slice(9));
});
child.stdout!.setEncoding("utf8");
child.stdout!.on("data", (s: string) => (out += s));
try {
  for (let i = 0; i < 150 && !out.includes("panel and API at"); i++) await sleep(100);
  if (!out.includes("panel and API at")) throw new Error(`the daemon did not start:\n${out}`);
  await sleep(5_000); // the WANs come up, the runtime warms up
  const counts = { events: 0, ready: 0 };
  const idle = await phase(child, lines, "no streams", counts);
  const tokens: string[] = [];
  for (let i = 0; i * 8 < STREAMS; i++) {
    const res = await api("POST", "/api/v1/tokens", { name: `bench-panel-${i}`, role: "read" });
    tokens.push(JSON.parse(res.text).token);
  }
  const closers = Array.from({ length: STREAMS }, (_, i) => openStream(tokens[Math.floor(i / 8)], counts));
  for (let i = 0; i < 100 && counts.ready < STREAMS; i++) await sleep(50);
  const open = counts.ready;
  const loaded = await phase(child, lines, `${STREAMS} streams`, counts);
  for (const close of closers) close();
  console.log(JSON.stringify({
    bench: "sse-fanout",
    runtime: values.runtime,
    streamsOpen: open,
    phaseS: PHASE_MS / 1000,
    cores: (await import("node:os")).cpus().length,
    results: [idle, loaded],
  }, null, 2));
} finally {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, sleep(5_000)]);
  }
  await rm(stateDir, { recursive: true, force: true });
}
