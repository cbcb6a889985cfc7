/**
 * WanRuntime runs one WAN: its WAN-type instance (device state), its tracker session,
 * link events, traffic counters and the health machine that judges them. Calls into the
 * plugins are bounded: an inspect that fails or does not answer makes the WAN down with
 * that reason (a hung one is not called again until it settles), and tracker results are
 * checked before the health machine sees them.
 *
 * Dual stack: a WAN whose targets are of both families runs one health machine per family
 * (IPv6 targets judge IPv6, the others IPv4), each fed its own family's traffic counters when
 * the platform tells them apart; `state` is the IPv4 judge's, `state6` the IPv6 one's.
 * @module
 */
import type { Clock, TimerHandle } from "../clock.ts";
import { splitTargets } from "../families.ts";
import { messageOf, PluginResultError, PluginTimeoutError } from "../errors.ts";
import type { HealthConfig } from "../health/config.ts";
import { HealthMachine, type Transition } from "../health/machine.ts";
import type { HealthView } from "../health/types.ts";
import type { Logger } from "../log.ts";
import type { TargetResult, TrackerInstance, TrackerSession, WanInspection, WanInstance } from "../plugin.ts";
import type { LinkInfo, Links, ProbeBinding } from "../platform.ts";
import { SUSPECT_MIN_PACKETS, type TrafficCounters } from "../health/machine.ts";
import { bounded, type CallSite, type PluginLimits, seconds } from "./bounded.ts";
import { ResultGate } from "./result-check.ts";

/** How often the uplink's packet counters are read for passive evidence while packets leave. */
export const TRAFFIC_POLL_MS = 100;
/**
 * How often they are read while the uplink is quiet (nothing left since the last read, nothing
 * unanswered): the fast rate resumes at the first read that sees packets leave. That read counts
 * one packet whatever left (SUSPECT_MIN_PACKETS), so a slow read never makes a suspicion alone;
 * a silent outage that starts on a quiet uplink is seen at most this much later.
 */
export const QUIET_TRAFFIC_POLL_MS = 500;
/**
 * How long the fast rate holds after a read saw traffic leave (SUSPECT_MIN_PACKETS or more; a
 * probe or a little chatter does not count), and after the runtime starts. LAN traffic comes in
 * bursts with pauses of seconds: slowing down at the first quiet read made nearly every burst
 * start on a slow read, so a silent outage that began with a burst was seen up to 400 ms later
 * (failover p95 780 -> 1578 ms). An idle router still reads at the slow rate once this has passed.
 */
export const FAST_AFTER_TRAFFIC_MS = 10_000;
/** How often the WAN type re-reads its device (address, gateway, details) without events. */
export const INSPECT_INTERVAL_MS = 5_000;
/** A hung inspect call is waited on again until it is this old; then the WAN type is asked afresh. */
const ABANDON_HUNG_INSPECT_MS = 30_000;

export interface WanRuntimeOptions {
  readonly name: string;
  readonly index: number;
  readonly wan: WanInstance;
  readonly tracker: TrackerInstance;
  /** The tracker's steady cadence. */
  readonly steadyIntervalMs: number;
  readonly health: HealthConfig;
  /** Data costs money: an idle uplink is probed at `health.meteredIdleIntervalMs`. */
  readonly metered?: boolean;
  readonly links: Links;
  readonly clock: Clock;
  readonly log: Logger;
  readonly limits: PluginLimits;
  /** Plugin ids, for errors. */
  readonly plugins: { readonly wan: string; readonly tracker: string };
  /** Called on every state transition and whenever the inspection changes. */
  readonly onChange: (name: string, transition?: Transition) => void;
  /** Called when the tracker or WAN type throws. */
  readonly onError: (name: string, source: "wan" | "tracker", err: unknown) => void;
}

function sameInspection(a: WanInspection | undefined, b: WanInspection): boolean {
  return !!a && a.device === b.device && a.present === b.present && a.carrier === b.carrier &&
    a.address === b.address && a.gateway === b.gateway && a.address6 === b.address6 && a.gateway6 === b.gateway6;
}

/**
 * The evidence in a device's counters: totals less link-local control (neighbour discovery,
 * MLD: never answered in kind), and for the IPv4 judge of a dual-stack WAN less the IPv6
 * traffic too, when the platform counts those apart.
 */
export function evidenceCounters(info: LinkInfo, family: "any" | "ipv4"): TrafficCounters {
  const control = info.linkControl ?? { txPackets: 0, rxPackets: 0 };
  const six = family === "ipv4" ? info.ipv6 : undefined;
  return {
    txPackets: Math.max(0, info.txPackets - control.txPackets - (six?.txPackets ?? 0)),
    rxPackets: Math.max(0, info.rxPackets - control.rxPackets - (six?.rxPackets ?? 0)),
    rxBytes: Math.max(0, info.rxBytes - (six?.rxBytes ?? 0)),
  };
}

export class WanRuntime {
  readonly name: string;
  readonly index: number;
  readonly #o: WanRuntimeOptions;
  /** The IPv4 judge (or the only one: all targets, or the IPv6 ones when there are no others). */
  readonly #machine: HealthMachine;
  /** The IPv6 judge, when the targets are of both families. */
  readonly #machine6?: HealthMachine;
  readonly #targets6: ReadonlySet<string>;
  /** Only IPv6 targets: the one machine judges IPv6 and gets the IPv6 counters. */
  readonly #onlyIpv6: boolean;
  #inspection?: WanInspection;
  #session?: TrackerSession;
  #sessionKey = "";
  #intervalMs = 0;
  #timers: TimerHandle[] = [];
  /** Counters are read at the fast rate (packets left at the last read, or the judges want it). */
  #trafficFast = true;
  #lastTx?: number;
  /** When a read last saw traffic leave (or the runtime started): the fast rate holds a while. */
  #busyAt?: number;
  #trafficTimer?: TimerHandle;
  #unwatch?: () => void;
  #stopped = false;
  #inspecting?: Promise<void>;
  #inspectAgain = false;
  /** The plugin's inspect call in flight: a hung one is waited on again (for a while), not repeated. */
  #inspectCall?: { readonly p: Promise<WanInspection>; readonly at: number };
  /** Why the last inspect gave no answer. */
  #inspectProblem?: string;
  /** Counts sessions, so results from a closed one are ignored. */
  #sessionSeq = 0;
  readonly #gate: ResultGate;

  constructor(o: WanRuntimeOptions) {
    this.#o = o;
    this.name = o.name;
    this.index = o.index;
    const { v4, v6 } = splitTargets(o.tracker.targets);
    const both = v4.length > 0 && v6.length > 0;
    this.#targets6 = new Set(both ? v6 : []);
    this.#onlyIpv6 = v4.length === 0 && v6.length > 0;
    const opts = { metered: o.metered };
    this.#machine = new HealthMachine(o.health, both ? v4 : o.tracker.targets, o.clock.now(), o.wan.device, opts);
    if (both) this.#machine6 = new HealthMachine(o.health, v6, o.clock.now(), o.wan.device, opts);
    this.#gate = new ResultGate(o.tracker.targets, (err) => o.onError(o.name, "tracker", err));
  }

  get state() {
    return this.#machine.state;
  }
  /** The IPv6 judge's state (the one machine's when the targets are of one family). */
  get state6() {
    return (this.#machine6 ?? this.#machine).state;
  }
  /** A config change that keeps the runtime may turn metered on or off. */
  setMetered(metered: boolean): void {
    const a = this.#machine.setMetered(metered);
    const b = this.#machine6?.setMetered(metered) ?? false;
    if (a || b) this.#retune();
  }
  get inspection(): WanInspection | undefined {
    return this.#inspection;
  }
  view(): HealthView {
    return this.#withProblems(this.#machine.view());
  }
  /** The IPv6 judge's view, when it has its own (else undefined: `view()` covers IPv6 too). */
  view6(): HealthView | undefined {
    return this.#machine6 ? this.#withProblems(this.#machine6.view()) : undefined;
  }
  #withProblems(v: HealthView): HealthView {
    const base = this.#inspectProblem ?? v.reason;
    const rejected = this.#gate.problem;
    const reason = rejected ? (base ? `${base}; ${rejected}` : rejected) : base;
    return reason === v.reason ? v : { ...v, reason };
  }

  #site(which: "wan" | "tracker"): CallSite {
    const instance = which === "wan" ? `wans.${this.name}` : `wans.${this.name}.tracker`;
    return { plugin: this.#o.plugins[which], instance, clock: this.#o.clock };
  }

  /** Starts watching the device and probing; resolves after the first inspection. */
  async start(): Promise<void> {
    this.#unwatch = this.#o.links.watch((ev) => {
      if (ev.device === this.#o.wan.device) void this.inspect();
    });
    await this.inspect();
    this.#every(INSPECT_INTERVAL_MS, () => void this.inspect());
    this.#busyAt = this.#o.clock.now();
    this.#scheduleTraffic();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unwatch?.();
    for (const t of this.#timers) t.cancel();
    this.#timers = [];
    this.#trafficTimer?.cancel();
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
    let problem: string | undefined;
    try {
      next = await bounded(this.#site("wan"), "inspect", this.#o.limits.inspectMs, () => this.#inspectOnce());
      if (typeof next !== "object" || next === null || typeof next.present !== "boolean") {
        throw new PluginResultError(`inspect() returned no inspection (${JSON.stringify(next) ?? String(next)})`);
      }
    } catch (err) {
      problem = err instanceof PluginTimeoutError
        ? `inspect timed out after ${seconds(err.timeoutMs)}`
        : `inspect failed: ${messageOf(err)}`;
      if (problem !== this.#inspectProblem) this.#o.onError(this.name, "wan", err);
      next = { device: this.#o.wan.device, present: false, carrier: false, details: {} };
    }
    if (this.#stopped) return;
    const changed = !sameInspection(this.#inspection, next) || problem !== this.#inspectProblem;
    this.#inspection = next;
    this.#inspectProblem = problem;
    const moved = this.#machine.onLink(next.present, next.carrier, this.#o.clock.now());
    const moved6 = this.#machine6?.onLink(next.present, next.carrier, this.#o.clock.now());
    // The machine sees a missing device; the event says why there is no reading.
    const t = moved && problem ? { ...moved, reason: problem } : moved;
    await this.#syncSession();
    this.#retune();
    if (t) this.#o.log.info("{wan} {from} \u2192 {to}: {reason}", { wan: this.name, ...t });
    if (t || changed || moved6) this.#o.onChange(this.name, t);
  }

  /** The plugin's inspect, or the call still in flight when the last one hung (given up after a while). */
  #inspectOnce(): Promise<WanInspection> {
    const now = this.#o.clock.now();
    const last = this.#inspectCall;
    if (last && now - last.at < ABANDON_HUNG_INSPECT_MS) return last.p;
    const p: Promise<WanInspection> = Promise.resolve()
      .then(() => this.#o.wan.inspect())
      .finally(() => {
        if (this.#inspectCall?.p === p) this.#inspectCall = undefined;
      });
    this.#inspectCall = { p, at: now };
    return p;
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

  /**
   * The next traffic read: fast while packets leave, slow while the uplink is quiet. Reads fall
   * on the same phase of the clock in every WAN, so one counter read serves them all.
   */
  #scheduleTraffic(): void {
    this.#trafficTimer?.cancel();
    if (this.#stopped) return;
    const ms = this.#trafficFast ? TRAFFIC_POLL_MS : QUIET_TRAFFIC_POLL_MS;
    this.#trafficTimer = this.#o.clock.setTimeout(() => {
      this.#scheduleTraffic();
      void this.#pollTraffic();
    }, ms - (this.#o.clock.now() % ms) || ms);
  }

  async #pollTraffic(): Promise<void> {
    const insp = this.#inspection;
    if (!insp?.present) return;
    const now = this.#o.clock.now();
    const t = this.#machine.onTick(now, this.#o.steadyIntervalMs);
    if (t) this.#report(t);
    const t6 = this.#machine6?.onTick(now, this.#o.steadyIntervalMs);
    if (t6) this.#report6(t6);
    try {
      const info = await this.#o.links.get(insp.device);
      const at = this.#o.clock.now();
      // Each judge sees its own family's traffic: IPv6 arriving must not hide an IPv4 outage, nor the reverse.
      const mine = this.#onlyIpv6 ? info.ipv6 : evidenceCounters(info, this.#machine6 ? "ipv4" : "any");
      const moved = mine !== undefined && this.#machine.onTraffic(mine, at);
      const moved6 = info.ipv6 !== undefined && this.#machine6?.onTraffic(info.ipv6, at) === true;
      if (moved || moved6) this.#retune();
      const tx = evidenceCounters(info, "any").txPackets;
      const left = this.#lastTx !== undefined && tx !== this.#lastTx;
      if (this.#lastTx !== undefined && tx - this.#lastTx >= SUSPECT_MIN_PACKETS) this.#busyAt = at;
      this.#lastTx = tx;
      const recent = this.#busyAt !== undefined && at - this.#busyAt < FAST_AFTER_TRAFFIC_MS;
      const fast = left || recent || this.#machine.wantsTraffic || this.#machine6?.wantsTraffic === true;
      const sooner = fast && !this.#trafficFast;
      this.#trafficFast = fast;
      if (sooner) this.#scheduleTraffic();
    } catch {
      // Counters are best-effort evidence; the tracker still judges.
    }
  }

  #binding(): ProbeBinding | undefined {
    const i = this.#inspection;
    if (!i?.present) return undefined;
    const address6 = i.address6?.split("/")[0];
    return { wan: this.name, device: i.device, address: i.address?.split("/")[0], ...(address6 ? { address6 } : {}), index: this.index };
  }

  async #syncSession(): Promise<void> {
    const b = this.#binding();
    const key = b ? `${b.device}|${b.address ?? ""}|${b.address6 ?? ""}` : "";
    if (key === this.#sessionKey) return;
    await this.#closeSession();
    this.#sessionKey = key;
    if (!b || this.#o.tracker.targets.length === 0 || this.#stopped) return;
    this.#intervalMs = this.#cadence();
    const seq = ++this.#sessionSeq;
    const emit = (r: TargetResult) => {
      if (this.#stopped || seq !== this.#sessionSeq) return;
      this.#onResult(r);
    };
    // watch() is synchronous by contract; a plugin that returns a promise anyway is awaited, within the bound.
    const call = Promise.resolve().then(() => this.#o.tracker.watch(b, emit, this.#intervalMs));
    try {
      const session = await bounded(this.#site("tracker"), "watch", this.#o.limits.watchMs, () => call);
      if (seq === this.#sessionSeq && !this.#stopped) this.#session = session;
      else void this.#close(session);
    } catch (err) {
      this.#o.onError(this.name, "tracker", err);
      // A watch that answers after its bound is closed at once.
      call.then((late) => seq === this.#sessionSeq && !this.#stopped ? undefined : this.#close(late), () => {});
    }
  }

  #onResult(r: TargetResult): void {
    if (!this.#gate.admit(r, this.#o.clock.now())) return;
    if (this.#machine6 && this.#targets6.has(r.target)) {
      const t6 = this.#machine6.onResult(r, this.#o.clock.now());
      if (t6) this.#report6(t6);
    } else {
      const t = this.#machine.onResult(r, this.#o.clock.now());
      if (t) this.#report(t);
    }
    this.#retune();
  }

  async #closeSession(): Promise<void> {
    const s = this.#session;
    this.#session = undefined;
    this.#sessionKey = "";
    this.#sessionSeq++;
    if (s) await this.#close(s);
  }

  async #close(s: TrackerSession): Promise<void> {
    try {
      await bounded(this.#site("tracker"), "close", this.#o.limits.closeMs, () => s.close());
    } catch (err) {
      this.#o.onError(this.name, "tracker", err);
    }
  }

  /** The probe interval: the faster of the judges' (one tracker session probes both families). */
  #cadence(): number {
    const ms = this.#machine.intervalMs(this.#o.steadyIntervalMs);
    return this.#machine6 ? Math.min(ms, this.#machine6.intervalMs(this.#o.steadyIntervalMs)) : ms;
  }

  #retune(): void {
    const ms = this.#cadence();
    if (!this.#session || ms === this.#intervalMs) return;
    this.#intervalMs = ms;
    try {
      this.#session.setIntervalMs(ms);
    } catch (err) {
      this.#o.onError(this.name, "tracker", err);
    }
  }

  #report(t: Transition): void {
    this.#o.log.info("{wan} {from} \u2192 {to}: {reason}", { wan: this.name, ...t });
    this.#o.onChange(this.name, t);
  }

  /** An IPv6 judge's transition: logged, and a replan (the WAN's own state did not change). */
  #report6(t: Transition): void {
    this.#o.log.info("{wan} IPv6 {from} \u2192 {to}: {reason}", { wan: this.name, ...t });
    this.#o.onChange(this.name);
  }
}

