/**
 * Policy rules from the document to the plan: `routing.bypass` first (as rules to the main
 * table, so old configs keep their meaning), then `rules` with ports as [from, to] ranges
 * and single values as lists; and the analysis that reports rules an earlier one hides
 * (shadowed: can never match) or partly overlaps with a different policy.
 * @module
 */
import type { Family, PlanRule, RuleMatch } from "../plan.ts";
import { familyOf, listOf, parsePort } from "./address.ts";
import type { PathIssue, RuleEntry } from "./schema.ts";

/** planRules compiles the document's bypass networks and rules, in order. */
export function planRules(bypass: readonly string[], rules: readonly RuleEntry[]): PlanRule[] {
  const out: PlanRule[] = [];
  // One rule per family: a rule's addresses are of one family.
  const v4 = bypass.filter((c) => familyOf(c) === "ipv4"), v6 = bypass.filter((c) => familyOf(c) === "ipv6");
  if (v4.length > 0) out.push({ name: "routing.bypass", match: { dst: v4 }, policy: "main" });
  if (v6.length > 0) out.push({ name: "routing.bypass6", match: { dst: v6 }, policy: "main" });
  for (const r of rules) out.push({ name: r.name, match: compileMatch(r.match ?? {}), policy: r.policy });
  return out;
}

function compileMatch(m: RuleEntry["match"]): RuleMatch {
  const ports = (p: RuleEntry["match"]["sport"]) => listOf(p).map((x) => parsePort(x) as [number, number]);
  const out: { -readonly [K in keyof RuleMatch]: RuleMatch[K] } = {};
  const family = m.family ?? familyOfMatch(m);
  if (family) out.family = family;
  if (m.src !== undefined) out.src = [...listOf(m.src)];
  if (m.dst !== undefined) out.dst = [...listOf(m.dst)];
  if (m.proto) out.proto = m.proto;
  if (m.sport !== undefined) out.sport = ports(m.sport);
  if (m.dport !== undefined) out.dport = ports(m.dport);
  if (m.iif) out.iif = m.iif;
  if (m.dstSet) out.dstSet = m.dstSet;
  return out;
}

/** The family the addresses or protocol of a match imply, if any. */
function familyOfMatch(m: RuleEntry["match"]): Family | undefined {
  if (m.proto === "icmp") return "ipv4";
  if (m.proto === "icmpv6") return "ipv6";
  for (const a of [...listOf(m.src), ...listOf(m.dst)]) {
    const f = familyOf(a);
    if (f) return f;
  }
  return undefined;
}

/** [family, first, last] of an address or network. */
export function rangeOf(cidr: string): [Family, bigint, bigint] {
  const [addr, len] = cidr.split("/");
  const family = familyOf(cidr) as Family;
  const bits = family === "ipv4" ? 32 : 128;
  let n = 0n;
  if (family === "ipv4") {
    for (const part of addr.split(".")) n = (n << 8n) | BigInt(Number(part));
  } else {
    let text = addr;
    const v4 = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4) {
      const [a, b, c, d] = v4[1].split(".").map(Number);
      text = text.slice(0, -v4[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
    }
    const [head, tail] = text.split("::");
    const h = head ? head.split(":") : [];
    const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
    for (const g of groups) n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  const prefix = len === undefined ? bits : Number(len);
  const host = (1n << BigInt(bits - prefix)) - 1n;
  return [family, n & ~host, n | host];
}

type Relation = "covers" | "overlaps" | "disjoint";
/** [kind, first, last]: IPv4 addresses and ports as numbers, IPv6 as bigints. */
type Span = readonly [string, number | bigint, number | bigint];

/** A match with its networks and ports parsed once (the analysis compares every pair). */
interface Parsed {
  readonly m: RuleMatch;
  readonly src?: readonly Span[];
  readonly dst?: readonly Span[];
  readonly sport?: readonly Span[];
  readonly dport?: readonly Span[];
  readonly fields: string;
}

/** The fields a match constrains (family and protocol aside), as a key. */
function fieldsOf(m: RuleMatch): string {
  return Object.keys(m).filter((k) => k !== "family" && k !== "proto").sort().join(",");
}

function parse(m: RuleMatch): Parsed {
  const port = (p: readonly [number, number]): Span => ["port", p[0], p[1]];
  const net = (cidr: string): Span => {
    const [f, lo, hi] = rangeOf(cidr);
    return f === "ipv4" ? [f, Number(lo), Number(hi)] : [f, lo, hi];
  };
  return {
    m,
    ...(m.src ? { src: m.src.map(net) } : {}),
    ...(m.dst ? { dst: m.dst.map(net) } : {}),
    ...(m.sport ? { sport: m.sport.map(port) } : {}),
    ...(m.dport ? { dport: m.dport.map(port) } : {}),
    fields: fieldsOf(m),
  };
}

/** How the spans of `a` relate to those of `b`: all of b inside a, some shared, none. Absent = everything. */
function spansRelation(a: readonly Span[] | undefined, b: readonly Span[] | undefined): Relation {
  if (a === undefined) return "covers";
  if (b === undefined) return "overlaps";
  let covered = true, met = false;
  for (let j = 0; j < b.length; j++) {
    const y = b[j];
    let inside = false;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (x[0] !== y[0] || x[1] > y[2] || y[1] > x[2]) continue;
      met = true;
      if (x[1] <= y[1] && y[2] <= x[2]) {
        inside = true;
        break;
      }
    }
    if (!inside) covered = false;
  }
  return covered ? "covers" : met ? "overlaps" : "disjoint";
}

function exactRelation<T>(a: T | undefined, b: T | undefined): Relation {
  if (a === undefined) return "covers";
  if (b === undefined) return "overlaps";
  return a === b ? "covers" : "disjoint";
}

/** How the parsed match `pa` (earlier) relates to `pb` (later); cheap fields first. */
function relation(pa: Parsed, pb: Parsed): Relation {
  const a = pa.m, b = pb.m;
  // A user's set may hold anything: two different sets may share destinations.
  const sets = a.dstSet !== undefined && b.dstSet !== undefined && a.dstSet !== b.dstSet ? "overlaps" : exactRelation(a.dstSet, b.dstSet);
  let all = sets === "covers";
  for (let k = 0; k < 7; k++) {
    const x = k === 0 ? exactRelation(a.family, b.family)
      : k === 1 ? exactRelation(a.proto, b.proto)
      : k === 2 ? exactRelation(a.iif, b.iif)
      : k === 3 ? spansRelation(pa.src, pb.src)
      : k === 4 ? spansRelation(pa.dst, pb.dst)
      : k === 5 ? spansRelation(pa.sport, pb.sport)
      : spansRelation(pa.dport, pb.dport);
    if (x === "disjoint") return "disjoint";
    if (x !== "covers") all = false;
  }
  return all ? "covers" : "overlaps";
}

/** How the match `a` (earlier) relates to `b` (later). */
export function matchRelation(a: RuleMatch, b: RuleMatch): Relation {
  return relation(parse(a), parse(b));
}

/** What the analysis of the rules found: refusals (exact duplicates) and warnings. */
export interface RuleReport {
  readonly errors: PathIssue[];
  readonly warnings: PathIssue[];
}

/**
 * analyseRules reports, for each rule, an earlier rule that hides it completely (it can
 * never match: a warning, or an error when the two are exact duplicates) or that takes part
 * of its traffic to a different policy when both match on the same fields (a warning). Bypass rules come first in the plan but
 * are not reported.
 */
export function analyseRules(rules: readonly RuleEntry[]): RuleReport {
  const compiled = rules.map((r) => parse(compileMatch(r.match ?? {})));
  const errors: PathIssue[] = [], warnings: PathIssue[] = [];
  for (let j = 1; j < rules.length; j++) {
    for (let i = 0; i < j; i++) {
      const rel = relation(compiled[i], compiled[j]);
      if (rel === "disjoint") continue;
      const a = rules[i], b = rules[j];
      if (rel === "covers") {
        if (relation(compiled[j], compiled[i]) === "covers" && a.policy === b.policy) {
          errors.push({ path: ["rules", j], message: `Rule ${b.name} duplicates rule ${a.name} (rules[${i}])` });
        } else {
          warnings.push({
            path: ["rules", j],
            message: `Rule ${b.name} never matches: rule ${a.name} (rules[${i}]) before it matches all of its traffic`,
          });
        }
        break;
      }
      // Partial overlaps are reported between rules on the same fields (two source networks
      // that share addresses, two port ranges that share ports); rules on different fields
      // (a source, a port) overlap by design: the earlier one is the exception.
      if (a.policy !== b.policy && compiled[i].fields === compiled[j].fields) {
        warnings.push({
          path: ["rules", j],
          message: `Rule ${b.name} overlaps rule ${a.name} (rules[${i}]): their shared traffic goes to ${a.policy}, not ${b.policy}`,
        });
      }
    }
  }
  return { errors, warnings };
}
