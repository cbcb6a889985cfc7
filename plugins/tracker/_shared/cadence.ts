/**
 * Probe cadence shared by trackers: at the steady interval the targets take turns (one
 * probe per interval in all, so an idle uplink costs little); at a faster interval
 * (suspect, down) every target is probed each interval.
 * @module
 */

/** perTargetInterval returns the interval of each target's own probe loop. */
export function perTargetInterval(requestedMs: number, steadyMs: number, targets: number): number {
  return requestedMs >= steadyMs ? requestedMs * Math.max(1, targets) : requestedMs;
}

/** staggerMs spreads target k's first probe inside one interval. */
export function staggerMs(k: number, intervalMs: number, targets: number): number {
  return Math.floor((k * intervalMs) / Math.max(1, targets));
}
