/**
 * The plugin loader: imports every plugin folder under the directories it is given and
 * registers the definitions each entry module exports. A folder or definition that fails
 * is recorded in the registry with its reason (the API lists it; a config that uses it is
 * refused naming it) and never stops the daemon.
 *
 * What an entry module may export: definitions (any named export that is an object with an
 * `id`), an array `plugins`, and/or `setup(sdk)` returning a definition or an array of them
 * (possibly async). `setup` is how a plugin outside the project gets valibot and the SDK
 * without `node_modules`.
 *
 * ES modules cannot be re-imported: a folder is loaded once per process. Loading a changed
 * directory list loads the new folders only; upgrading a loaded plugin needs a restart.
 * @module
 */
import { InvalidPluginError, KernelError, messageOf } from "../errors.ts";
import type { Logger } from "../log.ts";
import { type AnyPlugin, PLUGIN_KINDS } from "../plugin.ts";
import type { PluginFailure, Registry } from "../registry.ts";
import { entryOf, ENTRY_NAMES, pluginFolders } from "./entry.ts";
import { fileUrl, resolve } from "../host/index.ts";
import { PluginLoadError } from "./errors.ts";
import { schemaProblem } from "./schema-check.ts";

export { describe as describeFailure, PluginLoadError } from "./errors.ts";
export type { PluginFailure } from "../registry.ts";
export { pluginDirsOf, pluginsSection } from "./section.ts";
export { openPaths, schemaProblem, toStrictJsonSchema } from "./schema-check.ts";

/** How long an entry module may take to import, and `setup(sdk)` to return. */
export const LOAD_TIMEOUT_MS = 10_000;

export interface LoaderOptions {
  /** What `setup(sdk)` receives (the daemon passes `multiwan/sdk`). */
  readonly sdk: unknown;
  readonly log?: Logger;
  readonly timeoutMs?: number;
}

/** What one call to {@link PluginLoader.load} did. */
export interface LoadReport {
  readonly loaded: readonly { readonly id: string; readonly folder: string }[];
  readonly failed: readonly PluginFailure[];
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null;
const looksLikeDefinition = (x: unknown) => isObject(x) && typeof x.id === "string";

export class PluginLoader {
  readonly #registry: Registry;
  readonly #o: LoaderOptions;
  readonly #seen = new Set<string>();

  constructor(registry: Registry, o: LoaderOptions) {
    this.#registry = registry;
    this.#o = o;
  }

  /** Loads the plugin folders of `dirs` not loaded before; never throws. */
  async load(dirs: readonly string[]): Promise<LoadReport> {
    const loaded: { id: string; folder: string }[] = [];
    const failed: PluginFailure[] = [];
    const fail = (err: PluginLoadError) => {
      const f = err.toFailure();
      this.#registry.recordFailure(f);
      failed.push(f);
      this.#o.log?.error("{message}", { message: err.message, code: err.code, folder: f.folder, plugin: f.id });
    };
    for (const dir of dirs) {
      let folders: string[];
      try {
        folders = await pluginFolders(dir);
      } catch (err) {
        if (!this.#seen.has(dir)) fail(asLoadError(err, dir, undefined));
        this.#seen.add(dir);
        continue;
      }
      for (const folder of folders) {
        if (this.#seen.has(folder)) continue;
        this.#seen.add(folder);
        for (const r of await this.#loadFolder(folder)) {
          if (r instanceof PluginLoadError) fail(r);
          else {
            loaded.push({ id: r.id, folder });
            this.#o.log?.info("plugin {id} loaded from {folder}", { id: r.id, folder });
          }
        }
      }
    }
    return { loaded, failed };
  }

  async #loadFolder(folder: string): Promise<(AnyPlugin | PluginLoadError)[]> {
    const ms = this.#o.timeoutMs ?? LOAD_TIMEOUT_MS;
    let candidates: unknown[];
    try {
      const entry = await entryOf(folder);
      if (entry === undefined) {
        throw new PluginLoadError("E_PLUGIN_NO_ENTRY", folder, undefined, `not a plugin folder: no package.json main, ${ENTRY_NAMES.join(", ")}`);
      }
      let mod: Record<string, unknown>;
      try {
        mod = await withTimeout(import(fileUrl(resolve(entry)).href), ms, "the import");
      } catch (err) {
        throw new PluginLoadError("E_PLUGIN_IMPORT", folder, undefined, `importing ${entry} failed: ${messageOf(err)}`, { cause: err });
      }
      candidates = await this.#candidates(mod, folder, ms);
    } catch (err) {
      return [asLoadError(err, folder, undefined)];
    }
    if (candidates.length === 0) {
      return [new PluginLoadError("E_PLUGIN_EMPTY", folder, undefined, "the entry module exports no plugin definition (export one, an array `plugins`, or a function `setup(sdk)`)")];
    }
    return candidates.map((c) => {
      const id = isObject(c) && typeof c.id === "string" ? c.id : undefined;
      try {
        this.#check(c, id, folder);
        this.#registry.register(c as AnyPlugin, folder);
        return c as AnyPlugin;
      } catch (err) {
        return asLoadError(err, folder, id);
      }
    });
  }

  async #candidates(mod: Record<string, unknown>, folder: string, ms: number): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const [name, value] of Object.entries(mod)) {
      if (name === "setup" && typeof value === "function") {
        let made: unknown;
        try {
          made = await withTimeout(Promise.resolve().then(() => value(this.#o.sdk)), ms, "setup(sdk)");
        } catch (err) {
          throw new PluginLoadError("E_PLUGIN_SETUP", folder, undefined, `setup(sdk) failed: ${messageOf(err)}`, { cause: err });
        }
        out.push(...(Array.isArray(made) ? made : [made]));
      } else if (name === "plugins" && Array.isArray(value)) {
        out.push(...value);
      } else if (looksLikeDefinition(value)) {
        out.push(value);
      }
    }
    return [...new Set(out)];
  }

  #check(c: unknown, id: string | undefined, folder: string): void {
    const fail = (code: string, why: string) => new PluginLoadError(code, folder, id, why);
    if (!isObject(c) || id === undefined) throw fail("E_PLUGIN_INVALID", "a definition must be an object with an id like wan.<name>");
    const kind = id.includes(".") ? id.slice(0, id.indexOf(".")) : "";
    if (!(PLUGIN_KINDS as readonly string[]).includes(kind)) {
      throw fail("E_PLUGIN_KIND", `the kind ${JSON.stringify(kind || id)} is not one of ${PLUGIN_KINDS.join(", ")} (ids look like wan.<name>)`);
    }
    if ("kind" in c && c.kind !== kind) throw fail("E_PLUGIN_KIND", `kind ${JSON.stringify(c.kind)} does not match the id ${id}`);
    if (this.#registry.has(id)) {
      const by = this.#registry.originOf(id);
      throw fail("E_PLUGIN_DUPLICATE", `the id ${id} is already taken by ${by ? `the plugin from ${by}` : "a built-in plugin"}`);
    }
    if (typeof c.create !== "function") throw fail("E_PLUGIN_INVALID", "create is missing or not a function");
    const problem = schemaProblem(c.schema);
    if (problem) throw fail("E_PLUGIN_SCHEMA", problem);
  }
}

/** asLoadError wraps anything thrown while loading into a PluginLoadError naming folder and plugin. */
function asLoadError(err: unknown, folder: string, id: string | undefined): PluginLoadError {
  if (err instanceof PluginLoadError) return err;
  const code = err instanceof KernelError ? err.code : "E_PLUGIN_INVALID";
  const why = err instanceof InvalidPluginError ? err.message.replace(/^Plugin \S+: /, "") : messageOf(err);
  return new PluginLoadError(code, folder, id, why, { cause: err });
}

