/**
 * Runs external commands with an argument array (never a shell), a fixed environment
 * and a timeout. Failures throw {@link CommandError}.
 * @module
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";

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

/** Runs commands, optionally inside a network namespace (tests only). */
export interface Runner {
  /** Runs to completion; throws CommandError unless the exit code is acceptable. */
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Starts a long-lived process with piped stdout/stderr. */
  spawn(argv: readonly string[]): ChildProcess;
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

/** Strips the prefix length: "198.18.1.2/24" → "198.18.1.2". */
export function hostOf(cidr: string): string {
  return cidr.split("/")[0];
}

/** createRunner returns a Runner; with `netns` every argv is prefixed with `ip netns exec <ns>`. */
export function createRunner(opts: { netns?: string; defaultTimeoutMs?: number } = {}): Runner {
  const prefix = opts.netns ? ["ip", "netns", "exec", opts.netns] : [];
  const defaultTimeout = opts.defaultTimeoutMs ?? 10_000;
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
          if (!err) return resolve({ code: 0, stdout, stderr });
          const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean; signal?: string };
          if (e.code === "ENOENT") {
            return reject(new CommandError(full, null, "", `${full[0]} is not installed (ENOENT)`, "", true));
          }
          if (typeof e.code === "number") {
            if (prefix.length > 0 && (e.code === 1 || e.code === 255) && /exec of "[^"]*" failed: No such file/.test(stderr)) {
              return reject(new CommandError(full, null, stderr, `${argv[0]} is not installed`, "", true));
            }
            if (ok.includes(e.code)) return resolve({ code: e.code, stdout, stderr });
            return reject(new CommandError(full, e.code, stderr, `exit code ${e.code}`, stdout));
          }
          const why = e.killed || e.signal ? `timed out or killed (${e.signal ?? "?"})` : e.message;
          reject(new CommandError(full, null, stderr, why, stdout));
        });
        if (runOpts.stdin !== undefined) child.stdin?.end(runOpts.stdin);
        else child.stdin?.end();
      });
    },
    spawn(argv) {
      const full = [...prefix, ...argv];
      return spawn(full[0], full.slice(1), { env: { ...CHILD_ENV }, stdio: ["ignore", "pipe", "pipe"] });
    },
  };
}
