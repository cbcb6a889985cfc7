/**
 * Hooks: user scripts and webhooks on WAN events, configured in the `hooks` section.
 * @module
 */
import type { Kernel } from "../kernel.ts";
import { logger } from "../log.ts";
import { HookRunner } from "./runner.ts";
import type { HooksConfig } from "./schema.ts";

export { HOOK_EVENTS, hooksSection } from "./schema.ts";
export type { HooksConfig, ScriptHook, Webhook } from "./schema.ts";
export { HookRunner, hookEventOf } from "./runner.ts";

/** startHooks runs the hooks of `kernel`'s config on its events. */
export function startHooks(kernel: Kernel, opts: { sleep?: (ms: number) => Promise<void> } = {}): HookRunner {
  return new HookRunner({
    events: kernel.events,
    config: () => kernel.effective?.hooks as HooksConfig | undefined,
    deviceOf: (wan) => kernel.status().wans.find((w) => w.name === wan)?.device,
    log: logger("hooks"),
    sleep: opts.sleep,
  });
}
