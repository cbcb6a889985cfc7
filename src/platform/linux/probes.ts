/**
 * Probes through one uplink. ICMP: one long-lived iputils `ping` per (uplink, target),
 * bound to the device and carrying the uplink's mark (so it skips balancing and uses the
 * uplink's table); its output lines become EchoResults. HTTP: node:http(s) bound to the
 * uplink address and a port from PROBE_PORTS, which the nft output chain pins to the uplink.
 * @module
 */
import type { Child } from "../../host/index.ts";
import type {
  EchoResult, EchoStream, EchoStreamOptions, HttpProbeRequest, HttpProbeResult, Probes, RoutingSettings,
} from "../../platform.ts";
import type { LogFn } from "./dataplane.ts";
import { EchoJudge, type JudgeClock, realClock } from "./echo-judge.ts";
import { markOf, markSpace } from "./marks.ts";
import { PROBE_PORTS } from "./nft.ts";
import { checkDevice, checkIPv4, checkIPv6, hostOf, isV6, lineSplitter, type Runner } from "./run.ts";

/** A binding with the uplink's IPv6 address (ProbeBinding.address6 of the platform port). */
type Binding6 = HttpProbeRequest["binding"] & { readonly address6?: string };

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
  #child?: Child;
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
    let child: Child | undefined;
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
    const started = this.#runner.spawn(pingArgv(this.#opts, this.#mark), {
      onStdout: lineSplitter((line) => judge.line(line)),
      onStderr: (t) => (stderr = (stderr + t).slice(-500)),
    });
    child = started;
    this.#child = started;
    void started.closed.then((exit) => {
      judge.stop();
      if (this.#child !== started || this.#closed) return;
      this.#child = undefined;
      if (exit.error) stderr += exit.error.message;
      const why = stderr.trim().split("\n").pop() || `ping exited with ${exit.code ?? exit.signal}`;
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
    if (!child || !child.running) return Promise.resolve();
    const hard = setTimeout(() => child.kill("SIGKILL"), 2000);
    child.kill("SIGTERM");
    return child.closed.then(() => clearTimeout(hard));
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

/** Node's HTTP client, loaded with the first HTTP probe (ICMP-only setups never need it). */
let clients: Promise<{ http: typeof import("node:http").request; https: typeof import("node:https").request }> | undefined;

async function httpOnce(req: HttpProbeRequest, localAddress: string, localPort: number, signal: AbortSignal): Promise<HttpProbeResult> {
  clients ??= Promise.all([import("node:http"), import("node:https")]).then(([h, s]) => ({ http: h.request, https: s.request }));
  const { http: httpRequest, https: httpsRequest } = await clients;
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
