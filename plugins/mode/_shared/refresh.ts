/**
 * Shared by the modes: which WANs may carry traffic, and which flows to move back when a
 * better uplink recovers.
 * @module
 */
import * as v from "valibot";
import type { ModeDecision, ModeInput, ModeWan } from "../../../src/index.ts";

/** usable: every state but down carries traffic (unknown counts, as mwan3's initial_state online). */
export function usable(w: ModeWan): boolean {
  return w.state !== "down";
}

/** byPriority sorts by priority, keeping config order among equals. */
export function byPriority(wans: readonly ModeWan[]): ModeWan[] {
  return wans.map((w, i) => ({ w, i })).sort((a, b) => a.w.priority - b.w.priority || a.i - b.i).map((x) => x.w);
}

export const refreshEntries = {
  forcedRefresh: v.optional(
    v.pipe(
      v.boolean(),
      v.title("Forced Refresh Streams"),
      v.description(
        "When a higher-priority uplink comes back, end the connections on the lower ones so they reconnect through it. Off: existing connections stay where they are; only new ones move.",
      ),
    ),
    false,
  ),
  refreshMetered: v.optional(
    v.pipe(
      v.boolean(),
      v.title("Leave metered uplinks at once"),
      v.description(
        "Even with Forced Refresh Streams off, end connections on a metered uplink (cellular) as soon as a better one is back.",
      ),
    ),
    true,
  ),
};

/**
 * refreshOnRecovery lists the previous carriers to flush because `bestPriority` is better
 * than theirs: all of them with Forced Refresh Streams, only metered ones otherwise.
 */
export function refreshOnRecovery(
  input: ModeInput,
  bestPriority: number,
  opts: { forcedRefresh: boolean; refreshMetered: boolean },
): string[] {
  const prev = input.previous;
  if (!prev) return [];
  const byName = new Map(input.wans.map((w) => [w.name, w]));
  const out: string[] = [];
  for (const c of prev.carriers) {
    const w = byName.get(c.wan);
    if (!w || !usable(w) || w.priority <= bestPriority) continue;
    if (opts.forcedRefresh || (opts.refreshMetered && w.metered)) out.push(w.name);
  }
  return out;
}

/** noCarrier is the decision when every uplink is down. */
export function noCarrier(input: ModeInput): ModeDecision {
  const n = input.wans.length;
  return { carriers: [], refresh: [], summary: n === 0 ? "no uplinks configured" : `all ${n} uplinks are down` };
}
