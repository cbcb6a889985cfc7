/**
 * Runs external commands with an argument array (never a shell), a fixed environment
 * and a timeout. Failures throw {@link CommandError}.
 * @module
 */
import { type Child, type ChildExit, host, type SpawnOptions } from "../../host/index.ts";

/** The environment every child gets; Deno needs it explicit (see stack.md). */
export const CHILD_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
  LC_ALL: "C",
});

/** A command failed: non-zero exit, timeout, or the binary is missing. */
export class CommandError extends Error {
  readonly code = "E_COMMAND";
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  readonly stdout: string;
  /** The binary does not exist (ENOENT). */
  readonly notInstalled: boolean;

  constructor(argv: readonly string[], exitCode: number | null, stderr: string, reason: string, stdout = "", notInstalled = false) {
    super(`${argv.join(" ")}: ${reason}${stderr.trim() ? `: ${stderr.trim().split("\n").slice(0, 5).join(" | ")}` : ""}`);
    this.name = "CommandError";
    this.argv = argv;
    this.exitCode = exitCode;
    this.stderr = stderr;
    this.stdout = stdout;
    this.notInstalled = notInstalled;
  }
}

export interface RunOptions {
  /** Written to the child's stdin (e.g. an `nft -f -` batch). */
  readonly stdin?: string;
  readonly timeoutMs?: number;
  /** Exit codes that are not failures (default: only 0). */
  readonly okCodes?: readonly number[];
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command started ahead of time, blocked reading its stdin until {@link Prepared.feed}. */
export interface Prepared {
  /** Still waiting for its input (false once it exited or failed to start). */
  readonly ready: boolean;
  /** Writes `stdin`, closes it and waits for the exit; resolves or throws like run(). */
  feed(stdin: string): Promise<RunResult>;
  /** Kills it unfed (an unfed `nft -f -` that sees EOF loads an empty batch: nothing). */
  cancel(): void;
}

/** Runs commands, optionally inside a network namespace (tests only). */
export interface Runner {
  /** Runs to completion; throws CommandError unless the exit code is acceptable. */
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Starts a long-lived process with piped stdout/stderr (and stdin with `{ stdin: true }`). */
  spawn(argv: readonly string[], opts: Omit<SpawnOptions, "env">): Child;
  /**
   * Starts a command that reads its input from stdin now, to be fed later: the fork and the
   * program's start-up happen off a latency-critical path (forking a 120 MB Node process
   * blocks it for about 6 ms). The timeout runs from feed().
   */
  prepare?(argv: readonly string[], opts?: Omit<RunOptions, "stdin">): Prepared;
  /** The namespace commands run in, when not the current one. */
  readonly netns?: string;
}

const DEVICE = /^[A-Za-z0-9_.:@-]{1,15}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Throws unless `name` is a valid Linux device name. */
export function checkDevice(name: string): string {
  if (!DEVICE.test(name) || name === "." || name === "..") throw new TypeError(`invalid device name ${JSON.stringify(name)}`);
  return name;
}

/** Throws unless `addr` is a dotted-quad IPv4 address. */
export function checkIPv4(addr: string): string {
  if (!IPV4.test(addr)) throw new TypeError(`invalid IPv4 address ${JSON.stringify(addr)}`);
  return addr;
}

/** Throws unless `cidr` is an IPv4 address or prefix (a.b.c.d[/n]). */
export function checkCidr(cidr: string): string {
  const [addr, len, ...rest] = cidr.split("/");
  checkIPv4(addr);
  if (rest.length > 0 || (len !== undefined && !/^(3[0-2]|[12]?\d)$/.test(len))) {
    throw new TypeError(`invalid IPv4 prefix ${JSON.stringify(cidr)}`);
  }
  return cidr;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Whether `s` is an IPv6 address in text form (RFC 4291 2.2: `::` once, an IPv4 tail allowed; no zone, no prefix). */
export function isIPv6Address(s: string): boolean {
  if (s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
  let head = s;
  if (s.includes(".")) {
    const colon = s.lastIndexOf(":");
    if (colon < 0 || !IPV4.test(s.slice(colon + 1))) return false;
    head = `${s.slice(0, colon + 1)}0:0`; // the IPv4 tail stands for two groups
  }
  const halves = head.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === "" ? [] : h.split(":")));
  if (!groups.every((g) => HEX_GROUP.test(g))) return false;
  return halves.length === 2 ? groups.length <= 7 : groups.length === 8;
}

/** Throws unless `addr` is an IPv6 address (no zone, no prefix). */
export function checkIPv6(addr: string): string {
  if (!isIPv6Address(addr)) throw new TypeError(`invalid IPv6 address ${JSON.stringify(addr)}`);
  return addr;
}

/** Throws unless `cidr` is an IPv6 address or prefix (a::b[/n]). */
export function checkCidr6(cidr: string): string {
  const [addr, len, ...rest] = cidr.split("/");
  checkIPv6(addr);
  if (rest.length > 0 || (len !== undefined && !(/^\d{1,3}$/.test(len) && Number(len) <= 128))) {
    throw new TypeError(`invalid IPv6 prefix ${JSON.stringify(cidr)}`);
  }
  return cidr;
}

/** Whether an address or prefix is IPv6 (has a colon). */
export function isV6(addr: string): boolean {
  return addr.includes(":");
}

/** Strips the prefix length: "198.18.1.2/24" -> "198.18.1.2". */
export function hostOf(cidr: string): string {
  return cidr.split("/")[0];
}

/** Turns text chunks into whole lines (without the line break) for `onLine`. */
export function lineSplitter(onLine: (line: string) => void): (text: string) => void {
  let buf = "";
  return (text) => {
    buf += text;
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
    }
  };
}

/** What settle() reads of a finished command: none when it succeeded. */
interface Failure {
  readonly code?: unknown;
  readonly killed?: boolean;
  readonly signal?: string | null;
  readonly message?: string;
}

/**
 * The failure a child's exit means; `killed`: we signalled it (its time was up). As with
 * execFile, an exit code wins: a command that exits by itself, even after our signal, is
 * judged by its code.
 */
function failureOf(exit: ChildExit, killed: boolean): Failure | null {
  if (exit.error) return { code: exit.error.code, message: exit.error.message };
  if (exit.code === 0) return null;
  if (exit.code !== null) return { code: exit.code };
  return { killed, signal: exit.signal ?? (killed ? "SIGTERM" : null) };
}

/** Output kept per stream before the command is stopped as runaway. */
const MAX_OUTPUT = 64 * 1024 * 1024;

/** createRunner returns a Runner; with `netns` every argv is prefixed with `ip netns exec <ns>`. */
export function createRunner(opts: { netns?: string; defaultTimeoutMs?: number } = {}): Runner {
  const prefix = opts.netns ? ["ip", "netns", "exec", opts.netns] : [];
  const defaultTimeout = opts.defaultTimeoutMs ?? 10_000;
  /** The outcome of a finished command, as run() reports it. */
  const settle = (
    argv: readonly string[], full: readonly string[], ok: readonly number[], e: Failure | null, stdout: string, stderr: string,
  ): RunResult | CommandError => {
    if (!e) return { code: 0, stdout, stderr };
    if (e.code === "ENOENT") return new CommandError(full, null, "", `${full[0]} is not installed (ENOENT)`, "", true);
    if (typeof e.code === "number") {
      if (prefix.length > 0 && (e.code === 1 || e.code === 255) && /exec of "[^"]*" failed: No such file/.test(stderr)) {
        return new CommandError(full, null, stderr, `${argv[0]} is not installed`, "", true);
      }
      if (ok.includes(e.code)) return { code: e.code, stdout, stderr };
      return new CommandError(full, e.code, stderr, `exit code ${e.code}`, stdout);
    }
    const why = e.killed || e.signal ? `timed out or killed (${e.signal ?? "?"})` : (e.message ?? "failed");
    return new CommandError(full, null, stderr, why, stdout);
  };
  /** Starts a command that collects its output; `finish` waits for its end and judges it. */
  const start = (argv: readonly string[], ok: readonly number[]) => {
    const full = [...prefix, ...argv];
    let stdout = "", stderr = "", killed = false;
    const child = host.spawn(full, {
      env: CHILD_ENV,
      stdin: true,
      onStdout: (t) => {
        stdout += t;
        if (stdout.length > MAX_OUTPUT) stop("SIGKILL");
      },
      onStderr: (t) => {
        if (stderr.length < MAX_OUTPUT) stderr += t;
      },
    });
    /** Time is up (or the output too large): signal it if it still runs, and stop waiting for its pipes. */
    const stop = (signal: "SIGTERM" | "SIGKILL") => {
      if (child.running) {
        killed = true;
        child.kill(signal);
      }
      child.abortOutput();
    };
    const finish = (): Promise<RunResult> =>
      child.closed.then((exit) => {
        const r = settle(argv, full, ok, failureOf(exit, killed), stdout, stderr);
        if (r instanceof CommandError) throw r;
        return r;
      });
    return { child, stop, finish };
  };
  return {
    netns: opts.netns,
    run(argv, runOpts = {}) {
      const { child, stop, finish } = start(argv, runOpts.okCodes ?? [0]);
      const timer = setTimeout(() => stop("SIGTERM"), runOpts.timeoutMs ?? defaultTimeout);
      child.end(runOpts.stdin);
      return finish().finally(() => clearTimeout(timer));
    },
    prepare(argv, runOpts = {}) {
      const { child, stop, finish } = start(argv, runOpts.okCodes ?? [0]);
      let fed = false;
      const done = finish();
      done.catch(() => {}); // an unfed one that ends reports nothing
      // Waiting for input must not keep the process alive.
      child.unref();
      return {
        get ready() {
          return !fed && child.running;
        },
        feed(stdin) {
          if (fed) return Promise.reject(new Error("prepared command fed twice"));
          fed = true;
          child.ref();
          const timer = setTimeout(() => stop("SIGTERM"), runOpts.timeoutMs ?? defaultTimeout);
          child.end(stdin);
          return done.finally(() => clearTimeout(timer));
        },
        cancel() {
          if (child.running) stop("SIGKILL");
        },
      };
    },
    spawn(argv, spawnOpts) {
      return host.spawn([...prefix, ...argv], { ...spawnOpts, env: CHILD_ENV });
    },
  };
}
