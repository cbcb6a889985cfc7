/**
 * Failover time of the Ethernet WAN while a config apply waits on another WAN's plugin
 * that hangs in create, start, stop or inspect, against the same apply with a plugin that
 * behaves.
 * Simulated world with a fake clock (the figures are the kernel's, not the machine's); a
 * LAN client keeps opening connections (20/s), so a silent failure is noticed from traffic.
 *
 * Each trial: boot, run a few seconds, begin a config apply (the faulty WAN `tethering`
 * is added, or removed for the stop case), 100 ms later fail Ethernet (carrier loss, or a
 * silent upstream failure), and time until the plan moves new connections to the repeater.
 *
 *   npm run bench:hung            (node --import tsx bench/hung-plugin.bench.ts [trials])
 */
import process from "node:process";
import { SimLanClient } from "../src/platform/sim/index.ts";
import { advance, fourWans, makeRig, until } from "../test/helpers.ts";
import { newFaultLog, type WanFault } from "../test/hardening/faulty.ts";
import { pluginsWith, settlesWithin, track, withFaulty } from "../test/hardening/rig.ts";

type Case = "none" | "create-hang" | "start-hang" | "stop-hang" | "inspect-hang";
type Fault = "carrier" | "silent";

const LIMIT_MS = 60_000;

function configs(c: Case): { boot: unknown; apply: unknown } {
  if (c === "stop-hang") {
    const without = fourWans();
    delete (without.wans as Record<string, unknown>).tethering;
    return { boot: withFaulty("stop-hang"), apply: without };
  }
  return { boot: fourWans(), apply: withFaulty(c as WanFault) };
}

async function trial(seed: number, c: Case, fault: Fault): Promise<{ failoverMs: number; applyMs: number }> {
  const { boot, apply } = configs(c);
  const rig = makeRig({ config: boot, plugins: pluginsWith(newFaultLog()), seed });
  await rig.kernel.boot();
  new SimLanClient(rig.platform.dataplane, rig.platform.world, rig.clock, { perSecond: 20 }).start();
  await advance(rig.clock, 3000 + (seed % 10) * 997, 20);
  const applyStart = rig.clock.now();
  const applying = track(rig.kernel.applyConfig(apply).then(() => rig.clock.now() - applyStart, () => rig.clock.now() - applyStart));
  await advance(rig.clock, 100, 10);
  rig.platform.world.set("eth1", fault === "silent" ? { upstream: false } : { carrier: false });
  let failoverMs = Infinity;
  try {
    failoverMs = await until(rig.clock, () => rig.platform.dataplane.plan.carriers[0]?.wan === "repeater", LIMIT_MS, 5);
  } catch {
    // did not fail over within the limit
  }
  const applyMs = (await settlesWithin(rig.clock, applying.promise, LIMIT_MS)) ? await applying.promise : Infinity;
  if (Number.isFinite(applyMs)) await settlesWithin(rig.clock, rig.kernel.shutdown({ cleanup: true }), LIMIT_MS);
  return { failoverMs, applyMs };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (ms: number) => (Number.isFinite(ms) ? `${ms}` : `> ${LIMIT_MS}`);

const trials = Number(process.argv[2] ?? 12);
console.log(`failover of ethernet → repeater during a config apply; ${trials} trials each, simulated time (fake clock), LAN client 20 conn/s`);
console.log("| other WAN's plugin | ethernet fault | failover p50 ms | failover p95 ms | max ms | apply returned p50 ms |");
console.log("|---|---|---|---|---|---|");
for (const c of ["none", "create-hang", "start-hang", "stop-hang", "inspect-hang"] as const) {
  for (const fault of ["carrier", "silent"] as const) {
    const f: number[] = [];
    const a: number[] = [];
    for (let seed = 1; seed <= trials; seed++) {
      const r = await trial(seed, c, fault);
      f.push(r.failoverMs);
      a.push(r.applyMs);
    }
    console.log(`| ${c} | ${fault} | ${fmt(pct(f, 50))} | ${fmt(pct(f, 95))} | ${fmt(Math.max(...f))} | ${fmt(pct(a, 50))} |`);
  }
}
