/**
 * The config's `plugins` section: `{ "plugins": { "dirs": ["/usr/lib/multiwan/plugins"] } }`.
 * On Deno the daemon needs read access to these directories (the launcher grants it).
 * @module
 */
import * as v from "valibot";

export const pluginsSection = v.strictObject({
  dirs: v.optional(
    v.pipe(
      v.array(
        v.pipe(
          v.string(),
          v.regex(/^\/[^\0]*$/, "An absolute path, e.g. /usr/lib/multiwan/plugins"),
          v.maxLength(1024),
        ),
      ),
      v.maxLength(32),
      v.title("Plugin directories"),
      v.description(
        "Each a plugin folder, or a folder of plugin folders, loaded at start and when this list changes. " +
          "A plugin already loaded is upgraded only by a restart.",
      ),
    ),
    [],
  ),
});

/** pluginDirsOf reads `plugins.dirs` from a document that may not be valid (yet). */
export function pluginDirsOf(doc: unknown): string[] {
  const dirs = (doc as { plugins?: { dirs?: unknown } } | null | undefined)?.plugins?.dirs;
  return Array.isArray(dirs) ? dirs.filter((d): d is string => typeof d === "string" && d.startsWith("/")) : [];
}
