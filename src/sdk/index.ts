/**
 * `multiwan/sdk`: everything a plugin author needs, from one entry. The definition types
 * per kind and `defineWan`/`defineTracker`/`defineMode` (identity helpers that give the
 * schema's type to `create`), what `ctx` lends, the typed errors, valibot as `v`, schema
 * helpers for the panel (`secret()`, `ui({...})`) and UDP probes through an uplink.
 *
 * A plugin folder outside the project has no `node_modules`: export `setup(sdk)` and take
 * everything from its argument (this module, passed by the daemon); `import type` from
 * `multiwan/sdk` is erased at run time, so types still work. See docs/plugins.md.
 *
 * Kernel API version policy (`KERNEL_API_VERSION`, semver): a plugin declares the range it
 * is written against (`kernel: "^1.0.0"`). MAJOR grows when a plugin written for the
 * previous version may stop working: a member removed or renamed in a definition, `ctx`,
 * an instance interface or the SDK; a new required member of a definition or instance; a
 * changed meaning or unit; an optional hook that becomes required; a stricter check at
 * load. MINOR grows for additions a plugin may ignore: a new optional hook or field, a new
 * `ctx` capability, a new SDK helper, a new optional input to a mode (`ModeWan.latencyMs`).
 * PATCH: fixes only.
 * @module
 */
import * as v from "valibot";
import type { ModePlugin, PluginSchema, TrackerPlugin, WanPlugin } from "../plugin.ts";

export * as v from "valibot";
export { KERNEL_API_VERSION, kindOf, PLUGIN_KINDS } from "../plugin.ts";
export type * from "../plugin.ts";
export type {
  EchoResult, EchoStream, EchoStreamOptions, Exec, ExecResult, HttpProbeRequest, HttpProbeResult, LinkEvent, LinkInfo,
  Links, ProbeBinding, Probes,
} from "../platform.ts";
export type { Carrier, ModeDecision } from "../plan.ts";
export type { HealthState } from "../health/types.ts";
export type { Clock, TimerHandle } from "../clock.ts";
export type { Logger } from "../log.ts";
export {
  InvalidPluginError, KernelError, messageOf, PluginApiMismatchError, PluginStartError, PluginTimeoutError,
} from "../errors.ts";
export { PluginLoadError } from "../loader/errors.ts";
export { PluginError } from "./errors.ts";
export { PROBE_PORTS, udpExchange, type UdpExchange, type UdpResult } from "./udp.ts";

/** defineWan returns its argument; it exists so `config` in `create` gets the schema's type. */
export function defineWan<S extends PluginSchema>(def: WanPlugin<S>): WanPlugin<S> {
  return def;
}

/** defineTracker returns its argument, typed (see {@link defineWan}). */
export function defineTracker<S extends PluginSchema>(def: TrackerPlugin<S>): TrackerPlugin<S> {
  return def;
}

/** defineMode returns its argument, typed (see {@link defineWan}). */
export function defineMode<S extends PluginSchema>(def: ModePlugin<S>): ModePlugin<S> {
  return def;
}

/** secret marks a field as a secret (PIN, password, key): the panel shows a password input, the API never echoes it. */
export function secret<TInput>() {
  return v.metadata<TInput, { readonly writeOnly: true }>({ writeOnly: true });
}

/** UI hints the panel reads from a field's `x-ui` (see docs/ui-hints.md). */
export interface UiHints {
  /** On an object: the order of its fields. */
  readonly order?: readonly string[];
  readonly widget?: "password" | "slider" | "textarea" | "radio";
  /** Shown under "Advanced". */
  readonly advanced?: boolean;
  readonly unit?: string;
  readonly step?: number;
  readonly placeholder?: string;
}

/** ui attaches panel hints to a field: `v.pipe(v.number(), v.title("Timeout"), ui({ unit: "ms" }))`. */
export function ui<TInput>(hints: UiHints) {
  return v.metadata<TInput, { readonly "x-ui": UiHints }>({ "x-ui": hints });
}

/** What `setup(sdk)` receives: this module. `import type { Sdk } from "multiwan/sdk"` to type it. */
export type Sdk = typeof import("./index.ts");
