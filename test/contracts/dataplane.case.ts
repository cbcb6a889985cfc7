/**
 * The dataplane contract: behaviour every Dataplane (sim and Linux) must show, observed
 * only through connections, never through implementation details.
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Dataplane, RoutingSettings } from "../../src/platform.ts";
import { type Carrier, diffPlans, EMPTY_PLAN, type LastResort, type PlanUplink, type RoutingPlan } from "../../src/plan.ts";
import { type PolicyHarness, registerPolicyCases } from "./policy.case.ts";

/** A long-lived flow opened from the LAN side. */
export interface LongFlow {
  /** The uplink currently carrying it; undefined once it was flushed or broke. */
  uplink(): Promise<string | undefined>;
  close(): Promise<void>;
}

/** A harness may offer the policy endpoints (sources, destinations) of {@link PolicyHarness}. */
export interface DataplaneHarness extends Partial<PolicyHarness> {
  readonly dataplane: Dataplane;
  readonly settings: RoutingSettings;
  /** At least 3 ready uplinks. */
  readonly uplinks: readonly PlanUplink[];
  /** Opens one new connection from the LAN; resolves the uplink name that carried it, throws if none could. */
  connect(): Promise<string>;
  openLong(): Promise<LongFlow>;
  /** A new connection originated by the router itself. */
  routerConnect?(): Promise<string>;
  /**
   * Dual stack (the IPv6 cases run only when given): one new IPv6 connection from the LAN, and a
   * long-lived one. The harness's uplinks then carry IPv6 facts (address6, gateway6).
   */
  connect6?(): Promise<string>;
  openLong6?(): Promise<LongFlow>;
  /** A fingerprint of the live state (e.g. ruleset handles); equal before and after a no-op apply. */
  snapshot?(): Promise<string>;
  dispose(): Promise<void>;
}

/** Builds a plan over the harness's uplinks. */
export function makePlan(h: DataplaneHarness, carriers: readonly Carrier[], lastResort: LastResort = "unreachable"): RoutingPlan {
  const uplinks: Record<string, PlanUplink> = {};
  for (const u of h.uplinks) uplinks[u.name] = u;
  return { uplinks, carriers, lastResort, flush: [], summary: carriers.map((c) => `${c.wan}:${c.weight}`).join(" ") || lastResort };
}

/** Builds a dual-stack plan: every uplink carries both families; `carriers6` for IPv6. */
export function makePlan6(
  h: DataplaneHarness,
  carriers: readonly Carrier[],
  carriers6: readonly Carrier[],
  lastResort: LastResort = "unreachable",
): RoutingPlan {
  const plan = makePlan(h, carriers, lastResort);
  const uplinks: Record<string, PlanUplink> = {};
  for (const u of h.uplinks) uplinks[u.name] = { ...u, families: ["ipv4", "ipv6"] };
  return { ...plan, uplinks, carriers6, flush6: [], summary6: carriers6.map((c) => c.wan).join(" ") || lastResort };
}

async function tally(h: DataplaneHarness, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const name = await h.connect();
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/** Registers the contract cases for one dataplane implementation. */
export function runDataplaneContract(name: string, makeHarness: () => Promise<DataplaneHarness>, opts: { skip?: string } = {}): void {
  if (opts.skip) {
    // A skipped test (not a skipped suite) so both runners count it as skipped.
    describe(`dataplane contract: ${name}`, () => it("all cases", { skip: opts.skip }, () => {}));
    return;
  }
  describe(`dataplane contract: ${name}`, () => {
    let h: DataplaneHarness;
    let current: RoutingPlan = EMPTY_PLAN;
    const apply = async (next: RoutingPlan) => {
      await h.dataplane.apply(next, diffPlans(current, next));
      current = next;
    };

    before(async () => {
      h = await makeHarness();
      assert.ok(h.uplinks.length >= 3, "harness needs at least 3 uplinks");
      await h.dataplane.init(h.settings);
    });
    after(async () => {
      await h?.dispose();
    });

    it("a single carrier carries all new connections", async () => {
      for (const u of h.uplinks.slice(0, 3)) {
        await apply(makePlan(h, [{ wan: u.name, weight: 1 }]));
        const counts = await tally(h, 10);
        assert.deepEqual([...counts], [[u.name, 10]]);
      }
    });

    it("weights 3:1 split new connections within 5 sigma over 400 connections", async () => {
      // Binomial(400, 0.75): sigma = sqrt(400 * 0.75 * 0.25) ≈ 8.7, so 5 sigma ≈ ±43 connections
      // (a false failure about once in 1.7 million runs).
      const [a, b] = h.uplinks;
      await apply(makePlan(h, [{ wan: a.name, weight: 3 }, { wan: b.name, weight: 1 }]));
      const counts = await tally(h, 400);
      const na = counts.get(a.name) ?? 0, nb = counts.get(b.name) ?? 0;
      assert.equal(na + nb, 400, `only the two carriers are used: ${JSON.stringify([...counts])}`);
      assert.ok(Math.abs(na - 300) <= 43, `${a.name} carried ${na} of 400, expected 300 ± 43`);
    });

    it("existing flows keep their uplink when the carrier changes", async () => {
      const [a, b] = h.uplinks;
      await apply(makePlan(h, [{ wan: a.name, weight: 1 }]));
      const flow = await h.openLong();
      try {
        assert.equal(await flow.uplink(), a.name);
        await apply(makePlan(h, [{ wan: b.name, weight: 1 }]));
        assert.equal(await h.connect(), b.name, "new connections use the new carrier");
        assert.equal(await flow.uplink(), a.name, "the old flow stays on its uplink");
      } finally {
        await flow.close();
      }
    });

    it("flush(uplink) breaks or moves only that uplink's flows", async () => {
      const [a, b, c] = h.uplinks;
      await apply(makePlan(h, [{ wan: a.name, weight: 1 }]));
      const onA = [await h.openLong(), await h.openLong()];
      await apply(makePlan(h, [{ wan: b.name, weight: 1 }]));
      const onB = [await h.openLong(), await h.openLong()];
      try {
        for (const f of onA) assert.equal(await f.uplink(), a.name);
        for (const f of onB) assert.equal(await f.uplink(), b.name);
        await apply(makePlan(h, [{ wan: c.name, weight: 1 }]));
        const n = await h.dataplane.flush([a.name]);
        assert.ok(n >= 2, `flush reported ${n} flows, expected at least 2`);
        for (const f of onA) assert.notEqual(await f.uplink(), a.name, "a flushed flow no longer uses its old uplink");
        for (const f of onB) assert.equal(await f.uplink(), b.name, "other uplinks' flows are untouched");
      } finally {
        for (const f of [...onA, ...onB]) await f.close();
      }
    });

    it("flows() counts the flows of each uplink", async () => {
      const [a] = h.uplinks;
      await apply(makePlan(h, [{ wan: a.name, weight: 1 }]));
      const flows = [await h.openLong(), await h.openLong(), await h.openLong()];
      try {
        const stats = await h.dataplane.flows();
        assert.ok((stats[a.name]?.flows ?? 0) >= 3, `flows(): ${JSON.stringify(stats)}`);
        assert.ok((stats[a.name]?.bytes ?? 0) > 0, `bytes counted: ${JSON.stringify(stats)}`);
      } finally {
        for (const f of flows) await f.close();
      }
    });

    it("applying the same plan twice changes nothing", async () => {
      const [a, b] = h.uplinks;
      const plan = makePlan(h, [{ wan: a.name, weight: 1 }, { wan: b.name, weight: 2 }]);
      await apply(plan);
      const flow = await h.openLong();
      try {
        const where = await flow.uplink();
        const before = await h.snapshot?.();
        await apply({ ...plan });
        await apply(plan);
        assert.equal(await h.snapshot?.(), before, "live state unchanged");
        assert.equal(await flow.uplink(), where, "flows untouched");
      } finally {
        await flow.close();
      }
    });

    it("router-originated connections follow the plan", { skip: false }, async (t) => {
      if (!h.routerConnect) return t.skip("harness has no routerConnect");
      for (const u of h.uplinks.slice(1, 3)) {
        await apply(makePlan(h, [{ wan: u.name, weight: 1 }]));
        assert.equal(await h.routerConnect(), u.name);
      }
    });

    for (const lastResort of ["unreachable", "blackhole"] as const) {
      it(`with no carriers, last resort ${lastResort} makes new connections fail`, async () => {
        await apply(makePlan(h, [], lastResort));
        await assert.rejects(h.connect());
      });
    }

    it("with no carriers, last resort main still connects", async () => {
      await apply(makePlan(h, [], "main"));
      const name = await h.connect();
      assert.ok(h.uplinks.some((u) => u.name === name));
    });

    registerPolicyCases(() => h, (carriers) => makePlan(h, carriers), apply);

    it("IPv6: new IPv6 connections follow carriers6 while IPv4 ones follow carriers", async (t) => {
      if (!h.connect6) return t.skip("harness has no IPv6");
      const [a, b, c] = h.uplinks;
      await apply(makePlan6(h, [{ wan: a.name, weight: 1 }], [{ wan: b.name, weight: 1 }]));
      for (let i = 0; i < 5; i++) {
        assert.equal(await h.connect6(), b.name);
        assert.equal(await h.connect(), a.name);
      }
      await apply(makePlan6(h, [{ wan: a.name, weight: 1 }], [{ wan: c.name, weight: 1 }]));
      assert.equal(await h.connect6(), c.name, "a carriers6 change moves new IPv6 connections");
      assert.equal(await h.connect(), a.name, "and leaves IPv4 alone");
    });

    it("IPv6: weights 3:1 in carriers6 split new IPv6 connections within 5 sigma over 400", async (t) => {
      if (!h.connect6) return t.skip("harness has no IPv6");
      const [a, b] = h.uplinks;
      await apply(makePlan6(h, [{ wan: a.name, weight: 1 }], [{ wan: a.name, weight: 3 }, { wan: b.name, weight: 1 }]));
      const counts = new Map<string, number>();
      for (let i = 0; i < 400; i++) {
        const name = await h.connect6();
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
      const na = counts.get(a.name) ?? 0, nb = counts.get(b.name) ?? 0;
      assert.equal(na + nb, 400, `only the two IPv6 carriers are used: ${JSON.stringify([...counts])}`);
      assert.ok(Math.abs(na - 300) <= 43, `${a.name} carried ${na} of 400 IPv6 connections, expected 300 ± 43`);
    });

    it("IPv6: flush(uplink, ipv6) moves only that uplink's IPv6 flows, not its IPv4 ones", async (t) => {
      if (!h.connect6 || !h.openLong6) return t.skip("harness has no IPv6");
      const [a, b] = h.uplinks;
      await apply(makePlan6(h, [{ wan: a.name, weight: 1 }], [{ wan: a.name, weight: 1 }]));
      const v4 = await h.openLong();
      const v6 = await h.openLong6();
      try {
        assert.equal(await v4.uplink(), a.name);
        assert.equal(await v6.uplink(), a.name);
        await apply(makePlan6(h, [{ wan: a.name, weight: 1 }], [{ wan: b.name, weight: 1 }]));
        const n = await h.dataplane.flush([a.name], "ipv6");
        assert.ok(n >= 1, `flush reported ${n} flows, expected at least 1`);
        assert.notEqual(await v6.uplink(), a.name, "the IPv6 flow no longer uses its old uplink");
        assert.equal(await v4.uplink(), a.name, "the IPv4 flow is untouched");
      } finally {
        await v4.close();
        await v6.close();
      }
    });

    it("IPv6: with no IPv6 carriers, last resort unreachable makes new IPv6 connections fail, IPv4 still connects", async (t) => {
      if (!h.connect6) return t.skip("harness has no IPv6");
      const [a] = h.uplinks;
      await apply(makePlan6(h, [{ wan: a.name, weight: 1 }], []));
      await assert.rejects(h.connect6());
      assert.equal(await h.connect(), a.name);
    });
  });
}
