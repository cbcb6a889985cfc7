/**
 * Probes through one uplink. ICMP: one long-lived iputils `ping` per (uplink, target),
 * bound to the device and carrying the uplink's mark (so it skips balancing and uses the
 * uplink's table); its output lines become EchoResults. HTTP: node:http(s) bound to the
 * uplink address and a port from PROBE_PORTS, which the nft output chain pins to the uplink.
 * @module
 */
import type { ChildProcess } from "node:child_process";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createInterface } from "node:readline";
import type {
  EchoResult, EchoStream, EchoStreamOptions, HttpProbeRequest, HttpProbeResult, Probes, RoutingSettings,
} from "../../platform.ts";
import type { LogFn } from "./dataplane.ts";
import { markOf, markSpace } from "./marks.ts";
import { PROBE_PORTS } from "./nft.ts";
import { checkDevice, checkIPv4, checkIPv6, hostOf, isV6, type Runner } from "./run.ts";

/** A binding with the uplink's IPv6 address (ProbeBinding.address6 of the platform port). */
type Binding6 = HttpProbeRequest["binding"] & { readonly address6?: string };

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

const realClock: JudgeClock = {
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
 * granularity of the wheel level the delay falls in: 8^n ticks for delays of 63·8^(n−1) ticks
 * and more, so up to 1/8 of the delay. Measured with 12 pings at `-i 30` (HZ 250): the second
 * send 0.07–1.90 s late, every later one 0.720 s late (30 s rounded up to the 2.048 s grid).
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
 * an anchor instead: seq `a` was sent at `ta`, so seq n is sent at ta + (n − a)·interval and is
 * lost at that time + timeoutMs unless its reply came first. Replies re-anchor (N, now − rtt),
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
  /** Seqs the timer judged lost: seq → the send time predicted then (to see a late reply). */
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

export function pingArgv(opts: EchoStreamOptions, mark: number | undefined): string[] {
  const secs = (ms: number) => (Math.max(ms, 1) / 1000).toFixed(3);
  return [
    "ping", ...(isV6(opts.target) ? ["-6"] : []), "-n", "-O", "-D", "-I", checkDevice(opts.binding.device),
    ...(mark !== undefined ? ["-m", String(mark)] : []),
    "-i", secs(Math.max(opts.intervalMs, 10)), "-W", secs(opts.timeoutMs), "-s", String(Math.max(0, Math.min(opts.size, 65000))),
    isV6(opts.target) ? checkIPv6(opts.target) : checkIPv4(opts.target),
  ];
}

/** One long-lived `ping` process (restarted with backoff when it dies), judged by an EchoJudge. */
export class PingStream implements EchoStream {
  #opts: EchoStreamOptions;
  #onResult: (r: EchoResult) => void;
  #runner: Runner;
  #mark?: number;
  #log: LogFn;
  #clock: JudgeClock;
  #child?: ChildProcess;
  #judge?: EchoJudge;
  #closed = false;
  #backoffMs = 500;
  #timer?: ReturnType<typeof setTimeout>;

  constructor(
    runner: Runner, opts: EchoStreamOptions, mark: number | undefined, log: LogFn, onResult: (r: EchoResult) => void,
    clock: JudgeClock = realClock,
    gate?: Promise<void>,
  ) {
    this.#runner = runner;
    this.#opts = opts;
    this.#mark = mark;
    this.#log = log;
    this.#onResult = onResult;
    this.#clock = clock;
    if (gate) void gate.then(() => this.#child || this.#start());
    else this.#start();
  }

  #start(): void {
    if (this.#closed) return;
    const child = this.#runner.spawn(pingArgv(this.#opts, this.#mark));
    this.#child = child;
    this.#judge?.stop();
    const judge = new EchoJudge(this.#clock, this.#opts, (r) => {
      if (this.#child !== child || this.#closed) return;
      if (r.ok) this.#backoffMs = 500;
      this.#onResult(r);
    }, {
      lateReply: (late) => this.#log("info", "an echo judged lost was answered after all", { ...this.#about(), ...late }),
      lost: (lost) => this.#log("debug", "echo judged lost", { ...this.#about(), ...lost }),
    });
    this.#judge = judge;
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-500);
    });
    createInterface({ input: child.stdout! }).on("line", (line) => judge.line(line));
    child.on("error", (e) => {
      stderr += e.message;
    });
    child.on("close", (code) => {
      judge.stop();
      if (this.#child !== child || this.#closed) return;
      this.#child = undefined;
      const why = stderr.trim().split("\n").pop() || `ping exited with ${code}`;
      this.#log("warning", "ping stopped; restarting", { device: this.#opts.binding.device, target: this.#opts.target, why });
      this.#onResult({ target: this.#opts.target, ok: false, error: why });
      this.#timer = setTimeout(() => this.#start(), this.#backoffMs);
      this.#backoffMs = Math.min(this.#backoffMs * 2, 30_000);
    });
  }

  #about(): Record<string, string | number> {
    return { device: this.#opts.binding.device, target: this.#opts.target, intervalMs: this.#opts.intervalMs };
  }

  setIntervalMs(ms: number): void {
    if (ms === this.#opts.intervalMs) return;
    this.#opts = { ...this.#opts, intervalMs: ms };
    const old = this.#child;
    this.#child = undefined;
    this.#judge?.stop();
    old?.kill("SIGTERM");
    this.#start();
  }

  /** Changes the loss deadline of the running stream (no restart; the next `-W` uses it too). */
  setTimeoutMs(ms: number): void {
    if (ms === this.#opts.timeoutMs) return;
    this.#opts = { ...this.#opts, timeoutMs: ms };
    this.#judge?.setTimeoutMs(ms);
  }

  close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#judge?.stop();
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once("close", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 2000).unref();
    });
  }
}

export class LinuxProbes implements Probes {
  #runner: Runner;
  #settings: () => RoutingSettings | undefined;
  #log: LogFn;
  #routed: (index: number) => Promise<void> | undefined;
  #streams = new Set<PingStream>();

  /**
   * `settings` yields the routing settings in force (from dataplane.init) for the uplink marks;
   * `routed` (optional) delays a probe until the uplink's routing table is installed.
   */
  constructor(
    runner: Runner, settings: () => RoutingSettings | undefined, log: LogFn = () => {},
    routed: (index: number) => Promise<void> | undefined = () => undefined,
  ) {
    this.#runner = runner;
    this.#settings = settings;
    this.#log = log;
    this.#routed = routed;
  }

  echo(opts: EchoStreamOptions, onResult: (r: EchoResult) => void): EchoStream {
    const settings = this.#settings();
    if (!settings) this.#log("warning", "echo probe started before dataplane.init: no fwmark, only the device binding", { device: opts.binding.device });
    const mark = settings ? markOf(markSpace(settings.markMask), opts.binding.index) : undefined;
    const s = new PingStream(this.#runner, opts, mark, this.#log, onResult, realClock, this.#routed(opts.binding.index));
    this.#streams.add(s);
    return {
      setIntervalMs: (ms) => s.setIntervalMs(ms),
      setTimeoutMs: (ms) => s.setTimeoutMs(ms),
      close: () => {
        this.#streams.delete(s);
        return s.close();
      },
    };
  }

  async http(req: HttpProbeRequest, signal: AbortSignal): Promise<HttpProbeResult> {
    // An IPv6 URL ([host]) is probed from the uplink's IPv6 address, any other from its IPv4 one.
    const v6 = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?\[/i.test(req.url);
    const own = v6 ? (req.binding as Binding6).address6 : req.binding.address;
    if (!own) return { ok: false, error: v6 ? "uplink has no IPv6 address" : "uplink has no address" };
    const localAddress = v6 ? checkIPv6(hostOf(own)) : checkIPv4(hostOf(own));
    const denied = denoNetDenied(localAddress, req.url);
    if (denied) return { ok: false, error: denied };
    await this.#routed(req.binding.index);
    let last: HttpProbeResult = { ok: false, error: "no attempt" };
    for (let attempt = 0; attempt < 5; attempt++) {
      const localPort = PROBE_PORTS[0] + Math.floor(Math.random() * (PROBE_PORTS[1] - PROBE_PORTS[0] + 1));
      last = await httpOnce(req, localAddress, localPort, signal);
      if (last.error !== "EADDRINUSE") return last;
    }
    return last;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#streams].map((s) => s.close()));
    this.#streams.clear();
  }
}

type DenoPermissions = { permissions?: { querySync?(d: { name: "net"; host: string }): { state: string } } };

/**
 * Under Deno, a probe bound to an address/port the permissions do not cover would throw an
 * uncaught NotCapable inside node:net and end the daemon: check first and report instead.
 * The probe needs --allow-net for the uplink address (any port: PROBE_PORTS) and the URL's host:port.
 */
export function denoNetDenied(localAddress: string, url: string): string | undefined {
  const perms = (globalThis as { Deno?: DenoPermissions }).Deno?.permissions;
  if (!perms?.querySync) return undefined;
  let target: string;
  try {
    const u = new URL(url);
    target = `${u.hostname}:${u.port || (u.protocol === "https:" ? "443" : "80")}`;
  } catch {
    return undefined;
  }
  const local = isV6(localAddress) ? `[${localAddress}]` : localAddress;
  for (const host of [`${local}:${PROBE_PORTS[0]}`, target]) {
    if (perms.querySync({ name: "net", host }).state !== "granted") {
      return `not permitted: run deno with --allow-net including ${host.startsWith(local + ":") ? local : host}`;
    }
  }
  return undefined;
}

function httpOnce(req: HttpProbeRequest, localAddress: string, localPort: number, signal: AbortSignal): Promise<HttpProbeResult> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return resolve({ ok: false, error: "invalid url" });
    }
    const fn = url.protocol === "https:" ? httpsRequest : url.protocol === "http:" ? httpRequest : undefined;
    if (!fn) return resolve({ ok: false, error: `unsupported protocol ${url.protocol}` });
    const t0 = performance.now();
    let settled = false;
    const finish = (r: HttpProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      r2.destroy();
      resolve(r);
    };
    const r2 = fn(url, { method: req.method, localAddress, localPort, agent: false, headers: { "user-agent": "multiwan-probe" } }, (res) => {
      const status = res.statusCode ?? 0;
      const ttfbMs = performance.now() - t0;
      res.resume();
      finish({ ok: status >= 200 && status < 400, status, ttfbMs, error: status >= 400 ? `http ${status}` : undefined });
    });
    const timer = setTimeout(() => finish({ ok: false, error: "timeout" }), req.timeoutMs);
    const onAbort = () => finish({ ok: false, error: "aborted" });
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    r2.on("error", (e: NodeJS.ErrnoException) => finish({ ok: false, error: e.code ?? e.message }));
    r2.end();
  });
}
