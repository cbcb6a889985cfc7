/**
 * Routing plans: what a mode decides, in a form a dataplane can apply.
 *
 * A mode returns a {@link ModeDecision} (who carries new connections, with weights,
 * and whose flows to refresh). The kernel completes it into a {@link RoutingPlan} with
 * what the dataplane must know about every uplink, diffs it against the plan in force
 * and hands both to the dataplane port.
 * @module
 */

/** What to do with new connections when no uplink can carry them. */
export type LastResort = "unreachable" | "blackhole" | "main";

/** An address family; an uplink may carry one or both. */
export type Family = "ipv4" | "ipv6";

/** One uplink as the dataplane sees it. */
export interface PlanUplink {
  /** Instance name from the config document, e.g. `ethernet`. */
  readonly name: string;
  /** Kernel network device, e.g. `eth1`. */
  readonly device: string;
  /** IPv4 next hop; absent for point-to-point devices. */
  readonly gateway?: string;
  /** The uplink's own IPv4 address, when known (source NAT, probe binding). */
  readonly address?: string;
  /** Masquerade/SNAT connections that leave through this uplink. */
  readonly nat: boolean;
  /** Small positive number, unique among uplinks and stable while the uplink exists. */
  readonly index: number;
  /** Whether the device exists and has carrier; routes are installed only when true. */
  readonly ready: boolean;
  /** Families this uplink carries (absent: IPv4 only). */
  readonly families?: readonly Family[];
  /** IPv6 next hop (learned from the uplink: router advertisement or DHCPv6), when known. */
  readonly gateway6?: string;
  /** The uplink's own global IPv6 address, when known. */
  readonly address6?: string;
  /** NAT66: masquerade IPv6 connections leaving here (uplinks that hand out a single address). */
  readonly nat6?: boolean;
}

/** Keep a client on the uplink it was given (mwan3's `sticky`). */
export interface Sticky {
  /** `src`: per source address; `src-dst`: per source and destination pair. */
  readonly by: "src" | "src-dst";
  readonly timeoutS: number;
}

/** One routing policy as the dataplane realises it: who carries its new connections. */
export interface PlanPolicy {
  readonly name: string;
  /** IPv4 carriers, in mode order. */
  readonly carriers: readonly Carrier[];
  /** IPv6 carriers (absent: the same as `carriers`, restricted to uplinks that carry IPv6). */
  readonly carriers6?: readonly Carrier[];
  readonly lastResort: LastResort;
  readonly sticky?: Sticky;
  readonly summary: string;
}

/** What a policy rule matches; every given field must match (absent: any). */
export interface RuleMatch {
  readonly family?: Family;
  /** Source networks or addresses (CIDR; IPv4 or IPv6). */
  readonly src?: readonly string[];
  /** Destination networks or addresses (CIDR; IPv4 or IPv6). */
  readonly dst?: readonly string[];
  readonly proto?: "tcp" | "udp" | "icmp" | "icmpv6";
  /** Source ports and ranges, e.g. [[5060, 5060], [10000, 20000]]. */
  readonly sport?: readonly (readonly [number, number])[];
  readonly dport?: readonly (readonly [number, number])[];
  /** LAN interface the connection comes in on. */
  readonly iif?: string;
  /** Name of a destination set the user fills (dataplanes that can). */
  readonly dstSet?: string;
}

/** An ordered policy rule: the first that matches a new connection picks its policy. */
export interface PlanRule {
  readonly name: string;
  readonly match: RuleMatch;
  /** A policy name from `RoutingPlan.policies`, or `main` (bypass) or `block`. */
  readonly policy: string;
}

/** One carrier of new connections. */
export interface Carrier {
  readonly wan: string;
  /** Positive integer share of new connections. */
  readonly weight: number;
}

/** What a mode decides for one snapshot of WAN states. */
export interface ModeDecision {
  /** Uplinks that carry new connections, with weights; empty when none can. */
  readonly carriers: readonly Carrier[];
  /** Uplinks whose existing flows must move (flushed after the new rules are live). */
  readonly refresh: readonly string[];
  /** One sentence for status and logs, e.g. "ethernet is down; repeater (priority 2) carries". */
  readonly summary: string;
}

/** The complete, declarative routing state the dataplane must realise. */
export interface RoutingPlan {
  /** Every configured, enabled uplink, keyed by name. */
  readonly uplinks: Readonly<Record<string, PlanUplink>>;
  /** Carriers of new connections, in mode order. */
  readonly carriers: readonly Carrier[];
  /** What happens to new connections when `carriers` is empty. */
  readonly lastResort: LastResort;
  /** Uplinks whose existing flows must be flushed once this plan is live. */
  readonly flush: readonly string[];
  /** Human-readable summary from the mode. */
  readonly summary: string;
  /** IPv6 carriers of the default policy (absent: no IPv6 policy routing). */
  readonly carriers6?: readonly Carrier[];
  /** Uplinks whose IPv6 flows must be flushed once this plan is live (with carriers6; `flush` is then IPv4's). */
  readonly flush6?: readonly string[];
  /** The mode's summary of its IPv6 decision. */
  readonly summary6?: string;
  /** Sticky sessions of the default policy. */
  readonly sticky?: Sticky;
  /** Named policies other than the default (which is `carriers`/`lastResort` above). */
  readonly policies?: Readonly<Record<string, PlanPolicy>>;
  /** Ordered rules; unmatched connections use the default policy. */
  readonly rules?: readonly PlanRule[];
}

/** The difference between two plans; empty arrays and false flags mean "unchanged". */
export interface PlanDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
  readonly carriersChanged: boolean;
  readonly lastResortChanged: boolean;
  /** Named policies, rules or sticky settings changed (absent: false). */
  readonly policiesChanged?: boolean;
  readonly flush: readonly string[];
  /** The IPv6 carriers changed (absent: false). */
  readonly carriers6Changed?: boolean;
  readonly flush6?: readonly string[];
}

/** An empty plan: nothing configured, nothing carried. */
export const EMPTY_PLAN: RoutingPlan = Object.freeze({
  uplinks: Object.freeze({}),
  carriers: Object.freeze([]),
  lastResort: "unreachable",
  flush: Object.freeze([]),
  summary: "no uplinks",
});

function sameUplink(a: PlanUplink, b: PlanUplink): boolean {
  return a.device === b.device && a.gateway === b.gateway && a.address === b.address &&
    a.nat === b.nat && a.index === b.index && a.ready === b.ready &&
    (a.families ?? ["ipv4"]).join() === (b.families ?? ["ipv4"]).join() && a.gateway6 === b.gateway6 &&
    a.address6 === b.address6 && (a.nat6 ?? false) === (b.nat6 ?? false);
}

function sameCarriers(a: readonly Carrier[], b: readonly Carrier[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].wan !== b[i].wan || a[i].weight !== b[i].weight) return false;
  }
  return true;
}

/** Whether the named policies, the rules and the sticky settings are the same (plain data: compared as JSON). */
function samePolicies(a: RoutingPlan, b: RoutingPlan): boolean {
  const key = (p: RoutingPlan) => JSON.stringify([p.policies ?? {}, p.rules ?? [], p.sticky ?? null]);
  return (a.policies === b.policies && a.rules === b.rules && a.sticky === b.sticky) || key(a) === key(b);
}

/** diffPlans computes what changed from `prev` to `next`. */
export function diffPlans(prev: RoutingPlan, next: RoutingPlan): PlanDiff {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const name in next.uplinks) {
    const before = prev.uplinks[name];
    if (!before) added.push(name);
    else if (!sameUplink(before, next.uplinks[name])) changed.push(name);
  }
  for (const name in prev.uplinks) {
    if (!(name in next.uplinks)) removed.push(name);
  }
  return {
    added,
    removed,
    changed,
    carriersChanged: !sameCarriers(prev.carriers, next.carriers),
    lastResortChanged: prev.lastResort !== next.lastResort,
    policiesChanged: !samePolicies(prev, next),
    flush: next.flush,
    carriers6Changed: (prev.carriers6 === undefined) !== (next.carriers6 === undefined) ||
      !sameCarriers(prev.carriers6 ?? [], next.carriers6 ?? []),
    flush6: next.flush6 ?? [],
  };
}

/** isEmptyDiff tells whether applying `diff` would change nothing. */
export function isEmptyDiff(diff: PlanDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0 &&
    !diff.carriersChanged && !diff.lastResortChanged && !diff.policiesChanged && diff.flush.length === 0 && !diff.carriers6Changed &&
    (diff.flush6?.length ?? 0) === 0;
}
