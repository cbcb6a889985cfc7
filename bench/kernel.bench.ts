/**
 * Hot paths of the kernel, measured with tinybench on whichever runtime runs this file:
 * health update per probe sample, mode decision + plan diff for 4 and 64 uplinks, and
 * config validation.
 *
 *   npm run bench            (Node)
 *   npm run bench:deno       (Deno)
 */
import { Bench } from "tinybench";
import { buildDocumentSchema } from "../src/config/schema.ts";
import { validateDocument } from "../src/config/validate.ts";
import { defaultHealth } from "../src/health/config.ts";
import { HealthMachine } from "../src/health/machine.ts";
import type { HealthState } from "../src/health/types.ts";
import { diffPlans, EMPTY_PLAN, type RoutingPlan } from "../src/plan.ts";
import { Registry } from "../src/registry.ts";
import { composePlan, type PlannedWan } from "../src/runtime/planner.ts";
import { builtinPlugins } from "../plugins/builtin.ts";
import { failoverMode } from "../plugins/mode/failover/index.ts";
import { loadBalanceMode } from "../plugins/mode/load-balance/index.ts";
import type { ModeInstance, PluginContext } from "../src/plugin.ts";

const registry = new Registry();
registry.registerAll(builtinPlugins);
const schema = buildDocumentSchema(registry);

function wans(n: number, flip: boolean): PlannedWan[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `wan${i}`,
    priority: 1 + (i % 4),
    weight: 1 + (i % 3),
    metered: i % 5 === 0,
    nat: true,
    state: (flip && i % 7 === 0 ? "down" : "up") as HealthState,
    index: i + 1,
    inspection: { device: `eth${i}`, present: true, carrier: true, address: `198.18.${i}.2/30`, gateway: `198.18.${i}.1`, details: {} },
  }));
}

const ctx = {} as PluginContext;
const failover = failoverMode.create(ctx, { forcedRefresh: true, refreshMetered: true }) as ModeInstance;
const balance = loadBalanceMode.create(ctx, { forcedRefresh: false, refreshMetered: true }) as ModeInstance;

function decideAndDiff(mode: ModeInstance, n: number) {
  const a = wans(n, false);
  const b = wans(n, true);
  let prev: RoutingPlan = EMPTY_PLAN;
  let flip = false;
  return () => {
    flip = !flip;
    const { plan } = composePlan({ wans: flip ? b : a, mode, lastResort: "unreachable", previousPlan: prev });
    diffPlans(prev, plan);
    prev = plan;
  };
}

const machine = new HealthMachine(defaultHealth, ["198.19.0.1", "198.19.0.2", "198.19.0.3"], 0);
let t = 0;
const targets = ["198.19.0.1", "198.19.0.2", "198.19.0.3"];

const doc = {
  mode: { type: "mode.failover" },
  wans: Object.fromEntries(["eth1", "wlan0", "usb0", "wwan0"].map((d, i) => [
    `wan${i}`,
    { type: "wan.ethernet", device: d, priority: i + 1, tracker: { type: "tracker.ping", targets } },
  ])),
};

const bench = new Bench({ name: "multiwan kernel", time: 500 });
bench
  .add("health: one probe sample", () => {
    t += 33;
    machine.onResult({ target: targets[t % 3], ok: t % 97 !== 0, rttMs: 10 + (t % 5) }, t);
  })
  .add("failover: decide + diff, 4 uplinks", decideAndDiff(failover, 4))
  .add("failover: decide + diff, 64 uplinks", decideAndDiff(failover, 64))
  .add("load-balance: decide + diff, 4 uplinks", decideAndDiff(balance, 4))
  .add("load-balance: decide + diff, 64 uplinks", decideAndDiff(balance, 64))
  .add("config: validate a 4-WAN document", () => {
    if (!validateDocument(schema, doc).ok) throw new Error("invalid");
  });

await bench.run();
const runtime = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined" ? "Deno" : `Node ${process.version}`;
console.log(`${bench.name} on ${runtime}`);
console.table(bench.tasks.map((task) => {
  const r = task.result as { latency?: { mean: number; p99: number }; throughput?: { mean: number } } | undefined;
  return {
    task: task.name,
    "mean µs": r?.latency ? (r.latency.mean * 1000).toFixed(2) : "-",
    "p99 µs": r?.latency ? (r.latency.p99 * 1000).toFixed(2) : "-",
    "ops/s": r?.throughput ? Math.round(r.throughput.mean).toLocaleString("en-US") : "-",
  };
}));
