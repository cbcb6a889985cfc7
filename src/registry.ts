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

/** Registry holds plugin definitions by id, checked on the way in. */
export class Registry {
  #plugins = new Map<string, AnyPlugin>();
  readonly apiVersion: string;

  constructor(apiVersion = KERNEL_API_VERSION) {
    this.apiVersion = apiVersion;
  }

  /** Registers one plugin; throws a typed error naming the plugin when it is refused. */
  register(plugin: AnyPlugin): void {
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
