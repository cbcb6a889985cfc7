/**
 * WanRuntime runs one WAN: its WAN-type instance (device state), its tracker session,
 * link events, traffic counters and the health machine that judges them.
 * @module
 */
import type { Clock, TimerHandle } from "../clock.ts";
import type { HealthConfig } from "../health/config.ts";
import { HealthMachine, type Transition } from "../health/machine.ts";
import type { HealthView } from "../health/types.ts";
import type { Logger } from "../log.ts";
import type { TrackerInstance, TrackerSession, WanInspection, WanInstance } from "../plugin.ts";
import type { Links, ProbeBinding } from "../platform.ts";

/** How often the uplink's packet counters are read for passive evidence. */
export const TRAFFIC_POLL_MS = 100;
/** How often the WAN type re-reads its device (address, gateway, details) without events. */
export const INSPECT_INTERVAL_MS = 5_000;

export interface WanRuntimeOptions {
  readonly name: string;
  readonly index: number;
  readonly wan: WanInstance;
  readonly tracker: TrackerInstance;
  /** The tracker's steady cadence. */
  readonly steadyIntervalMs: number;
  readonly health: HealthConfig;
  readonly links: Links;
  readonly clock: Clock;
  readonly log: Logger;
  /** Called on every state transition and whenever the inspection changes. */
  readonly onChange: (name: string, transition?: Transition) => void;
  /** Called when the tracker or WAN type throws. */
  readonly onError: (name: string, source: "wan" | "tracker", err: unknown) => void;
}

function sameInspection(a: WanInspection | undefined, b: WanInspection): boolean {
  return !!a && a.device === b.device && a.present === b.present && a.carrier === b.carrier &&
    a.address === b.address && a.gateway === b.gateway;
}

export class WanRuntime {
  readonly name: string;
  readonly index: number;
  readonly #o: WanRuntimeOptions;
  readonly #machine: HealthMachine;
  #inspection?: WanInspection;
  #session?: TrackerSession;
  #sessionKey = "";
  #intervalMs = 0;
  #timers: TimerHandle[] = [];
  #unwatch?: () => void;
  #stopped = false;
  #inspecting?: Promise<void>;
  #inspectAgain = false;

  constructor(o: WanRuntimeOptions) {
    this.#o = o;
    this.name = o.name;
    this.index = o.index;
    this.#machine = new HealthMachine(o.health, o.tracker.targets, o.clock.now(), o.wan.device);
  }

  get state() {
    return this.#machine.state;
  }
  get inspection(): WanInspection | undefined {
    return this.#inspection;
  }
  view(): HealthView {
    return this.#machine.view();
  }

  /** Starts watching the device and probing; resolves after the first inspection. */
  async start(): Promise<void> {
    this.#unwatch = this.#o.links.watch((ev) => {
      if (ev.device === this.#o.wan.device) void this.inspect();
    });
    await this.inspect();
    this.#every(INSPECT_INTERVAL_MS, () => void this.inspect());
    this.#every(TRAFFIC_POLL_MS, () => this.#pollTraffic());
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unwatch?.();
    for (const t of this.#timers) t.cancel();
    this.#timers = [];
    await this.#closeSession();
  }

  /** Re-reads the device; serialised, so a burst of link events causes one read at a time. */
  inspect(): Promise<void> {
    if (this.#inspecting) {
      // An event during a read may come after the device was read: read once more afterwards.
      this.#inspectAgain = true;
      return this.#inspecting;
    }
    this.#inspecting = (async () => {
      do {
        this.#inspectAgain = false;
        await this.#inspect();
      } while (this.#inspectAgain && !this.#stopped);
    })().finally(() => (this.#inspecting = undefined));
    return this.#inspecting;
  }

  async #inspect(): Promise<void> {
    if (this.#stopped) return;
    let next: WanInspection;
    try {
      next = await this.#o.wan.inspect();
    } catch (err) {
      this.#o.onError(this.name, "wan", err);
      next = { device: this.#o.wan.device, present: false, carrier: false, details: {} };
    }
    if (this.#stopped) return;
    const changed = !sameInspection(this.#inspection, next);
    this.#inspection = next;
    const t = this.#machine.onLink(next.present, next.carrier, this.#o.clock.now());
    await this.#syncSession();
    this.#retune();
    if (t) this.#o.log.info("{wan} {from} → {to}: {reason}", { wan: this.name, ...t });
    if (t || changed) this.#o.onChange(this.name, t);
  }

  #every(ms: number, fn: () => void): void {
    const tick = () => {
      if (this.#stopped) return;
      fn();
      this.#timers[slot] = this.#o.clock.setTimeout(tick, ms);
    };
    const slot = this.#timers.length;
    this.#timers.push(this.#o.clock.setTimeout(tick, ms));
  }

  async #pollTraffic(): Promise<void> {
    const insp = this.#inspection;
    if (!insp?.present) return;
    const now = this.#o.clock.now();
    const t = this.#machine.onTick(now, this.#o.steadyIntervalMs);
    if (t) this.#report(t);
    try {
      const info = await this.#o.links.get(insp.device);
      if (this.#machine.onTraffic(info, this.#o.clock.now())) this.#retune();
    } catch {
      // Counters are best-effort evidence; the tracker still judges.
    }
  }

  #binding(): ProbeBinding | undefined {
    const i = this.#inspection;
    if (!i?.present) return undefined;
    return { wan: this.name, device: i.device, address: i.address?.split("/")[0], index: this.index };
  }

  async #syncSession(): Promise<void> {
    const b = this.#binding();
    const key = b ? `${b.device}|${b.address ?? ""}` : "";
    if (key === this.#sessionKey) return;
    await this.#closeSession();
    this.#sessionKey = key;
    if (!b || this.#o.tracker.targets.length === 0) return;
    this.#intervalMs = this.#machine.intervalMs(this.#o.steadyIntervalMs);
    try {
      this.#session = this.#o.tracker.watch(b, (r) => {
        if (this.#stopped) return;
        const t = this.#machine.onResult(r, this.#o.clock.now());
        if (t) this.#report(t);
        this.#retune();
      }, this.#intervalMs);
    } catch (err) {
      this.#o.onError(this.name, "tracker", err);
    }
  }

  async #closeSession(): Promise<void> {
    const s = this.#session;
    this.#session = undefined;
    this.#sessionKey = "";
    if (!s) return;
    try {
      await s.close();
    } catch (err) {
      this.#o.onError(this.name, "tracker", err);
    }
  }

  #retune(): void {
    const ms = this.#machine.intervalMs(this.#o.steadyIntervalMs);
    if (!this.#session || ms === this.#intervalMs) return;
    this.#intervalMs = ms;
    try {
      this.#session.setIntervalMs(ms);
    } catch (err) {
      this.#o.onError(this.name, "tracker", err);
    }
  }

  #report(t: Transition): void {
    this.#o.log.info("{wan} {from} → {to}: {reason}", { wan: this.name, ...t });
    this.#o.onChange(this.name, t);
  }
}

