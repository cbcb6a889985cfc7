/**
 * The dataplane contract for policy rules, named policies and sticky sessions: every
 * Dataplane (sim and Linux) must route new connections by the first matching rule, keep a
 * sticky client on its uplink and forget it when that uplink stops carrying, and keep
 * existing flows when rules change. Observed only through connections.
 * @module
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import type { Carrier, PlanPolicy, PlanRule, RoutingPlan, Sticky } from "../../src/plan.ts";
import type { DataplaneHarness, LongFlow } from "./dataplane.case.ts";

/** Where a policy-case connection comes from and goes to. */
export interface Endpoint {
  /** LAN source address (one of `sources`). */
  readonly src?: string;
  readonly host?: string;
  readonly port?: number;
}

/** What a harness offers for the policy cases. */
export interface PolicyHarness {
  /** LAN source addresses (at least 3) connections can come from; the first is connect()'s. */
  readonly sources: readonly string[];
  /** Reachable destinations (at least 2, different addresses). */
  readonly destinations: readonly { readonly host: string; readonly port: number }[];
  connectWith(e: Endpoint): Promise<string>;
  openLongWith(e: Endpoint): Promise<LongFlow>;
}

function policyOf(name: string, carriers: readonly Carrier[], extra: Partial<PlanPolicy> = {}): PlanPolicy {
  return { name, carriers, lastResort: "unreachable", summary: name, ...extra };
}

/** registerPolicyCases adds the cases to the running contract suite. */
export function registerPolicyCases(
  get: () => DataplaneHarness & Partial<PolicyHarness>,
  makePlan: (carriers: readonly Carrier[]) => RoutingPlan,
  apply: (plan: RoutingPlan) => Promise<void>,
): void {
  const need = (t: { skip(m: string): void }): (DataplaneHarness & PolicyHarness) | undefined => {
    const h = get();
    if (!h.connectWith || !h.openLongWith || !h.sources || !h.destinations) {
      t.skip("harness has no policy endpoints");
      return undefined;
    }
    return h as DataplaneHarness & PolicyHarness;
  };
  const withPolicies = (
    carriers: readonly Carrier[],
    policies: Record<string, PlanPolicy>,
    rules: readonly PlanRule[],
    sticky?: Sticky,
  ): RoutingPlan => ({ ...makePlan(carriers), policies, rules, ...(sticky ? { sticky } : {}) });

  it("policy rules: the first matching rule picks the policy; unmatched connections use the default", async (t) => {
    const h = need(t);
    if (!h) return;
    const [a, b, c] = h.uplinks;
    const [s1, s2] = h.sources;
    const [d1, d2] = h.destinations;
    await apply(withPolicies([{ wan: a.name, weight: 1 }], {
      kids: policyOf("kids", [{ wan: b.name, weight: 1 }]),
      far: policyOf("far", [{ wan: c.name, weight: 1 }]),
    }, [
      { name: "kids", match: { src: [`${s2}/32`] }, policy: "kids" },
      { name: "far", match: { dst: [`${d2.host}/32`], proto: "tcp", dport: [[d2.port, d2.port]] }, policy: "far" },
    ]));
    for (let i = 0; i < 3; i++) {
      assert.equal(await h.connectWith({ src: s1, ...d1 }), a.name, "unmatched: default");
      assert.equal(await h.connectWith({ src: s2, ...d1 }), b.name, "source rule");
      assert.equal(await h.connectWith({ src: s2, ...d2 }), b.name, "the first matching rule wins");
      assert.equal(await h.connectWith({ src: s1, ...d2 }), c.name, "destination and port rule");
    }
  });

  it("policy rules: block refuses, a policy without carriers uses its own last resort, main uses the main table", async (t) => {
    const h = need(t);
    if (!h) return;
    const [a, b] = h.uplinks;
    const [s1, s2, s3] = h.sources;
    const [d1] = h.destinations;
    await apply(withPolicies([{ wan: b.name, weight: 1 }], { none: policyOf("none", []) }, [
      { name: "blocked", match: { src: [s2] }, policy: "block" },
      { name: "none", match: { src: [s3] }, policy: "none" },
      { name: "main", match: { src: [s1], proto: "tcp" }, policy: "main" },
    ]));
    await assert.rejects(h.connectWith({ src: s2, ...d1 }), "blocked");
    await assert.rejects(h.connectWith({ src: s3, ...d1 }), "no carrier, last resort unreachable");
    // The main table's default route goes through the first uplink (the testbed's DHCP route).
    assert.equal(await h.connectWith({ src: s1, ...d1 }), a.name, "main table");
  });

  it("policy rules: changing rules keeps existing flows on their uplink", async (t) => {
    const h = need(t);
    if (!h) return;
    const [a, b] = h.uplinks;
    const [s1, s2] = h.sources;
    const [d1] = h.destinations;
    await apply(withPolicies([{ wan: a.name, weight: 1 }], {}, []));
    const flow = await h.openLongWith({ src: s2, ...d1 });
    try {
      assert.equal(await flow.uplink(), a.name);
      await apply(withPolicies([{ wan: a.name, weight: 1 }], { kids: policyOf("kids", [{ wan: b.name, weight: 1 }]) }, [
        { name: "kids", match: { src: [s2] }, policy: "kids" },
      ]));
      assert.equal(await h.connectWith({ src: s2, ...d1 }), b.name, "new connections follow the new rule");
      assert.equal(await h.connectWith({ src: s1, ...d1 }), a.name);
      assert.equal(await flow.uplink(), a.name, "the existing flow stays where it was");
    } finally {
      await flow.close();
    }
  });

  it("sticky: a client stays on its uplink under load balance and is forgotten when that uplink stops carrying", async (t) => {
    const h = need(t);
    if (!h) return;
    const [a, b] = h.uplinks;
    const [s1] = h.sources;
    const [d1, d2] = h.destinations;
    const both = [{ wan: a.name, weight: 1 }, { wan: b.name, weight: 1 }];
    const sticky: Sticky = { by: "src", timeoutS: 600 };
    await apply(withPolicies(both, {}, [], sticky));
    const first = await h.connectWith({ src: s1, ...d1 });
    for (let i = 0; i < 30; i++) {
      assert.equal(await h.connectWith({ src: s1, ...(i % 2 ? d1 : d2) }), first, `connection ${i} left ${first}`);
    }
    const other = first === a.name ? b.name : a.name;
    // The sticky uplink leaves the policy: its clients are forgotten, they go to the other one.
    await apply(withPolicies([{ wan: other, weight: 1 }], {}, [], sticky));
    assert.equal(await h.connectWith({ src: s1, ...d1 }), other);
    // Back to both: the client now sticks to where it went last.
    await apply(withPolicies(both, {}, [], sticky));
    for (let i = 0; i < 20; i++) assert.equal(await h.connectWith({ src: s1, ...d1 }), other, `connection ${i} after the change`);
  });

  it("sticky in a named policy: per source, other sources and the default unaffected", async (t) => {
    const h = need(t);
    if (!h) return;
    const [a, b, c] = h.uplinks;
    const [s1, s2, s3] = h.sources;
    const [d1] = h.destinations;
    const office = policyOf("office", [{ wan: a.name, weight: 1 }, { wan: b.name, weight: 1 }], { sticky: { by: "src", timeoutS: 600 } });
    await apply(withPolicies([{ wan: c.name, weight: 1 }], { office }, [{ name: "office", match: { src: [s1, s2] }, policy: "office" }]));
    const seen = new Set<string>();
    for (const s of [s1, s2]) {
      const first = await h.connectWith({ src: s, ...d1 });
      seen.add(first);
      assert.ok(first === a.name || first === b.name, `office traffic on ${first}`);
      for (let i = 0; i < 15; i++) assert.equal(await h.connectWith({ src: s, ...d1 }), first, `${s}: connection ${i}`);
    }
    assert.equal(await h.connectWith({ src: s3, ...d1 }), c.name, "other sources use the default");
  });
}
