/**
 * Generation: the plugin instances built from one config document. A new document builds
 * a new generation that adopts the WANs whose definition did not change (so their health
 * carries over), starts the rest, and only then replaces the old one. WANs start and stop
 * side by side, every plugin call is bounded, and each instance has its own abort signal
 * (an adopted WAN keeps running when the generation that built it stops).
 * @module
 */
import type { Clock } from "../clock.ts";
import type { ConfigDocument, WanEntry } from "../config/validate.ts";
import { KernelError, messageOf } from "../errors.ts";
import type { Logger } from "../log.ts";
import { logger as makeLogger } from "../log.ts";
import type { Transition } from "../health/machine.ts";
import type { AnyPlugin, ModeInstance, PluginContext, PluginPlatform, TrackerInstance, WanInstance } from "../plugin.ts";
import type { Registry } from "../registry.ts";
import type { PluginLimits } from "./bounded.ts";
import { guardClock } from "./guarded-clock.ts";
import { createInstance, type InstanceSite, startInstance, stopInstance } from "./lifecycle.ts";
import { WanRuntime } from "./wan-runtime.ts";

export interface GenerationDeps {
  readonly registry: Registry;
  readonly platform: PluginPlatform;
  readonly clock: Clock;
  readonly log: Logger;
  readonly indexOf: (wan: string) => number;
  readonly onChange: (wan: string, t?: Transition) => void;
  readonly onError: (plugin: string, instance: string, err: unknown) => void;
  readonly limits: PluginLimits;
  /** Plugin loggers (tests pass a silent one). */
  readonly pluginLogger?: (plugin: string, instance: string) => Logger;
}

/** One WAN of a generation; `failed` holds why it could not start (contained at boot). */
export interface WanSlot {
  readonly name: string;
  readonly key: string;
  readonly entry: WanEntry;
  readonly runtime?: WanRuntime;
  readonly failed?: string;
  readonly cleanup: () => Promise<void>;
}

/** The definition of a WAN that, when unchanged, lets its runtime (and health) carry over. */
export function wanKey(entry: WanEntry): string {
  // family and nat6 only shape the plan and the status (the targets decide the health judges).
  const { label: _l, priority: _p, weight: _w, nat: _n, metered: _m, enabled: _e, cap: _c, family: _f, nat6: _n6, ...rest } =
    entry as WanEntry & { cap?: unknown };
  return JSON.stringify(rest);
}

/** Plugin-owned keys of an entry: what `create()` receives. */
function pluginPart(plugin: AnyPlugin, entry: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(plugin.schema.entries)) if (k in entry) out[k] = entry[k];
  return out;
}

export class Generation {
  readonly doc: ConfigDocument;
  readonly wans = new Map<string, WanSlot>();
  mode?: ModeInstance;
  modePlugin?: string;
  /** Each named policy's own mode instance, in config order. */
  readonly policyModes = new Map<string, { readonly mode: ModeInstance; readonly plugin: string }>();
  readonly #deps: GenerationDeps;
  #modeCleanup?: () => Promise<void>;

  constructor(doc: ConfigDocument, deps: GenerationDeps) {
    this.doc = doc;
    this.#deps = deps;
  }

  /** A context with the instance's own abort signal, and where its calls are reported. */
  #instance(plugin: string, instance: string, where: string): { ctx: PluginContext; site: InstanceSite } {
    const d = this.#deps;
    const log = d.pluginLogger?.(plugin, instance) ?? makeLogger("plugin", ...plugin.split("."), instance);
    const ac = new AbortController();
    const onError = (err: unknown) => d.onError(plugin, where, err);
    const ctx = { instance, log, clock: guardClock(d.clock, onError), platform: d.platform, signal: ac.signal };
    const site: InstanceSite = {
      plugin,
      instance: where,
      log: d.log,
      clock: d.clock,
      limits: d.limits,
      onError,
      abort: () => ac.abort(),
    };
    return { ctx, site };
  }

  /**
   * Builds and starts everything. With `strict`, any failure stops what was started and
   * throws; without it (boot), a failing WAN is kept as a failed slot and the rest runs.
   */
  async start(previous: Generation | undefined, strict: boolean): Promise<void> {
    await this.#startMode();
    const todo: { name: string; entry: WanEntry; key: string }[] = [];
    for (const [name, entry] of Object.entries(this.doc.wans)) {
      if (!entry.enabled) continue;
      const key = wanKey(entry);
      const old = previous?.wans.get(name);
      if (old && old.key === key && old.runtime) {
        old.runtime.setMetered(entry.metered);
        this.wans.set(name, { ...old, entry });
      } else todo.push({ name, entry, key });
      this.#deps.indexOf(name); // indexes in config order, whatever order the starts finish in
    }
    const results = await Promise.allSettled(todo.map((w) => this.#startWan(w.name, w.entry, w.key)));
    const failure = results.find((r) => r.status === "rejected");
    if (strict && failure) {
      await Promise.all(results.map((r) => r.status === "fulfilled" ? r.value.cleanup() : undefined));
      await this.#modeCleanup?.();
      throw failure.reason;
    }
    for (const [i, { name, entry, key }] of todo.entries()) {
      const r = results[i];
      if (r.status === "fulfilled") {
        this.wans.set(name, r.value);
        continue;
      }
      this.#deps.onError(entry.type, `wans.${name}`, r.reason);
      this.wans.set(name, { name, key, entry, failed: messageOf(r.reason), cleanup: () => Promise.resolve() });
    }
    // Keep config order in the map (adopted and new WANs were set in two passes).
    const order = Object.keys(this.doc.wans);
    const sorted = [...this.wans.values()].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    this.wans.clear();
    for (const slot of sorted) this.wans.set(slot.name, slot);
  }

  /** The global mode, then each named policy's own mode instance (`policies.<name>.mode`). */
  async #startMode(): Promise<void> {
    const cleanups: (() => Promise<void>)[] = [];
    this.#modeCleanup = () => Promise.all(cleanups.map((c) => c())).then(() => {});
    const start = async (entry: { readonly type: string }, instance: string, where: string) => {
      const plugin = this.#deps.registry.get(entry.type);
      const { ctx, site } = this.#instance(plugin.id, instance, where);
      const mode = await createInstance(site, () => plugin.create(ctx, pluginPart(plugin, entry)) as ModeInstance);
      await startInstance(mode, site);
      cleanups.push(() => {
        site.abort?.();
        return stopInstance(mode, site);
      });
      return { mode, plugin: plugin.id };
    };
    try {
      const main = await start(this.doc.mode, "mode", "mode");
      this.mode = main.mode;
      this.modePlugin = main.plugin;
      const policies = (this.doc.policies ?? {}) as Readonly<Record<string, { mode: { type: string } }>>;
      for (const [name, p] of Object.entries(policies)) {
        const started = await start(p.mode, `policies.${name}`, `policies.${name}.mode`);
        this.policyModes.set(name, { ...started });
      }
    } catch (err) {
      await this.#modeCleanup();
      throw err;
    }
  }

  async #startWan(name: string, entry: WanEntry, key: string): Promise<WanSlot> {
    const d = this.#deps;
    const e = entry;
    const wanPlugin = d.registry.get(e.type);
    const trackerPlugin = d.registry.get(e.tracker.type);
    const w = this.#instance(wanPlugin.id, name, `wans.${name}`);
    const t = this.#instance(trackerPlugin.id, `${name}.tracker`, `wans.${name}.tracker`);
    const wan = await createInstance(w.site, () => wanPlugin.create(w.ctx, pluginPart(wanPlugin, e)) as WanInstance);
    await startInstance(wan, w.site);
    let tracker: TrackerInstance;
    try {
      tracker = await createInstance(
        t.site,
        () => trackerPlugin.create(t.ctx, pluginPart(trackerPlugin, e.tracker)) as TrackerInstance,
      );
      await startInstance(tracker, t.site);
    } catch (err) {
      w.site.abort?.();
      await stopInstance(wan, w.site);
      throw err;
    }
    const steady = (e.tracker as { intervalMs?: number }).intervalMs ?? 5000;
    const runtime = new WanRuntime({
      name,
      index: d.indexOf(name),
      wan,
      tracker,
      steadyIntervalMs: steady,
      health: entry.health,
      metered: entry.metered,
      links: d.platform.links,
      clock: d.clock,
      log: d.log,
      limits: d.limits,
      plugins: { wan: wanPlugin.id, tracker: trackerPlugin.id },
      onChange: d.onChange,
      onError: (wanName, source, err) =>
        d.onError(source === "wan" ? wanPlugin.id : trackerPlugin.id, `wans.${wanName}`, err),
    });
    const cleanup = async () => {
      t.site.abort?.();
      w.site.abort?.();
      await runtime.stop();
      await Promise.all([stopInstance(tracker, t.site), stopInstance(wan, w.site)]);
    };
    try {
      await runtime.start();
    } catch (err) {
      await cleanup();
      throw err instanceof KernelError ? err : new Error(`wans.${name}: ${messageOf(err)}`, { cause: err });
    }
    return { name, key, entry, runtime, cleanup };
  }

  /** Stops what `next` did not adopt (all of it when `next` is undefined), side by side; bounded. */
  async stop(next?: Generation): Promise<void> {
    const gone = [...this.wans.values()].filter((slot) =>
      !(next && slot.runtime && next.wans.get(slot.name)?.runtime === slot.runtime)
    );
    await Promise.all([...gone.map((slot) => slot.cleanup()), this.#modeCleanup?.()]);
  }
}
