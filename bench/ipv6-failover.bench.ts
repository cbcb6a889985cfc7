/**
 * IPv6 failover time on the simulated dual-stack world with the default settings (fake clock,
 * so the figures are the algorithm's, not the machine's): a silent IPv6-only outage on the
 * primary while a LAN client keeps opening connections (half of them IPv6), the same while
 * idle, and carrier loss. The goal is the same as IPv4's: p95 under 1 s while traffic flows.
 *
 *   node --import tsx bench/ipv6-failover.bench.ts
 */
import { SimLanClient } from "../src/platform/sim/index.ts";
import { advance, until } from "../test/helpers.ts";
import { dualWans, makeDualRig } from "../test/ipv6/rig.ts";

async function trial(seed: number, fault: "silent" | "carrier", busy: boolean): Promise<number> {
  const rig = makeDualRig(dualWans(), seed);
  await rig.kernel.boot();
  if (busy) {
    new SimLanClient(rig.platform.dataplane, rig.platform.world, rig.clock, { perSecond: 20, ipv6Share: 0.5 }).start();
  }
  await advance(rig.clock, 3000 + (seed % 10) * 997, 20);
  rig.platform.world.set("eth1", fault === "silent" ? { upstream6: false } : { carrier: false });
  const took = await until(rig.clock, () => rig.platform.dataplane.plan.carriers6?.[0]?.wan === "repeater", 60_000, 5);
  await rig.kernel.shutdown({ cleanup: true });
  return took;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

for (const [fault, busy] of [["carrier", true], ["silent", true], ["silent", false]] as const) {
  const times: number[] = [];
  for (let seed = 1; seed <= 20; seed++) times.push(await trial(seed, fault, busy));
  console.log(
    `IPv6 ${fault} failure, ${busy ? "traffic flowing" : "idle"}: p50 ${pct(times, 50)} ms, p95 ${pct(times, 95)} ms, ` +
      `max ${Math.max(...times)} ms (20 trials, simulated time)`,
  );
}
