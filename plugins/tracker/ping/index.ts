/**
 * `tracker.ping`: ICMP echo to one or more targets through the uplink, with long-lived
 * echo streams (no process per probe) and a timeout that adapts to the measured RTT.
 * @module
 */
import * as v from "valibot";
import type { EchoResult, EchoStream, TimerHandle, TrackerPlugin } from "../../../src/index.ts";
import { perTargetInterval, staggerMs, turns } from "../_shared/cadence.ts";

/** An IPv4 or IPv6 address (IPv6 targets are probed with ICMPv6 from the uplink's IPv6 address). */
const ADDRESS = v.pipe(v.string(), v.ip("Expected an IPv4 or IPv6 address"));

export const pingSchema = v.strictObject({
  targets: v.pipe(
    v.array(ADDRESS),
    v.minLength(1, "Name at least one target"),
    v.maxLength(8),
    v.title("Targets"),
    v.description(
      "Addresses that answer ping reliably (several: a quorum decides). IPv6 addresses are probed with ICMPv6; " +
        "a dual-stack WAN with targets of both families judges each family on its own.",
    ),
  ),
  count: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10), v.title("Pings per target per round")),
    1,
  ),
  timeoutMs: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(100),
      v.maxValue(10_000),
      v.title("Timeout (ms)"),
      v.description("Longest wait for a reply; shorter when the measured RTT allows (never under 250 ms)."),
    ),
    1000,
  ),
  intervalMs: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(500),
      v.maxValue(3_600_000),
      v.title("Interval (ms)"),
      v.description("Time between probes while the uplink is healthy (targets take turns)."),
    ),
    10_000,
  ),
  size: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(16), v.maxValue(1472), v.title("Payload bytes")),
    24,
  ),
});
export type PingConfig = v.InferOutput<typeof pingSchema>;

/** Floor of the adaptive timeout, like TCP's minimum RTO. */
export const MIN_TIMEOUT_MS = 250;

/** adaptiveTimeout: 2*SRTT + 4*RTTVAR, between {@link MIN_TIMEOUT_MS} and the configured maximum. */
export function adaptiveTimeout(srtt: number | undefined, rttvar: number, maxMs: number): number {
  if (srtt === undefined) return maxMs;
  return Math.round(Math.min(maxMs, Math.max(MIN_TIMEOUT_MS, 2 * srtt + 4 * rttvar)));
}

export const pingTracker = {
  id: "tracker.ping",
  version: "1.0.0",
  kernel: "^1.0.0",
  title: "Ping",
  description: "ICMP echo to the targets through this uplink.",
  schema: pingSchema,
  create(ctx, config) {
    return {
      targets: config.targets,
      watch(binding, emit, intervalMs) {
        let srtt: number | undefined;
        let rttvar = 0;
        let timeoutMs = config.timeoutMs;
        let streams: (EchoStream | undefined)[] = [];
        let timers: TimerHandle[] = [];
        let pending = config.targets.map(() => ({ sent: 0, received: 0, rtt: 0 }));
        const onEcho = (k: number, r: EchoResult) => {
          const p = pending[k];
          p.sent++;
          if (r.ok && r.rttMs !== undefined) {
            p.received++;
            p.rtt += r.rttMs;
            rttvar = srtt === undefined ? r.rttMs / 2 : 0.75 * rttvar + 0.25 * Math.abs(srtt - r.rttMs);
            srtt = srtt === undefined ? r.rttMs : 0.875 * srtt + 0.125 * r.rttMs;
            const next = adaptiveTimeout(srtt, rttvar, config.timeoutMs);
            if (Math.abs(next - timeoutMs) >= 10) {
              timeoutMs = next;
              for (const s of streams) s?.setTimeoutMs?.(timeoutMs);
            }
          }
          if (p.sent < config.count) return;
          pending[k] = { sent: 0, received: 0, rtt: 0 };
          emit({
            target: config.targets[k],
            ok: p.received > 0,
            rttMs: p.received > 0 ? p.rtt / p.received : undefined,
            sent: p.sent,
            received: p.received,
            error: p.received > 0 ? undefined : r.error ?? "timeout",
          });
        };
        // (Re)starts one echo stream per target, staggered so that at the steady interval
        // the targets take turns (while confirming, all at once); a cadence change restarts
        // them (rare: phase changes only).
        const startStreams = (ms: number) => {
          const old = streams;
          for (const t of timers) t.cancel();
          void Promise.all(old.map((s) => s?.close())).catch(() => {});
          streams = [];
          pending = config.targets.map(() => ({ sent: 0, received: 0, rtt: 0 }));
          // IPv6 targets (with a colon) take turns among themselves, IPv4 ones likewise.
          const turn = turns(config.targets, (t) => t.includes(":"));
          const perOf = (k: number) => perTargetInterval(ms, config.intervalMs, turn[k].of);
          timers = config.targets.map((target, k) =>
            ctx.clock.setTimeout(() => {
              const mine = streams;
              const s = ctx.platform.probes.echo(
                { binding, target, intervalMs: perOf(k), timeoutMs, size: config.size },
                (r) => mine === streams && onEcho(k, r),
              );
              streams[k] = s;
            }, perOf(k) > ms ? staggerMs(turn[k].slot, perOf(k), turn[k].of) : 0)
          );
        };
        startStreams(intervalMs);
        return {
          setIntervalMs(ms) {
            if (ms === intervalMs) return;
            intervalMs = ms;
            startStreams(ms);
          },
          async close() {
            for (const t of timers) t.cancel();
            const old = streams;
            streams = [];
            await Promise.all(old.map((s) => s?.close()));
          },
        };
      },
    };
  },
} satisfies TrackerPlugin<typeof pingSchema>;
