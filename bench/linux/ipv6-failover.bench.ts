/**
 * IPv6 silent-outage failover in the namespace testbed (root only, not run in CI), p50/p95
 * over N trials, timed from just before the fault command (the primary's ISP starts dropping;
 * the link stays up) to the first new IPv6 connection from the LAN that succeeds over the backup.
 *
 * Modes:
 * - `daemon` (default): the REAL daemon (src/main.ts --dataplane linux, default health
 *   settings) with dual-stack WANs (`family: "both"`, ping targets of both families, NAT66 on
 *   ethernet, the routed prefix on repeater), one daemon per trial; a LAN prober (prober.ts)
 *   opens a new IPv6 connection every 2 ms (100 ms timeout), which is also the traffic that
 *   raises suspicion. `drop` says what the ISP drops: `ipv6` (only IPv6: only the IPv6 judge
 *   can see it) or `both`.
 * - `platform`: the Linux part of the path alone: an IPv6 echo stream (`ping -6 -I eth1 -m
 *   <mark>`) on the primary; after 2 consecutive losses this bench, standing in for the health
 *   machine, applies the plan with the backup as the IPv6 carrier and flushes the primary's
 *   IPv6 flows.
 *
 * Run: node --import tsx bench/linux/ipv6-failover.bench.ts [trials=10] [daemon|platform] [drop=ipv6|both]
 * @module
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type Carrier, diffPlans, EMPTY_PLAN, type PlanUplink, type RoutingPlan } from "../../src/plan.ts";
import { LinuxDataplane } from "../../src/platform/linux/dataplane.ts";
import { LinuxProbes } from "../../src/platform/linux/probes.ts";
import { CHILD_ENV, createRunner, hostOf } from "../../src/platform/linux/run.ts";
import { configFor, type Daemon, disposeDaemon, makeBed, startDaemon } from "../../test/netns/daemon-harness.ts";
import { FlowDriver } from "../../test/netns/flow-driver.ts";
import { TEST_SETTINGS } from "../../test/netns/linux-harness.ts";
import {
  createTestbed, LAN6_CLIENT, missingPrerequisite, runtimeArgv, SERVER, SERVER6, SERVER_PORT, waitReady,
} from "../../test/netns/testbed.ts";

const missing = await missingPrerequisite();
if (missing) {
  console.log(`skipped: needs root and nft, ip, conntrack, ping (${missing})`);
  process.exit(0);
}
const trials = Number(process.argv[2] ?? 10);
const mode = process.argv[3] ?? "daemon";
const drop = (process.argv[4] ?? "ipv6") as "ipv6" | "both";
const [intervalMs, timeoutMs, LOSSES] = [100, 300, 2];
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");
if (mode === "daemon") await daemonBench();
else await platformBench();

async function daemonBench(): Promise<void> {
  const b = await makeBed();
  const proberArgv = ["ip", "netns", "exec", b.bed.lan, ...runtimeArgv(here("./prober.ts"), [SERVER6, String(SERVER_PORT), "2", "100"])];
  const prober = spawn(proberArgv[0], proberArgv.slice(1), { env: { ...CHILD_ENV }, stdio: ["pipe", "pipe", "inherit"] });
  const lines: { at: number; source: string }[] = [];
  let onSync: ((t: number) => void) | undefined;
  let onStop: (() => void) | undefined;
  let d: Daemon | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      prober.once("exit", (c) => reject(new Error(`prober exited ${c}`)));
      createInterface({ input: prober.stdout! }).on("line", (l) => {
        if (l === "ready") return resolve();
        const j = JSON.parse(l) as { at?: number; source?: string; sync?: number; stopped?: boolean };
        if (j.source && j.at !== undefined) lines.push({ at: j.at, source: j.source });
        else if (j.sync !== undefined) onSync?.(j.sync);
        else if (j.stopped) onStop?.();
      });
    });
    const send = (cmd: string) => prober.stdin!.write(cmd + "\n");
    const now = () => performance.timeOrigin + performance.now();
    // prober clock − our clock, from the sync round trip with the smallest delay.
    let offset = 0, best = Infinity;
    for (let i = 0; i < 20; i++) {
      const t1 = now();
      const theirs = await new Promise<number>((r) => {
        onSync = r;
        send("sync");
      });
      const t2 = now();
      if (t2 - t1 < best) [best, offset] = [t2 - t1, theirs - (t1 + t2) / 2];
    }
    const config = configFor(b.bed, {
      ethernet: { priority: 1, tracker: { type: "tracker.ping", targets: [SERVER, SERVER6] } },
      repeater: { priority: 2, tracker: { type: "tracker.ping", targets: [SERVER, SERVER6] } },
    });
    for (const [name, entry] of Object.entries(config.wans as Record<string, Record<string, unknown>>)) {
      Object.assign(entry, { family: "both", nat6: !b.uplink(name).routed6 });
    }
    const backupSource = LAN6_CLIENT; // repeater routes the LAN prefix: the server sees the client
    const totals: number[] = [];
    for (let t = 0; t < trials; t++) {
      d = await startDaemon(b.bed, config);
      await d.waitFor((s) => (s as unknown as { plan: { carriers6?: { wan: string }[] } }).plan.carriers6?.[0]?.wan === "ethernet", 10_000, "IPv6 on ethernet");
      lines.length = 0;
      send("go");
      await sleep(1500);
      const before = lines.filter((l) => l.source !== backupSource).length;
      if (before === 0) throw new Error(`trial ${t + 1}: no IPv6 connection over ethernet before the fault`);
      const t0 = now();
      await b.bed.setLoss("ethernet", 100, drop === "both" ? undefined : "ipv6");
      let hit: number | undefined;
      while (now() - t0 < 10_000 && hit === undefined) {
        hit = lines.find((l) => l.at - offset > t0 && l.source === backupSource)?.at;
        await sleep(5);
      }
      const stopped = new Promise<void>((r) => (onStop = r));
      send("stop");
      await stopped;
      await disposeDaemon(d);
      d = undefined;
      await b.bed.setLoss("ethernet", 0);
      if (hit === undefined) throw new Error(`trial ${t + 1}: no IPv6 connection over the backup within 10 s`);
      totals.push(hit - offset - t0);
      console.log(`trial ${t + 1}: first IPv6 connection over the backup after ${(hit - offset - t0).toFixed(0)} ms (load ${load()})`);
    }
    console.log(
      `daemon, IPv6 silent outage (ISP drops ${drop === "both" ? "IPv4 and IPv6" : "IPv6 only"}), ${totals.length} trials: ` +
        `p50 ${pct(totals, 50).toFixed(0)} ms, p95 ${pct(totals, 95).toFixed(0)} ms, max ${Math.max(...totals).toFixed(0)} ms; load ${load()}`,
    );
  } finally {
    await disposeDaemon(d);
    prober.stdin?.end();
    prober.kill("SIGTERM");
    await b.destroy();
  }
}

async function platformBench(): Promise<void> {
  const bed = await createTestbed();
  const dp = new LinuxDataplane(createRunner({ netns: bed.router }));
  const probes = new LinuxProbes(createRunner({ netns: bed.router }), () => TEST_SETTINGS);
  let lan: FlowDriver | undefined;
  try {
    const server = bed.start(bed.internet, here("../../test/netns/http-echo-server.ts"), [`${SERVER},${SERVER6}`, String(SERVER_PORT)]);
    await waitReady(server);
    lan = new FlowDriver(bed.start(bed.lan, here("../../test/netns/flow-client.ts")));
    await lan.ready();
    await dp.init(TEST_SETTINGS);
    const [primary, backup] = [bed.uplinks[0], bed.uplinks[2]];
    const uplinks: Record<string, PlanUplink> = {};
    for (const u of bed.uplinks) {
      uplinks[u.name] = {
        name: u.name, device: u.device, gateway: u.gateway, address: u.address, nat: true, index: u.k, ready: true,
        families: ["ipv4", "ipv6"], address6: u.address6, nat6: !u.routed6,
      };
    }
    const w = (wan: string): Carrier => ({ wan, weight: 1 });
    const planFor = (c6: string): RoutingPlan => ({
      uplinks, carriers: [w(primary.name)], carriers6: [w(c6)], lastResort: "unreachable", flush: [], summary: `ipv6 on ${c6}`,
    });
    let current: RoutingPlan = EMPTY_PLAN;
    const apply = async (next: RoutingPlan) => {
      await dp.apply(next, diffPlans(current, next));
      current = next;
    };
    const results: { total: number; detect: number; apply: number }[] = [];
    for (let t = 0; t < trials; t++) {
      await bed.setLoss(primary.name, 0);
      await apply(planFor(primary.name));
      let lost = 0;
      let fired: (() => void) | undefined;
      const detected = new Promise<void>((r) => (fired = r));
      const stream = probes.echo({
        binding: { wan: primary.name, device: primary.device, address: primary.address, address6: hostOf(primary.address6), index: primary.k } as never,
        target: SERVER6, intervalMs, timeoutMs, size: 16,
      }, (r) => {
        lost = r.ok ? 0 : lost + 1;
        if (lost >= LOSSES) fired?.();
      });
      // Warm: the echo stream answers and the LAN reaches the server over the primary.
      for (let i = 0; i < 50; i++) {
        const a = await lan.request({ op: "connect", host: SERVER6, port: SERVER_PORT, timeoutMs: 500 });
        if (a.ok && bed.uplinkOf(a.source ?? "") === primary.name) break;
        await sleep(50);
      }
      await sleep(Math.max(500, intervalMs * 3));
      lost = 0;
      const t0 = performance.now();
      await bed.setLoss(primary.name, 100);
      let tDetect = 0, tApplied = 0;
      const switching = detected.then(async () => {
        tDetect = performance.now();
        await apply(planFor(backup.name));
        await dp.flush([primary.name], "ipv6");
        tApplied = performance.now();
      });
      let tOk = 0;
      while (performance.now() - t0 < 10_000) {
        const a = await lan.request({ op: "connect", host: SERVER6, port: SERVER_PORT, timeoutMs: 150 });
        if (a.ok && bed.uplinkOf(a.source ?? "") === backup.name) {
          tOk = performance.now();
          break;
        }
        await sleep(2);
      }
      await switching;
      await stream.close();
      if (!tOk) throw new Error(`trial ${t}: no IPv6 connection over ${backup.name} within 10 s`);
      results.push({ total: tOk - t0, detect: tDetect - t0, apply: tApplied - tDetect });
      console.log(`trial ${t + 1}: ${(tOk - t0).toFixed(0)} ms (detected ${(tDetect - t0).toFixed(0)} ms, apply+flush ${(tApplied - tDetect).toFixed(0)} ms)`);
    }
    const totals = results.map((r) => r.total);
    console.log(
      `IPv6 silent-outage failover over ${results.length} trials (ping -6 every ${intervalMs} ms, timeout ${timeoutMs} ms, ${LOSSES} losses): ` +
        `p50 ${pct(totals, 50).toFixed(0)} ms, p95 ${pct(totals, 95).toFixed(0)} ms, max ${Math.max(...totals).toFixed(0)} ms; ` +
        `apply+flush p95 ${pct(results.map((r) => r.apply), 95).toFixed(1)} ms; load ${load()}`,
    );
  } finally {
    await probes.close();
    await dp.close({ cleanup: true }).catch(() => {});
    lan?.close();
    await bed.destroy();
  }
}
