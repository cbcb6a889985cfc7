/**
 * Device counters without a fork per read: ONE long-lived `ip -s -json -force -batch -` that
 * reads `link show` commands on its stdin and answers each with one JSON line (iproute2
 * flushes after every command). Used where sysfs is not readable: in a test namespace, and
 * on Deno, which refuses every read under /sys without --allow-all (even with
 * `--allow-read=/sys/class/net`, checked on Deno 2.9.6). It needs only `--allow-run=ip`.
 *
 * Reads are answered in order, one at a time on the pipe. When the process dies it is
 * started again on the next read (with backoff); if it cannot run at all, the caller falls
 * back to one `ip -s -json link show` per read.
 * @module
 */
import type { Child } from "../../host/index.ts";
import type { LogFn } from "./dataplane.ts";
import { lineSplitter, type Runner } from "./run.ts";

/** One device as `ip -s -json link show` prints it (the fields used). */
export type IpLink = {
  ifname?: string;
  operstate?: string;
  flags?: string[];
  stats64?: { rx: { bytes: number; packets: number }; tx: { bytes: number; packets: number } };
};

/** A read that gets no answer in this time fails (and the process is restarted). */
export const BATCH_TIMEOUT_MS = 2000;

/** parseLinks turns one JSON answer into a map by device name (the part before `@`). */
export function parseLinks(text: string): Map<string, IpLink> {
  const list = JSON.parse(text || "[]") as unknown;
  if (!Array.isArray(list)) throw new TypeError("ip: expected a JSON array");
  const map = new Map<string, IpLink>();
  for (const j of list as IpLink[]) if (j && typeof j.ifname === "string") map.set(j.ifname.split("@")[0], j);
  return map;
}

interface Waiter {
  resolve(m: Map<string, IpLink>): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class IpBatch {
  #runner: Runner;
  #log: LogFn;
  #child?: Child;
  #waiting: Waiter[] = [];
  #failures = 0;
  #notBefore = 0;
  #closed = false;
  /** How many processes were started (tests and benchmarks read it). */
  starts = 0;

  constructor(runner: Runner, log: LogFn = () => {}) {
    this.#runner = runner;
    this.#log = log;
  }

  /** Consecutive starts that failed before answering once; the caller gives up after a few. */
  get failures(): number {
    return this.#failures;
  }

  /** Every device with its counters. */
  links(): Promise<Map<string, IpLink>> {
    if (this.#closed) return Promise.reject(new Error("ip batch closed"));
    const child = this.#child ?? this.#start();
    if (!child) return Promise.reject(new Error("ip batch is restarting"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(child, new Error("ip batch: no answer")), BATCH_TIMEOUT_MS);
      this.#waiting.push({ resolve, reject, timer });
      child.write("link show\n");
    });
  }

  close(): void {
    this.#closed = true;
    const c = this.#child;
    if (c) this.#fail(c, new Error("ip batch closed"));
  }

  #start(): Child | undefined {
    if (performance.now() < this.#notBefore) return undefined;
    let stderr = "";
    const child: Child = this.#runner.spawn(["ip", "-s", "-json", "-force", "-batch", "-"], {
      stdin: true,
      onStdout: lineSplitter((line) => this.#line(child, line)),
      onStderr: (d) => (stderr = (stderr + d).slice(-300)),
    });
    this.starts++;
    this.#child = child;
    void child.closed.then((exit) =>
      this.#fail(child, new Error(exit.error?.message ?? (stderr.trim().split("\n").pop() || `ip batch exited with ${exit.code ?? exit.signal}`)))
    );
    return child;
  }

  /** One answer: the JSON of every device, for the oldest waiting read. */
  #line(child: Child, line: string): void {
    if (this.#child !== child) return;
    const w = this.#waiting.shift();
    if (!w) return;
    clearTimeout(w.timer);
    try {
      w.resolve(parseLinks(line));
      this.#failures = 0;
    } catch (err) {
      w.reject(err as Error);
    }
  }

  #fail(child: Child, err: Error): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    child.kill("SIGTERM");
    if (this.#closed) return;
    this.#failures++;
    this.#notBefore = performance.now() + Math.min(500 * 2 ** (this.#failures - 1), 30_000);
    this.#log("warning", "ip batch (device counters) stopped; restarting", { why: err.message, failures: this.#failures });
  }
}
