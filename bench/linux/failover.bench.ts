/**
 * Failover time of the REAL daemon with DEFAULT settings (root only, not run in CI):
 * from the fault to the first new connection that succeeds over the backup, while a LAN
 * client starts a short-timeout connection every 2 ms (that traffic is also what raises
 * suspicion during a silent failure). p50/p95 over N trials for carrier loss and for a
 * silent upstream failure (the ISP drops everything, link stays up).
 *
 * Each trial is timed from two origins:
 * - "cmd": just before the fault command is started (`ip link set cpe0 down` in the ISP
 *   namespace, or `nft add rule … drop` there). Overstates: the command itself takes
 *   5–30 ms through `ip netns exec` before the fault exists.
 * - "kernel": when the fault exists in the kernel, seen by independent monitors started
 *   before the trial: `ip -ts -o monitor link` in the ROUTER namespace (the line saying eth1
 *   lost its carrier, the same netlink event the daemon's own monitor receives, timestamped by
 *   `ip` when it received it) and `nft monitor rules` in the ISP namespace (the drop rule
 *   committed; timestamped when this process reads the line, which is up to ~2 ms late, so
 *   the silent figure "from the kernel event" is slightly understated).
 * A third monitor, `nft monitor sets` in the router namespace, shows when the daemon's new
 * ruleset went live ("rules"), which splits the time into daemon reaction and first success.
 *
 * The prober (a Node client in the LAN namespace) and the echo server run at nice 10, so
 * they cannot starve the daemon on a small machine; the CPU they used per trial is printed
 * with the load average. Prober timestamps are mapped onto this process's clock with a
 * measured offset (sync round trip).
 *
 * Run: node --import tsx bench/linux/failover.bench.ts [trials=20] [carrier|silent|both] [node|deno]
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { carriers, configFor, disposeDaemon, makeBed, scenarioPrerequisite, sleep, startDaemon, stateOf } from "../../test/netns/daemon-harness.ts";
import { runtimeArgv, SERVER, SERVER_PORT } from "../../test/netns/testbed.ts";
import { CHILD_ENV, createRunner } from "../../src/platform/linux/run.ts";

const missing = await scenarioPrerequisite();
if (missing) {
  console.log(`skipped: needs root and nft, ip, conntrack, ping (${missing})`);
  process.exit(0);
}
const trials = Number(process.argv[2] ?? 20);
const which = process.argv[3] ?? "both";
const runtime = (process.argv[4] ?? "node") as "node" | "deno";
const now = () => performance.timeOrigin + performance.now();
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const NICE = "10";

/**
 * Wall clock (what `ip -ts` prints) minus our clock. Date.now() is the wall clock floored to the
 * millisecond, so Date.now() − now() lies in (offset − 1, offset]: its maximum over many samples
 * taken at random sub-millisecond phases is the offset.
 */
async function wallOffset(): Promise<number> {
  let best = -Infinity;
  for (let i = 0; i < 400; i++) {
    best = Math.max(best, Date.now() - now());
    await new Promise((r) => setImmediate(r));
  }
  return best;
}

/** "[2026-11-26T11:43:37.198538] rest" → wall-clock ms (local time, like ip prints it) and the rest. */
function parseTs(line: string): { wall: number; text: string } | undefined {
  const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\] (.*)$/.exec(line);
  if (!m) return undefined;
  return { wall: new Date(m[1]).getTime() + Number(m[2]) / 1000, text: m[3] };
}

/**
 * A long-lived command whose output lines are timestamped on arrival; with `ipTs`, by the
 * timestamp `ip -ts` took when it received the netlink message (mapped onto our clock), so a
 * busy moment of this process does not make the event look later.
 */
class Watch {
  readonly lines: { at: number; text: string; lagMs?: number }[] = [];
  readonly child: ChildProcess;
  constructor(argv: string[], ipTs?: { offset: number }) {
    this.child = spawn(argv[0], argv.slice(1), { env: { ...CHILD_ENV }, stdio: ["ignore", "pipe", "ignore"] });
    createInterface({ input: this.child.stdout! }).on("line", (raw) => {
      const got = now();
      const ts = ipTs ? parseTs(raw) : undefined;
      if (ts) this.lines.push({ at: ts.wall - ipTs!.offset, text: ts.text, lagMs: got - (ts.wall - ipTs!.offset) });
      else this.lines.push({ at: got, text: raw });
    });
  }
  /** The line of first() (with its lag: when we read it minus the kernel-side timestamp). */
  async firstLine(after: number, re: RegExp, ms = 2000): Promise<{ at: number; lagMs?: number } | undefined> {
    const end = now() + ms;
    for (;;) {
      const hit = this.lines.find((l) => l.at >= after && re.test(l.text));
      if (hit || now() > end) return hit;
      await sleep(5);
    }
  }
  /** The time of the first line after `after` that matches, waiting up to `ms`. */
  async first(after: number, re: RegExp, ms = 2000): Promise<number | undefined> {
    return (await this.firstLine(after, re, ms))?.at;
  }
  clear(): void {
    this.lines.length = 0;
  }
  stop(): void {
    this.child.kill("SIGTERM");
  }
}

async function cpuTicks(pids: number[]): Promise<number> {
  let n = 0;
  for (const pid of pids) {
    try {
      const f = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1].split(" ");
      n += Number(f[11]) + Number(f[12]);
    } catch { /* gone */ }
  }
  return n;
}

const b = await makeBed();
const host = createRunner();
let prober: ChildProcess | undefined;
const watches: Watch[] = [];
try {
  const eth = b.uplink("ethernet"), rep = b.uplink("repeater");
  // The echo server (and anything else in the internet namespace) yields to the daemon.
  const netPids = (await host.run(["ip", "netns", "pids", b.bed.internet])).stdout.split(/\s+/).filter(Boolean).map(Number);
  for (const p of netPids) await host.run(["renice", "-n", NICE, "-p", String(p)], { okCodes: [0, 1] });
  const proberArgv = ["ip", "netns", "exec", b.bed.lan, "nice", "-n", NICE,
    ...runtimeArgv(fileURLToPath(new URL("./prober.ts", import.meta.url)), [SERVER, String(SERVER_PORT), "2", "100"])];
  prober = spawn(proberArgv[0], proberArgv.slice(1), { env: { ...CHILD_ENV }, stdio: ["pipe", "pipe", "inherit"] });
  const lines: { at: number; source: string }[] = [];
  let onSync: ((t: number) => void) | undefined;
  let onStop: ((cpuMs: number) => void) | undefined;
  await new Promise<void>((resolve, reject) => {
    prober!.once("exit", (c) => reject(new Error(`prober exited ${c}`)));
    createInterface({ input: prober!.stdout! }).on("line", (l) => {
      if (l === "ready") return resolve();
      const j = JSON.parse(l);
      if (j.source) lines.push(j);
      else if (j.sync !== undefined) onSync?.(j.sync);
      else if (j.stopped) onStop?.(j.cpuMs);
    });
  });
  const send = (cmd: string) => prober!.stdin!.write(cmd + "\n");
  /** prober clock − our clock, from the sync round trip with the smallest delay. */
  const measureOffset = async (): Promise<number> => {
    let best = { rtt: Infinity, off: 0 };
    for (let i = 0; i < 15; i++) {
      const t1 = now();
      const t = await new Promise<number>((r) => {
        onSync = r;
        send("sync");
      });
      const t2 = now();
      if (t2 - t1 < best.rtt) best = { rtt: t2 - t1, off: t - (t1 + t2) / 2 };
      await sleep(2);
    }
    return best.off;
  };
  const offset = await measureOffset();
  console.log(`prober clock offset ${offset.toFixed(3)} ms (applied); load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

  const wall = await wallOffset();
  const linkWatch = new Watch(["ip", "netns", "exec", b.bed.router, "ip", "-ts", "-o", "monitor", "link"], { offset: wall });
  const ruleWatch = new Watch(["ip", "netns", "exec", eth.ns, "nft", "monitor", "rules"]);
  const tableWatch = new Watch(["ip", "netns", "exec", b.bed.router, "nft", "monitor", "sets"]);
  watches.push(linkWatch, ruleWatch, tableWatch);
  const carrierLost = new RegExp(`^\\d+: ${eth.device}[@:].*<[^>]*NO-CARRIER`);
  const ruleAdded = /add rule ip isp fault .*drop/;
  // Every load of the daemon's ruleset (full replace or in place) deletes and adds sets.
  const tableAdded = /^(add|delete) set inet multiwan /;

  // DEFAULT settings: only what the testbed needs (device, gateway, priority, one ping target).
  const d = await startDaemon(b.bed, configFor(b.bed, { ethernet: { priority: 1 }, repeater: { priority: 2 } }), { runtime });
  const procs = async () => {
    const lan = (await host.run(["ip", "netns", "pids", b.bed.lan])).stdout.split(/\s+/).filter(Boolean).map(Number);
    return [...netPids, ...lan];
  };
  type Row = { fromCmd: number; fromKernel: number; rulesAfterKernel?: number; cmdMs: number };
  const results: Record<string, Row[]> = { carrier: [], silent: [] };
  const loads: number[] = [];
  const lags: number[] = [];
  let clientCpuMs = 0, clientWallMs = 0;
  try {
    await sleep(3000);
    for (const kind of which === "both" ? ["carrier", "silent"] : [which]) {
      for (let i = 0; i < trials; i++) {
        // After a silent failure the lost probes stay in the loss window for a while, so the
        // uplink may come back "degraded" (still carrying): that is a healthy start as well.
        await d.waitFor((s) => carriers(s).join() === "ethernet" && ["up", "degraded"].includes(stateOf(s, "ethernet") ?? "") &&
          s.wans.find((w) => w.name === "ethernet")?.phase === "steady", 30_000, "ethernet carrying, steady");
        await sleep(500 + Math.random() * 1000);
        const loadPids = await procs();
        const c0 = await cpuTicks(loadPids);
        lines.length = 0;
        for (const w of watches) w.clear();
        const g0 = now();
        send("go");
        await sleep(200);
        const fault = kind === "carrier"
          ? ["ip", "-n", eth.ns, "link", "set", "cpe0", "down"]
          : ["ip", "netns", "exec", eth.ns, "nft", "add", "rule", "ip", "isp", "fault", "drop"];
        const t0 = now();
        await host.run(fault);
        const t1 = now();
        const end = now() + 10_000;
        let hit: number | undefined;
        while (hit === undefined && now() < end) {
          hit = lines.find((l) => l.at - offset > t0 && l.source === rep.publicAddress)?.at;
          if (hit === undefined) await sleep(2);
        }
        if (hit !== undefined) hit -= offset;
        const ev = kind === "carrier" ? await linkWatch.firstLine(t0, carrierLost) : await ruleWatch.firstLine(t0, ruleAdded);
        const tk = ev?.at;
        if (ev?.lagMs !== undefined) lags.push(ev.lagMs);
        const tr = tk === undefined ? undefined : await tableWatch.first(tk, tableAdded, 200);
        const stopped = new Promise<number>((r) => (onStop = r));
        send("stop");
        const cpuMs = await stopped;
        const c1 = await cpuTicks(loadPids);
        clientCpuMs += (c1 - c0) * 10; // prober + echo server (+ flow clients), 100 Hz ticks
        clientWallMs += now() - g0;
        void cpuMs;
        loads.push(loadavg()[0]);
        const row: Row = {
          fromCmd: hit === undefined ? NaN : hit - t0,
          fromKernel: hit === undefined || tk === undefined ? NaN : hit - tk,
          rulesAfterKernel: tr === undefined || tk === undefined ? undefined : tr - tk,
          cmdMs: t1 - t0,
        };
        results[kind].push(row);
        console.log(`${kind} #${i + 1}: ${row.fromCmd.toFixed(1)} ms from the command start, ${row.fromKernel.toFixed(1)} ms from the kernel event ` +
          `(command ${row.cmdMs.toFixed(1)} ms, event ${tk === undefined ? "?" : (tk - t0).toFixed(1)} ms after its start; ` +
          `daemon's rules live ${row.rulesAfterKernel === undefined ? "?" : row.rulesAfterKernel.toFixed(1)} ms after the event)`);
        if (kind === "carrier") await b.setCarrier("ethernet", true);
        else await b.bed.setLoss("ethernet", 0);
      }
    }
  } finally {
    await disposeDaemon(d);
  }
  const f = (x: number) => x.toFixed(1);
  for (const [kind, rows] of Object.entries(results)) {
    if (rows.length === 0) continue;
    const ok = rows.filter((r) => Number.isFinite(r.fromCmd) && Number.isFinite(r.fromKernel));
    const c = ok.map((r) => r.fromCmd), k = ok.map((r) => r.fromKernel);
    const rl = ok.flatMap((r) => (r.rulesAfterKernel === undefined ? [] : [r.rulesAfterKernel]));
    console.log(`${kind} (${runtime}): n=${rows.length} failed=${rows.length - ok.length}; ` +
      `from the kernel event p50=${f(pct(k, 50))} p95=${f(pct(k, 95))} max=${f(Math.max(...k))} ms; ` +
      `from the command start p50=${f(pct(c, 50))} p95=${f(pct(c, 95))} max=${f(Math.max(...c))} ms; ` +
      (rl.length ? `daemon's rules live after the event p50=${f(pct(rl, 50))} p95=${f(pct(rl, 95))} ms` : ""));
  }
  if (lags.length) console.log(`kernel-side link timestamps (ip -ts) were read here ${f(pct(lags, 50))} ms (p50), ${f(Math.max(...lags))} ms (max) later`);
  console.log(`load generators (prober + echo server, nice ${NICE}) used ${(100 * clientCpuMs / Math.max(1, clientWallMs)).toFixed(0)} % of one core while probing; ` +
    `load average during trials ${f(Math.min(...loads))}–${f(Math.max(...loads))} (2 cores)`);
} finally {
  for (const w of watches) w.stop();
  prober?.stdin?.end();
  prober?.kill("SIGKILL");
  await b.destroy();
}
