/**
 * The plugin directories to load at start: those named by `--plugins` flags (relative to
 * the working directory) and by the `plugins.dirs` of the stored config and of its last
 * good copy (boot may fall back to it), before the kernel builds its schema.
 * @module
 */
import { resolve } from "../host/index.ts";
import type { ConfigStore } from "../config/store.ts";
import { pluginDirsOf } from "./section.ts";

export async function bootPluginDirs(store: ConfigStore, flagDirs: readonly string[]): Promise<string[]> {
  const dirs = flagDirs.map((d) => resolve(d));
  for (const read of [() => store.load(), () => store.loadLastGood()]) {
    const stored = await read().catch(() => undefined);
    dirs.push(...pluginDirsOf(stored?.doc));
  }
  return [...new Set(dirs)];
}
