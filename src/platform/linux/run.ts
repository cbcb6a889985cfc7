/**
 * Runs external commands with an argument array (never a shell), a fixed environment
 * and a timeout. Failures throw {@link CommandError}.
 * @module
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { isIPv6 } from "node:net";

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
  spawn(argv: readonly string[], opts?: { readonly stdin?: boolean }): ChildProcess;
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

/** Throws unless `addr` is an IPv6 address (no zone, no prefix). */
export function checkIPv6(addr: string): string {
  if (!isIPv6(addr)) throw new TypeError(`invalid IPv6 address ${JSON.stringify(addr)}`);
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

/** Strips the prefix length: "198.18.1.2/24" → "198.18.1.2". */
export function hostOf(cidr: string): string {
  return cidr.split("/")[0];
}

/** createRunner returns a Runner; with `netns` every argv is prefixed with `ip netns exec <ns>`. */
export function createRunner(opts: { netns?: string; defaultTimeoutMs?: number } = {}): Runner {
  const prefix = opts.netns ? ["ip", "netns", "exec", opts.netns] : [];
  const defaultTimeout = opts.defaultTimeoutMs ?? 10_000;
  /** The outcome of a finished command, as run() reports it. */
  const settle = (
    argv: readonly string[], full: readonly string[], ok: readonly number[],
    e: { code?: unknown; killed?: boolean; signal?: string | null; message?: string } | null,
    stdout: string, stderr: string,
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
  return {
    netns: opts.netns,
    run(argv, runOpts = {}) {
      const full = [...prefix, ...argv];
      const ok = runOpts.okCodes ?? [0];
      return new Promise<RunResult>((resolve, reject) => {
        const child = execFile(full[0], full.slice(1), {
          env: { ...CHILD_ENV },
          timeout: runOpts.timeoutMs ?? defaultTimeout,
          maxBuffer: 64 * 1024 * 1024,
          encoding: "utf8",
        }, (err, stdout, stderr) => {
          const r = settle(argv, full, ok, err as (NodeJS.ErrnoException & { killed?: boolean; signal?: string }) | null, stdout, stderr);
          if (r instanceof CommandError) reject(r);
          else resolve(r);
        });
        if (runOpts.stdin !== undefined) child.stdin?.end(runOpts.stdin);
        else child.stdin?.end();
      });
    },
    prepare(argv, runOpts = {}) {
      const full = [...prefix, ...argv];
      const ok = runOpts.okCodes ?? [0];
      const child = spawn(full[0], full.slice(1), { env: { ...CHILD_ENV }, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "", stderr = "";
      let fed = false, exited = false, killed = false;
      child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      let onDone: (e: { code?: unknown; killed?: boolean; signal?: string | null; message?: string } | null) => void = () => {};
      const done = new Promise<RunResult>((resolve, reject) => {
        onDone = (e) => {
          const r = settle(argv, full, ok, e, stdout, stderr);
          if (r instanceof CommandError) reject(r);
          else resolve(r);
        };
      });
      done.catch(() => {}); // an unfed one that ends reports nothing
      child.on("error", (err: NodeJS.ErrnoException) => {
        exited = true;
        onDone({ code: err.code, message: err.message });
      });
      child.on("close", (code, signal) => {
        exited = true;
        onDone(code === 0 ? null : { code: code ?? undefined, signal, killed });
      });
      child.stdin!.on("error", () => {}); // EPIPE when it died first: reported by close
      // Waiting for input must not keep the process alive.
      child.unref();
      for (const s of [child.stdin, child.stdout, child.stderr] as unknown as { unref?: () => void }[]) s?.unref?.();
      return {
        get ready() {
          return !fed && !exited && child.exitCode === null && child.signalCode === null && child.pid !== undefined;
        },
        feed(stdin) {
          if (fed) return Promise.reject(new Error("prepared command fed twice"));
          fed = true;
          for (const s of [child.stdout, child.stderr] as unknown as { ref?: () => void }[]) s?.ref?.();
          child.ref();
          const timer = setTimeout(() => {
            killed = true;
            child.kill("SIGTERM");
          }, runOpts.timeoutMs ?? defaultTimeout);
          child.stdin!.end(stdin);
          return done.finally(() => clearTimeout(timer));
        },
        cancel() {
          if (!exited) {
            killed = true;
            child.kill("SIGKILL");
          }
        },
      };
    },
    spawn(argv, spawnOpts = {}) {
      const full = [...prefix, ...argv];
      return spawn(full[0], full.slice(1), { env: { ...CHILD_ENV }, stdio: [spawnOpts.stdin ? "pipe" : "ignore", "pipe", "pipe"] });
    },
  };
}
