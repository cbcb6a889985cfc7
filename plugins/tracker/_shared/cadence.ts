/**
 * Probe cadence shared by trackers: at the steady interval the targets take turns (one
 * probe per interval in all, so an idle uplink costs little); at a faster interval
 * (suspect, down) every target is probed each interval. A dual-stack uplink's IPv4 and IPv6
 * targets take turns within their own family, so each family is probed once per interval
 * (each family is a path of its own, judged on its own).
 * @module
 */

/** A target's place among the targets of its address family. */
export interface Turn {
  /** Index among the targets of its family. */
  readonly slot: number;
  /** How many targets its family has. */
  readonly of: number;
}

/** turns groups targets by family (`isIpv6`); with one family, target k has slot k of n, as before. */
export function turns(targets: readonly string[], isIpv6: (target: string) => boolean): Turn[] {
  const six = targets.filter(isIpv6).length;
  let n4 = 0;
  let n6 = 0;
  return targets.map((t) => (isIpv6(t) ? { slot: n6++, of: six } : { slot: n4++, of: targets.length - six }));
}

/** perTargetInterval returns the interval of each target's own probe loop. */
export function perTargetInterval(requestedMs: number, steadyMs: number, targets: number): number {
  return requestedMs >= steadyMs ? requestedMs * Math.max(1, targets) : requestedMs;
}

/**
 * staggerMs spreads target k's first probe evenly over one per-target period, so the
 * probes of all targets come at regular gaps (one every steady interval when idle).
 */
export function staggerMs(k: number, perTargetMs: number, targets: number): number {
  return Math.floor((k * perTargetMs) / Math.max(1, targets));
}
