/**
 * Every call into a plugin is bounded: it settles with its result, its error, or a
 * {@link PluginTimeoutError} once its limit passes, so a plugin that never answers
 * cannot wedge the kernel. JavaScript cannot cancel the call itself; the caller aborts
 * the instance's signal and abandons it. (A synchronous endless loop cannot be bounded
 * in-process at all.)
 *
 * The limits, in one place. They keep failover fast: a config apply never holds up a
 * re-plan (see the kernel), and boot, shutdown and a WAN's removal finish within a few of
 * them even when a plugin never answers.
 * @module
 */
import type { Clock } from "../clock.ts";
import { PluginTimeoutError } from "../errors.ts";

export interface PluginLimits {
  /** `plugin.create()`: meant to be cheap; anything slow belongs in `start()`. */
  readonly createMs: number;
  /** `instance.start()`: may dial a modem or load firmware. */
  readonly startMs: number;
  /** `instance.stop()`: after this the instance is abandoned (its signal has fired). */
  readonly stopMs: number;
  /** `wan.inspect()`: a WAN whose inspect does not answer in time is down. */
  readonly inspectMs: number;
  /** `tracker.watch()`. */
  readonly watchMs: number;
  /** `session.close()`. */
  readonly closeMs: number;
}

export const PLUGIN_LIMITS: PluginLimits = Object.freeze({
  createMs: 5_000,
  startMs: 10_000,
  stopMs: 5_000,
  inspectMs: 3_000,
  watchMs: 3_000,
  closeMs: 3_000,
});

export type PluginCall = "create" | "start" | "stop" | "inspect" | "watch" | "close";

/** Who is called, for the timeout error. */
export interface CallSite {
  readonly plugin: string;
  readonly instance: string;
  readonly clock: Clock;
}

/** bounded runs `fn` (sync or async) and settles within `ms`; a synchronous throw becomes a rejection. */
export function bounded<T>(site: CallSite, call: PluginCall, ms: number, fn: () => T | PromiseLike<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = site.clock.setTimeout(() => {
      if (done) return;
      done = true;
      reject(new PluginTimeoutError(site.plugin, site.instance, ms, call));
    }, ms);
    let p: Promise<T>;
    try {
      p = Promise.resolve(fn());
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (value) => {
        if (done) return;
        done = true;
        timer.cancel();
        resolve(value);
      },
      (err) => {
        if (done) return;
        done = true;
        timer.cancel();
        reject(err);
      },
    );
  });
}

/** "3 s", "0.7 s": a limit as people read it. */
export function seconds(ms: number): string {
  return `${ms / 1000} s`;
}
