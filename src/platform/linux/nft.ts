/**
 * Renders the complete `table inet multiwan` for a routing plan: a pure function whose
 * output is loaded with one `nft -f -` batch (create + delete + define = atomic replace,
 * idempotent, adopts a table left by a crash; or, when only rules change, flush + define =
 * atomic in-place update that keeps the counters). No other table is touched.
 *
 * Classification (prerouting for LAN, `type route` output for the router itself):
 * already marked -> leave alone (probes set SO_MARK); ct mark -> restore; arriving on an
 * uplink, or a probe socket bound to an uplink -> that uplink; bypass destinations -> bypass mark (main table); new connections ->
 * weighted `numgen` choice or the last resort. Marks are masked: bits outside
 * `markMask` are preserved. A masked copy between ct mark and meta mark is emulated with a
 * vmap on the masked value (the kernel rejects two-source bitwise expressions).
 *
 * IPv6: when the plan has `carriers6` the same classification runs for ip6 traffic (its own
 * weighted choice, a bypass6 set with link-local, multicast and the connected IPv6 networks),
 * probe sockets bound to an uplink's IPv6 address are pinned, and NAT66 masquerades where the
 * uplink says `nat6`. Without `carriers6` IPv6 traffic is left alone (main table).
 * @module
 */
import type { RoutingSettings } from "../../platform.ts";
import type { PlanUplink, RoutingPlan } from "../../plan.ts";
import { hex, markOf, markSpace, type MarkSpace } from "./marks.ts";
import { policySkeleton, renderPolicies } from "./nft-policy.ts";
import { checkCidr, checkCidr6, checkDevice, checkIPv4, checkIPv6, hostOf, isV6 } from "./run.ts";

export const TABLE = "multiwan";
/** Local ports HTTP probes bind (above Linux's default ephemeral range 32768-60999). */
export const PROBE_PORTS: readonly [number, number] = [61000, 61999];
/** Always bypassed: loopback, multicast + reserved, link-local, limited broadcast. */
export const BUILTIN_BYPASS: readonly string[] = ["127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/3"];
/** Always bypassed for IPv6: loopback, link-local, multicast. */
export const BUILTIN_BYPASS6: readonly string[] = ["::1/128", "fe80::/10", "ff00::/8"];

export interface RenderOptions {
  /** Connected IPv4 networks of the router (CIDR), added to the bypass set. */
  readonly connected?: readonly string[];
  /** Connected IPv6 networks of the router (CIDR), added to the bypass6 set. */
  readonly connected6?: readonly string[];
  /**
   * Update the live table in place instead of replacing it: flush its rules and the bypass
   * set, then declare everything again, in the same atomic batch. Chains, hooks and named
   * counters stay (counters keep counting, no hook is re-registered). Only valid when the live
   * table declares the same objects ({@link skeletonOf} unchanged since a full load); the
   * batch fails as a whole when the table is missing.
   */
  readonly inPlace?: boolean;
}

/**
 * What decides which objects (chains, counters and their comments) the table declares: the
 * uplinks' indexes and names. The rest of the declarations is the same for every plan.
 */
export function skeletonOf(plan: RoutingPlan): string {
  return sortedUplinks(plan).map((u) => `${u.index}:${u.name}`).join(",") + `|${policySkeleton(plan)}`;
}

/** Uplinks of the plan sorted by index (stable output). */
export function sortedUplinks(plan: RoutingPlan): PlanUplink[] {
  return Object.values(plan.uplinks).sort((a, b) => a.index - b.index);
}

function comment(s: string): string {
  return `comment "${s.replace(/[^A-Za-z0-9_.:@ -]/g, "_").slice(0, 100)}"`;
}

function setMark(field: "meta" | "ct", space: MarkSpace, value: number): string {
  return `${field} mark set ${field} mark & ${hex(~space.mask)} | ${hex(value)}`;
}

/** Weighted cumulative ranges: [[lo, hi, uplink], ...] over sum of weights (of `carriers`, default the plan's IPv4 ones). */
export function weightRanges(plan: RoutingPlan, carriers: RoutingPlan["carriers"] = plan.carriers): { total: number; ranges: [number, number, PlanUplink][] } {
  const ranges: [number, number, PlanUplink][] = [];
  let total = 0;
  for (const c of carriers) {
    const up = plan.uplinks[c.wan];
    if (!up || !Number.isInteger(c.weight) || c.weight < 1) continue;
    ranges.push([total, total + c.weight - 1, up]);
    total += c.weight;
  }
  return { total, ranges };
}

/** renderRuleset returns the nft batch text for `plan`. */
export function renderRuleset(plan: RoutingPlan, settings: RoutingSettings, opts: RenderOptions = {}): string {
  const space = markSpace(settings.markMask);
  const uplinks = sortedUplinks(plan);
  const bypass = [...BUILTIN_BYPASS, ...settings.bypass.filter((c) => !isV6(c)), ...(opts.connected ?? [])].map(checkCidr);
  const bypass6 = [...BUILTIN_BYPASS6, ...settings.bypass.filter(isV6), ...(opts.connected6 ?? [])].map(checkCidr6);
  const v6 = plan.carriers6 !== undefined;
  const out: string[] = [];
  const o = (line: string) => out.push(line);
  // Rules, named policies and sticky sessions (see nft-policy.ts).
  const pol = renderPolicies(plan, space);
  if (opts.inPlace) {
    o(`flush table inet ${TABLE}`);
    o(`flush set inet ${TABLE} bypass4`);
    o(`flush set inet ${TABLE} bypass6`);
    for (const f of pol.flushes) o(f);
  } else {
    o(`table inet ${TABLE} {}`);
    o(`delete table inet ${TABLE}`);
  }
  o(`table inet ${TABLE} {`);
  o(`  set bypass4 { type ipv4_addr; flags interval; auto-merge; elements = { ${[...new Set(bypass)].join(", ")} } }`);
  o(`  set bypass6 { type ipv6_addr; flags interval; auto-merge; elements = { ${[...new Set(bypass6)].join(", ")} } }`);
  const restore: string[] = [`${hex(space.bypass)} : goto restore_bypass`];
  for (const up of uplinks) {
    checkDevice(up.device);
    const m = markOf(space, up.index);
    const c = comment(up.name);
    o(`  counter up_${up.index} { ${c} }`);
    o(`  chain mark_${up.index} { ${c}; ${setMark("meta", space, m)}; ${setMark("ct", space, m)}; counter name "up_${up.index}"; }`);
    o(`  chain restore_${up.index} { ${c}; ${setMark("meta", space, m)}; counter name "up_${up.index}"; }`);
    restore.push(`${hex(m)} : goto restore_${up.index}`);
  }
  o(`  chain mark_bypass { ${setMark("meta", space, space.bypass)}; ${setMark("ct", space, space.bypass)}; }`);
  o(`  chain restore_bypass { ${setMark("meta", space, space.bypass)}; }`);
  for (const d of pol.decls) o(d);
  const head = [
    v6 ? undefined : `meta nfproto != ipv4 return`,
    `meta mark & ${hex(space.mask)} != 0 return`,
    `ct mark & ${hex(space.mask)} vmap { ${restore.join(", ")} }`,
  ].filter((l): l is string => l !== undefined);
  // The default policy; with IPv6 policy routing each family gets its own weighted choice (and last resort).
  const policy = pol.defaultLines;
  const bypassLines = [`ip daddr @bypass4 goto mark_bypass`, ...(v6 ? [`ip6 daddr @bypass6 goto mark_bypass`] : [])];

  o(`  chain prerouting {`);
  o(`    type filter hook prerouting priority mangle; policy accept;`);
  for (const l of head) o(`    ${l}`);
  for (const up of uplinks) o(`    iifname "${up.device}" goto mark_${up.index}`);
  for (const l of bypassLines) o(`    ${l}`);
  for (const l of pol.preroutingRules) o(`    ${l}`);
  for (const l of policy) o(`    ${l}`);
  o(`  }`);

  o(`  chain output {`);
  o(`    type route hook output priority mangle; policy accept;`);
  for (const l of head) o(`    ${l}`);
  for (const l of bypassLines) o(`    ${l}`);
  // Probe sockets (HTTP) bind an uplink address and a port from PROBE_PORTS: pin them to it.
  // Other router sockets are balanced even if the kernel picked an uplink's source address.
  const pins = uplinks.filter((u) => u.ready && u.address).map((u) => `${checkIPv4(hostOf(u.address ?? ""))} : goto mark_${u.index}`);
  if (pins.length > 0) o(`    meta l4proto { tcp, udp } th sport ${PROBE_PORTS[0]}-${PROBE_PORTS[1]} ip saddr vmap { ${pins.join(", ")} }`);
  const pins6 = v6 ? uplinks.filter((u) => u.ready && u.address6).map((u) => `${checkIPv6(hostOf(u.address6 ?? ""))} : goto mark_${u.index}`) : [];
  if (pins6.length > 0) o(`    meta l4proto { tcp, udp } th sport ${PROBE_PORTS[0]}-${PROBE_PORTS[1]} ip6 saddr vmap { ${pins6.join(", ")} }`);
  for (const l of pol.outputRules) o(`    ${l}`);
  for (const l of policy) o(`    ${l}`);
  o(`  }`);

  o(`  chain postrouting {`);
  o(`    type nat hook postrouting priority srcnat; policy accept;`);
  for (const up of uplinks) {
    if (up.nat) o(`    meta nfproto ipv4 oifname "${up.device}" masquerade ${comment(up.name)}`);
    else if (up.address) {
      const a = checkIPv4(hostOf(up.address));
      o(`    meta nfproto ipv4 oifname "${up.device}" fib saddr type local ip saddr != ${a} snat ip to ${a} ${comment(up.name)}`);
    }
    if (!v6) continue;
    // NAT66 where the uplink hands out a single address; else (a routed prefix) only router
    // sockets whose source the kernel took from another uplink get this uplink's address.
    if (up.nat6) o(`    meta nfproto ipv6 oifname "${up.device}" masquerade ${comment(up.name)}`);
    else if (up.address6) {
      const a = checkIPv6(hostOf(up.address6));
      o(`    meta nfproto ipv6 oifname "${up.device}" fib saddr type local ip6 saddr != fe80::/10 ip6 saddr != ${a} snat ip6 to ${a} ${comment(up.name)}`);
    }
  }
  o(`  }`);
  o(`}`);
  return out.join("\n") + "\n";
}

/** The batch that removes the table (no error when it is absent). */
export function renderDelete(): string {
  return `table inet ${TABLE} {}\ndelete table inet ${TABLE}\n`;
}
