/**
 * The host port on Deno: its own file and subprocess APIs, no `node:` module.
 * @module
 */
import type { Child, ChildExit, DirEntry, Host } from "./types.ts";
import { unstarted } from "./unstarted.ts";

/** The part of Deno's API used here (the daemon is type-checked with Node's types too). */
interface DenoChild {
  readonly pid: number;
  readonly stdin: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly status: Promise<{ code: number; signal: string | null }>;
  kill(signal?: string): void;
  ref(): void;
  unref(): void;
}
interface DenoFile {
  write(p: Uint8Array): Promise<number>;
  sync(): Promise<void>;
  close(): void;
}
interface DenoApi {
  readTextFile(path: string): Promise<string>;
  readFile(path: string): Promise<Uint8Array>;
  readTextFileSync(path: string): string;
  stat(path: string): Promise<{ isFile: boolean; isDirectory: boolean; mtime: Date | null }>;
  readDir(path: string): AsyncIterable<DirEntry>;
  mkdir(path: string, o: { recursive: boolean; mode?: number }): Promise<void>;
  remove(path: string, o: { recursive: boolean }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  open(path: string, o: { read?: boolean; write?: boolean; createNew?: boolean; mode?: number }): Promise<DenoFile>;
  readonly pid: number;
  readonly args: string[];
  readonly mainModule: string;
  cwd(): string;
  readonly env: { get(name: string): string | undefined };
  exit(code: number): never;
  addSignalListener(signal: string, listener: () => void): void;
  networkInterfaces(): { address: string }[];
  memoryUsage(): { rss: number; heapUsed: number };
  Command: new (cmd: string, o: {
    args: string[];
    env: Record<string, string>;
    clearEnv: boolean;
    stdin: "piped" | "null";
    stdout: "piped";
    stderr: "piped";
  }) => { spawn(): DenoChild };
}

const D = (globalThis as unknown as { Deno: DenoApi }).Deno;

/**
 * Bytes per read of a child's output. Deno's default reader allocates 64 KB per pending read,
 * so each idle ping child held two of them; output here is a line at a time.
 */
const READ_BYTES = 2048;

/** Reads a pipe to its end (or until `stop` is aborted), handing on UTF-8 text; a failing handler is reported, not fatal. */
async function pump(stream: ReadableStream<Uint8Array>, onText: ((text: string) => void) | undefined, stop: AbortSignal): Promise<void> {
  const give = (text: string) => {
    if (!text || !onText) return;
    try {
      onText(text);
    } catch (err) {
      void Promise.reject(err); // the daemon reports unhandled rejections
    }
  };
  const decoder = new TextDecoder();
  const reader = stream.getReader({ mode: "byob" });
  const cancel = () => void reader.cancel().catch(() => {});
  stop.addEventListener("abort", cancel, { once: true });
  let buf = new ArrayBuffer(READ_BYTES);
  try {
    for (;;) {
      const { value, done } = await reader.read(new Uint8Array(buf));
      if (value) {
        give(decoder.decode(value, { stream: true }));
        buf = value.buffer as ArrayBuffer;
      }
      if (done) break;
    }
  } catch {
    // a broken pipe: the exit status tells what happened
  } finally {
    stop.removeEventListener("abort", cancel);
    give(decoder.decode());
    reader.releaseLock();
  }
}

async function fileOp<T>(op: () => Promise<T>, missingOk: T): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return missingOk;
    throw err;
  }
}

export const denoHost: Host = {
  runtime: "deno",
  pid: D.pid,
  args: D.args,
  isMain: (url) => url === D.mainModule,
  cwd: () => D.cwd(),
  env: (name) => D.env.get(name),
  exit: (code) => D.exit(code),
  onSignal: (signal, listener) => D.addSignalListener(signal, listener),
  onUnhandledRejection(listener) {
    globalThis.addEventListener("unhandledrejection", (e) => {
      e.preventDefault();
      listener(e.reason);
    });
  },
  interfaceAddresses: () => D.networkInterfaces().map((a) => a.address),
  async usage() {
    const m = D.memoryUsage();
    // Deno tells CPU time only through Node's process object: loaded on the first scrape, not before.
    try {
      const { default: process } = await import("node:process");
      const cpu = process.cpuUsage();
      return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
    } catch {
      return { rssBytes: m.rss, heapUsedBytes: m.heapUsed };
    }
  },
  readText: (path) => D.readTextFile(path),
  readBytes: (path) => D.readFile(path),
  readTextSync: (path) => D.readTextFileSync(path),
  async stat(path) {
    const s = await D.stat(path);
    return { isFile: s.isFile, isDirectory: s.isDirectory, mtimeMs: s.mtime?.getTime() ?? 0 };
  },
  async readDir(path) {
    const out: DirEntry[] = [];
    for await (const e of D.readDir(path)) out.push({ name: e.name, isFile: e.isFile, isDirectory: e.isDirectory, isSymlink: e.isSymlink });
    return out;
  },
  mkdir: (path, mode) => D.mkdir(path, { recursive: true, mode }),
  remove: (path) => fileOp(() => D.remove(path, { recursive: false }), undefined),
  rename: (from, to) => D.rename(from, to),
  async writeNewDurable(path, text, mode) {
    const f = await D.open(path, { write: true, createNew: true, mode });
    try {
      const bytes = new TextEncoder().encode(text);
      for (let off = 0; off < bytes.byteLength;) off += await f.write(bytes.subarray(off));
      await f.sync();
    } finally {
      f.close();
    }
  },
  async syncDir(path) {
    const f = await D.open(path, { read: true });
    try {
      await f.sync();
    } finally {
      f.close();
    }
  },
  spawn(argv, o): Child {
    let proc: DenoChild;
    try {
      proc = new D.Command(argv[0], {
        args: argv.slice(1),
        env: { ...o.env },
        clearEnv: true,
        stdin: o.stdin ? "piped" : "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (err) {
      return unstarted(err);
    }
    let exited = false;
    const writer = o.stdin ? proc.stdin.getWriter() : undefined;
    const encoder = new TextEncoder();
    let open = writer !== undefined;
    const status = proc.status.then((s) => {
      exited = true;
      if (open) {
        // Deno keeps a child's stdin open after it exited (Node closes it): release the pipe.
        open = false;
        writer!.abort().catch(() => {});
      }
      return s;
    });
    const reading = new AbortController();
    const closed: Promise<ChildExit> = Promise.all([
      status,
      pump(proc.stdout, o.onStdout, reading.signal),
      pump(proc.stderr, o.onStderr, reading.signal),
    ]).then(
      ([s]): ChildExit => (s.signal ? { code: null, signal: s.signal } : { code: s.code, signal: null }),
      (err: Error): ChildExit => ({ code: null, signal: null, error: { message: err.message } }),
    );
    return {
      pid: proc.pid,
      get running() {
        return !exited;
      },
      write(text) {
        if (open && !exited) writer!.write(encoder.encode(text)).catch(() => {}); // gone: closed reports it
      },
      end(text) {
        if (!open) return;
        open = false;
        if (text) writer!.write(encoder.encode(text)).catch(() => {});
        writer!.close().catch(() => {});
      },
      kill(signal = "SIGTERM") {
        if (exited) return;
        try {
          proc.kill(signal);
        } catch {
          // it exited between the check and the signal
        }
      },
      closed,
      abortOutput: () => reading.abort(),
      ref: () => proc.ref(),
      unref: () => proc.unref(),
    };
  },
};
