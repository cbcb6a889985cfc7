/**
 * Misbehaving plugins for the hardening tests and the hung-plugin benchmark: a WAN type
 * that hangs or throws in a chosen call (it otherwise reads the sim device like
 * `wan.ethernet`), and a tracker that hangs, throws or reports garbage.
 * @module
 */
import * as v from "valibot";
import type { TargetResult, TrackerPlugin, WanPlugin } from "../../src/plugin.ts";
import { ethernetWan } from "../../plugins/wan/ethernet/index.ts";

export const WAN_FAULTS = [
  "none",
  "create-hang",
  "create-throw",
  "start-hang",
  "stop-hang",
  "inspect-hang",
  "inspect-throw",
] as const;
export type WanFault = (typeof WAN_FAULTS)[number];

/** What the faulty plugins saw: instance signals (to check they fire) and calls made. */
export interface FaultLog {
  readonly signals: Map<string, AbortSignal>;
  readonly calls: string[];
  /** Switches a running instance's inspect to hanging or throwing. */
  readonly later: Map<string, WanFault>;
}

export function newFaultLog(): FaultLog {
  return { signals: new Map(), calls: [], later: new Map() };
}

const never = <T>() => new Promise<T>(() => {});

const faultyWanSchema = v.strictObject({
  device: v.string(),
  fault: v.optional(v.picklist(WAN_FAULTS), "none"),
});

/** faultyWan builds `wan.faulty`, recording into `log`. */
export function faultyWan(log: FaultLog) {
  return {
    id: "wan.faulty",
    version: "0.0.1",
    kernel: "^1.0.0",
    title: "Faulty (tests)",
    description: "Hangs or throws in the call its `fault` names.",
    schema: faultyWanSchema,
    create(ctx, config) {
      log.calls.push(`create ${ctx.instance}`);
      log.signals.set(ctx.instance, ctx.signal);
      if (config.fault === "create-hang") return never();
      if (config.fault === "create-throw") throw new Error("cannot load firmware");
      const inner = ethernetWan.create(ctx, { device: config.device, gateway: undefined });
      const now = () => log.later.get(ctx.instance) ?? config.fault;
      return {
        device: config.device,
        start: () => (config.fault === "start-hang" ? never<void>() : Promise.resolve()),
        stop: () => {
          log.calls.push(`stop ${ctx.instance}`);
          return config.fault === "stop-hang" ? never<void>() : Promise.resolve();
        },
        inspect: () => {
          if (now() === "inspect-hang") {
            log.calls.push(`inspect-hang ${ctx.instance}`);
            return never();
          }
          if (now() === "inspect-throw") return Promise.reject(new Error("modem answered AT+ERROR"));
          return inner.inspect();
        },
      };
    },
  } satisfies WanPlugin<typeof faultyWanSchema>;
}

export const TRACKER_FAULTS = [
  "none",
  "watch-throw",
  "close-hang",
  "negative-rtt",
  "nan-rtt",
  "absurd-rtt",
  "received-gt-sent",
  "negative-sent",
  "unknown-target",
  "timer-throw",
] as const;
export type TrackerFault = (typeof TRACKER_FAULTS)[number];

const faultyTrackerSchema = v.strictObject({
  targets: v.array(v.string()),
  intervalMs: v.optional(v.number(), 1000),
  fault: v.optional(v.picklist(TRACKER_FAULTS), "none"),
});

function resultFor(target: string, fault: TrackerFault): TargetResult {
  const good = { target, ok: true, rttMs: 12, sent: 1, received: 1 };
  switch (fault) {
    case "negative-rtt":
      return { ...good, rttMs: -40 };
    case "nan-rtt":
      return { ...good, rttMs: Number.NaN };
    case "absurd-rtt":
      return { ...good, rttMs: 1e12 };
    case "received-gt-sent":
      return { ...good, sent: 1, received: 7 };
    case "negative-sent":
      return { ...good, sent: -3, received: 0 };
    case "unknown-target":
      return { ...good, target: "198.19.0.250" };
    default:
      return good;
  }
}

/** faultyTracker builds `tracker.faulty`: answers every target each interval, true to its `fault`. */
export function faultyTracker(log: FaultLog) {
  return {
    id: "tracker.faulty",
    version: "0.0.1",
    kernel: "^1.0.0",
    title: "Faulty tracker (tests)",
    description: "Reports good, absurd or no results, or hangs on close.",
    schema: faultyTrackerSchema,
    create(ctx, config) {
      return {
        targets: config.targets,
        watch(_binding, emit, intervalMs) {
          if (config.fault === "watch-throw") throw new Error("raw socket refused");
          let every = intervalMs;
          let closed = false;
          const tick = () => {
            if (closed) return;
            for (const t of config.targets) emit(resultFor(t, config.fault));
            ctx.clock.setTimeout(tick, every);
            if (config.fault === "timer-throw") throw new Error("tick exploded");
          };
          ctx.clock.setTimeout(tick, every);
          return {
            setIntervalMs: (ms) => void (every = ms),
            close: () => {
              closed = true;
              log.calls.push(`close ${ctx.instance}`);
              return config.fault === "close-hang" ? never<void>() : Promise.resolve();
            },
          };
        },
      };
    },
  } satisfies TrackerPlugin<typeof faultyTrackerSchema>;
}
