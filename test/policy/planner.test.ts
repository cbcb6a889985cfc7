/** The planner with policies: named policies decide over their own WANs, `degraded` filters states, sticky and rules reach the plan. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as v from "valibot";
import type { HealthState, ModeInstance, ModePlugin, ModeWan, PluginContext } from "../../src/index.ts";
import { diffPlans, EMPTY_PLAN, isEmptyDiff } from "../../src/plan.ts";
import { applyDegraded, composePlan, type PlannedWan, type PolicyInput } from "../../src/runtime/planner.ts";
import { failoverMode } from "../../plugins/mode/failover/index.ts";
import { loadBalanceMode } from "../../plugins/mode/load-balance/index.ts";

// deno-lint-ignore no-explicit-any
function make(plugin: ModePlugin<any>, config: unknown = {}): ModeInstance {
  return plugin.create({} as PluginContext, v.parse(plugin.schema, config)) as ModeInstance;
}

const NAMES = ["ethernet", "repeater", "tethering", "cellular"];

function planned(states: Record<string, HealthState>): PlannedWan[] {
  return NAMES.map((name, i) => ({
    name,
    priority: i + 1,
    weight: 1,
    metered: name === "cellular",
    nat: true,
    state: states[name] ?? "up",
    index: i + 1,
    inspection: { device: `dev${i}`, present: true, carrier: true, gateway: `198.18.${i + 1}.1`, address: `198.18.${i + 1}.2/24`, details: {} },
  }));
}

function policy(name: string, mode: ModeInstance, wans: PolicyInput["wans"], extra: Partial<PolicyInput> = {}): PolicyInput {
  return { name, mode, wans, lastResort: "unreachable", ...extra };
}

describe("planner: policies", () => {
  it("each named policy decides over its own WANs with its own mode", () => {
    const { plan } = composePlan({
      wans: planned({}),
      mode: make(failoverMode),
      lastResort: "unreachable",
      previousPlan: EMPTY_PLAN,
      policies: [
        policy("voip", make(failoverMode), [{ name: "ethernet" }, { name: "cellular" }]),
        policy("kids", make(failoverMode), [{ name: "repeater" }], { lastResort: "blackhole" }),
        policy("office", make(loadBalanceMode), [{ name: "ethernet", priority: 1 }, { name: "tethering", priority: 1, weight: 1 }], {
          sticky: { by: "src", timeoutS: 600 },
        }),
      ],
      rules: [{ name: "kids", match: { src: ["198.18.100.3"] }, policy: "kids" }],
    });
    assert.deepEqual(plan.carriers, [{ wan: "ethernet", weight: 1 }], "default: the global failover");
    assert.deepEqual(plan.policies?.voip.carriers, [{ wan: "ethernet", weight: 1 }]);
    assert.deepEqual(plan.policies?.kids.carriers, [{ wan: "repeater", weight: 1 }]);
    assert.equal(plan.policies?.kids.lastResort, "blackhole");
    assert.deepEqual(plan.policies?.office.carriers, [{ wan: "ethernet", weight: 1 }, { wan: "tethering", weight: 1 }],
      "priority overridden in the policy: tethering (3) joins ethernet (1)");
    assert.deepEqual(plan.policies?.office.sticky, { by: "src", timeoutS: 600 });
    assert.deepEqual(plan.rules, [{ name: "kids", match: { src: ["198.18.100.3"] }, policy: "kids" }]);
  });

  it("a policy fails over within its WANs, and has no carrier when all of them are down", () => {
    const voip = policy("voip", make(failoverMode), [{ name: "ethernet" }, { name: "cellular" }]);
    const kids = policy("kids", make(failoverMode), [{ name: "repeater" }]);
    const { plan } = composePlan({
      wans: planned({ ethernet: "down", repeater: "down" }),
      mode: make(failoverMode),
      lastResort: "unreachable",
      previousPlan: EMPTY_PLAN,
      policies: [voip, kids],
    });
    assert.deepEqual(plan.carriers, [{ wan: "tethering", weight: 1 }]);
    assert.deepEqual(plan.policies?.voip.carriers, [{ wan: "cellular", weight: 1 }]);
    assert.deepEqual(plan.policies?.kids.carriers, [], "never leaves its WANs");
  });

  it("a mode that returns a WAN outside the policy is ignored for that WAN", () => {
    const rogue: ModeInstance = { decide: () => ({ carriers: [{ wan: "cellular", weight: 1 }, { wan: "repeater", weight: 1 }], refresh: [], summary: "x" }) };
    const { plan } = composePlan({
      wans: planned({}), mode: make(failoverMode), lastResort: "unreachable", previousPlan: EMPTY_PLAN,
      policies: [policy("kids", rogue, [{ name: "repeater" }])],
    });
    assert.deepEqual(plan.policies?.kids.carriers, [{ wan: "repeater", weight: 1 }]);
  });

  it("flushes an uplink that went down only when it carries in no policy", () => {
    const base = { mode: make(failoverMode), lastResort: "unreachable" as const };
    const p = () => [policy("voip", make(failoverMode), [{ name: "ethernet" }, { name: "cellular" }])];
    const first = composePlan({ ...base, wans: planned({}), previousPlan: EMPTY_PLAN, policies: p() }).plan;
    const second = composePlan({ ...base, wans: planned({ ethernet: "down" }), previousPlan: first, policies: p() }).plan;
    assert.deepEqual(second.flush, ["ethernet"]);
    assert.deepEqual(second.policies?.voip.carriers, [{ wan: "cellular", weight: 1 }]);
  });
});

describe("planner: degraded", () => {
  const mw = (states: HealthState[], priorities: number[]): ModeWan[] =>
    states.map((state, i) => ({ name: NAMES[i], state, priority: priorities[i], weight: 1, metered: false }));

  it("like-up leaves states alone; never makes degraded down", () => {
    const wans = mw(["degraded", "up"], [1, 2]);
    assert.deepEqual(applyDegraded(wans, "like-up").map((w) => w.state), ["degraded", "up"]);
    assert.deepEqual(applyDegraded(wans, "never").map((w) => w.state), ["down", "up"]);
  });

  it("fallback: degraded is down while an up WAN of the same priority is left", () => {
    assert.deepEqual(applyDegraded(mw(["degraded", "up", "up"], [1, 1, 2]), "fallback").map((w) => w.state), ["down", "up", "up"]);
    assert.deepEqual(applyDegraded(mw(["degraded", "up"], [1, 2]), "fallback").map((w) => w.state), ["degraded", "up"],
      "alone at its priority: still used");
  });

  it("the default policy's degraded setting moves new connections off a lossy primary", () => {
    const wans = planned({ ethernet: "degraded" });
    const likeUp = composePlan({ wans, mode: make(failoverMode), lastResort: "unreachable", previousPlan: EMPTY_PLAN }).plan;
    const never = composePlan({ wans, mode: make(failoverMode), lastResort: "unreachable", previousPlan: EMPTY_PLAN, degraded: "never" }).plan;
    assert.deepEqual(likeUp.carriers, [{ wan: "ethernet", weight: 1 }]);
    assert.deepEqual(never.carriers, [{ wan: "repeater", weight: 1 }]);
    assert.deepEqual(never.flush, [], "a degraded uplink's flows are not flushed: it still answers");
  });

  it("load balance with fallback leaves out the degraded member of the group", () => {
    const wans = planned({ repeater: "degraded" }).map((w) => ({ ...w, priority: 1 }));
    const { plan } = composePlan({ wans, mode: make(loadBalanceMode), lastResort: "unreachable", previousPlan: EMPTY_PLAN, degraded: "fallback" });
    assert.deepEqual(plan.carriers.map((c) => c.wan), ["ethernet", "tethering", "cellular"]);
  });
});

describe("planner: diff", () => {
  it("a change of rules, policies or sticky alone is a change for the dataplane", () => {
    const base = composePlan({ wans: planned({}), mode: make(failoverMode), lastResort: "unreachable", previousPlan: EMPTY_PLAN }).plan;
    assert.ok(isEmptyDiff(diffPlans(base, { ...base })));
    const withRule = { ...base, rules: [{ name: "x", match: { proto: "udp" as const }, policy: "block" }] };
    assert.equal(diffPlans(base, withRule).policiesChanged, true);
    assert.ok(!isEmptyDiff(diffPlans(base, withRule)));
    assert.ok(isEmptyDiff(diffPlans(withRule, JSON.parse(JSON.stringify(withRule)))), "equal content: no change");
    assert.ok(!isEmptyDiff(diffPlans(base, { ...base, sticky: { by: "src", timeoutS: 60 } })));
  });
});
