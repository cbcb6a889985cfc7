/**
 * Plugin instance lifecycle: create → start (with a timeout) → running → stop. `stop` is
 * called even after a failed or partial start, and its own failure is only logged.
 * @module
 */
import { messageOf, PluginStartError, PluginTimeoutError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Lifecycle } from "../plugin.ts";

export const START_TIMEOUT_MS = 10_000;

/** startInstance runs `instance.start()` within `timeoutMs`; on failure it stops the instance and throws. */
export async function startInstance(
  instance: Lifecycle,
  where: { plugin: string; instance: string; log: Logger },
  timeoutMs = START_TIMEOUT_MS,
): Promise<void> {
  if (!instance.start) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PluginTimeoutError(where.plugin, where.instance, timeoutMs)), timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(() => instance.start!()), timeout]);
  } catch (err) {
    await stopInstance(instance, where);
    throw err instanceof PluginTimeoutError ? err : new PluginStartError(where.plugin, where.instance, err);
  } finally {
    clearTimeout(timer);
  }
}

/** stopInstance calls `instance.stop()` and never throws. */
export async function stopInstance(instance: Lifecycle, where: { plugin: string; instance: string; log: Logger }) {
  if (!instance.stop) return;
  try {
    await instance.stop();
  } catch (err) {
    where.log.warn("stop failed: {error}", { error: messageOf(err), plugin: where.plugin, instance: where.instance });
  }
}
