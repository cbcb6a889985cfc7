/**
 * End-to-end timings of the Linux dataplane in the namespace testbed (root only):
 * first apply, carrier change, no-op apply, selective flush, and failover as seen by a client.
 * Run: node --import tsx bench/linux/apply.bench.ts   (or deno run -A bench/linux/apply.bench.ts)
 */
import { diffPlans, EMPTY_PLAN, type RoutingPlan } from "../../src/plan.ts";
import { makePlan } from "../../test/contracts/dataplane.case.ts";
import { makeLinuxHarness } from "../../test/netns/linux-harness.ts";
import { missingPrerequisite } from "../../test/netns/testbed.ts";

const missing = await missingPrerequisite();
if (missing) {
  console.log(`skipped: needs root and nft, ip, conntrack (${missing})`);
  process.exit(0);
}
const h = await makeLinuxHarness();
try {
  await h.dataplane.init(h.settings);
  let cur: RoutingPlan = EMPTY_PLAN;
  const apply = async (label: string, next: RoutingPlan) => {
    const t0 = performance.now();
    await h.dataplane.apply(next, diffPlans(cur, next));
    const ms = performance.now() - t0;
    cur = next;
    const s = h.dataplane.lastApply;
    console.log(`${label.padEnd(28)} ${ms.toFixed(1).padStart(7)} ms  commands=${s?.commands ?? 0} nftBytes=${s?.nftBytes ?? 0} nftLoaded=${s?.nftLoaded ?? false}`);
  };
  const [a, b, c] = h.uplinks;
  await apply("first apply (4 uplinks)", makePlan(h, [{ wan: a.name, weight: 1 }]));
  for (let i = 0; i < 5; i++) {
    await apply(`carrier change #${i + 1}`, makePlan(h, [{ wan: (i % 2 ? a : b).name, weight: 1 }, { wan: c.name, weight: 2 }]));
  }
  const t0 = performance.now();
  await h.dataplane.apply(cur, diffPlans(cur, cur));
  console.log(`${"no-op apply".padEnd(28)} ${(performance.now() - t0).toFixed(2).padStart(7)} ms`);
  await apply("to a only", makePlan(h, [{ wan: a.name, weight: 1 }]));
  const flows = [];
  for (let i = 0; i < 50; i++) flows.push(await h.openLong());
  await apply("failover a → b", makePlan(h, [{ wan: b.name, weight: 1 }]));
  const t1 = performance.now();
  const n = await h.dataplane.flush([a.name]);
  console.log(`${"flush a (50 flows)".padEnd(28)} ${(performance.now() - t1).toFixed(1).padStart(7)} ms  deleted=${n}`);
  const t2 = performance.now();
  await h.dataplane.flows();
  console.log(`${"flows()".padEnd(28)} ${(performance.now() - t2).toFixed(1).padStart(7)} ms`);
  const t3 = performance.now();
  for (let i = 0; i < 200; i++) await h.connect();
  console.log(`${"200 LAN connections".padEnd(28)} ${(performance.now() - t3).toFixed(1).padStart(7)} ms`);
  for (const f of flows) await f.close();
} finally {
  await h.dispose();
}
