/**
 * Shared set-up for the hardening tests: the four sim WANs with one of them (tethering,
 * on usb0) replaced by a faulty plugin, and a way to ask whether a promise settles within
 * some fake time.
 * @module
 */
import type { FakeClock } from "../../src/clock.ts";
import type { AnyPlugin } from "../../src/plugin.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { advance, fourWans } from "../helpers.ts";
import { type FaultLog, faultyTracker, faultyWan, type TrackerFault, type WanFault } from "./faulty.ts";

export function pluginsWith(log: FaultLog): AnyPlugin[] {
  return [...builtinPlugins, faultyWan(log), faultyTracker(log)] as AnyPlugin[];
}

/** fourWans with `tethering` as `wan.faulty` on usb0; `top` makes it the first choice (the others move down one). */
export function withFaulty(
  fault: WanFault,
  o: { top?: boolean; tracker?: TrackerFault; targets?: string[] } = {},
) {
  const doc = fourWans();
  if (o.top) for (const w of Object.values(doc.wans)) w.priority++;
  const tracker = o.tracker === undefined
    ? doc.wans.tethering.tracker
    : { type: "tracker.faulty", targets: o.targets ?? ["198.19.0.1", "198.19.0.2"], fault: o.tracker };
  (doc.wans as Record<string, unknown>).tethering = {
    type: "wan.faulty",
    device: "usb0",
    fault,
    priority: o.top ? 1 : 3,
    tracker,
  };
  return doc;
}

/** settlesWithin advances fake time (at most `ms`) until `p` settles; false when it has not. */
export async function settlesWithin(clock: FakeClock, p: Promise<unknown>, ms: number, stepMs = 50): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  for (let t = 0; t <= ms && !done; t += stepMs) await advance(clock, stepMs, stepMs);
  return done;
}

/** Watches whether a promise has settled yet (without awaiting it). */
export function track<T>(p: Promise<T>): { readonly settled: boolean; readonly promise: Promise<T> } {
  const s = { settled: false, promise: p };
  p.then(() => (s.settled = true), () => (s.settled = true));
  return s;
}
