/**
 * How a new connection finds its uplink under a plan with rules, policies and sticky
 * sessions, as the Linux ruleset decides it: the first matching rule names a policy
 * (`main`: the main table, `block`: refused, else a named one; no match: the default);
 * a sticky client goes back to the uplink it was given while that uplink still carries for
 * the policy; otherwise the policy's weights choose. Dataplanes that select in user space
 * (the simulator) use it; the Linux dataplane renders the same steps into nftables.
 * @module
 */
import type { Carrier, Family, LastResort, PlanRule, RoutingPlan, RuleMatch, Sticky } from "../plan.ts";
import { rangeOf } from "./rules.ts";

/** A new connection as a rule sees it (absent fields match only rules that do not ask for them). */
export interface Connection {
  readonly family?: Family;
  readonly src?: string;
  readonly dst?: string;
  readonly proto?: "tcp" | "udp" | "icmp" | "icmpv6";
  readonly sport?: number;
  readonly dport?: number;
  readonly iif?: string;
  /** Names of the user sets the destination is in. */
  readonly dstSets?: readonly string[];
}

/** The policy a connection falls under, with what it needs to choose. */
export interface Chosen {
  readonly policy: string;
  readonly carriers: readonly Carrier[];
  readonly lastResort: LastResort;
  readonly sticky?: Sticky;
  /** The policy is `main` (main table) or `block`. */
  readonly special?: "main" | "block";
}

function within(addr: string, nets: readonly string[]): boolean {
  let a: ReturnType<typeof rangeOf>;
  try {
    a = rangeOf(addr);
  } catch {
    return false;
  }
  return nets.some((n) => {
    const r = rangeOf(n);
    return r[0] === a[0] && r[1] <= a[1] && a[2] <= r[2];
  });
}

function inPorts(p: number | undefined, ranges: readonly (readonly [number, number])[]): boolean {
  return p !== undefined && ranges.some(([lo, hi]) => lo <= p && p <= hi);
}

/** matches tells whether a rule's match covers the connection. */
export function matches(m: RuleMatch, c: Connection): boolean {
  const family = c.family ?? "ipv4";
  if (m.family && m.family !== family) return false;
  if (m.src && !(c.src && within(c.src, m.src))) return false;
  if (m.dst && !(c.dst && within(c.dst, m.dst))) return false;
  if (m.proto && m.proto !== c.proto) return false;
  if (m.sport && !((c.proto === "tcp" || c.proto === "udp") && inPorts(c.sport, m.sport))) return false;
  if (m.dport && !((c.proto === "tcp" || c.proto === "udp") && inPorts(c.dport, m.dport))) return false;
  if (m.iif && m.iif !== c.iif) return false;
  if (m.dstSet && !(c.dstSets ?? []).includes(m.dstSet)) return false;
  return true;
}

/** The first rule matching `c`, if any. */
export function ruleFor(rules: readonly PlanRule[] | undefined, c: Connection): PlanRule | undefined {
  return (rules ?? []).find((r) => matches(r.match, c));
}

/**
 * choosePolicy finds the policy of a connection. IPv6 connections use the policy's
 * `carriers6`, else its carriers restricted to uplinks that carry IPv6; the default policy
 * without `carriers6` routes IPv6 by the main table.
 */
export function choosePolicy(plan: RoutingPlan, c: Connection): Chosen {
  const name = ruleFor(plan.rules, c)?.policy ?? "default";
  if (name === "main" || name === "block") return { policy: name, carriers: [], lastResort: "main", special: name };
  const v6 = (c.family ?? "ipv4") === "ipv6";
  const carries6 = (cs: readonly Carrier[]) =>
    cs.filter((x) => (plan.uplinks[x.wan]?.families ?? ["ipv4"]).includes("ipv6"));
  const p = plan.policies?.[name];
  if (p) {
    const carriers = v6 ? p.carriers6 ?? carries6(p.carriers) : p.carriers;
    return { policy: name, carriers, lastResort: p.lastResort, ...(p.sticky ? { sticky: p.sticky } : {}) };
  }
  if (v6 && plan.carriers6 === undefined) return { policy: "default", carriers: [], lastResort: "main", special: "main" };
  const carriers = v6 ? plan.carriers6 ?? [] : plan.carriers;
  return { policy: "default", carriers, lastResort: plan.lastResort, ...(plan.sticky ? { sticky: plan.sticky } : {}) };
}

/** weightedPick picks a carrier by weight, as `numgen random mod total` does. */
export function weightedPick(carriers: readonly Carrier[], random: () => number): string | undefined {
  const total = carriers.reduce((s, c) => s + c.weight, 0);
  if (total <= 0) return undefined;
  let pick = Math.floor(random() * total);
  for (const c of carriers) {
    if (pick < c.weight) return c.wan;
    pick -= c.weight;
  }
  return undefined;
}

/**
 * Sticky sessions in user space, per policy and key (source, or source and destination),
 * with timeouts refreshed by each new connection, like an nft set with `flags timeout` that
 * is updated on use.
 */
export class StickyTable {
  readonly #entries = new Map<string, { uplink: string; until: number }>();

  static keyOf(policy: string, sticky: Sticky, c: Connection): string | undefined {
    if (!c.src) return undefined;
    return sticky.by === "src" ? `${policy}|${c.src}` : `${policy}|${c.src}|${c.dst ?? ""}`;
  }

  /** The uplink `key` is held on, when not expired and still one of `carriers`. */
  get(key: string, carriers: readonly Carrier[], now: number): string | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.until <= now || !carriers.some((c) => c.wan === e.uplink)) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.uplink;
  }

  set(key: string, uplink: string, timeoutS: number, now: number): void {
    this.#entries.set(key, { uplink, until: now + timeoutS * 1000 });
  }

  /** Forgets the clients held on uplinks that no longer carry for their policy (or policies that are gone). */
  prune(plan: RoutingPlan): void {
    for (const [key, e] of this.#entries) {
      const c = choosePolicyByName(plan, key.split("|")[0]);
      if (!c || !c.sticky || !c.carriers.some((x) => x.wan === e.uplink)) this.#entries.delete(key);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}

function choosePolicyByName(plan: RoutingPlan, name: string): { carriers: readonly Carrier[]; sticky?: Sticky } | undefined {
  if (name === "default") return { carriers: [...plan.carriers, ...(plan.carriers6 ?? [])], sticky: plan.sticky };
  const p = plan.policies?.[name];
  return p ? { carriers: [...p.carriers, ...(p.carriers6 ?? [])], sticky: p.sticky } : undefined;
}
