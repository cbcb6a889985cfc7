/**
 * Plugin instance lifecycle: create -> start -> running -> stop, each call bounded (see
 * `bounded.ts`). `stop` is called even after a failed or partial start; a stop that fails
 * or does not finish in time is reported and abandoned, never awaited for ever.
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { KernelError, messageOf, PluginStartError, PluginTimeoutError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Lifecycle } from "../plugin.ts";
import { bounded, PLUGIN_LIMITS, type PluginLimits } from "./bounded.ts";

/** Where an instance sits, and what to do when one of its calls fails. */
export interface InstanceSite {
  readonly plugin: string;
  readonly instance: string;
  readonly log: Logger;
  /** Timers for the bounds (the system clock when absent). */
  readonly clock?: Clock;
  readonly limits?: PluginLimits;
  /** Reports a failed or hung stop (else it is only logged). */
  readonly onError?: (err: unknown) => void;
  /** Fires the instance's abort signal. */
  readonly abort?: () => void;
}

const siteOf = (w: InstanceSite) => ({ plugin: w.plugin, instance: w.instance, clock: w.clock ?? systemClock });

/** createInstance calls the plugin's factory within its bound; a failure is a PluginStartError, a hang a timeout. */
export async function createInstance<T>(where: InstanceSite, create: () => T | Promise<T>): Promise<T> {
  const ms = (where.limits ?? PLUGIN_LIMITS).createMs;
  try {
    return await bounded(siteOf(where), "create", ms, create);
  } catch (err) {
    where.abort?.();
    throw err instanceof KernelError ? err : new PluginStartError(where.plugin, where.instance, err);
  }
}

/** startInstance runs `instance.start()` within `timeoutMs`; on failure it aborts and stops the instance and throws. */
export async function startInstance(
  instance: Lifecycle,
  where: InstanceSite,
  timeoutMs = (where.limits ?? PLUGIN_LIMITS).startMs,
): Promise<void> {
  if (!instance.start) return;
  try {
    await bounded(siteOf(where), "start", timeoutMs, () => instance.start!());
  } catch (err) {
    where.abort?.();
    await stopInstance(instance, where);
    throw err instanceof PluginTimeoutError ? err : new PluginStartError(where.plugin, where.instance, err);
  }
}

/** stopInstance calls `instance.stop()` within its bound and never throws. */
export async function stopInstance(instance: Lifecycle, where: InstanceSite): Promise<void> {
  if (!instance.stop) return;
  try {
    await bounded(siteOf(where), "stop", (where.limits ?? PLUGIN_LIMITS).stopMs, () => instance.stop!());
  } catch (err) {
    if (where.onError) where.onError(err);
    else where.log.warn("stop failed: {error}", { error: messageOf(err), plugin: where.plugin, instance: where.instance });
  }
}
