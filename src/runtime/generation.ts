/**
 * Generation: the plugin instances built from one config document. A new document builds
 * a new generation that adopts the WANs whose definition did not change (so their health
 * carries over), starts the rest, and only then replaces the old one.
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
import { startInstance, stopInstance } from "./lifecycle.ts";
import { WanRuntime } from "./wan-runtime.ts";

export interface GenerationDeps {
  readonly registry: Registry;
  readonly platform: PluginPlatform;
  readonly clock: Clock;
  readonly log: Logger;
  readonly indexOf: (wan: string) => number;
  readonly onChange: (wan: string, t?: Transition) => void;
  readonly onError: (plugin: string, instance: string, err: unknown) => void;
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
  const { label: _l, priority: _p, weight: _w, nat: _n, metered: _m, enabled: _e, ...rest } = entry;
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
  readonly #deps: GenerationDeps;
  readonly #abort = new AbortController();
  #modeCleanup?: () => Promise<void>;

  constructor(doc: ConfigDocument, deps: GenerationDeps) {
    this.doc = doc;
    this.#deps = deps;
  }

  #ctx(plugin: string, instance: string): PluginContext {
    const d = this.#deps;
    const log = d.pluginLogger?.(plugin, instance) ?? makeLogger("plugin", ...plugin.split("."), instance);
    return { instance, log, clock: d.clock, platform: d.platform, signal: this.#abort.signal };
  }

  /**
   * Builds and starts everything. With `strict`, any failure stops what was started and
   * throws; without it (boot), a failing WAN is kept as a failed slot and the rest runs.
   */
  async start(previous: Generation | undefined, strict: boolean): Promise<void> {
    const started: WanSlot[] = [];
    try {
      await this.#startMode();
      for (const [name, entry] of Object.entries(this.doc.wans)) {
        if (!entry.enabled) continue;
        const key = wanKey(entry);
        const old = previous?.wans.get(name);
        if (old && old.key === key && old.runtime) {
          this.wans.set(name, { ...old, entry });
          continue;
        }
        try {
          const slot = await this.#startWan(name, entry, key);
          started.push(slot);
          this.wans.set(name, slot);
        } catch (err) {
          if (strict) throw err;
          this.#deps.onError(entry.type, `wans.${name}`, err);
          this.wans.set(name, { name, key, entry, failed: messageOf(err), cleanup: () => Promise.resolve() });
        }
      }
    } catch (err) {
      for (const s of started) await s.cleanup();
      await this.#modeCleanup?.();
      throw err;
    }
  }

  async #startMode(): Promise<void> {
    const entry = this.doc.mode;
    const plugin = this.#deps.registry.get(entry.type);
    const where = { plugin: plugin.id, instance: "mode", log: this.#deps.log };
    const mode = await plugin.create(this.#ctx(plugin.id, "mode"), pluginPart(plugin, entry)) as ModeInstance;
    await startInstance(mode, where);
    this.mode = mode;
    this.modePlugin = plugin.id;
    this.#modeCleanup = () => stopInstance(mode, where);
  }

  async #startWan(name: string, entry: WanEntry, key: string): Promise<WanSlot> {
    const d = this.#deps;
    const e = entry;
    const wanPlugin = d.registry.get(e.type);
    const trackerPlugin = d.registry.get(e.tracker.type);
    const wanWhere = { plugin: wanPlugin.id, instance: `wans.${name}`, log: d.log };
    const trackerWhere = { plugin: trackerPlugin.id, instance: `wans.${name}.tracker`, log: d.log };
    const wan = await wanPlugin.create(this.#ctx(wanPlugin.id, name), pluginPart(wanPlugin, e)) as WanInstance;
    await startInstance(wan, wanWhere);
    let tracker: TrackerInstance;
    try {
      tracker = await trackerPlugin.create(
        this.#ctx(trackerPlugin.id, `${name}.tracker`),
        pluginPart(trackerPlugin, e.tracker),
      ) as TrackerInstance;
      await startInstance(tracker, trackerWhere);
    } catch (err) {
      await stopInstance(wan, wanWhere);
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
      links: d.platform.links,
      clock: d.clock,
      log: d.log,
      onChange: d.onChange,
      onError: (w, source, err) => d.onError(source === "wan" ? wanPlugin.id : trackerPlugin.id, `wans.${w}`, err),
    });
    const cleanup = async () => {
      await runtime.stop();
      await stopInstance(tracker, trackerWhere);
      await stopInstance(wan, wanWhere);
    };
    try {
      await runtime.start();
    } catch (err) {
      await cleanup();
      throw err instanceof KernelError ? err : new Error(`wans.${name}: ${messageOf(err)}`, { cause: err });
    }
    return { name, key, entry, runtime, cleanup };
  }

  /** Stops what `next` did not adopt (all of it when `next` is undefined). */
  async stop(next?: Generation): Promise<void> {
    this.#abort.abort();
    for (const slot of this.wans.values()) {
      if (next && slot.runtime && next.wans.get(slot.name)?.runtime === slot.runtime) continue;
      await slot.cleanup();
    }
    await this.#modeCleanup?.();
  }
}
