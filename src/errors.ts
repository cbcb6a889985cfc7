/**
 * The kernel's error catalogue. Every error a caller is expected to handle carries a
 * stable `code`; `web/` maps codes to HTTP statuses in one place.
 * @module
 */

/** One invalid field: a JSON path into the config document and a message a person understands. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
  /** Plugin whose schema raised the issue, when known. */
  readonly plugin?: string;
}

const BRAND = Symbol.for("multiwan.KernelError");

/** The class names of `x`'s prototype chain. */
function classNames(x: object): string[] {
  const names: string[] = [];
  for (let p = Object.getPrototypeOf(x); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const ctor = (p as { constructor?: { name?: unknown } }).constructor;
    if (typeof ctor?.name === "string") names.push(ctor.name);
  }
  return names;
}

/**
 * KernelError is the base of every typed error; `code` is stable across releases.
 *
 * `instanceof` also recognises the same class from another copy of this module: a plugin in
 * the project tree that imports `multiwan/sdk` loads the sources while the daemon runs from
 * its bundle (`src/launch/bundle.ts`), and its `PluginError` must keep its code rather than
 * be wrapped as an unknown failure. The mark is a registered symbol, the class by its name.
 */
export class KernelError extends Error {
  readonly code: string;
  declare readonly [BRAND]: true;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](x: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, x)) return true;
    if (typeof x !== "object" || x === null || (x as { [BRAND]?: unknown })[BRAND] !== true) return false;
    return this === KernelError || classNames(x).includes(this.name);
  }
}

/** A plugin definition is malformed (bad id, missing schema or factory). */
export class InvalidPluginError extends KernelError {
  readonly plugin: string;
  constructor(plugin: string, why: string) {
    super("E_PLUGIN_INVALID", `Plugin ${plugin}: ${why}`);
    this.plugin = plugin;
  }
}

/** Two plugins claim the same id. */
export class DuplicatePluginError extends KernelError {
  readonly plugin: string;
  constructor(plugin: string) {
    super("E_PLUGIN_DUPLICATE", `Plugin ${plugin} is already registered`);
    this.plugin = plugin;
  }
}

/** A plugin needs a kernel API range this kernel does not satisfy. */
export class PluginApiMismatchError extends KernelError {
  readonly plugin: string;
  readonly wanted: string;
  readonly actual: string;
  constructor(plugin: string, wanted: string, actual: string) {
    super("E_PLUGIN_API", `Plugin ${plugin} needs kernel API ${wanted}, this kernel provides ${actual}`);
    this.plugin = plugin;
    this.wanted = wanted;
    this.actual = actual;
  }
}

/** No plugin is registered under that id. */
export class PluginNotFoundError extends KernelError {
  readonly plugin: string;
  constructor(plugin: string) {
    super("E_PLUGIN_NOT_FOUND", `No plugin is registered as ${plugin}`);
    this.plugin = plugin;
  }
}

/** A plugin instance failed to start (or threw while creating). */
export class PluginStartError extends KernelError {
  readonly plugin: string;
  readonly instance: string;
  constructor(plugin: string, instance: string, cause: unknown) {
    super("E_PLUGIN_START", `${instance} (${plugin}): start failed: ${messageOf(cause)}`, { cause });
    this.plugin = plugin;
    this.instance = instance;
  }
}

/** A plugin call (create, start, stop, inspect, watch, close) did not settle within its bound. */
export class PluginTimeoutError extends KernelError {
  readonly plugin: string;
  readonly instance: string;
  readonly call: string;
  readonly timeoutMs: number;
  constructor(plugin: string, instance: string, timeoutMs: number, call = "start") {
    super("E_PLUGIN_TIMEOUT", `${instance} (${plugin}): ${call} did not finish within ${timeoutMs} ms`);
    this.plugin = plugin;
    this.instance = instance;
    this.call = call;
    this.timeoutMs = timeoutMs;
  }
}

/** A plugin returned something impossible (a tracker result, an inspection, a mode decision); it was dropped. */
export class PluginResultError extends KernelError {
  constructor(message: string) {
    super("E_PLUGIN_RESULT", message);
  }
}

/** The config document is invalid; `issues` name each field. */
export class ConfigError extends KernelError {
  readonly issues: readonly FieldIssue[];
  constructor(issues: readonly FieldIssue[], message?: string) {
    super("E_CONFIG_INVALID", message ?? `Invalid config: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
    this.issues = issues;
  }
}

/** A write named a revision that is no longer current. */
export class RevisionConflictError extends KernelError {
  readonly expected: number;
  readonly actual: number;
  constructor(expected: number, actual: number) {
    super("E_REVISION_CONFLICT", `Config revision is ${actual}, not ${expected}; reload and retry`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** Applying a valid config failed; the previous config was restored. */
export class ApplyError extends KernelError {
  constructor(cause: unknown) {
    super("E_CONFIG_APPLY", `Config could not be applied, the previous one is still running: ${messageOf(cause)}`, {
      cause,
    });
  }
}

/** The config store could not read or write. */
export class StoreError extends KernelError {
  constructor(message: string, cause?: unknown) {
    super("E_STORE", message, { cause });
  }
}

/** A dataplane operation failed. */
export class DataplaneError extends KernelError {
  constructor(message: string, cause?: unknown) {
    super("E_DATAPLANE", message, { cause });
  }
}

/** A name (WAN, plugin) that does not exist. */
export class NotFoundError extends KernelError {
  constructor(what: string) {
    super("E_NOT_FOUND", `${what} does not exist`);
  }
}

/** messageOf returns a one-line message for any thrown value. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
