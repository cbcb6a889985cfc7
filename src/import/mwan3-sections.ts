/**
 * Reading mwan3's four section kinds (plus `globals`) into plain records; the mapping to
 * our document happens in `mwan3.ts`.
 * @module
 */
import type { SectionReader } from "./reader.ts";

export interface Member {
  readonly name: string;
  readonly r: SectionReader;
  readonly iface: string | undefined;
  readonly metric: number;
  readonly weight: number;
  /** mwan3 ignores it (no interface, metric above 256). */
  readonly skipped: boolean;
}

export interface Policy {
  readonly name: string;
  readonly r: SectionReader;
  readonly members: readonly string[];
  readonly lastResort: "unreachable" | "blackhole" | "main" | undefined;
}

export interface Rule {
  readonly name: string;
  readonly r: SectionReader;
  readonly family: string;
  readonly proto: string | undefined;
  readonly src: string | undefined;
  readonly dest: string | undefined;
  readonly srcPort: string | undefined;
  readonly destPort: string | undefined;
  readonly srcIface: string | undefined;
  readonly ipset: string | undefined;
  readonly policy: string | undefined;
}

export const BUILTIN_POLICIES = new Set(["default", "unreachable", "blackhole"]);

/** readMember reads a `member` section. */
export function readMember(r: SectionReader): Member {
  const name = r.section.ref;
  const iface = r.str("interface");
  const metric = r.int("metric", 1, 1_000_000) ?? 1;
  const weight = r.int("weight", 1, 1000) ?? 1;
  let skipped = false;
  if (iface === undefined) {
    r.warn(null, "no interface option: mwan3 skips this member; not carried over");
    skipped = true;
  } else if (metric > 256) {
    r.warn("metric", `mwan3 skips members with a metric above 256 (this one: ${metric}); not carried over`);
    skipped = true;
  }
  return { name, r, iface, metric, weight, skipped };
}

const LAST_RESORT: Readonly<Record<string, Policy["lastResort"]>> = {
  unreachable: "unreachable",
  blackhole: "blackhole",
  default: "main",
};

/** readPolicy reads a `policy` section. */
export function readPolicy(r: SectionReader): Policy {
  const members = r.list("use_member", "written with `option`, not `list`: mwan3 itself saw no members; carried over as members");
  const text = r.str("last_resort");
  const lastResort = text === undefined ? undefined : LAST_RESORT[text];
  if (text !== undefined && lastResort === undefined) {
    r.warn("last_resort", `${JSON.stringify(text)} is not unreachable, blackhole or default; not carried over`);
  }
  if (r.section.ref.length > 15) r.warn(null, "the name is longer than 15 characters: mwan3 ignores this policy");
  return { name: r.section.ref, r, members, lastResort };
}

/** readRule reads a `rule` section (its options are all consumed: the rule is warned as a whole). */
export function readRule(r: SectionReader): Rule {
  const rule: Rule = {
    name: r.section.ref,
    r,
    family: r.str("family") ?? "any",
    proto: r.str("proto"),
    src: r.str("src_ip"),
    dest: r.str("dest_ip"),
    srcPort: r.str("src_port"),
    destPort: r.str("dest_port"),
    srcIface: r.str("src_iface"),
    ipset: r.str("ipset"),
    policy: r.str("use_policy"),
  };
  r.consume("sticky", "timeout", "logging");
  return rule;
}

/** isCatchAll: the rule matches every IPv4 connection (mwan3's `default_rule_v4`). */
export function isCatchAll(rule: Rule): boolean {
  const anyProto = rule.proto === undefined || rule.proto === "all";
  const anyDest = rule.dest === undefined || rule.dest === "0.0.0.0/0";
  const v4 = rule.family !== "ipv6";
  return v4 && anyProto && anyDest && !rule.src && !rule.srcPort && !rule.destPort && !rule.srcIface && !rule.ipset;
}

/** describeRule says what a rule matched, in words. */
export function describeRule(rule: Rule): string {
  const parts: string[] = [];
  if (rule.proto && rule.proto !== "all") parts.push(rule.proto);
  if (rule.src) parts.push(`from ${rule.src}`);
  if (rule.srcPort) parts.push(`from port ${rule.srcPort}`);
  if (rule.srcIface) parts.push(`arriving on ${rule.srcIface}`);
  if (rule.dest) parts.push(`to ${rule.dest}`);
  if (rule.destPort) parts.push(`to port ${rule.destPort}`);
  if (rule.ipset) parts.push(`to ipset ${rule.ipset}`);
  if (rule.family !== "any") parts.push(`(${rule.family})`);
  return parts.length === 0 ? "all traffic" : parts.join(" ");
}

/** readGlobals reads `globals`: the mark mask is carried over, the rest warned. */
export function readGlobals(r: SectionReader, routing: Record<string, unknown>): void {
  const mask = r.str("mmx_mask");
  if (mask !== undefined) {
    const n = /^0x[0-9a-f]{1,8}$/i.test(mask) ? parseInt(mask, 16) : /^\d{1,10}$/.test(mask) ? Number(mask) : NaN;
    let bits = 0;
    for (let x = n >>> 0; x; x >>>= 1) bits += x & 1;
    if (Number.isInteger(n) && n >= 0x100 && n <= 0xffffffff && bits >= 3) routing.markMask = n;
    else r.warn("mmx_mask", `${JSON.stringify(mask)} is not a mark mask multiwan can use (at least 3 bits, from 0x100 up); not carried over`);
  }
  if (r.bool("logging") === true) r.warn("logging", "per-rule logging is not carried over (multiwan logs its own decisions)");
  r.consume("loglevel");
  r.drop("rt_table_lookup", "other routing tables are not consulted; put their networks in routing.bypass. Not carried over");
  r.drop("source_routing", "not carried over (multiwan does not copy source-specific default routes)");
  r.drop("rtmon_interval", "obsolete mwan3 option; ignored");
  r.drop("local_source", "obsolete mwan3 option; ignored");
  r.unread("globals");
}
