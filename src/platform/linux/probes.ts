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
import { checkDevice, checkIPv4, hostOf, type Runner } from "./run.ts";

/** parsePingLine turns one line of `ping -n -O -D` into a result, or undefined for other lines. */
export function parsePingLine(line: string, target: string): { seq: number; result: EchoResult } | undefined {
  let m = /icmp_seq=(\d+) .*time=([\d.]+) ms/.exec(line);
  if (m && !line.includes("(DUP!)")) return { seq: Number(m[1]), result: { target, ok: true, rttMs: Number(m[2]) } };
  m = /no answer yet for icmp_seq=(\d+)/.exec(line);
  if (m) return { seq: Number(m[1]), result: { target, ok: false, error: "timeout" } };
  m = /From \S+ icmp_seq=(\d+) (.+)$/.exec(line);
  if (m) return { seq: Number(m[1]), result: { target, ok: false, error: m[2].trim().toLowerCase() } };
  return undefined;
}

export function pingArgv(opts: EchoStreamOptions, mark: number | undefined): string[] {
  const secs = (ms: number) => (Math.max(ms, 1) / 1000).toFixed(3);
  return [
    "ping", "-n", "-O", "-D", "-I", checkDevice(opts.binding.device),
    ...(mark !== undefined ? ["-m", String(mark)] : []),
    "-i", secs(Math.max(opts.intervalMs, 10)), "-W", secs(opts.timeoutMs), "-s", String(Math.max(0, Math.min(opts.size, 65000))),
    checkIPv4(opts.target),
  ];
}

class PingStream implements EchoStream {
  #opts: EchoStreamOptions;
  #onResult: (r: EchoResult) => void;
  #runner: Runner;
  #mark?: number;
  #log: LogFn;
  #child?: ChildProcess;
  #closed = false;
  #backoffMs = 500;
  #timer?: ReturnType<typeof setTimeout>;
  #reported = new Set<number>();

  constructor(runner: Runner, opts: EchoStreamOptions, mark: number | undefined, log: LogFn, onResult: (r: EchoResult) => void) {
    this.#runner = runner;
    this.#opts = opts;
    this.#mark = mark;
    this.#log = log;
    this.#onResult = onResult;
    this.#start();
  }

  #start(): void {
    if (this.#closed) return;
    const child = this.#runner.spawn(pingArgv(this.#opts, this.#mark));
    this.#child = child;
    this.#reported.clear();
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-500);
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const p = parsePingLine(line, this.#opts.target);
      if (!p || this.#reported.has(p.seq)) return; // a late reply after "no answer yet" counts once
      this.#reported.add(p.seq);
      if (this.#reported.size > 1000) this.#reported.delete(this.#reported.values().next().value as number);
      if (p.result.ok) this.#backoffMs = 500;
      this.#onResult(p.result);
    });
    child.on("error", (e) => {
      stderr += e.message;
    });
    child.on("close", (code) => {
      if (this.#child !== child || this.#closed) return;
      this.#child = undefined;
      const why = stderr.trim().split("\n").pop() || `ping exited with ${code}`;
      this.#log("warning", "ping stopped; restarting", { device: this.#opts.binding.device, target: this.#opts.target, why });
      this.#onResult({ target: this.#opts.target, ok: false, error: why });
      this.#timer = setTimeout(() => this.#start(), this.#backoffMs);
      this.#backoffMs = Math.min(this.#backoffMs * 2, 30_000);
    });
  }

  setIntervalMs(ms: number): void {
    if (ms === this.#opts.intervalMs) return;
    this.#opts = { ...this.#opts, intervalMs: ms };
    const old = this.#child;
    this.#child = undefined;
    old?.kill("SIGTERM");
    this.#start();
  }

  close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
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
  #streams = new Set<PingStream>();

  /** `settings` yields the routing settings in force (from dataplane.init) for the uplink marks. */
  constructor(runner: Runner, settings: () => RoutingSettings | undefined, log: LogFn = () => {}) {
    this.#runner = runner;
    this.#settings = settings;
    this.#log = log;
  }

  echo(opts: EchoStreamOptions, onResult: (r: EchoResult) => void): EchoStream {
    const settings = this.#settings();
    if (!settings) this.#log("warning", "echo probe started before dataplane.init: no fwmark, only the device binding", { device: opts.binding.device });
    const mark = settings ? markOf(markSpace(settings.markMask), opts.binding.index) : undefined;
    const s = new PingStream(this.#runner, opts, mark, this.#log, onResult);
    this.#streams.add(s);
    return {
      setIntervalMs: (ms) => s.setIntervalMs(ms),
      close: () => {
        this.#streams.delete(s);
        return s.close();
      },
    };
  }

  async http(req: HttpProbeRequest, signal: AbortSignal): Promise<HttpProbeResult> {
    if (!req.binding.address) return { ok: false, error: "uplink has no address" };
    const localAddress = checkIPv4(hostOf(req.binding.address));
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
