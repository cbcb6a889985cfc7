/**
 * Why a plugin folder or a definition in it could not be loaded. Codes are stable:
 * `E_PLUGIN_DIR` (a directory cannot be read), `E_PLUGIN_NO_ENTRY` (a folder that is not a
 * plugin), `E_PLUGIN_IMPORT` (the module throws on import, has a syntax error, or never
 * finishes loading), `E_PLUGIN_EMPTY` (it exports no definition), `E_PLUGIN_SETUP` (its
 * `setup(sdk)` threw), `E_PLUGIN_KIND`, `E_PLUGIN_SCHEMA`, and the registry's own
 * `E_PLUGIN_INVALID`, `E_PLUGIN_DUPLICATE`, `E_PLUGIN_API`.
 * @module
 */
import { KernelError } from "../errors.ts";
import type { PluginFailure } from "../registry.ts";

/** A plugin failed to load; the message names the plugin (when known) and the folder. */
export class PluginLoadError extends KernelError {
  readonly folder: string;
  readonly plugin?: string;
  /** The reason alone, without the folder and plugin. */
  readonly reason: string;

  constructor(code: string, folder: string, plugin: string | undefined, reason: string, options?: { cause?: unknown }) {
    super(code, describe({ id: plugin, folder, error: { code, message: reason } }), options);
    this.folder = folder;
    this.plugin = plugin;
    this.reason = reason;
  }

  /** The record the registry keeps and the API lists. */
  toFailure(): PluginFailure {
    const error = { code: this.code, message: this.reason };
    return this.plugin === undefined ? { folder: this.folder, error } : { id: this.plugin, folder: this.folder, error };
  }
}

/** describe renders a failure as one line: "wan.foo failed to load from /x/y: why". */
export function describe(f: PluginFailure): string {
  return `${f.id ?? "a plugin"} failed to load from ${f.folder}: ${f.error.message}`;
}
