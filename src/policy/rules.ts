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
  if (bypass.length > 0) out.push({ name: "routing.bypass", match: { dst: [...bypass] }, policy: "main" });
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

/** How the ranges of `a` relate to those of `b`: all of b inside a, some shared, none. Absent = everything. */
function rangesRelation<T>(a: readonly T[] | undefined, b: readonly T[] | undefined, lo: (x: T) => [unknown, bigint, bigint]): Relation {
  if (a === undefined) return "covers";
  if (b === undefined) return "overlaps";
  const ra = a.map(lo), rb = b.map(lo);
  const within = (x: [unknown, bigint, bigint], y: [unknown, bigint, bigint]) => x[0] === y[0] && y[1] <= x[1] && x[2] <= y[2];
  const meets = (x: [unknown, bigint, bigint], y: [unknown, bigint, bigint]) => x[0] === y[0] && x[1] <= y[2] && y[1] <= x[2];
  if (rb.every((y) => ra.some((x) => within(y, x)))) return "covers";
  return ra.some((x) => rb.some((y) => meets(x, y))) ? "overlaps" : "disjoint";
}

function exactRelation<T>(a: T | undefined, b: T | undefined): Relation {
  if (a === undefined) return "covers";
  if (b === undefined) return "overlaps";
  return a === b ? "covers" : "disjoint";
}

/** How the match `a` (earlier) relates to `b` (later). */
export function matchRelation(a: RuleMatch, b: RuleMatch): Relation {
  const port = (p: readonly [number, number]): [unknown, bigint, bigint] => ["port", BigInt(p[0]), BigInt(p[1])];
  const relations: Relation[] = [
    exactRelation(a.family, b.family),
    rangesRelation(a.src, b.src, rangeOf),
    rangesRelation(a.dst, b.dst, rangeOf),
    exactRelation(a.proto, b.proto),
    rangesRelation(a.sport, b.sport, port),
    rangesRelation(a.dport, b.dport, port),
    exactRelation(a.iif, b.iif),
    // A user's set may hold anything: two different sets may share destinations.
    a.dstSet !== undefined && b.dstSet !== undefined && a.dstSet !== b.dstSet ? "overlaps" : exactRelation(a.dstSet, b.dstSet),
  ];
  if (relations.includes("disjoint")) return "disjoint";
  return relations.every((r) => r === "covers") ? "covers" : "overlaps";
}

/** The fields a match constrains (family aside), as a key. */
function fieldsOf(m: RuleMatch): string {
  return Object.keys(m).filter((k) => k !== "family" && k !== "proto").sort().join(",");
}

function sameMatch(a: RuleMatch, b: RuleMatch): boolean {
  return matchRelation(a, b) === "covers" && matchRelation(b, a) === "covers";
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
  const compiled = rules.map((r) => compileMatch(r.match ?? {}));
  const errors: PathIssue[] = [], warnings: PathIssue[] = [];
  for (let j = 1; j < rules.length; j++) {
    for (let i = 0; i < j; i++) {
      const rel = matchRelation(compiled[i], compiled[j]);
      if (rel === "disjoint") continue;
      const a = rules[i], b = rules[j];
      if (rel === "covers") {
        if (sameMatch(compiled[i], compiled[j]) && a.policy === b.policy) {
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
      if (a.policy !== b.policy && fieldsOf(compiled[i]) === fieldsOf(compiled[j])) {
        warnings.push({
          path: ["rules", j],
          message: `Rule ${b.name} overlaps rule ${a.name} (rules[${i}]): their shared traffic goes to ${a.policy}, not ${b.policy}`,
        });
      }
    }
  }
  return { errors, warnings };
}
