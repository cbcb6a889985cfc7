/**
 * Rule lines for `table inet multiwan`, in rule order, with runs of rules that differ only
 * in their addresses merged into one verdict map (`ip saddr vmap { a : goto pol_p1, b :
 * drop }`): nft loads and the kernel evaluates one map lookup instead of a rule per entry
 * (1,000 rules on sources: one line instead of 1,000).
 *
 * A rule may join an earlier map of its shape (same match apart from the addresses of one
 * field) when that changes nothing: its addresses overlap none of the map's, and it is
 * disjoint from every rule line emitted between that map and itself (so it could not have
 * matched one of them first).
 * @module
 */
import type { Family, PlanRule, RuleMatch } from "../../plan.ts";
import { matchRelation, rangeOf } from "../../policy/rules.ts";
import { checkCidr, checkCidr6, checkIPv4, checkIPv6 } from "./run.ts";

/** One rendered line; `iif`: it matches an input interface (not for the router's own traffic). */
export interface RuleLine {
  readonly text: string;
  readonly iif: boolean;
}

type Span = readonly [Family, number | bigint, number | bigint];

interface Item {
  /** Shape key for merging, or undefined when the item cannot take others. */
  readonly key?: string;
  readonly field?: "src" | "dst";
  readonly family?: Family;
  /** The match without the merged field (for the line's head). */
  readonly rest?: RuleMatch;
  readonly spans: SpanSet;
  readonly entries: { readonly cidr: string; readonly verdict: string }[];
  readonly rules: PlanRule[];
  readonly verdict: string;
  readonly comment: string;
}

function spanOf(cidr: string): Span {
  const [f, lo, hi] = rangeOf(cidr);
  return f === "ipv4" ? [f, Number(lo), Number(hi)] : [f, lo, hi];
}

/** Pairwise disjoint spans of one family, sorted by their first address (so by their last too). */
class SpanSet {
  readonly #spans: Span[] = [];

  /** Index of the last span starting at or before `v`, or -1. */
  #lastStartingBy(v: number | bigint): number {
    let lo = 0, hi = this.#spans.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#spans[mid][1] <= v) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Whether any of `spans` shares an address with the set. */
  meets(spans: readonly Span[]): boolean {
    for (const y of spans) {
      const i = this.#lastStartingBy(y[2]);
      if (i >= 0 && this.#spans[i][0] === y[0] && this.#spans[i][2] >= y[1]) return true;
    }
    return false;
  }

  /** Adds spans that meet none of the set's (and none of each other). */
  add(spans: readonly Span[]): void {
    for (const y of spans) this.#spans.splice(this.#lastStartingBy(y[1]) + 1, 0, y);
  }
}

/** Whether a rule's own addresses overlap (such a rule is rendered alone). */
function selfOverlap(spans: readonly Span[]): boolean {
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length; j++) {
      const x = spans[i], y = spans[j];
      if (x[0] === y[0] && x[1] <= y[2] && y[1] <= x[2]) return true;
    }
  }
  return false;
}

function familyOfMatch(m: RuleMatch): Family | undefined {
  return m.family ?? [...(m.src ?? []), ...(m.dst ?? [])].map((a) => (a.includes(":") ? "ipv6" : "ipv4") as Family)[0];
}

/** Whether rule `r` (with `spans` on `field`) can never match what `it` matches. */
function disjointFrom(r: PlanRule, field: "src" | "dst", spans: readonly Span[], it: Item): boolean {
  if (it.field === field) return !it.spans.meets(spans) || it.rules.every((x) => matchRelation(x.match, r.match) === "disjoint");
  return it.rules.every((x) => matchRelation(x.match, r.match) === "disjoint");
}

/**
 * renderRuleLines renders `rules` in order; `verdictOf` gives a rule's verdict (undefined:
 * skip it), `expr` a match's nft expression lines.
 */
export function renderRuleLines(
  rules: readonly PlanRule[],
  verdictOf: (r: PlanRule) => string | undefined,
  expr: (m: RuleMatch) => string[],
): RuleLine[] {
  const items: Item[] = [];
  const lastOfKey = new Map<string, number>();
  for (const r of rules) {
    const verdict = verdictOf(r);
    if (verdict === undefined) continue;
    const comment = `comment "rule ${r.name.replace(/[^A-Za-z0-9_.:@ -]/g, "_").slice(0, 64)}"`;
    const m = r.match;
    const field = m.src?.length ? "src" : m.dst?.length ? "dst" : undefined;
    const family = familyOfMatch(m);
    if (!field || !family || m.dstSet) {
      items.push({ spans: new SpanSet(), entries: [], rules: [r], verdict, comment });
      continue;
    }
    const { [field]: list, ...rest } = m;
    const restMatch: RuleMatch = { ...rest, family };
    const spans = list!.map(spanOf);
    if (selfOverlap(spans)) {
      items.push({ spans: new SpanSet(), entries: [], rules: [r], verdict, comment });
      continue;
    }
    const key = `${field}|${JSON.stringify(restMatch)}`;
    const at = lastOfKey.get(key);
    let joined = false;
    if (at !== undefined && !items[at].spans.meets(spans)) {
      let safe = true;
      for (let k = at + 1; k < items.length && safe; k++) safe = disjointFrom(r, field, spans, items[k]);
      if (safe) {
        const g = items[at];
        g.spans.add(spans);
        for (const cidr of list!) g.entries.push({ cidr, verdict });
        g.rules.push(r);
        joined = true;
      }
    }
    if (!joined) {
      lastOfKey.set(key, items.length);
      const set = new SpanSet();
      set.add(spans);
      items.push({ key, field, family, rest: restMatch, spans: set, entries: list!.map((cidr) => ({ cidr, verdict })), rules: [r], verdict, comment });
    }
  }
  const out: RuleLine[] = [];
  for (const it of items) {
    const iif = !!it.rules[0].match.iif;
    if (it.rules.length === 1) {
      for (const e of expr(it.rules[0].match)) out.push({ text: `${e ? `${e} ` : ""}${it.verdict} ${it.comment}`, iif });
      continue;
    }
    const head = expr(it.rest!)[0];
    const sel = `${it.family === "ipv6" ? "ip6" : "ip"} ${it.field === "src" ? "saddr" : "daddr"}`;
    // The addresses as the single-rule rendering writes them (checked), one map entry each.
    // Host addresses bare (a map of only hosts is a hash, not an interval tree: faster to load).
    const addr = (cidr: string) => {
      const [a, len] = cidr.split("/");
      if (it.family === "ipv6") return len === undefined || len === "128" ? checkIPv6(a) : checkCidr6(cidr);
      return len === undefined || len === "32" ? checkIPv4(a) : checkCidr(cidr);
    };
    const entries = it.entries.map((e) => `${addr(e.cidr)} : ${e.verdict}`);
    out.push({ text: `${head ? `${head} ` : ""}${sel} vmap { ${entries.join(", ")} } comment "rules ${it.rules.length}: ${it.rules[0].name.replace(/[^A-Za-z0-9_.:@ -]/g, "_").slice(0, 40)} \u2026"`, iif });
  }
  return out;
}
