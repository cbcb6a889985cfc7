/**
 * The host port: what the daemon asks of its runtime beyond the web standards (files, child
 * processes, environment, signals). Two adapters implement it, `deno.ts` with Deno's own APIs
 * and `node.ts` with Node's modules; `index.ts` loads the one for the runtime it runs on.
 *
 * Why not Node's modules everywhere (Deno provides them too): on Deno they cost memory. Node's
 * `fs` and `child_process` bring its streams and buffers (~2-3 MB), and 16 `ping` children read
 * through them held 6.0 MB more than none, against 2.4 MB read with Deno's own API and a 2 KB
 * buffer each. `node:path`, `node:process`, `node:util`, `node:url` and `node:os` together
 * cost 1.4 MB more (anonymous, with hono, valibot and LogTape loaded: 13.0 -> 14.4 MB), so the
 * process side (arguments, environment, signals, exit) is here too, and paths are in `path.ts`.
 * `bench/linux/idle.bench.ts` measures the result.
 * @module
 */

/** How a child ended: exit code or signal, or why it could not start (`error.code` ENOENT: not installed). */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: string | null;
  readonly error?: { readonly code?: string; readonly message: string };
}

export interface SpawnOptions {
  /** The child's whole environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Pipe stdin (write/end); otherwise it reads /dev/null. */
  readonly stdin?: boolean;
  /** stdout as UTF-8 text, chunk by chunk, in order. */
  readonly onStdout?: (text: string) => void;
  /** stderr as UTF-8 text, chunk by chunk. */
  readonly onStderr?: (text: string) => void;
}

/** A running child process with piped output. */
export interface Child {
  readonly pid: number | undefined;
  /** Started and not yet exited. */
  readonly running: boolean;
  /** Writes to stdin; a child that is gone is not an error (its end is reported by `closed`). */
  write(text: string): void;
  /** Writes `text` (if any) and closes stdin. */
  end(text?: string): void;
  /** Sends a signal unless it already exited. */
  kill(signal?: "SIGTERM" | "SIGKILL"): void;
  /** Settles when the child exited and its output was read to the end; never rejects. */
  readonly closed: Promise<ChildExit>;
  /**
   * Stops reading its output, so `closed` settles once the process exited even if a process
   * it started holds the pipes open (a timeout must end the wait).
   */
  abortOutput(): void;
  /** Whether waiting for this child keeps the process alive (default: it does). */
  ref(): void;
  unref(): void;
}

export interface DirEntry {
  readonly name: string;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isSymlink: boolean;
}

export interface FileInfo {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly mtimeMs: number;
}

/** Files: errors carry the system's `code` (ENOENT, EEXIST, ...) on both runtimes. */
export interface HostFs {
  readText(path: string): Promise<string>;
  readBytes(path: string): Promise<Uint8Array>;
  /** For small kernel files (/sys, /proc) read on a hot path. */
  readTextSync(path: string): string;
  stat(path: string): Promise<FileInfo>;
  readDir(path: string): Promise<DirEntry[]>;
  /** Creates the folder and its parents (`mode` for the ones it creates); an existing one is fine. */
  mkdir(path: string, mode?: number): Promise<void>;
  /** Removes a file or an empty folder (never a folder with content); a missing one is not an error. */
  remove(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Creates `path` (failing if it exists) with `mode`, writes `text` and flushes it to disk. */
  writeNewDurable(path: string, text: string, mode: number): Promise<void>;
  /** Flushes a folder's entries (a rename in it) to disk. */
  syncDir(path: string): Promise<void>;
}

/** Memory and CPU time of this process, for `/metrics`. */
export interface Usage {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** User + system CPU time; undefined where the runtime does not tell. */
  readonly cpuSeconds?: number;
}

/** This process: its command line, environment, signals and end. */
export interface HostProcess {
  readonly pid: number;
  /** The command-line arguments after the script. */
  readonly args: readonly string[];
  /** Whether the module at `moduleUrl` is the script this process was started with. */
  isMain(moduleUrl: string): boolean;
  cwd(): string;
  /** An environment variable (undefined when unset); throws on Deno when --allow-env does not name it. */
  env(name: string): string | undefined;
  exit(code: number): never;
  onSignal(signal: "SIGTERM" | "SIGINT" | "SIGHUP", listener: () => void): void;
  /** A rejected promise nobody handled: reported to `listener` instead of ending the process. */
  onUnhandledRejection(listener: (reason: unknown) => void): void;
  /** The addresses of this machine's network interfaces (Deno: --allow-sys=networkInterfaces). */
  interfaceAddresses(): string[];
  usage(): Promise<Usage>;
}

export interface Host extends HostFs, HostProcess {
  readonly runtime: "deno" | "node";
  /** Starts `argv[0]` with `argv[1..]` (no shell). A missing binary ends at once with error ENOENT. */
  spawn(argv: readonly string[], opts: SpawnOptions): Child;
}
