/**
 * A daemon run as its own process (the release bundle, or the source tree), for the bundle
 * test and the idle-memory script: started with a given command, ready once it prints where
 * it listens, stopped with SIGTERM. The output is kept for failure messages.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import process from "node:process";

export interface DaemonProcess {
  readonly pid: number;
  /** `http://127.0.0.1:PORT` as the daemon printed it. */
  readonly url: string;
  /** Everything it wrote so far (stdout and stderr). */
  output(): string;
  /** stop sends SIGTERM and resolves with how it ended: an exit code or a signal name. */
  stop(): Promise<string>;
}

/** freePort asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

/** startDaemon runs `cmd args` in `cwd` and waits (at most `readyMs`) for its listen line. */
export function startDaemon(
  cmd: string,
  args: readonly string[],
  o: { cwd: string; env: Record<string, string>; readyMs?: number },
): Promise<DaemonProcess> {
  const child = spawn(cmd, [...args], { cwd: o.cwd, env: o.env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const ended = new Promise<string>((done) => {
    child.on("exit", (code, signal) => done(code !== null ? String(code) : String(signal)));
    child.on("error", (err) => done(`error: ${err.message}`));
  });
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`${cmd} did not say where it listens within ${o.readyMs ?? 20_000} ms:\n${out}`));
    }, o.readyMs ?? 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /panel and API at (http:\/\/[^\s/]+)\//.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off("data", onData);
      child.stdout.on("data", (c: Buffer) => void (out += c.toString()));
      done({
        pid: child.pid!,
        url: m[1],
        output: () => out,
        stop: () => {
          child.kill("SIGTERM");
          return ended;
        },
      });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (c: Buffer) => void (out += c.toString()));
    void ended.then((how) => {
      clearTimeout(timer);
      fail(new Error(`${cmd} ended (${how}) before listening:\n${out}`));
    });
  });
}

/** A clean stop: exit 0 (our handler), or 143/SIGTERM as Deno's node:child_process may report it. */
export const CLEAN_STOP = ["0", "143", "SIGTERM"];

/** minimalEnv is PATH plus the given variables: nothing from the caller leaks in (no NODE_PATH). */
export function minimalEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", ...extra };
}
