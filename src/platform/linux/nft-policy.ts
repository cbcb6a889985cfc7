/**
 * The policy part of `table inet multiwan`: rules, named policies and sticky sessions.
 *
 * A rule is one line in the prerouting and output chains (after the uplink and bypass
 * lines, before the default policy): its match, then `goto pol_<n>` (a named policy's
 * chain), `goto mark_bypass` (main) or `drop` (block). A policy's chain (or, for the
 * default, the base chains themselves) holds, for new connections of each family, its
 * sticky lookups, then its weighted `numgen` choice, then its last resort.
 *
 * Sticky sessions: per policy, uplink and family a set `sticky_<pid>_<index>_<4|6>` of
 * source addresses (or source . destination pairs) with `flags dynamic,timeout`. A client
 * found in a carrier's set goes to `pick_<pid>_<index>_<4|6>`, which refreshes its element
 * (`update`) and marks the uplink; the numgen choice goes through the same pick chains, so
 * the first connection puts the client in the set. Sets are declared for every uplink of
 * the plan; those of uplinks that do not carry for the policy are flushed in the same
 * batch, so a client held on an uplink that left is forgotten at once. Sets keep their
 * elements across in-place updates (`flush table` does not flush sets).
 * @module
 */
import type { Carrier, Family, LastResort, PlanRule, PlanUplink, RoutingPlan, RuleMatch, Sticky } from "../../plan.ts";
import { hex, type MarkSpace } from "./marks.ts";
import { weightRanges } from "./nft.ts";
import { type RuleLine, renderRuleLines } from "./nft-rules.ts";
import { checkCidr, checkCidr6, checkDevice, isV6 } from "./run.ts";

/** One policy as rendered: an id usable in chain names, carriers per family, last resort, sticky. */
interface RenderedPolicy {
  readonly id: string;
  readonly name: string;
  readonly carriers: readonly Carrier[];
  /** IPv6 carriers; undefined when the plan does no IPv6 policy routing. */
  readonly carriers6?: readonly Carrier[];
  readonly lastResort: LastResort;
  readonly sticky?: Sticky;
}

/** What the policy part adds to the table: declarations, rule lines per base chain, the default policy's lines. */
export interface PolicyRender {
  /** Sets and chains, declared inside the table. */
  readonly decls: readonly string[];
  /** Lines of the prerouting chain (rules). */
  readonly preroutingRules: readonly string[];
  /** Lines of the output chain (rules without an `iif` match). */
  readonly outputRules: readonly string[];
  /** The default policy's lines (both base chains). */
  readonly defaultLines: readonly string[];
  /** `flush set` commands for the in-place batch (sticky sets of uplinks that do not carry). */
  readonly flushes: readonly string[];
}

function setMark(space: MarkSpace, value: number): string {
  return `meta mark set meta mark & ${hex(~space.mask)} | ${hex(value)}`;
}

/** The named policies in a stable order, with ids `p1`, `p2`, ... (names sorted). */
function namedPolicies(plan: RoutingPlan, v6: boolean): RenderedPolicy[] {
  const carries6 = (cs: readonly Carrier[]) => cs.filter((c) => (plan.uplinks[c.wan]?.families ?? ["ipv4"]).includes("ipv6"));
  return Object.values(plan.policies ?? {})
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((p, i) => ({
      id: `p${i + 1}`,
      name: p.name,
      carriers: p.carriers,
      ...(v6 ? { carriers6: p.carriers6 ?? carries6(p.carriers) } : {}),
      lastResort: p.lastResort,
      ...(p.sticky ? { sticky: p.sticky } : {}),
    }));
}

/** What decides the declared policy objects: policy ids, sticky settings, user sets. */
export function policySkeleton(plan: RoutingPlan): string {
  const v6 = plan.carriers6 !== undefined;
  const parts = namedPolicies(plan, v6).map((p) => `${p.id}=${p.name}${p.sticky ? `:${p.sticky.by}:${p.sticky.timeoutS}` : ""}`);
  if (plan.sticky) parts.push(`d:${plan.sticky.by}:${plan.sticky.timeoutS}`);
  for (const s of userSets(plan.rules ?? [])) parts.push(`set:${s}`);
  return parts.join(",");
}

function userSets(rules: readonly PlanRule[]): string[] {
  return [...new Set(rules.map((r) => r.match.dstSet).filter((s): s is string => !!s))].sort();
}


const FAM = { ipv4: { n: "4", sel: "ip", type: "ipv4_addr" }, ipv6: { n: "6", sel: "ip6", type: "ipv6_addr" } } as const;

/**
 * The lines of one policy for one family (prefixed by `meta nfproto` when `guard`): sticky
 * lookups, the weighted choice (through pick chains when sticky), the last resort.
 */
function policyFamilyLines(
  plan: RoutingPlan,
  space: MarkSpace,
  p: RenderedPolicy,
  family: Family,
  carriers: readonly Carrier[],
  guard: boolean,
  decls: string[],
  flushes: string[],
): string[] {
  const f = FAM[family];
  const pre = guard ? `meta nfproto ${family} ` : "";
  const out: string[] = [];
  const { total, ranges } = weightRanges(plan, carriers);
  let target = (up: PlanUplink) => `mark_${up.index}`;
  if (p.sticky) {
    const key = p.sticky.by === "src" ? `${f.sel} saddr` : `${f.sel} saddr . ${f.sel} daddr`;
    const type = p.sticky.by === "src" ? f.type : `${f.type} . ${f.type}`;
    const carrying = new Set(ranges.map((r) => r[2].index));
    for (const up of Object.values(plan.uplinks).sort((a, b) => a.index - b.index)) {
      const set = `sticky_${p.id}_${up.index}_${f.n}`;
      decls.push(`  set ${set} { type ${type}; flags dynamic,timeout; timeout ${p.sticky.timeoutS}s; }`);
      if (!carrying.has(up.index)) flushes.push(set);
    }
    for (const [, , up] of ranges) {
      const set = `sticky_${p.id}_${up.index}_${f.n}`;
      decls.push(`  chain pick_${p.id}_${up.index}_${f.n} { update @${set} { ${key} }; goto mark_${up.index}; }`);
      out.push(`${pre}ct state new ${key} @${set} goto pick_${p.id}_${up.index}_${f.n}`);
    }
    target = (up) => `pick_${p.id}_${up.index}_${f.n}`;
  }
  if (ranges.length === 1) out.push(`${pre}ct state new goto ${target(ranges[0][2])}`);
  else if (ranges.length > 1) {
    const items = ranges.map(([lo, hi, up]) => `${lo === hi ? lo : `${lo}-${hi}`} : goto ${target(up)}`);
    out.push(`${pre}ct state new numgen random mod ${total} vmap { ${items.join(", ")} }`);
  } else if (p.lastResort === "unreachable") {
    out.push(`${pre}ct state new ${setMark(space, space.unreachable)} comment "last resort: unreachable"`);
  } else if (p.lastResort === "blackhole") {
    out.push(`${pre}ct state new ${setMark(space, space.blackhole)} comment "last resort: blackhole"`);
  }
  return out;
}

function policyLines(plan: RoutingPlan, space: MarkSpace, p: RenderedPolicy, decls: string[], flushes: string[]): string[] {
  if (p.carriers6 === undefined) return policyFamilyLines(plan, space, p, "ipv4", p.carriers, false, decls, flushes);
  return [
    ...policyFamilyLines(plan, space, p, "ipv4", p.carriers, true, decls, flushes),
    ...policyFamilyLines(plan, space, p, "ipv6", p.carriers6, true, decls, flushes),
  ];
}

function addresses(list: readonly string[]): string {
  const checked = list.map((a) => (isV6(a) ? checkCidr6(a.includes("/") ? a : `${a}/128`) : checkCidr(a.includes("/") ? a : `${a}/32`)));
  return checked.length === 1 ? checked[0] : `{ ${checked.join(", ")} }`;
}

function ports(list: readonly (readonly [number, number])[]): string {
  const items = list.map(([lo, hi]) => {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > 65535 || lo > hi) throw new RangeError(`bad port range ${lo}-${hi}`);
    return lo === hi ? `${lo}` : `${lo}-${hi}`;
  });
  return items.length === 1 ? items[0] : `{ ${items.join(", ")} }`;
}

const L4 = { tcp: "tcp", udp: "udp", icmp: "icmp", icmpv6: "ipv6-icmp" } as const;

/** The nft match expressions of a rule (one line may need both families: then none selects). */
export function matchExpr(m: RuleMatch, userSet: (name: string, family: Family) => string): string[] {
  const parts: string[] = [];
  const family = m.family ??
    [...(m.src ?? []), ...(m.dst ?? [])].map((a) => (isV6(a) ? "ipv6" : "ipv4") as Family)[0];
  if (m.iif) parts.push(`iifname "${checkDevice(m.iif)}"`);
  if (family) parts.push(`meta nfproto ${family}`);
  const sel = family === "ipv6" ? "ip6" : "ip";
  if (m.src?.length) parts.push(`${sel} saddr ${addresses(m.src)}`);
  if (m.dst?.length) parts.push(`${sel} daddr ${addresses(m.dst)}`);
  if (m.proto) parts.push(`meta l4proto ${L4[m.proto]}`);
  else if (m.sport || m.dport) parts.push(`meta l4proto { tcp, udp }`);
  if (m.sport?.length) parts.push(`th sport ${ports(m.sport)}`);
  if (m.dport?.length) parts.push(`th dport ${ports(m.dport)}`);
  if (m.dstSet) {
    if (family) return [[...parts, `${FAM[family].sel} daddr @${userSet(m.dstSet, family)}`].join(" ")];
    // No family: one line per family, each with its own set.
    return (["ipv4", "ipv6"] as const).map((f) => [...parts, `meta nfproto ${f}`, `${FAM[f].sel} daddr @${userSet(m.dstSet!, f)}`].join(" "));
  }
  return [parts.join(" ")];
}

const lineCache = new WeakMap<readonly PlanRule[], { readonly ids: string; readonly lines: readonly RuleLine[] }>();

/** renderPolicies renders rules, named policies and the default policy of `plan`. */
export function renderPolicies(plan: RoutingPlan, space: MarkSpace): PolicyRender {
  const v6 = plan.carriers6 !== undefined;
  const decls: string[] = [];
  const flushes: string[] = [];
  const named = namedPolicies(plan, v6);
  const byName = new Map(named.map((p) => [p.name, p]));
  for (const s of userSets(plan.rules ?? [])) {
    decls.push(`  set user_${s}_4 { type ipv4_addr; flags interval; auto-merge; comment "fill: destinations of set ${s}"; }`);
    decls.push(`  set user_${s}_6 { type ipv6_addr; flags interval; auto-merge; comment "fill: destinations of set ${s}"; }`);
  }
  for (const p of named) {
    const body = policyLines(plan, space, p, decls, flushes);
    decls.push(`  chain pol_${p.id} { comment "policy ${p.name.replace(/[^a-z0-9_-]/g, "_")}"; ${body.map((l) => `${l}; `).join("")}}`);
  }
  const defaultPolicy: RenderedPolicy = {
    id: "d",
    name: "default",
    carriers: plan.carriers,
    ...(v6 ? { carriers6: plan.carriers6 } : {}),
    lastResort: plan.lastResort,
    ...(plan.sticky ? { sticky: plan.sticky } : {}),
  };
  const defaultLines = policyLines(plan, space, defaultPolicy, decls, flushes);
  const preroutingRules: string[] = [];
  const outputRules: string[] = [];
  const verdictOf = (r: PlanRule): string | undefined => {
    if (r.policy === "main") return "goto mark_bypass";
    if (r.policy === "block") return "drop";
    if (r.policy === "default") return "goto pol_default";
    const p = byName.get(r.policy);
    return p ? `goto pol_${p.id}` : undefined; // validation refuses unknown policies; a hand-made plan may hold one
  };
  // The rule lines depend on the rules and the policy ids only: cached per rules array (the
  // kernel hands the same array to every plan of a document), so a failover renders none.
  const rules = plan.rules ?? [];
  const ids = named.map((p) => `${p.id}=${p.name}`).join(",");
  let cached = lineCache.get(rules);
  if (cached?.ids !== ids) {
    cached = { ids, lines: renderRuleLines(rules, verdictOf, (m) => matchExpr(m, (s, f) => `user_${s}_${FAM[f].n}`)) };
    lineCache.set(rules, cached);
  }
  for (const l of cached.lines) {
    preroutingRules.push(l.text);
    if (!l.iif) outputRules.push(l.text);
  }
  if ((plan.rules ?? []).some((r) => r.policy === "default")) {
    decls.push(`  chain pol_default { comment "policy default"; ${defaultLines.map((l) => `${l}; `).join("")}}`);
  }
  return { decls, preroutingRules, outputRules, defaultLines, flushes: flushes.map((s) => `flush set inet multiwan ${s}`) };
}
