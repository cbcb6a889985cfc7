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
}

/** The difference between two plans; empty arrays and false flags mean "unchanged". */
export interface PlanDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
  readonly carriersChanged: boolean;
  readonly lastResortChanged: boolean;
  readonly flush: readonly string[];
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
    a.nat === b.nat && a.index === b.index && a.ready === b.ready;
}

function sameCarriers(a: readonly Carrier[], b: readonly Carrier[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].wan !== b[i].wan || a[i].weight !== b[i].weight) return false;
  }
  return true;
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
    flush: next.flush,
  };
}

/** isEmptyDiff tells whether applying `diff` would change nothing. */
export function isEmptyDiff(diff: PlanDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0 &&
    !diff.carriersChanged && !diff.lastResortChanged && diff.flush.length === 0;
}
