/**
 * IPv6 silent-outage failover through the Linux platform in the namespace testbed (root only,
 * not run in CI): the primary's ISP starts dropping everything (link stays up); an IPv6 echo
 * stream (`ping -6 -I eth1 -m <mark>`, LinuxProbes) on the primary sees the echoes lost; after
 * `LOSSES` consecutive losses this bench, standing in for the health machine, applies the plan
 * with the backup as the IPv6 carrier and flushes the primary's IPv6 flows. Timed from just
 * before the fault command to the first new IPv6 connection from the LAN that succeeds over
 * the backup (a LAN client tries one every few ms with a short timeout). p50/p95 over N trials.
 *
 * What it measures is the Linux part of the path (ping -6 detection, ip6 classification
 * switch, per-family conntrack flush), not the daemon's health judge.
 *
 * Run: node --import tsx bench/linux/ipv6-failover.bench.ts [trials=10] [intervalMs=100] [timeoutMs=300]
 * @module
 */
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { type Carrier, diffPlans, EMPTY_PLAN, type PlanUplink, type RoutingPlan } from "../../src/plan.ts";
import { LinuxDataplane } from "../../src/platform/linux/dataplane.ts";
import { LinuxProbes } from "../../src/platform/linux/probes.ts";
import { createRunner, hostOf } from "../../src/platform/linux/run.ts";
import { FlowDriver } from "../../test/netns/flow-driver.ts";
import { TEST_SETTINGS } from "../../test/netns/linux-harness.ts";
import { createTestbed, missingPrerequisite, SERVER, SERVER6, SERVER_PORT, waitReady } from "../../test/netns/testbed.ts";

const missing = await missingPrerequisite();
if (missing) {
  console.log(`skipped: needs root and nft, ip, conntrack, ping (${missing})`);
  process.exit(0);
}
const [trials = 10, intervalMs = 100, timeoutMs = 300] = process.argv.slice(2).map(Number);
const LOSSES = 2;
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  };
  const totals = results.map((r) => r.total);
  console.log(
    `IPv6 silent-outage failover over ${results.length} trials (ping -6 every ${intervalMs} ms, timeout ${timeoutMs} ms, ${LOSSES} losses): ` +
      `p50 ${pct(totals, 50).toFixed(0)} ms, p95 ${pct(totals, 95).toFixed(0)} ms, max ${Math.max(...totals).toFixed(0)} ms; ` +
      `apply+flush p95 ${pct(results.map((r) => r.apply), 95).toFixed(1)} ms; load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`,
  );
} finally {
  await probes.close();
  await dp.close({ cleanup: true }).catch(() => {});
  lan?.close();
  await bed.destroy();
}
