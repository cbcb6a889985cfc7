/**
 * Policy rules on Linux (root only, not run in CI):
 * 1. render + apply time of plans with 1, 100 and 1,000 rules through the real dataplane in
 *    the namespace testbed (goal: apply ≤ 50 ms at 1,000 rules, one atomic nft batch): the
 *    first load of each size (full table replace) and the median of rule changes applied in
 *    place (one rule's port changes; nothing else runs);
 * 2. forwarding throughput LAN → internet with 1,000 rules vs none (iperf3 through the real
 *    daemon; goal: ratio ≥ 0.95). The rules match other sources, so the iperf flow's first
 *    packet walks all of them; later packets are restored from the conntrack mark.
 *
 * Run: node --import tsx bench/linux/rules.bench.ts [rounds=3] [seconds=5]
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { diffPlans, EMPTY_PLAN, type PlanRule, type RoutingPlan } from "../../src/plan.ts";
import { renderRuleset } from "../../src/platform/linux/nft.ts";
import { CHILD_ENV, createRunner } from "../../src/platform/linux/run.ts";
import { makePlan } from "../../test/contracts/dataplane.case.ts";
import { carriers, configFor, disposeDaemon, makeBed, scenarioPrerequisite, sleep, startDaemon } from "../../test/netns/daemon-harness.ts";
import { makeLinuxHarness } from "../../test/netns/linux-harness.ts";
import { SERVER } from "../../test/netns/testbed.ts";

const missing = await scenarioPrerequisite();
if (missing) {
  console.log(`skipped: needs root and nft, ip, conntrack, ping (${missing})`);
  process.exit(0);
}
const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `n` rules on distinct sources outside the LAN client (198.18.128.0/17), alternating two policies, some with ports. */
function rulesOf(n: number, variant = 0): PlanRule[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `r${i}`,
    match: {
      src: [`198.18.${128 + (i >> 8)}.${i & 255}/32`],
      ...(i % 3 === 0 ? { proto: "udp" as const, dport: [[5060, 5060], [10000 + (i === 0 ? variant : 0), 20000]] as [number, number][] } : {}),
    },
    policy: i % 2 ? "voip" : "kids",
  }));
}

// 1. Render and apply through the dataplane.
{
  const h = await makeLinuxHarness();
  try {
    await h.dataplane.init(h.settings);
    const [a, b, c] = h.uplinks;
    const plan = (n: number, variant: number): RoutingPlan => ({
      ...makePlan(h, [{ wan: a.name, weight: 1 }]),
      policies: {
        kids: { name: "kids", carriers: [{ wan: b.name, weight: 1 }], lastResort: "unreachable", summary: "kids" },
        voip: { name: "voip", carriers: [{ wan: c.name, weight: 1 }, { wan: a.name, weight: 1 }], lastResort: "unreachable", summary: "voip" },
      },
      rules: rulesOf(n, variant),
    });
    let cur: RoutingPlan = EMPTY_PLAN;
    const apply = async (next: RoutingPlan) => {
      const t0 = performance.now();
      await h.dataplane.apply(next, diffPlans(cur, next));
      cur = next;
      return { ms: performance.now() - t0, stats: h.dataplane.lastApply };
    };
    await apply(makePlan(h, [{ wan: a.name, weight: 1 }]));
    for (const n of [1, 100, 1000]) {
      const renders: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        renderRuleset(plan(n, i), h.settings, { connected: ["198.18.100.0/24"] });
        renders.push(performance.now() - t0);
      }
      const first = await apply(plan(n, 0));
      const changes: number[] = [];
      let commands = 0, bytes = 0;
      for (let i = 1; i <= 7; i++) {
        const r = await apply(plan(n, i));
        changes.push(r.ms);
        commands = r.stats?.commands ?? 0;
        bytes = r.stats?.nftBytes ?? 0;
      }
      // A failover with the rules loaded: only the default carriers change (the same rules array).
      const kept = plan(n, 0);
      const failovers: number[] = [];
      for (let i = 0; i < 7; i++) {
        const r = await apply({ ...kept, carriers: [{ wan: (i % 2 ? a : c).name, weight: 1 }] });
        failovers.push(r.ms);
      }
      console.log(
        `${String(n).padStart(5)} rules: failover (carriers change, rules kept) applied ${median(failovers).toFixed(1)} ms median, ` +
          `max ${Math.max(...failovers).toFixed(1)} ms`,
      );
      console.log(
        `${String(n).padStart(5)} rules: render ${median(renders).toFixed(2)} ms; first apply ${first.ms.toFixed(1)} ms ` +
          `(${first.stats?.commands} commands); rule change applied ${median(changes).toFixed(1)} ms median, ` +
          `max ${Math.max(...changes).toFixed(1)} ms, ${commands} command(s), ${bytes} bytes of nft`,
      );
    }
    // The LAN client still connects through all of it.
    console.log(`a LAN connection with 1,000 rules loaded went out ${await h.connect()}`);
  } finally {
    await h.dispose();
  }
}

// 2. Throughput with 1,000 rules vs none, through the real daemon.
try {
  await createRunner().run(["iperf3", "--version"]);
} catch {
  console.log("throughput skipped: needs iperf3");
  process.exit(0);
}
const bed = await makeBed();
let server: ChildProcess | undefined;
try {
  server = spawn("ip", ["netns", "exec", bed.bed.internet, "iperf3", "-s", "-B", SERVER, "-p", "5201"], { env: { ...CHILD_ENV }, stdio: ["ignore", "ignore", "inherit"] });
  await sleep(500);
  const iperf = async (): Promise<number> => {
    const out = await bed.bed.exec(bed.bed.lan, ["iperf3", "-c", SERVER, "-p", "5201", "-t", String(seconds), "-J"]);
    const j = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
    return j.end.sum_received.bits_per_second / 1e9;
  };
  const base = configFor(bed.bed, { ethernet: { priority: 1 }, repeater: { priority: 2 } });
  const withRules = {
    ...base,
    policies: {
      kids: { mode: { type: "mode.failover" }, wans: ["repeater"] },
      voip: { mode: { type: "mode.failover" }, wans: ["repeater", "ethernet"] },
    },
    rules: rulesOf(1000).map((r) => ({
      name: r.name,
      match: { src: r.match.src![0], ...(r.match.dport ? { proto: "udp", dport: [5060, "10000-20000"] } : {}) },
      policy: r.policy,
    })),
  };
  const none: number[] = [], many: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [config, into] of [[base, none], [withRules, many]] as const) {
      const d = await startDaemon(bed.bed, config);
      try {
        await d.waitFor((s) => carriers(s).join() === "ethernet", 10_000, "ethernet carrying");
        into.push(await iperf());
      } finally {
        await disposeDaemon(d);
      }
    }
    console.log(`round ${r + 1}: no rules ${none[r].toFixed(2)} Gbit/s, 1,000 rules ${many[r].toFixed(2)} Gbit/s`);
  }
  const a = median(none), w = median(many);
  console.log(`median: no rules ${a.toFixed(2)} Gbit/s, 1,000 rules ${w.toFixed(2)} Gbit/s, ratio ${(w / a).toFixed(3)} (target ≥ 0.95)`);
} finally {
  server?.kill("SIGKILL");
  await bed.destroy();
}
