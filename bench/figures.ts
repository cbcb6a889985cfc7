/**
 * `npm run bench:figures`: the README's figures from one command (root only; a few minutes;
 * not run in CI). Runs the short versions of the end-to-end benchmarks in namespaces with the
 * README's kind of config (four uplinks — ethernet, repeater, tethering, cellular — by
 * priority, failover, `tracker.ping` with three targets each, every other setting default)
 * and prints the table the README shows, with the machine, the runtimes and the load.
 *
 * Memory under API load runs on the sim world (Deno from the sources, Node from the release
 * bundle, which this script builds).
 *
 * Each benchmark runs as its own process (its output is shown as it comes, prefixed with its
 * name); this script only parses their summary lines. Flags: --quick (shorter windows).
 * @module
 */
import { spawn } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const root = fileURLToPath(new URL("../", import.meta.url));
const quick = process.argv.includes("--quick");
const node = [process.execPath, "--import", "tsx"];
const deno = [`${root}node_modules/deno/deno`, "run", "--no-prompt", "--allow-all"];

/** Runs one benchmark, echoing its lines; resolves its whole output. */
function run(name: string, argv: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const echo = (line: string) => {
      out += line + "\n";
      console.error(`  [${name}] ${line}`);
    };
    createInterface({ input: child.stdout! }).on("line", echo);
    createInterface({ input: child.stderr! }).on("line", echo);
    child.on("close", () => resolve(out));
  });
}

const rows: [string, string, string][] = [];
const row = (figure: string, value: string | undefined, conditions: string) => rows.push([figure, value ?? "(not measured: see the log above)", conditions]);
const num = (re: RegExp, text: string) => re.exec(text)?.[1];

const UPLINKS = "4 uplinks × 3 ping targets, defaults";
const started = Date.now();
const loads: number[] = [];
const sampleLoad = () => loads.push(loadavg()[0]);
sampleLoad();

// 1. Process starts while idle (strace).
const forksS = quick ? 20 : 40;
const forks = await run("forks", [...node, "bench/linux/forks.bench.ts", String(forksS), "node,deno"]);
sampleLoad();
for (const rt of ["node", "deno"]) {
  const line = new RegExp(`^${rt}: .*$`, "m").exec(forks)?.[0] ?? "";
  row(`process starts while idle (${rt})`, num(/\(([\d.]+)\/min/, line) && `${num(/\(([\d.]+)\/min/, line)} per minute`,
    `${UPLINKS}; strace -f over ${forksS} s; counters from ${num(/counters from ([^;]+)/, line) ?? "?"}`);
}

// 2. Idle CPU and memory.
const idleS = quick ? 30 : 60;
const idle = await run("idle", [...node, "bench/linux/idle.bench.ts", String(idleS), "node,deno"]);
sampleLoad();
for (const rt of ["node", "deno"]) {
  const line = new RegExp(`^${rt}: daemon RSS.*$`, "m").exec(idle)?.[0] ?? "";
  row(`idle daemon RSS (${rt})`, num(/RSS ([\d.]+) MB/, line) && `${num(/RSS ([\d.]+) MB/, line)} MB`,
    `${UPLINKS}, API up, after a restart (the very first start: ${num(/very first start ([\d.]+) MB/, line) ?? "?"} MB); ping children not included`);
  row(`idle daemon CPU (${rt})`, num(/CPU ([\d.]+) % own/, line) && `${num(/CPU ([\d.]+) % own/, line)} % of a core`,
    `own utime+stime over ${idleS} s; ${num(/, ([\d.]+ % with its short-lived commands)/, line) ?? ""}`);
}

// 3. Probe traffic and false suspicions while idle.
const trafficS = quick ? 120 : 300;
const traffic = await run("probe-traffic", [...node, "bench/linux/probe-traffic.bench.ts", String(trafficS), "3"]);
sampleLoad();
const months = [...traffic.matchAll(/^(\w+)\s+\d+ packets, \d+ bytes → ([\d.]+) MB\/month/gm)].map((m) => `${m[1]} ${m[2]}`);
row("probe traffic per idle uplink", months.length ? `${months.join(", ")} MB/month` : undefined,
  `3 targets, 24-byte payload every 10 s (targets take turns); IP bytes both ways on the ISP side over ${trafficS} s, × 30 days`);
row("false suspicions while idle", num(/^(\d+) phase changes while idle/m, traffic) && `${Number(num(/^(\d+) phase changes while idle/m, traffic)) / 2} in ${trafficS} s`,
  `${UPLINKS}, no fault; steady → suspect counted by polling status every 250 ms`);

// 4. Failover with traffic flowing.
const trials = quick ? 5 : 10;
const failover = await run("failover", [...node, "bench/linux/failover.bench.ts", String(trials), "both", "node"]);
sampleLoad();
for (const kind of ["carrier", "silent"]) {
  const line = new RegExp(`^${kind} \\(node\\): .*$`, "m").exec(failover)?.[0] ?? "";
  const p95 = num(/from the kernel event p50=[\d.]+ p95=([\d.]+)/, line);
  const rules = num(/daemon's rules live after the event p50=[\d.]+ p95=([\d.]+)/, line);
  row(kind === "carrier" ? "carrier loss → failover (p95)" : "silent upstream failure → failover (p95)", p95 && `${p95} ms`,
    `${trials} trials, node, LAN client opening a connection every 2 ms; from the kernel event to the first new connection that works ` +
      `(the daemon's new rules live after ${rules ?? "?"} ms p95); ${num(/(failed=\d+)/, line) ?? ""}; ${num(/(load average during trials [\d.–]+)/, failover) ?? ""}`);
}

// 5. API throughput (sim world, Deno).
const api = await run("api", [...deno, "bench/api/status.bench.ts", "--duration", quick ? "5" : "10"]);
sampleLoad();
try {
  const j = JSON.parse(api.slice(api.indexOf("{"), api.lastIndexOf("}") + 1) || "{}") as { runtime?: string; requestsPerSec?: number; latencyMs?: { p99: number } };
  row("GET /api/v1/status throughput", j.requestsPerSec ? `${j.requestsPerSec} req/s (p99 ${j.latencyMs?.p99} ms)` : undefined, `${j.runtime ?? "deno"}, 50 connections, sim world`);
} catch {
  row("GET /api/v1/status throughput", undefined, "deno, 50 connections");
}

// 6. Memory under API load and a minute after (sim world): Deno from the sources, Node from the release bundle.
await run("build", ["npm", "run", "--silent", "build"]);
for (const rt of ["deno", "bundle"]) {
  const out = await run(`memory-${rt}`, [...node, "bench/linux/memory.bench.ts", rt, quick ? "3000" : "10000", "50"]);
  sampleLoad();
  const m = /RSS idle ([\d.]+) MB; after (\d+) status requests.* ([\d.]+) MB; after closing, every 10 s: (?:[\d.]+, ){5}([\d.]+) MB/.exec(out);
  row(`RSS idle → after ${m?.[2] ?? "?"} requests + 50 event streams → a minute later (${rt === "deno" ? "Deno" : "Node, release bundle"})`,
    m ? `${m[1]} → ${m[3]} → ${m[4]} MB` : undefined, "sim world, the daemon's V8 flags (src/launch/v8.ts)");
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB`;
const denoVersion = /deno ([\d.]+)/.exec(api)?.[1] ?? "2.9.6";
console.log(`\nmultiwan figures — ${new Date().toISOString().slice(0, 10)}; machine: ${machine}; node ${process.version}, deno ${denoVersion}; ` +
  `load average (1 min) ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}; took ${((Date.now() - started) / 60_000).toFixed(1)} min\n`);
console.log("| figure | value | conditions |");
console.log("|---|---|---|");
for (const [f, v, c] of rows) console.log(`| ${f} | ${v} | ${c} |`);
