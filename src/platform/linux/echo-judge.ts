/**
 * The echo judge: when an echo of a long-lived iputils `ping` counts as lost, decided in
 * process from ping's output lines and the kernel's timing (see {@link lateSendSlackMs}).
 * @module
 */
import type { EchoResult } from "../../platform.ts";

/** What one line of `ping -n -O -D` says. */
export type PingLine =
  | { kind: "start" }
  | { kind: "reply"; seq: number; rttMs: number }
  | { kind: "pending"; seq: number }
  | { kind: "error"; seq: number; error: string };

/** parsePingLine classifies one line of `ping -n -O -D`; undefined for other lines (and duplicates). */
export function parsePingLine(line: string): PingLine | undefined {
  let m = /icmp_seq=(\d+) .*time=([\d.]+) ms/.exec(line);
  if (m) return line.includes("(DUP!)") ? undefined : { kind: "reply", seq: Number(m[1]), rttMs: Number(m[2]) };
  m = /no answer yet for icmp_seq=(\d+)/.exec(line);
  if (m) return { kind: "pending", seq: Number(m[1]) };
  m = /From \S+ icmp_seq=(\d+) (.+)$/.exec(line);
  if (m) return { kind: "error", seq: Number(m[1]), error: m[2].trim().toLowerCase() };
  if (/^PING \S+ /.test(line)) return { kind: "start" };
  return undefined;
}

/** The timers EchoJudge needs (real ones in production, a fake clock in tests). */
export interface JudgeClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Runs `fn` after the I/O already waiting is handled (setImmediate); absent: at once. */
  defer?(fn: () => void): void;
}

export const realClock: JudgeClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  defer: (fn) => setImmediate(fn),
};

/**
 * The tick rates (CONFIG_HZ) a Linux router may run. Which one this kernel uses cannot be read
 * without privileges we do not ask for, so the coarsest rounding among them counts.
 */
const KERNEL_HZ = [100, 250, 300, 1000] as const;

/**
 * How late iputils `ping` may send at an interval of `intervalMs`. When the reply comes within a
 * millisecond (a near target, a test bed), ping waits for its next send in a blocking `recvmsg`
 * with SO_RCVTIMEO, a timeout of the kernel's timer wheel, which rounds an expiry UP to the
 * granularity of the wheel level the delay falls in: 8^n ticks for delays of 63*8^(n-1) ticks
 * and more, so up to 1/8 of the delay. Measured with 12 pings at `-i 30` (HZ 250): the second
 * send 0.07-1.90 s late, every later one 0.720 s late (30 s rounded up to the 2.048 s grid).
 * A fixed 5 % allowance (1.5 s at 30 s) judged such echoes lost about once a minute per uplink.
 */
export function lateSendSlackMs(intervalMs: number): number {
  let worst = 0;
  for (const hz of KERNEL_HZ) {
    const tick = 1000 / hz;
    const ticks = Math.ceil(intervalMs / tick);
    let granularity = 1;
    while (ticks >= 63 * granularity && granularity < 8 ** 8) granularity *= 8;
    worst = Math.max(worst, (granularity + 1) * tick);
  }
  // And a moment for ping to be scheduled once woken.
  return Math.ceil(worst) + SCHEDULING_MS;
}

/** How long a woken ping may wait for a CPU before it sends (added to the timer wheel's rounding). */
export const SCHEDULING_MS = 10;

/** A deadline timer this late means the process stood still (or the clock jumped): not losses. */
export const STALL_MS = 2000;

/** A deadline timer later than this means a starved process: judge after {@link GRACE_MS}. */
export const LATE_TIMER_MS = 100;
/** How long a starved ping gets to print a reply that came in time. */
export const GRACE_MS = 250;
/** How long a ping that printed nothing yet counts as starting, not as losing echoes. */
export const START_GRACE_MS = 3000;

/** A reply that came for an echo the judge had already reported lost. */
export interface LateReply {
  readonly seq: number;
  readonly rttMs: number;
  /** How much later ping sent it than the judge predicted (negative: the reply itself was late). */
  readonly sentLateMs: number;
}

/** What an EchoJudge tells besides results (for the log). */
export interface JudgeHooks {
  /** A reply came for an echo already reported lost: the deadline was too early. */
  readonly lateReply?: (late: LateReply) => void;
  /** An echo was judged lost, with the judge's view of the schedule (ms). */
  readonly lost?: (detail: Record<string, number>) => void;
}

/**
 * EchoJudge decides, in-process, when an echo counts as lost. `ping -O` only says "no answer
 * yet" when it sends the NEXT echo (an interval later, whatever the timeout), so the judge keeps
 * an anchor instead: seq `a` was sent at `ta`, so seq n is sent at ta + (n - a)*interval and is
 * lost at that time + timeoutMs unless its reply came first. Replies re-anchor (N, now - rtt),
 * "no answer yet for N" re-anchors (N + 1, now) (ping is sending N + 1 this moment), an ICMP
 * error for N reports N lost. Every seq is reported once: a reply after its loss was reported is
 * ignored.
 */
export class EchoJudge {
  #clock: JudgeClock;
  #target: string;
  #intervalMs: number;
  #timeoutMs: number;
  #onResult: (r: EchoResult) => void;
  #anchorSeq = 1;
  #anchorAt: number;
  /** The lowest seq not yet judged by the timer. */
  #next = 1;
  #reported = new Set<number>();
  #timer?: unknown;
  #stopped = false;
  #stalls = 0;
  #grace = false;
  /** ping printed something: it runs (a busy machine may take long to start it). */
  #alive = false;
  #createdAt: number;
  /** Seqs the timer judged lost: seq -> the send time predicted then (to see a late reply). */
  #judgedLost = new Map<number, number>();
  #lateReplies = 0;
  #hooks: JudgeHooks;

  constructor(
    clock: JudgeClock, o: { target: string; intervalMs: number; timeoutMs: number }, onResult: (r: EchoResult) => void,
    hooks: JudgeHooks = {},
  ) {
    this.#hooks = hooks;
    this.#clock = clock;
    this.#target = o.target;
    this.#intervalMs = Math.max(1, o.intervalMs);
    this.#timeoutMs = o.timeoutMs;
    this.#onResult = onResult;
    this.#anchorAt = clock.now();
    this.#createdAt = this.#anchorAt;
    this.#schedule();
  }

  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** How many replies came for an echo already judged lost (each was a false loss). */
  get lateReplies(): number {
    return this.#lateReplies;
  }

  /** How many times a late timer's backlog (a stall, a clock jump) was dropped instead of judged. */
  get stalls(): number {
    return this.#stalls;
  }

  /** When seq n counts as lost unless answered: its predicted send, the timeout and ping's lateness. */
  deadline(n: number): number {
    return this.sendTime(n) + this.#timeoutMs + lateSendSlackMs(this.#intervalMs);
  }

  /** sendTime is when seq n was (or will be) sent, by the current anchor. */
  sendTime(n: number): number {
    return this.#anchorAt + (n - this.#anchorSeq) * this.#intervalMs;
  }

  /** Feeds one output line of ping. */
  line(text: string): void {
    const p = parsePingLine(text);
    if (!p || this.#stopped) return;
    this.#alive = true;
    const now = this.#clock.now();
    if (p.kind === "start") {
      // The header is printed right before seq 1 is sent: a better anchor than the spawn time.
      if (this.#next === 1 && this.#reported.size === 0) this.#anchor(1, now);
      return;
    }
    if (p.kind === "reply") {
      const predicted = this.#judgedLost.get(p.seq);
      if (predicted !== undefined) {
        this.#judgedLost.delete(p.seq);
        this.#lateReplies++;
        this.#hooks.lateReply?.({ seq: p.seq, rttMs: p.rttMs, sentLateMs: Math.round(now - p.rttMs - predicted) });
      }
      this.#report(p.seq, { target: this.#target, ok: true, rttMs: p.rttMs });
      this.#anchor(p.seq, now - p.rttMs);
      return;
    }
    if (p.kind === "pending") {
      this.#anchor(p.seq + 1, now);
      return;
    }
    this.#report(p.seq, { target: this.#target, ok: false, error: p.error });
  }

  setTimeoutMs(ms: number): void {
    if (ms === this.#timeoutMs) return;
    this.#timeoutMs = ms;
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #anchor(seq: number, at: number): void {
    this.#grace = false; // ping made progress: a later late timer gets its own grace
    this.#anchorSeq = seq;
    this.#anchorAt = at;
    this.#schedule();
  }

  #report(seq: number, r: EchoResult): void {
    if (this.#reported.has(seq) || seq < this.#next - 1000) return;
    this.#reported.add(seq);
    if (this.#reported.size > 2000) {
      for (const s of this.#reported) if (s < this.#next - 1000) this.#reported.delete(s);
    }
    this.#onResult(r);
  }

  /** (Re)arms the one timer for the lowest seq still to be judged. */
  #schedule(): void {
    if (this.#stopped) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    while (this.#reported.has(this.#next)) this.#next++;
    const due = this.deadline(this.#next);
    this.#timer = this.#clock.setTimeout(() => this.#fire(), Math.max(0, due - this.#clock.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    // After a stall of the event loop the timer runs before the reply lines waiting in the
    // pipe are read: judge once they have been (a reply that came in time is not a loss).
    if (this.#clock.defer) this.#clock.defer(() => this.#judge());
    else this.#judge();
  }

  #judge(): void {
    if (this.#stopped) return;
    const now = this.#clock.now();
    if (now - this.deadline(this.#next) > STALL_MS) {
      // The process (or the whole machine) stood still, or the clock jumped: ping stood still
      // too, so the echoes "due" meanwhile were never sent. Judge from now on instead of
      // reporting a backlog of losses at once (that alone would take the uplink down).
      this.#stalls++;
      this.#next = Math.max(this.#next, Math.floor((now - this.#anchorAt) / this.#intervalMs) + this.#anchorSeq + 1);
      this.#anchor(this.#next, now);
      return;
    }
    if (!this.#alive && now - this.#createdAt < START_GRACE_MS) {
      // ping has not printed its header yet: it is still starting (a fork on a busy machine),
      // and echoes it has not sent cannot be lost.
      this.#timer = this.#clock.setTimeout(() => this.#fire(), GRACE_MS);
      return;
    }
    const late = now - this.deadline(this.#next);
    if (late > LATE_TIMER_MS && !this.#grace) {
      // The timer ran late: this process was starved of CPU, and ping probably too (it may not
      // have printed a reply that came in time). Give it a moment to run, then judge.
      this.#grace = true;
      this.#timer = this.#clock.setTimeout(() => this.#fire(), GRACE_MS);
      return;
    }
    this.#grace = false;
    // What is past its deadline is lost: normally one seq. After a late timer (a busy machine)
    // only the first counts; the later ones fell due while this process, and most likely ping,
    // stood still, so they are dropped unjudged rather than reported as a burst of losses.
    let lost = 0;
    while (this.deadline(this.#next) <= now + 1) {
      const n = this.#next;
      if (!this.#reported.has(n)) {
        if (lost++ === 0) {
          this.#judgedLost.set(n, this.sendTime(n));
          this.#hooks.lost?.({
            seq: n, anchorSeq: this.#anchorSeq, anchorAgoMs: Math.round(now - this.#anchorAt),
            predictedSendAgoMs: Math.round(now - this.sendTime(n)), lateMs: Math.round(now - this.deadline(n)),
          });
          if (this.#judgedLost.size > 64) this.#judgedLost.delete(this.#judgedLost.keys().next().value!);
          this.#report(n, { target: this.#target, ok: false, error: "timeout" });
        }
        else this.#reported.add(n);
      }
      this.#next = n + 1;
    }
    if (lost > 1) this.#stalls++;
    this.#schedule();
  }
}
