/**
 * SimController: what the simulator API changes at run time -- an uplink's cable, its ISP,
 * loss and latency, the LAN client's load, and the presets. It remembers how each uplink
 * started so "restore" puts it back. Structurally it is the web layer's `SimControl`.
 * @module
 */
import type { Clock } from "../../clock.ts";
import type { SimLanClient } from "./client.ts";
import type { SimPreset } from "./presets.ts";
import type { SimUplinkSpec, SimWorld } from "./world.ts";

const KEYS = ["present", "carrier", "upstream", "upstream6", "lossPct", "latencyMs", "jitterMs"] as const;
type Knob = typeof KEYS[number];
type Knobs = { [K in Knob]-?: NonNullable<SimUplinkSpec[K]> };

export class SimController {
  readonly #world: SimWorld;
  readonly #client: SimLanClient;
  readonly #clock: Clock;
  readonly #presets: readonly SimPreset[];
  readonly #say: (text: string) => void;
  readonly #initial = new Map<string, Knobs>();
  readonly #running = new Map<string, () => void>();

  constructor(o: {
    world: SimWorld;
    client: SimLanClient;
    clock: Clock;
    presets: readonly SimPreset[];
    say?: (text: string) => void;
  }) {
    this.#world = o.world;
    this.#client = o.client;
    this.#clock = o.clock;
    this.#presets = o.presets;
    this.#say = o.say ?? (() => {});
    for (const d of o.world.devices) this.#initial.set(d, this.#knobs(d)!);
  }

  #knobs(device: string): Knobs | undefined {
    const u = this.#world.uplink(device);
    if (!u) return undefined;
    return {
      present: u.present,
      carrier: u.carrier,
      upstream: u.upstream,
      upstream6: u.upstream6,
      lossPct: u.lossPct,
      latencyMs: u.latencyMs,
      jitterMs: u.jitterMs,
    };
  }

  /** An uplink's knobs; `upstream6` only where the uplink carries IPv6. */
  #view(device: string) {
    const k = this.#knobs(device);
    if (!k) return undefined;
    const { upstream6, ...rest } = k;
    return { device, ...rest, ...(this.#world.carries(device, "ipv6") ? { upstream6 } : {}) };
  }

  uplinks() {
    return this.#world.devices.map((d) => this.#view(d)!);
  }

  setUplink(device: string, patch: Partial<Knobs>) {
    if (!this.#world.uplink(device)) return undefined;
    const clean: Partial<Knobs> = {};
    for (const k of KEYS) if (patch[k] !== undefined) (clean as Record<Knob, unknown>)[k] = patch[k];
    this.#world.set(device, clean);
    return this.#view(device);
  }

  restoreUplink(device: string) {
    const first = this.#initial.get(device);
    if (!first) return undefined;
    this.#world.set(device, { ...first, present: true, carrier: true, upstream: true, upstream6: true, lossPct: 0 });
    return this.#view(device);
  }

  clientRate(): number {
    return this.#client.perSecond;
  }

  setClientRate(perSecond: number): number {
    this.#client.perSecond = perSecond;
    return this.#client.perSecond;
  }

  #presetView(p: SimPreset) {
    return { name: p.name, title: p.title, running: this.#running.has(p.name) };
  }

  presets() {
    return this.#presets.map((p) => this.#presetView(p));
  }

  startPreset(name: string) {
    const p = this.#presets.find((x) => x.name === name);
    if (!p) return undefined;
    if (!this.#running.has(name)) this.#running.set(name, p.play(this.#world, this.#clock, this.#say));
    return this.#presetView(p);
  }

  /** Stops a preset and restores the uplinks it plays with. */
  stopPreset(name: string) {
    const p = this.#presets.find((x) => x.name === name);
    if (!p) return undefined;
    const stop = this.#running.get(name);
    if (stop) {
      stop();
      this.#running.delete(name);
      for (const d of p.devices(this.#world)) this.restoreUplink(d);
    }
    return this.#presetView(p);
  }

  close(): void {
    for (const stop of this.#running.values()) stop();
    this.#running.clear();
  }
}
