/**
 * The plugin contract: what a tracker, WAN type or mode plugin is, and what the kernel lends it.
 *
 * A plugin is data plus a factory: an id like `wan.cellular`, a version, the kernel API
 * range it needs, a valibot object schema of its configuration (titles, descriptions,
 * defaults and limits: the API validates with it and the panel renders it), and
 * `create(ctx, config)`. `create` must be cheap and free of side effects; work starts in
 * the instance's optional `start()`, and `stop()` must tolerate a failed or partial start.
 * @module
 */
import type * as v from "valibot";
import type { Clock } from "./clock.ts";
import type { HealthState } from "./health/types.ts";
import type { Logger } from "./log.ts";
import type { ModeDecision } from "./plan.ts";
import type { Exec, Links, ProbeBinding, Probes } from "./platform.ts";

/** The kernel API version plugins declare a range against. */
export const KERNEL_API_VERSION = "1.0.0";

export type PluginKind = "tracker" | "wan" | "mode";
export const PLUGIN_KINDS: readonly PluginKind[] = ["tracker", "wan", "mode"];

/** A plugin's configuration schema: a valibot object whose entries become config keys. */
// deno-lint-ignore no-explicit-any
export type PluginSchema = v.ObjectSchema<v.ObjectEntries, any> | v.StrictObjectSchema<v.ObjectEntries, any>;

/** The platform capabilities a plugin may use: probes, links and optional tools; never the dataplane. */
export interface PluginPlatform {
  readonly probes: Probes;
  readonly links: Links;
  readonly exec: Exec;
}

/** Capabilities lent to one plugin instance; nothing else is reachable. */
export interface PluginContext {
  /** Where the instance sits in the config document, e.g. `wans.ethernet.tracker`. */
  readonly instance: string;
  /** Already tagged with the plugin id and instance. */
  readonly log: Logger;
  readonly clock: Clock;
  readonly platform: PluginPlatform;
  /** Aborted when this instance is replaced or stopped. */
  readonly signal: AbortSignal;
}

/** Optional lifecycle hooks every instance may implement. */
export interface Lifecycle {
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

/** One probe answer (or its absence) for one target. */
export interface TargetResult {
  readonly target: string;
  readonly ok: boolean;
  readonly rttMs?: number;
  /** Probes behind this result (a ping `count` > 1 aggregates several). */
  readonly sent?: number;
  readonly received?: number;
  readonly error?: string;
}

/** A running probe loop for one WAN. */
export interface TrackerSession {
  /** The kernel changes the cadence by phase (steady, suspect, down). */
  setIntervalMs(ms: number): void;
  close(): Promise<void>;
}

/** A tracker probes one WAN's targets and reports each result; the kernel judges health. */
export interface TrackerInstance extends Lifecycle {
  /** Target names results will carry (for "n of m targets" reasons). */
  readonly targets: readonly string[];
  watch(binding: ProbeBinding, emit: (result: TargetResult) => void, intervalMs: number): TrackerSession;
}

/** What a WAN type reads about its uplink. */
export interface WanInspection {
  readonly device: string;
  readonly present: boolean;
  readonly carrier: boolean;
  readonly address?: string;
  readonly gateway?: string;
  /** The uplink's global IPv6 address with prefix, when it has one (dual stack). */
  readonly address6?: string;
  /** IPv6 next hop learned on the uplink (router advertisement / DHCPv6), when known. */
  readonly gateway6?: string;
  /** Type-specific status for the panel (keys declared in `statusFields`). */
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

/** A WAN type knows its device: presence, carrier, address, gateway and details. */
export interface WanInstance extends Lifecycle {
  readonly device: string;
  inspect(): Promise<WanInspection>;
}

/** One WAN as a mode sees it. */
export interface ModeWan {
  readonly name: string;
  readonly priority: number;
  readonly weight: number;
  readonly state: HealthState;
  readonly metered: boolean;
  /** Mean RTT of the answering targets in the last rounds, ms; absent while nothing answered. */
  readonly latencyMs?: number;
}

export interface ModeInput {
  /** Enabled WANs in config order. */
  readonly wans: readonly ModeWan[];
  /** The decision in force, if any (to notice that a better uplink came back). */
  readonly previous?: ModeDecision;
}

/** A mode is a pure function from WAN states to a decision. */
export interface ModeInstance extends Lifecycle {
  decide(input: ModeInput): ModeDecision;
}

/** A status field a WAN type shows in the panel. */
export interface StatusField {
  readonly key: string;
  readonly title: string;
  readonly unit?: string;
}

/** The instance type each kind's factory returns. */
export interface InstanceOf {
  tracker: TrackerInstance;
  wan: WanInstance;
  mode: ModeInstance;
}

/** A plugin definition: data plus one factory. */
export interface PluginDefinition<K extends PluginKind = PluginKind, S extends PluginSchema = PluginSchema> {
  readonly id: `${K}.${string}`;
  readonly version: string;
  /** Semver range of the kernel API this plugin is written against, e.g. `^1.0.0`. */
  readonly kernel: string;
  readonly title: string;
  readonly description: string;
  readonly schema: S;
  /** WAN types: the status fields the panel shows. */
  readonly statusFields?: readonly StatusField[];
  /** WAN types: defaults for kernel-owned WAN keys (a cellular uplink is metered by default). */
  readonly wanDefaults?: { readonly metered?: boolean };
  create(ctx: PluginContext, config: v.InferOutput<S>): InstanceOf[K] | Promise<InstanceOf[K]>;
}

export type TrackerPlugin<S extends PluginSchema = PluginSchema> = PluginDefinition<"tracker", S>;
export type WanPlugin<S extends PluginSchema = PluginSchema> = PluginDefinition<"wan", S>;
export type ModePlugin<S extends PluginSchema = PluginSchema> = PluginDefinition<"mode", S>;

/** Any plugin, whatever its kind and schema. */
// deno-lint-ignore no-explicit-any
export type AnyPlugin = PluginDefinition<PluginKind, any>;

/** kindOf returns the kind part of a plugin id. */
export function kindOf(id: string): PluginKind {
  return id.slice(0, id.indexOf(".")) as PluginKind;
}
