/**
 * Pure checks of the rendered ruleset and rules (no root needed).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { renderRuleset, weightRanges } from "../../src/platform/linux/nft.ts";
import { desiredRules, ruleArgs, ruleKey, parseRule } from "../../src/platform/linux/routes.ts";
import { markSpace } from "../../src/platform/linux/marks.ts";
import type { RoutingPlan } from "../../src/plan.ts";

const settings = { markMask: 0x3f00, rulePriority: 1000, tableBase: 200, bypass: ["198.18.200.0/24"] };
const up = (name: string, device: string, index: number) =>
  ({ name, device, index, gateway: `198.18.${index}.1`, address: `198.18.${index}.2/24`, nat: true, ready: true });
const plan: RoutingPlan = {
  uplinks: { a: up("a", "eth1", 1), b: up("b", "wlan0", 2), c: up("c", "usb0", 3) },
  carriers: [{ wan: "a", weight: 3 }, { wan: "b", weight: 1 }, { wan: "c", weight: 2 }],
  lastResort: "unreachable", flush: [], summary: "",
};

describe("nft rendering", () => {
  it("builds cumulative weight ranges", () => {
    const { total, ranges } = weightRanges(plan);
    assert.equal(total, 6);
    assert.deepEqual(ranges.map(([lo, hi, u]) => [lo, hi, u.name]), [[0, 2, "a"], [3, 3, "b"], [4, 5, "c"]]);
    assert.match(renderRuleset(plan, settings), /numgen random mod 6 vmap \{ 0-2 : goto mark_1, 3 : goto mark_2, 4-5 : goto mark_3 \}/);
  });
  it("is deterministic, replaces only its own table and keeps foreign mark bits", () => {
    const text = renderRuleset(plan, settings, { connected: ["198.18.1.0/24"] });
    assert.equal(text, renderRuleset(plan, settings, { connected: ["198.18.1.0/24"] }));
    assert.match(text, /^table inet multiwan \{\}\ndelete table inet multiwan\ntable inet multiwan \{/);
    assert.doesNotMatch(text, /table (ip|inet|ip6) (?!multiwan)/);
    assert.match(text, /meta mark set meta mark & 0xffffc0ff \| 0x00000100/);
    assert.match(text, /198\.18\.200\.0\/24/);
  });
  it("renders the last resort when nothing carries", () => {
    const none = { ...plan, carriers: [] };
    assert.match(renderRuleset({ ...none, lastResort: "blackhole" }, settings), /ct state new meta mark set meta mark & 0xffffc0ff \| 0x00003d00/);
    assert.doesNotMatch(renderRuleset({ ...none, lastResort: "main" }, settings), /ct state new/);
  });
  it("rejects unsafe device names and addresses", () => {
    assert.throws(() => renderRuleset({ ...plan, uplinks: { a: { ...up("a", "eth1\"; flush ruleset", 1) } } }, settings));
    assert.throws(() => renderRuleset(plan, { ...settings, bypass: ["198.18.0.1/33"] }));
  });
  it("derives reserved marks from the mask", () => {
    assert.deepEqual(markSpace(0x3f00), { mask: 0x3f00, shift: 8, maxIndex: 60, bypass: 0x3f00, unreachable: 0x3e00, blackhole: 0x3d00 });
    assert.throws(() => markSpace(0x5000));
  });
  it("round-trips rules through the ip -json shape", () => {
    for (const r of desiredRules(plan, settings)) {
      const j: Record<string, unknown> = { priority: r.pref, src: r.from ?? "all" };
      if (r.fwmark !== undefined) Object.assign(j, { fwmark: `0x${r.fwmark.toString(16)}`, fwmask: `0x${(r.mask ?? 0).toString(16)}` });
      if (r.action) j.action = r.action;
      else j.table = r.table;
      if (r.suppress !== undefined) j.suppress_prefixlen = r.suppress;
      assert.equal(ruleKey(parseRule(j as Parameters<typeof parseRule>[0])!), ruleKey(r), ruleArgs(r).join(" "));
    }
  });
});
