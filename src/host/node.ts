/**
 * The host port on Node: `node:fs` and `node:child_process`.
 * @module
 */
import { spawn as nodeSpawn } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import process from "node:process";
import { pathOfUrl } from "./path.ts";
import type { Child, ChildExit, Host } from "./types.ts";
import { unstarted } from "./unstarted.ts";

export const nodeHost: Host = {
  runtime: "node",
  pid: process.pid,
  args: process.argv.slice(2),
  isMain(url) {
    // Node resolves a symlinked entry for import.meta.url but not in argv[1].
    try {
      return process.argv[1] !== undefined && pathOfUrl(url) === realpathSync(process.argv[1]);
    } catch {
      return false;
    }
  },
  cwd: () => process.cwd(),
  env: (name) => process.env[name],
  exit: (code) => process.exit(code),
  onSignal(signal, listener) {
    process.on(signal, listener);
  },
  onUnhandledRejection(listener) {
    process.on("unhandledRejection", listener);
  },
  interfaceAddresses: () => Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address)),
  usage() {
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    return Promise.resolve({ rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
  },
  readText: (path) => readFile(path, "utf8"),
  readBytes: async (path) => {
    const b = await readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  },
  readTextSync: (path) => readFileSync(path, "utf8"),
  async stat(path) {
    const s = await stat(path);
    return { isFile: s.isFile(), isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs };
  },
  async readDir(path) {
    const list = await readdir(path, { withFileTypes: true });
    return list.map((d) => ({ name: d.name, isFile: d.isFile(), isDirectory: d.isDirectory(), isSymlink: d.isSymbolicLink() }));
  },
  async mkdir(path, mode) {
    await mkdir(path, { recursive: true, mode });
  },
  // As Deno.remove without recursive: a file, or a folder only when it is empty.
  remove: (path) => rm(path, { force: true }).catch((err: { code?: string }) => (err.code === "ERR_FS_EISDIR" || err.code === "EISDIR" ? rmdir(path) : Promise.reject(err))),
  rename,
  async writeNewDurable(path, text, mode) {
    const fh = await open(path, "wx", mode);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  async syncDir(path) {
    const fh = await open(path, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  spawn(argv, o): Child {
    let child: ReturnType<typeof nodeSpawn>;
    try {
      // Throws for some inputs (a NUL byte in an argument) instead of emitting "error".
      child = nodeSpawn(argv[0], argv.slice(1), { env: { ...o.env }, stdio: [o.stdin ? "pipe" : "ignore", "pipe", "pipe"] });
    } catch (err) {
      return unstarted(err);
    }
    if (!child.stdout || !child.stderr) {
      // EMFILE and the like: Node returns before it made the pipes, and reports the error later.
      child.on("error", () => {});
      return unstarted(new Error(`cannot start ${argv[0]}: no pipes (out of file descriptors?)`));
    }
    let exited = false;
    const closed = new Promise<ChildExit>((resolve) => {
      child.on("error", (err: NodeJS.ErrnoException) => {
        // A failed kill or write also emits "error"; only a child that never started ends here.
        if (child.pid !== undefined) return;
        exited = true;
        resolve({ code: null, signal: null, error: { code: err.code, message: err.message } });
      });
      child.on("close", (code, signal) => {
        exited = true;
        resolve({ code, signal });
      });
    });
    child.stdout.setEncoding("utf8").on("data", (d: string) => o.onStdout?.(d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => o.onStderr?.(d));
    child.stdin?.on("error", () => {}); // EPIPE when it died first: reported by close
    const pipes = () => [child.stdin, child.stdout, child.stderr] as unknown as ({ ref?(): void; unref?(): void } | null)[];
    return {
      get pid() {
        return child.pid;
      },
      get running() {
        return !exited && child.pid !== undefined && child.exitCode === null && child.signalCode === null;
      },
      write(text) {
        if (child.stdin?.writable) child.stdin.write(text);
      },
      end(text) {
        if (child.stdin?.writable) child.stdin.end(text);
      },
      kill(signal = "SIGTERM") {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
      closed,
      abortOutput() {
        child.stdout?.destroy();
        child.stderr?.destroy();
      },
      ref() {
        child.ref();
        for (const p of pipes()) p?.ref?.();
      },
      unref() {
        child.unref();
        for (const p of pipes()) p?.unref?.();
      },
    };
  },
};
