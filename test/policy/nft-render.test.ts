/** The policy part of the nftables rendering (pure; no root needed). */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { RoutingPlan } from "../../src/plan.ts";
import { renderRuleset, skeletonOf } from "../../src/platform/linux/nft.ts";
import { matchExpr } from "../../src/platform/linux/nft-policy.ts";
import { renderRuleLines } from "../../src/platform/linux/nft-rules.ts";
import type { PlanRule } from "../../src/plan.ts";

const settings = { markMask: 0x3f00, rulePriority: 1000, tableBase: 200, bypass: [] };
const up = (name: string, device: string, index: number) =>
  ({ name, device, index, gateway: `198.18.${index}.1`, address: `198.18.${index}.2`, nat: true, ready: true });
const base: RoutingPlan = {
  uplinks: { ethernet: up("ethernet", "eth1", 1), repeater: up("repeater", "wlan0", 2), cellular: up("cellular", "wwan0", 4) },
  carriers: [{ wan: "ethernet", weight: 1 }],
  lastResort: "unreachable",
  flush: [],
  summary: "",
};
const set = (name: string) => (s: string) => s.includes(name);

describe("nft rendering of policies", () => {
  it("renders rule matches with ip or ip6 selectors by family, ports as sets and ranges", () => {
    const user = (s: string, f: string) => `user_${s}_${f === "ipv6" ? 6 : 4}`;
    assert.deepEqual(matchExpr({ proto: "udp", dport: [[5060, 5060], [10000, 20000]] }, user), ["meta l4proto udp th dport { 5060, 10000-20000 }"]);
    assert.deepEqual(matchExpr({ src: ["198.18.100.3"] }, user), ["meta nfproto ipv4 ip saddr 198.18.100.3/32"]);
    assert.deepEqual(matchExpr({ dst: ["2001:2::/48", "2001:2:1::/64"], iif: "lan0" }, user),
      ['iifname "lan0" meta nfproto ipv6 ip6 daddr { 2001:2::/48, 2001:2:1::/64 }']);
    assert.deepEqual(matchExpr({ dport: [[443, 443]] }, user), ["meta l4proto { tcp, udp } th dport 443"]);
    assert.deepEqual(matchExpr({ dstSet: "streaming" }, user), [
      "meta nfproto ipv4 ip daddr @user_streaming_4",
      "meta nfproto ipv6 ip6 daddr @user_streaming_6",
    ]);
    assert.throws(() => matchExpr({ src: ['198.18.0.1"; flush ruleset'] }, user));
    assert.throws(() => matchExpr({ dport: [[20000, 10000]] }, user));
  });

  it("sends matching traffic to its policy chain, main to the bypass mark, block to drop, in rule order", () => {
    const text = renderRuleset({
      ...base,
      policies: { kids: { name: "kids", carriers: [{ wan: "repeater", weight: 1 }], lastResort: "blackhole", summary: "" } },
      rules: [
        { name: "kids", match: { src: ["198.18.100.3"] }, policy: "kids" },
        { name: "lan", match: { dst: ["198.18.100.0/24"] }, policy: "main" },
        { name: "bad", match: { dst: ["198.19.9.0/24"], iif: "lan0" }, policy: "block" },
      ],
    }, settings);
    const pre = text.slice(text.indexOf("chain prerouting"), text.indexOf("chain output"));
    const out = text.slice(text.indexOf("chain output"), text.indexOf("chain postrouting"));
    const lines = pre.split("\n").map((l) => l.trim());
    const iKids = lines.findIndex(set("goto pol_p1")), iLan = lines.findIndex(set("rule lan")), iBad = lines.findIndex(set("rule bad"));
    const iDefault = lines.findIndex(set("ct state new goto mark_1"));
    assert.ok(iKids > 0 && iKids < iLan && iLan < iBad && iBad < iDefault, pre);
    assert.match(lines[iLan], /goto mark_bypass/);
    assert.match(lines[iBad], /drop/);
    assert.match(text, /chain pol_p1 \{ comment "policy kids"; ct state new goto mark_2; \}/);
    assert.ok(out.includes("rule kids") && !out.includes("rule bad"), "rules with an iif match do not apply to the router's own traffic");
  });

  it("a policy without carriers ends in its own last resort", () => {
    const text = renderRuleset({
      ...base,
      policies: { kids: { name: "kids", carriers: [], lastResort: "blackhole", summary: "" } },
      rules: [{ name: "kids", match: { src: ["198.18.100.3"] }, policy: "kids" }],
    }, settings);
    assert.match(text, /chain pol_p1 \{ comment "policy kids"; ct state new meta mark set meta mark & 0xffffc0ff \| 0x00003d00/);
  });

  it("sticky: a timeout set per carrier looked up before the weighted choice, which goes through update chains", () => {
    const plan: RoutingPlan = { ...base, carriers: [{ wan: "ethernet", weight: 1 }, { wan: "repeater", weight: 1 }], sticky: { by: "src", timeoutS: 600 } };
    const text = renderRuleset(plan, settings);
    assert.match(text, /set sticky_d_1_4 \{ type ipv4_addr; flags dynamic,timeout; timeout 600s; \}/);
    assert.match(text, /chain pick_d_2_4 \{ update @sticky_d_2_4 \{ ip saddr \}; goto mark_2; \}/);
    assert.match(text, /ct state new ip saddr @sticky_d_1_4 goto pick_d_1_4\n\s+ct state new ip saddr @sticky_d_2_4 goto pick_d_2_4\n\s+ct state new numgen random mod 2 vmap \{ 0 : goto pick_d_1_4, 1 : goto pick_d_2_4 \}/);
    const pair = renderRuleset({ ...plan, sticky: { by: "src-dst", timeoutS: 60 } }, settings);
    assert.match(pair, /type ipv4_addr \. ipv4_addr; flags dynamic,timeout; timeout 60s;/);
    assert.match(pair, /update @sticky_d_1_4 \{ ip saddr \. ip daddr \}/);
  });

  it("an in-place update flushes the sticky sets of uplinks that stopped carrying, and only those", () => {
    const plan: RoutingPlan = { ...base, carriers: [{ wan: "repeater", weight: 1 }], sticky: { by: "src", timeoutS: 600 } };
    const text = renderRuleset(plan, settings, { inPlace: true });
    const flushed = [...text.matchAll(/^flush set inet multiwan (sticky_\S+)$/gm)].map((m) => m[1]);
    assert.deepEqual(flushed, ["sticky_d_1_4", "sticky_d_4_4"]);
    assert.equal(skeletonOf(plan), skeletonOf({ ...plan, carriers: [{ wan: "ethernet", weight: 1 }] }), "carriers do not change the skeleton");
    assert.notEqual(skeletonOf(plan), skeletonOf({ ...plan, sticky: { by: "src", timeoutS: 60 } }), "a new timeout re-creates the sets");
  });

  it("plans without policies render as before (no policy objects)", () => {
    const text = renderRuleset(base, settings);
    assert.doesNotMatch(text, /pol_|sticky_|pick_|user_/);
  });

  it("merges rules that differ only in their addresses into one verdict map, never changing which rule matches first", () => {
    const expr = (m: PlanRule["match"]) => matchExpr(m, (n) => n);
    const verdict = (r: PlanRule) => `goto ${r.policy}`;
    const src = (name: string, cidr: string, policy: string, extra: Partial<PlanRule["match"]> = {}): PlanRule =>
      ({ name, match: { src: [cidr], ...extra }, policy });
    // Disjoint sources, interleaved with another shape: two maps.
    const lines = renderRuleLines([
      src("a", "198.18.1.1", "p1"),
      src("u", "198.18.9.9", "p2", { proto: "udp", dport: [[5060, 5060]] }),
      src("b", "198.18.1.2", "p2"),
      src("c", "198.18.2.0/24", "p1"),
    ], verdict, expr).map((l) => l.text);
    assert.equal(lines.length, 2, lines.join("\n"));
    assert.match(lines[0], /^meta nfproto ipv4 ip saddr vmap \{ 198\.18\.1\.1 : goto p1, 198\.18\.1\.2 : goto p2, 198\.18\.2\.0\/24 : goto p1 \}/);
    assert.match(lines[1], /meta l4proto udp th dport 5060 goto p2/);
    // Overlapping addresses are not merged: the /32 before the /24 keeps matching first.
    const overlap = renderRuleLines([src("a", "198.18.1.1", "p1"), src("b", "198.18.1.0/24", "p2")], verdict, expr).map((l) => l.text);
    assert.equal(overlap.length, 2);
    assert.match(overlap[0], /198\.18\.1\.1\/32 goto p1/);
    // A rule that could match traffic of a rule between it and the map stays after that rule.
    const between = renderRuleLines([
      src("a", "198.18.1.1", "p1"),
      { name: "udp", match: { proto: "udp" }, policy: "p3" },
      src("b", "198.18.1.2", "p2"),
    ], verdict, expr).map((l) => l.text);
    assert.equal(between.length, 3, between.join("\n"));
    assert.match(between[2], /198\.18\.1\.2\/32 goto p2/);
  });

  it("the same rules array renders again when the policy ids change (the rule lines are cached per array)", () => {
    const rules: PlanRule[] = [{ name: "kids", match: { src: ["198.18.100.3"] }, policy: "kids" }];
    const kids = { name: "kids", carriers: [{ wan: "repeater", weight: 1 }], lastResort: "unreachable" as const, summary: "" };
    const one = renderRuleset({ ...base, policies: { kids }, rules }, settings);
    assert.match(one, /ip saddr 198\.18\.100\.3\/32 goto pol_p1/);
    const failover = renderRuleset({ ...base, carriers: [{ wan: "cellular", weight: 1 }], policies: { kids }, rules }, settings);
    assert.match(failover, /ip saddr 198\.18\.100\.3\/32 goto pol_p1/);
    assert.match(failover, /ct state new goto mark_4/);
    const renamed = renderRuleset({ ...base, policies: { aaa: { ...kids, name: "aaa" }, kids }, rules }, settings);
    assert.match(renamed, /ip saddr 198\.18\.100\.3\/32 goto pol_p2/, "kids is p2 once aaa sorts before it");
  });
});
