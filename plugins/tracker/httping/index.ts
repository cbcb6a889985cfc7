/**
 * `tracker.httping`: HTTP(S) requests from the uplink's address; a wrong status (and, when
 * configured, a redirect) counts as a failure.
 * @module
 */
import * as v from "valibot";
import type { TimerHandle, TrackerPlugin } from "../../../src/index.ts";
import { perTargetInterval, staggerMs, turns } from "../_shared/cadence.ts";

const URL_SCHEMA = v.pipe(
  v.string(),
  v.maxLength(512),
  v.url("Expected a URL"),
  v.regex(/^https?:\/\/[^\s/@]+(\/[^\s]*)?$/i, "Only http:// and https:// URLs without credentials"),
);

export const httpingSchema = v.strictObject({
  urls: v.pipe(
    v.array(URL_SCHEMA),
    v.minLength(1, "Name at least one URL"),
    v.maxLength(4),
    v.title("URLs"),
    v.description("An IPv6 host is written in brackets, e.g. http://[2001:2::1]/ (probed over IPv6)."),
  ),
  method: v.optional(v.pipe(v.picklist(["HEAD", "GET"]), v.title("Method")), "HEAD"),
  expectStatus: v.optional(
    v.pipe(
      v.array(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(599))),
      v.maxLength(16),
      v.title("Expected status codes"),
      v.description("Empty: any 2xx (and 3xx unless redirects count as failure)."),
    ),
    [],
  ),
  redirectIsFailure: v.optional(
    v.pipe(v.boolean(), v.title("A redirect is a failure"), v.description("Captive portals answer with redirects.")),
    true,
  ),
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(200), v.maxValue(30_000), v.title("Timeout (ms)")), 2000),
  intervalMs: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1000),
      v.maxValue(3_600_000),
      v.title("Interval (ms)"),
      v.description("Time between requests while healthy (URLs take turns)."),
    ),
    60_000,
  ),
});
export type HttpingConfig = v.InferOutput<typeof httpingSchema>;

/** statusOk applies the expected-status rules. */
export function statusOk(status: number, config: Pick<HttpingConfig, "expectStatus" | "redirectIsFailure">): boolean {
  if (config.expectStatus.length > 0) return config.expectStatus.includes(status);
  if (status >= 200 && status < 300) return true;
  return status >= 300 && status < 400 && !config.redirectIsFailure;
}

export const httpingTracker = {
  id: "tracker.httping",
  version: "1.0.0",
  kernel: "^1.0.0",
  title: "HTTP ping",
  description: "HTTP or HTTPS requests through this uplink; checks the status code.",
  schema: httpingSchema,
  create(ctx, config) {
    return {
      targets: config.urls,
      watch(binding, emit, intervalMs) {
        let closed = false;
        const inflight = new Set<AbortController>();
        const timers: TimerHandle[] = [];
        // URLs with a bracketed IPv6 host take turns among themselves, the others likewise.
        const turn = turns(config.urls, (u) => /^https?:\/\/\[/i.test(u));
        const perOf = (k: number, ms: number) => perTargetInterval(ms, config.intervalMs, turn[k].of);
        const probe = async (k: number) => {
          const url = config.urls[k];
          const ac = new AbortController();
          inflight.add(ac);
          try {
            const r = await ctx.platform.probes.http(
              { binding, url, method: config.method, timeoutMs: config.timeoutMs },
              ac.signal,
            );
            if (closed) return;
            // The status decides (the platform's own ok knows nothing of expectStatus: a
            // configured 404 or 503 must count as an answer).
            const ok = r.status !== undefined ? statusOk(r.status, config) : false;
            emit({
              target: url,
              ok,
              rttMs: ok ? r.ttfbMs : undefined,
              error: ok ? undefined : r.status !== undefined ? `status ${r.status}` : r.error ?? "no answer",
            });
          } catch (err) {
            if (!closed) emit({ target: url, ok: false, error: (err as Error).message });
          } finally {
            inflight.delete(ac);
          }
        };
        const loop = (k: number) => {
          if (closed) return;
          void probe(k);
          timers[k] = ctx.clock.setTimeout(() => loop(k), perOf(k, intervalMs));
        };
        config.urls.forEach((_, k) => {
          timers[k] = ctx.clock.setTimeout(() => loop(k), staggerMs(turn[k].slot, perOf(k, intervalMs), turn[k].of));
        });
        return {
          setIntervalMs(ms) {
            const faster = ms < intervalMs;
            intervalMs = ms;
            if (!faster) return;
            config.urls.forEach((_, k) => {
              timers[k]?.cancel();
              timers[k] = ctx.clock.setTimeout(() => loop(k), staggerMs(turn[k].slot, perOf(k, ms), turn[k].of));
            });
          },
          close() {
            closed = true;
            for (const t of timers) t?.cancel();
            for (const ac of inflight) ac.abort();
            return Promise.resolve();
          },
        };
      },
    };
  },
} satisfies TrackerPlugin<typeof httpingSchema>;
