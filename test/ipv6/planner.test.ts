/** carriers6 in the plan: the mode decides again over the WANs that carry IPv6, with their IPv6 states. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as v from "valibot";
import type { HealthState } from "../../src/health/types.ts";
import { diffPlans, EMPTY_PLAN, type Family, isEmptyDiff, type RoutingPlan } from "../../src/plan.ts";
import type { ModeInstance, PluginContext } from "../../src/plugin.ts";
import { composePlan, type PlannedWan } from "../../src/runtime/planner.ts";
import { failoverMode } from "../../plugins/mode/failover/index.ts";

const failover = failoverMode.create({} as PluginContext, v.parse(failoverMode.schema, {})) as ModeInstance;

function wan(name: string, priority: number, state: HealthState, state6: HealthState, families: Family[] = ["ipv4", "ipv6"]): PlannedWan {
  return {
    name,
    priority,
    weight: 1,
    metered: false,
    nat: true,
    state,
    state6,
    families,
    nat6: name === "cellular",
    index: priority,
    inspection: {
      device: `dev${priority}`,
      present: true,
      carrier: true,
      address: `198.18.${priority}.2/30`,
      gateway: `198.18.${priority}.1`,
      address6: `2001:2:0:${priority}::2/64`,
      gateway6: `2001:2:0:${priority}::1`,
      details: {},
    },
  };
}

const plan = (wans: PlannedWan[], previousPlan: RoutingPlan = EMPTY_PLAN) =>
  composePlan({ wans, mode: failover, lastResort: "unreachable", previousPlan }).plan;
const names = (cs: readonly { wan: string }[] | undefined) => cs?.map((c) => c.wan);

describe("IPv6 carriers in the plan", () => {
  it("IPv4 up, IPv6 down on the primary: IPv4 stays, IPv6 moves to the next uplink", () => {
    const p = plan([wan("ethernet", 1, "up", "down"), wan("repeater", 2, "up", "up")]);
    assert.deepEqual(names(p.carriers), ["ethernet"]);
    assert.deepEqual(names(p.carriers6), ["repeater"]);
  });

  it("IPv4 down, IPv6 up on the primary: IPv4 moves, IPv6 stays", () => {
    const p = plan([wan("ethernet", 1, "down", "up"), wan("repeater", 2, "up", "up")]);
    assert.deepEqual(names(p.carriers), ["repeater"]);
    assert.deepEqual(names(p.carriers6), ["ethernet"]);
  });

  it("the uplinks carry their IPv6 facts; an IPv4-only WAN keeps its old shape and never carries IPv6", () => {
    const p = plan([wan("ethernet", 1, "up", "up", ["ipv4"]), wan("repeater", 2, "up", "up"), wan("cellular", 3, "up", "up")]);
    assert.deepEqual(names(p.carriers), ["ethernet"]);
    assert.deepEqual(names(p.carriers6), ["repeater"]);
    assert.deepEqual(Object.keys(p.uplinks.ethernet).sort(), ["address", "device", "gateway", "index", "name", "nat", "ready"]);
    assert.deepEqual(p.uplinks.repeater.families, ["ipv4", "ipv6"]);
    assert.equal(p.uplinks.repeater.address6, "2001:2:0:2::2");
    assert.equal(p.uplinks.repeater.gateway6, "2001:2:0:2::1");
    assert.equal(p.uplinks.repeater.nat6, false);
    assert.equal(p.uplinks.cellular.nat6, true);
  });

  it("an IPv6-only WAN never carries IPv4", () => {
    const p = plan([wan("ethernet", 1, "up", "up", ["ipv6"]), wan("repeater", 2, "up", "up", ["ipv4"])]);
    assert.deepEqual(names(p.carriers), ["repeater"]);
    assert.deepEqual(names(p.carriers6), ["ethernet"]);
  });

  it("an uplink without a global IPv6 address carries no IPv6 yet, whatever its state: the next one does", () => {
    const bare = wan("ethernet", 1, "up", "up");
    const { address6: _a, gateway6: _g, ...noV6 } = bare.inspection!;
    const p = plan([{ ...bare, inspection: noV6 }, wan("repeater", 2, "up", "up")]);
    assert.deepEqual(names(p.carriers), ["ethernet"]);
    assert.deepEqual(names(p.carriers6), ["repeater"]);
  });

  it("no WAN carries IPv6: no carriers6 (no IPv6 policy routing)", () => {
    const p = plan([wan("ethernet", 1, "up", "up", ["ipv4"])]);
    assert.equal(p.carriers6, undefined);
    assert.equal(p.flush6, undefined);
  });

  it("an IPv6 carrier that goes down has its IPv6 flows flushed, not its IPv4 ones", () => {
    const before = plan([wan("ethernet", 1, "up", "up"), wan("repeater", 2, "up", "up")]);
    const after = plan([wan("ethernet", 1, "up", "down"), wan("repeater", 2, "up", "up")], before);
    assert.deepEqual(after.flush, []);
    assert.deepEqual(after.flush6, ["ethernet"]);
    const d = diffPlans(before, after);
    assert.equal(d.carriersChanged, false);
    assert.equal(d.carriers6Changed, true);
    assert.equal(isEmptyDiff(d), false);
  });

  it("diffPlans notices a changed IPv6 address, gateway or NAT66, and nothing when equal", () => {
    const wans = [wan("ethernet", 1, "up", "up"), wan("repeater", 2, "up", "up")];
    const a = plan(wans);
    assert.ok(isEmptyDiff(diffPlans(a, plan(wans, a))));
    const moved = { ...wans[0], inspection: { ...wans[0].inspection!, address6: "2001:2:0:9::2/64" } };
    assert.deepEqual(diffPlans(a, plan([moved, wans[1]], a)).changed, ["ethernet"]);
    const gw = { ...wans[0], inspection: { ...wans[0].inspection!, gateway6: "fe80::1" } };
    assert.deepEqual(diffPlans(a, plan([gw, wans[1]], a)).changed, ["ethernet"]);
    assert.deepEqual(diffPlans(a, plan([{ ...wans[0], nat6: true }, wans[1]], a)).changed, ["ethernet"]);
  });
});
