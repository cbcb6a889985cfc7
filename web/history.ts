/**
 * HealthHistory: the last 30 minutes of each WAN's state, RTT, loss and jitter, sampled
 * every 2 s from the kernel's status WITHOUT refreshing flow counters (no conntrack fork),
 * kept in fixed-size rings and served in columns ready for a chart.
 * @module
 */
import type { Clock, TimerHandle } from "../src/clock.ts";
import type { StatusSnapshot } from "../src/status.ts";

export interface HistoryOptions {
  /** Snapshot source; must not refresh flow figures. */
  readonly read: () => StatusSnapshot;
  readonly clock: Clock;
  readonly stepMs?: number;
  readonly keepMs?: number;
}

/** One WAN's samples, column by column (`null`: no figure). */
export interface HistorySeries {
  t: number[];
  state: string[];
  rttMs: (number | null)[];
  lossPct: (number | null)[];
  jitterMs: (number | null)[];
}

export interface HistoryReply {
  readonly stepMs: number;
  readonly now: string;
  readonly wans: Record<string, HistorySeries>;
}

/** A fixed-size ring of one WAN's samples; NaN stands for "no figure". */
class Ring {
  readonly t: Float64Array;
  readonly rtt: Float64Array;
  readonly loss: Float64Array;
  readonly jitter: Float64Array;
  readonly state: string[];
  head = 0;
  size = 0;
  constructor(n: number) {
    this.t = new Float64Array(n);
    this.rtt = new Float64Array(n);
    this.loss = new Float64Array(n);
    this.jitter = new Float64Array(n);
    this.state = new Array<string>(n);
  }
  push(t: number, state: string, rtt: number, loss: number, jitter: number): void {
    const i = this.head;
    this.t[i] = t;
    this.state[i] = state;
    this.rtt[i] = rtt;
    this.loss[i] = loss;
    this.jitter[i] = jitter;
    this.head = (i + 1) % this.t.length;
    if (this.size < this.t.length) this.size++;
  }
  /** The newest sample's time, or -Infinity. */
  get last(): number {
    return this.size === 0 ? -Infinity : this.t[(this.head - 1 + this.t.length) % this.t.length];
  }
  since(from: number): HistorySeries {
    const out: HistorySeries = { t: [], state: [], rttMs: [], lossPct: [], jitterMs: [] };
    const n = this.t.length;
    const fig = (x: number) => (Number.isNaN(x) ? null : x);
    for (let k = 0; k < this.size; k++) {
      const i = (this.head - this.size + k + n) % n;
      if (this.t[i] <= from) continue;
      out.t.push(this.t[i]);
      out.state.push(this.state[i]);
      out.rttMs.push(fig(this.rtt[i]));
      out.lossPct.push(fig(this.loss[i]));
      out.jitterMs.push(fig(this.jitter[i]));
    }
    return out;
  }
}

const round1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? NaN : Math.round(x * 10) / 10);

function meanJitter(targets: StatusSnapshot["wans"][number]["targets"]): number {
  let sum = 0;
  let n = 0;
  for (const t of targets) {
    if (t.jitterMs !== undefined && Number.isFinite(t.jitterMs)) {
      sum += t.jitterMs;
      n++;
    }
  }
  return n === 0 ? NaN : round1(sum / n);
}

export class HealthHistory {
  readonly stepMs: number;
  readonly keepMs: number;
  readonly #o: HistoryOptions;
  readonly #rings = new Map<string, Ring>();
  #timer?: TimerHandle;
  #closed = false;

  constructor(o: HistoryOptions) {
    this.#o = o;
    this.stepMs = o.stepMs ?? 2_000;
    this.keepMs = o.keepMs ?? 30 * 60_000;
  }

  /** Takes a sample now, then one every step until {@link close}. */
  start(): void {
    if (this.#closed || this.#timer) return;
    const tick = () => {
      this.sample();
      if (!this.#closed) this.#timer = this.#o.clock.setTimeout(tick, this.stepMs);
    };
    tick();
  }

  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Records every WAN's figures at the clock's time; WANs gone for longer than the window are forgotten. */
  sample(): void {
    const now = Math.round(this.#o.clock.now());
    const size = Math.max(1, Math.ceil(this.keepMs / this.stepMs));
    for (const w of this.#o.read().wans) {
      let ring = this.#rings.get(w.name);
      if (!ring) this.#rings.set(w.name, (ring = new Ring(size)));
      // A down WAN's RTT and jitter are the window's last answers, not current: the chart shows a gap.
      const off = !w.enabled;
      const quiet = off || w.state === "down";
      ring.push(now, off ? "disabled" : w.state, quiet ? NaN : round1(w.latencyMs), off ? NaN : round1(w.lossPct), quiet ? NaN : meanJitter(w.targets));
    }
    for (const [name, ring] of this.#rings) if (ring.last < now - this.keepMs) this.#rings.delete(name);
  }

  /** The last `minutes` of samples per WAN. */
  query(minutes: number): HistoryReply {
    const now = this.#o.clock.now();
    const from = now - minutes * 60_000;
    const wans: Record<string, HistorySeries> = {};
    for (const [name, ring] of this.#rings) {
      const s = ring.since(from);
      if (s.t.length > 0) wans[name] = s;
    }
    return { stepMs: this.stepMs, now: new Date(now).toISOString(), wans };
  }
}
