/**
 * HealthMachine turns probe results, link changes and traffic counters into a WAN state
 * with hysteresis. It is pure: every input carries its time, so tests drive it with a
 * fake clock.
 *
 * Results are grouped into rounds (each target once); a round succeeds when at least
 * `reliability` targets answered. `down` failed rounds in a row take the WAN down, `up`
 * good rounds bring it back. Loss and latency over a window make an up WAN degraded.
 * Carrier loss takes it down at once. Traffic that leaves without anything coming back
 * for `suspectAfterMs` switches to fast probing, so a silent failure is confirmed in well
 * under a second while an idle uplink costs one probe per steady interval.
 * @module
 */
import type { HealthConfig } from "./config.ts";
import type { HealthState, HealthView, TargetStats } from "./types.ts";
import type { TargetResult } from "../plugin.ts";

export type Phase = HealthView["phase"];

/** The uplink device's counters, read every traffic poll. */
export interface TrafficCounters {
  readonly txPackets: number;
  readonly rxPackets: number;
  readonly rxBytes?: number;
}

/**
 * Received bytes that prove an uplink alive: real traffic, not the odd ARP or probe reply.
 * Lost probes while this much keeps arriving (a saturated, bufferbloated link) do not count.
 */
export const RX_EVIDENCE_BYTES = 1500;

/** Unanswered packets that raise suspicion: one stray packet is chatter, several are traffic. */
export const SUSPECT_MIN_PACKETS = 3;

/** A metered uplink is idle after this long with nothing but probes and chatter leaving it. */
export const IDLE_WINDOW_MS = 60_000;
/** Packets per window besides probes that still count as idle (router solicitations, ARP, DHCP). */
export const IDLE_CHATTER_PACKETS = 20;

export interface MachineOptions {
  /** Data costs money: while it carries nothing but probes, probe at `meteredIdleIntervalMs`. */
  readonly metered?: boolean;
}

export interface Transition {
  readonly from: HealthState;
  readonly to: HealthState;
  readonly reason: string;
}

interface Window {
  oks: boolean[];
  rtts: number[];
  lastRtt?: number;
  lastOk?: boolean;
  lastError?: string;
  sent: number;
  received: number;
}

const secs = (ms: number) => `${(Math.max(0, ms) / 1000).toFixed(1)} s`;

export class HealthMachine {
  readonly #cfg: HealthConfig;
  readonly #targets: readonly string[];
  readonly #device: string;
  #state: HealthState = "unknown";
  #reason = "starting";
  #since: number;
  #phase: Phase = "suspect";
  #round = new Map<string, boolean>();
  #okRounds = 0;
  #failRounds = 0;
  #failSince?: number;
  #windows = new Map<string, Window>();
  #link: "unknown" | "up" | "no-carrier" | "missing" = "unknown";
  #lastResultAt: number;
  #probesSent = 0;
  #tx?: number;
  #rx?: number;
  #unansweredSince?: number;
  #unansweredTx = 0;
  #trafficAt?: number;
  #rxMark?: number;
  #rxAliveAt?: number;
  #counterResets = 0;
  #suspicions = 0;
  #lastSuspicion?: { at: number; cause: string };
  #metered: boolean;
  #idle = false;
  #idleFrom?: { at: number; tx: number; probes: number };

  constructor(cfg: HealthConfig, targets: readonly string[], at: number, device = "", opts: MachineOptions = {}) {
    this.#cfg = cfg;
    this.#targets = targets;
    this.#device = device;
    this.#metered = opts.metered === true;
    this.#since = at;
    this.#lastResultAt = at;
    for (const t of targets) this.#windows.set(t, { oks: [], rtts: [], sent: 0, received: 0 });
  }

  get state(): HealthState {
    return this.#state;
  }
  get phase(): Phase {
    return this.#phase;
  }
  /** How many times the device's counters went backwards (device recreated) or were unreadable. */
  get counterResets(): number {
    return this.#counterResets;
  }

  /**
   * The counters are worth reading at the fast rate: packets left unanswered, or the machine is
   * suspecting or confirming. Otherwise the uplink is quiet and a slow read loses nothing.
   */
  get wantsTraffic(): boolean {
    return this.#phase !== "steady" || this.#unansweredSince !== undefined;
  }

  /** A metered uplink that carries nothing but probes (probed at `meteredIdleIntervalMs`). */
  get idle(): boolean {
    return this.#idle;
  }

  /** Turns metered on or off; returns true when the probe cadence may change (idle ended). */
  setMetered(metered: boolean): boolean {
    if (metered === this.#metered) return false;
    this.#metered = metered;
    this.#idleFrom = undefined;
    return this.#setIdle(false);
  }

  /** The probe interval for the current phase, given the tracker's steady interval. */
  intervalMs(steadyMs: number): number {
    if (this.#phase === "suspect") return Math.min(this.#cfg.failureIntervalMs, steadyMs);
    if (this.#phase === "down") return Math.min(this.#cfg.recoveryIntervalMs, steadyMs);
    if (this.#idle) return Math.max(steadyMs, this.#cfg.meteredIdleIntervalMs ?? steadyMs);
    return steadyMs;
  }

  /** A probe result for one target. */
  onResult(r: TargetResult, at: number): Transition | undefined {
    this.#lastResultAt = at;
    this.#probesSent += r.sent ?? 1;
    // Without a carrier the probes fail because of the outage itself: counted, but kept out of
    // the quality window, or the uplink would come back "degraded" by its own cable pull.
    const linkDown = this.#link === "no-carrier" || this.#link === "missing";
    this.#record(r, !linkDown);
    if (linkDown) return undefined;
    if (this.#targets.length === 0) return undefined;
    if (!r.ok && this.#phase === "steady") {
      // A lost probe is a suspicion: probe fast until `up` fresh rounds clear it (older
      // good answers in the same round must not clear it at once).
      this.#suspect(at, `probe to ${r.target} failed: ${r.error ?? "no answer"}`);
      this.#okRounds = 0;
    }
    if (this.#round.has(r.target)) return this.#closeRound(at) ?? this.#addToRound(r, at);
    return this.#addToRound(r, at);
  }

  /** The device's presence and carrier, from link events or polling. */
  onLink(present: boolean, carrier: boolean, at: number): Transition | undefined {
    const link = !present ? "missing" : carrier ? "up" : "no-carrier";
    if (link === this.#link) return undefined;
    const first = this.#link === "unknown";
    this.#link = link;
    if (first && link === "up" && this.#targets.length > 0) return undefined;
    this.#round.clear();
    this.#okRounds = 0;
    this.#failRounds = 0;
    this.#failSince = undefined;
    if (link === "missing") return this.#go("down", `device ${this.#device} is missing`, at, "down");
    if (link === "no-carrier") return this.#go("down", `no carrier on ${this.#device}`, at, "down");
    if (this.#targets.length === 0) return this.#go("up", `carrier up on ${this.#device}`, at, "steady");
    // Back from an outage: judged on fresh rounds only (as after the rounds that took it down).
    this.#forgetQuality();
    this.#phase = "down";
    this.#reason = `carrier back on ${this.#device}; waiting for ${this.#cfg.up} good rounds`;
    return undefined;
  }

  /** Packet counters of the uplink's device; returns true when the phase changed. */
  onTraffic(c: TrafficCounters, at: number): boolean {
    const previousAt = this.#trafficAt;
    const back = (this.#tx !== undefined && c.txPackets < this.#tx) || (this.#rx !== undefined && c.rxPackets < this.#rx) ||
      (c.rxBytes !== undefined && this.#rxMark !== undefined && c.rxBytes < this.#rxMark);
    if (back || !Number.isFinite(c.txPackets) || !Number.isFinite(c.rxPackets)) {
      // Counters went backwards (the device was recreated under the same name) or are not
      // numbers: no evidence either way; start over from this reading.
      this.#tx = Number.isFinite(c.txPackets) ? c.txPackets : undefined;
      this.#rx = Number.isFinite(c.rxPackets) ? c.rxPackets : undefined;
      this.#rxMark = c.rxBytes;
      this.#unansweredSince = undefined;
      this.#trafficAt = at;
      this.#counterResets++;
      this.#idleFrom = undefined;
      return false;
    }
    const txGrew = this.#tx !== undefined && c.txPackets > this.#tx;
    const rxGrew = this.#rx !== undefined && c.rxPackets > this.#rx;
    this.#tx = c.txPackets;
    this.#rx = c.rxPackets;
    this.#trafficAt = at;
    if (c.rxBytes !== undefined) {
      this.#rxMark ??= c.rxBytes;
      if (c.rxBytes - this.#rxMark >= RX_EVIDENCE_BYTES) {
        this.#rxMark = c.rxBytes;
        this.#rxAliveAt = at;
      }
    }
    const idleChanged = this.#metered && this.#watchIdle(c.txPackets, at);
    if (!this.#cfg.passive || this.#targets.length === 0) return idleChanged;
    if (rxGrew) this.#unansweredSince = undefined;
    else if (txGrew && this.#unansweredSince === undefined) {
      // The packets left at some time since the previous reading: date them from it.
      this.#unansweredSince = previousAt ?? at;
      this.#unansweredTx = c.txPackets - 1;
    } else if (this.#unansweredSince !== undefined && at - this.#unansweredSince > 4 * this.#cfg.suspectAfterMs) {
      // Sparse chatter (router solicitations, a lone DNS retry) is not a failing uplink: start over.
      this.#unansweredSince = txGrew ? at : undefined;
      this.#unansweredTx = c.txPackets - 1;
    }
    if (
      this.#phase === "steady" && this.#unansweredSince !== undefined &&
      at - this.#unansweredSince >= this.#cfg.suspectAfterMs &&
      c.txPackets - this.#unansweredTx >= SUSPECT_MIN_PACKETS
    ) {
      this.#suspect(at, `${c.txPackets - this.#unansweredTx} packets left unanswered for ${Math.round(at - this.#unansweredSince)} ms`);
      this.#okRounds = 0;
      return true;
    }
    return idleChanged;
  }

  /**
   * Idle (metered only): over a whole IDLE_WINDOW_MS, what left the device was the probes and
   * a little chatter. Any more traffic ends it at once. Returns true when it changed.
   */
  #watchIdle(tx: number, at: number): boolean {
    const from = this.#idleFrom;
    if (!from || this.#phase !== "steady") {
      this.#idleFrom = { at, tx, probes: this.#probesSent };
      return this.#setIdle(false);
    }
    const extra = tx - from.tx - (this.#probesSent - from.probes);
    if (extra > IDLE_CHATTER_PACKETS) {
      this.#idleFrom = { at, tx, probes: this.#probesSent };
      return this.#setIdle(false);
    }
    if (at - from.at < IDLE_WINDOW_MS) return false;
    this.#idleFrom = { at, tx, probes: this.#probesSent };
    return this.#setIdle(true);
  }

  #setIdle(idle: boolean): boolean {
    if (idle === this.#idle) return false;
    this.#idle = idle;
    return true;
  }

  /** Periodic check: a tracker that stopped reporting counts as failing. */
  onTick(at: number, steadyMs: number): Transition | undefined {
    if (this.#link === "no-carrier" || this.#link === "missing" || this.#targets.length === 0) return undefined;
    const silentMs = 3 * this.intervalMs(steadyMs) + 2000;
    if (at - this.#lastResultAt < silentMs) return undefined;
    this.#lastResultAt = at;
    this.#round.clear();
    return this.#judge(false, at, "tracker reports nothing");
  }

  #record(r: TargetResult, quality = true): void {
    const w = this.#windows.get(r.target);
    if (!w) return;
    w.lastOk = r.ok;
    w.lastError = r.ok ? undefined : r.error;
    w.sent += r.sent ?? 1;
    w.received += r.received ?? (r.ok ? 1 : 0);
    if (!quality) return;
    const n = this.#cfg.lossWindow;
    w.oks.push(r.ok);
    if (w.oks.length > n) w.oks.shift();
    if (r.ok && r.rttMs !== undefined) {
      w.rtts.push(r.rttMs);
      if (w.rtts.length > n) w.rtts.shift();
      w.lastRtt = r.rttMs;
    }
  }

  #forgetQuality(): void {
    for (const w of this.#windows.values()) {
      w.oks = [];
      w.rtts = [];
    }
  }

  #addToRound(r: TargetResult, at: number): Transition | undefined {
    this.#round.set(r.target, r.ok);
    if (this.#round.size >= this.#targets.length) return this.#closeRound(at);
    return undefined;
  }

  #closeRound(at: number): Transition | undefined {
    if (this.#round.size === 0) return undefined;
    let ok = 0;
    for (const v of this.#round.values()) if (v) ok++;
    this.#round.clear();
    // Until the uplink is back up, a round some target missed belongs to the outage (or to the
    // first echoes of a new uplink), not to the quality it will have: keep it out of the window.
    if ((this.#state === "down" || this.#state === "unknown") && ok < this.#targets.length) this.#forgetQuality();
    return this.#judge(ok >= Math.min(this.#cfg.reliability, this.#targets.length), at);
  }

  #judge(success: boolean, at: number, why?: string): Transition | undefined {
    if (!success && this.#cfg.passive && this.#rxAliveAt !== undefined && at - this.#rxAliveAt <= this.#cfg.suspectAfterMs) {
      // Probes are lost but real traffic keeps arriving: inconclusive, neither good nor bad.
      this.#okRounds = 0;
      if (this.#state !== "down") this.#reason = "probes lost, but traffic still arrives";
      return undefined;
    }
    if (!success) {
      // While down (or not yet up) losses are the outage itself, not the quality the uplink
      // will have once back: coming up judges loss and latency from the good rounds only.
      if (this.#state === "down" || this.#state === "unknown") this.#forgetQuality();
      this.#okRounds = 0;
      this.#failRounds++;
      this.#failSince ??= at;
      if (this.#phase === "steady") this.#suspect(at, why ?? "a round of probes failed");
      if (this.#failRounds >= this.#cfg.down && this.#state !== "down") {
        const reason = why ?? this.#lostReason(at);
        // The rounds that took it down are the outage too: once back, it is judged on fresh rounds.
        this.#forgetQuality();
        return this.#go("down", reason, at, "down");
      }
      if (this.#state === "down") this.#reason = why ?? this.#lostReason(at);
      return undefined;
    }
    this.#failRounds = 0;
    this.#failSince = undefined;
    this.#okRounds++;
    if (this.#state === "down" || this.#state === "unknown") {
      if (this.#okRounds >= this.#cfg.up) {
        const q = this.#quality();
        return this.#go(q.bad ? "degraded" : "up", q.bad ? q.reason : "", at, "steady");
      }
      return undefined;
    }
    if (this.#phase === "suspect" && this.#okRounds >= this.#cfg.up) {
      this.#phase = "steady";
      this.#unansweredSince = undefined;
    }
    const q = this.#quality();
    if (this.#state === "up" && q.bad) return this.#go("degraded", q.reason, at);
    if (this.#state === "degraded" && q.good) return this.#go("up", "", at);
    return undefined;
  }

  #go(to: HealthState, reason: string, at: number, phase?: Phase): Transition | undefined {
    if (phase) this.#phase = phase;
    const from = this.#state;
    const text = reason || this.#upReason();
    this.#reason = text;
    if (from === to) return undefined;
    this.#state = to;
    this.#since = at;
    return { from, to, reason: text };
  }

  #lostReason(at: number): string {
    let lost = 0;
    const why = new Set<string>();
    for (const w of this.#windows.values()) {
      if (w.lastOk !== false) continue;
      lost++;
      if (w.lastError && w.lastError !== "timeout") why.add(w.lastError);
    }
    // Say what the probes said when it was more than silence (an ICMP error, a probe that died).
    const detail = why.size > 0 ? ` (${[...why].slice(0, 2).join("; ").slice(0, 120)})` : "";
    return `${lost} of ${this.#targets.length} targets lost for ${secs(at - (this.#failSince ?? at))}${detail}`;
  }

  #upReason(): string {
    let answering = 0;
    for (const w of this.#windows.values()) if (w.lastOk) answering++;
    const lat = this.#latency();
    const latText = lat === undefined ? "" : `, ${lat.toFixed(lat < 10 ? 1 : 0)} ms`;
    return `${answering} of ${this.#targets.length} targets answer${latText}`;
  }

  #loss(): { pct: number; total: number } {
    let total = 0;
    let lost = 0;
    for (const w of this.#windows.values()) {
      total += w.oks.length;
      for (const ok of w.oks) if (!ok) lost++;
    }
    return { pct: total === 0 ? 0 : (100 * lost) / total, total };
  }

  #latency(): number | undefined {
    let sum = 0;
    let n = 0;
    for (const w of this.#windows.values()) {
      for (const r of w.rtts) {
        sum += r;
        n++;
      }
    }
    return n === 0 ? undefined : sum / n;
  }

  #quality(): { bad: boolean; good: boolean; reason: string } {
    const loss = this.#loss();
    const lat = this.#latency() ?? 0;
    if (loss.total < 5) return { bad: false, good: true, reason: "" };
    const c = this.#cfg;
    if (loss.pct > c.failureLossPct) {
      return { bad: true, good: false, reason: `loss ${loss.pct.toFixed(0)}% over ${loss.total} probes (limit ${c.failureLossPct}%)` };
    }
    if (lat > c.failureLatencyMs) {
      return { bad: true, good: false, reason: `latency ${lat.toFixed(0)} ms (limit ${c.failureLatencyMs} ms)` };
    }
    return { bad: false, good: loss.pct <= c.recoveryLossPct && lat <= c.recoveryLatencyMs, reason: "" };
  }

  /** Steady -> suspect, counted with its cause (kept after the next good answer, for diagnosis). */
  #suspect(at: number, cause: string): void {
    this.#phase = "suspect";
    this.#suspicions++;
    this.#lastSuspicion = { at, cause };
  }

  /** The health view for status and the API. */
  view(): HealthView {
    const targets: TargetStats[] = this.#targets.map((t) => {
      const w = this.#windows.get(t)!;
      let lost = 0;
      for (const ok of w.oks) if (!ok) lost++;
      let jitter: number | undefined;
      if (w.rtts.length > 1) {
        let s = 0;
        for (let i = 1; i < w.rtts.length; i++) s += Math.abs(w.rtts[i] - w.rtts[i - 1]);
        jitter = s / (w.rtts.length - 1);
      }
      return {
        target: t,
        rttMs: w.lastRtt,
        jitterMs: jitter,
        lossPct: w.oks.length === 0 ? 0 : (100 * lost) / w.oks.length,
        sent: w.sent,
        received: w.received,
        ...(w.lastError === undefined ? {} : { lastError: w.lastError }),
      };
    });
    return {
      state: this.#state,
      reason: this.#reason,
      since: this.#since,
      latencyMs: this.#latency(),
      lossPct: this.#loss().pct,
      targets,
      phase: this.#phase,
      probesSent: this.#probesSent,
      suspicions: this.#suspicions,
      ...(this.#lastSuspicion ? { lastSuspicion: this.#lastSuspicion } : {}),
    };
  }
}
