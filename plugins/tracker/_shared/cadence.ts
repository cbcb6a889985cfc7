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

/**
 * staggerMs spreads target k's first probe evenly over one per-target period, so the
 * probes of all targets come at regular gaps (one every steady interval when idle).
 */
export function staggerMs(k: number, perTargetMs: number, targets: number): number {
  return Math.floor((k * perTargetMs) / Math.max(1, targets));
}
