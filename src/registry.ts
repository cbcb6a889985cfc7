/**
 * The plugin registry: an instance per daemon (and per test), never a global.
 * @module
 */
import { DuplicatePluginError, InvalidPluginError, PluginApiMismatchError, PluginNotFoundError } from "./errors.ts";
import { type AnyPlugin, KERNEL_API_VERSION, kindOf, type PluginKind } from "./plugin.ts";
import { isValidRange, satisfies } from "./semver.ts";

const ID = /^(tracker|wan|mode)\.[a-z][a-z0-9-]{0,39}$/;
const VERSION = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;

/** Keys the kernel owns in every entry; a plugin schema may not declare them. */
export const RESERVED_KEYS: Readonly<Record<PluginKind, readonly string[]>> = {
  tracker: ["type"],
  wan: ["type", "label", "enabled", "priority", "weight", "nat", "metered", "tracker", "health"],
  mode: ["type"],
};

/** A plugin that could not be loaded: where from, and why (listed by the API, named when a config uses it). */
export interface PluginFailure {
  /** The plugin id, when the definition got far enough to have one. */
  readonly id?: string;
  /** The folder (or entry module) it came from. */
  readonly folder: string;
  readonly error: { readonly code: string; readonly message: string };
}

/** Registry holds plugin definitions by id, checked on the way in. */
export class Registry {
  #plugins = new Map<string, AnyPlugin>();
  #origins = new Map<string, string>();
  #failures: PluginFailure[] = [];
  #revision = 0;
  readonly apiVersion: string;

  constructor(apiVersion = KERNEL_API_VERSION) {
    this.apiVersion = apiVersion;
  }

  /** Grows on every change, so whoever derives something from the registry (the document schema) knows to redo it. */
  get revision(): number {
    return this.#revision;
  }

  /**
   * Registers one plugin; throws a typed error naming the plugin when it is refused.
   * `origin` is the folder a loaded plugin came from (absent for built-ins).
   */
  register(plugin: AnyPlugin, origin?: string): void {
    const id = typeof plugin?.id === "string" ? plugin.id : "<no id>";
    if (!ID.test(id)) {
      throw new InvalidPluginError(id, "id must look like <tracker|wan|mode>.<name> (lowercase, digits, dashes)");
    }
    if (this.#plugins.has(id)) throw new DuplicatePluginError(id);
    if (typeof plugin.version !== "string" || !VERSION.test(plugin.version)) {
      throw new InvalidPluginError(id, `version ${JSON.stringify(plugin.version)} is not semver`);
    }
    if (typeof plugin.kernel !== "string" || !isValidRange(plugin.kernel)) {
      throw new InvalidPluginError(id, `kernel range ${JSON.stringify(plugin.kernel)} is not a semver range`);
    }
    if (!satisfies(this.apiVersion, plugin.kernel)) {
      throw new PluginApiMismatchError(id, plugin.kernel, this.apiVersion);
    }
    if (typeof plugin.create !== "function") throw new InvalidPluginError(id, "create is not a function");
    const entries = (plugin.schema as { entries?: unknown } | undefined)?.entries;
    if (!entries || typeof entries !== "object") {
      throw new InvalidPluginError(id, "schema must be a valibot object schema");
    }
    const clash = RESERVED_KEYS[kindOf(id)].filter((k) => k in entries);
    if (clash.length > 0) throw new InvalidPluginError(id, `schema declares kernel-owned keys: ${clash.join(", ")}`);
    this.#plugins.set(id, plugin);
    if (origin !== undefined) this.#origins.set(id, origin);
    this.#revision++;
  }

  /** The folder a plugin was loaded from; undefined for built-ins. */
  originOf(id: string): string | undefined {
    return this.#origins.get(id);
  }

  /** Records a plugin that failed to load (kept for the API and for config errors). */
  recordFailure(failure: PluginFailure): void {
    this.#failures.push(failure);
    this.#revision++;
  }

  /** Plugins that failed to load, in the order they failed. */
  failures(): readonly PluginFailure[] {
    return this.#failures;
  }

  /** Why the plugin `id` is missing, when it failed to load and no plugin holds that id. */
  failureOf(id: string): PluginFailure | undefined {
    if (this.#plugins.has(id)) return undefined;
    return this.#failures.findLast((f) => f.id === id);
  }

  /** Registers several plugins in order. */
  registerAll(plugins: readonly AnyPlugin[]): void {
    for (const p of plugins) this.register(p);
  }

  get(id: string): AnyPlugin {
    const p = this.#plugins.get(id);
    if (!p) throw new PluginNotFoundError(id);
    return p;
  }

  has(id: string): boolean {
    return this.#plugins.has(id);
  }

  /** Plugins of one kind (or all), sorted by id so output is deterministic. */
  list(kind?: PluginKind): AnyPlugin[] {
    return [...this.#plugins.values()]
      .filter((p) => !kind || kindOf(p.id) === kind)
      .sort((a, b) => a.id.localeCompare(b.id));
  }
}
