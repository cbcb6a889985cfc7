/**
 * The config store port and its file implementation: atomic, durable writes (temp file,
 * fsync, rename, fsync of the folder), a last good copy, and a revision number.
 * @module
 */
import { basename, dirname, host, join } from "../host/index.ts";
import { StoreError } from "../errors.ts";
import { type ConfigHistory, FileHistory, MemoryHistory } from "./history.ts";

/** A stored document: the JSON text as written and its revision. */
export interface Stored {
  readonly doc: unknown;
  readonly revision: number;
}

/** Where the config document lives. */
export interface ConfigStore {
  /** The current document; `undefined` when none was ever saved. Throws StoreError when unreadable. */
  load(): Promise<Stored | undefined>;
  /** The last document that ran successfully. */
  loadLastGood(): Promise<Stored | undefined>;
  /** Writes atomically and durably; after a crash the file holds the old or the new document. */
  save(stored: Stored): Promise<void>;
  saveLastGood(stored: Stored): Promise<void>;
  /** Human-readable location for messages. */
  readonly location: string;
  /** The last revisions, with who changed them (see history.ts); absent: none kept. */
  readonly history?: ConfigHistory;
}

/** Serialises a stored document: the config with its `revision` as the first key. */
export function serialise(stored: Stored): string {
  const doc = stored.doc && typeof stored.doc === "object" ? stored.doc as Record<string, unknown> : {};
  const { revision: _drop, ...rest } = doc;
  return JSON.stringify({ revision: stored.revision, ...rest }, null, 2) + "\n";
}

/** Parses a stored document; the `revision` key is taken out of the config. */
export function deserialise(text: string, location: string): Stored {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new StoreError(`${location} is not valid JSON: ${(err as Error).message}`, err);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new StoreError(`${location} does not hold a JSON object`);
  }
  const { revision, ...doc } = parsed as Record<string, unknown>;
  return { doc, revision: Number.isInteger(revision) ? revision as number : 0 };
}

let tmpCounter = 0;

/** tempNameFor names a writer's temp file: pid, a counter and random bits, so two writes never share one. */
export function tempNameFor(path: string): string {
  tmpCounter = (tmpCounter + 1) % Number.MAX_SAFE_INTEGER;
  const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
  const unique = `${host.pid}.${tmpCounter}.${random}`;
  return join(dirname(path), `.${basename(path)}.${unique}.tmp`);
}

/** writeFileAtomic writes `text` so that readers see the old or the new content, never a mix. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = tempNameFor(path);
  // Created exclusively: never a file another writer created; the name is unique, so this only guards bugs.
  try {
    await host.writeNewDurable(tmp, text, 0o600);
  } catch (err) {
    if ((err as { code?: string }).code !== "EEXIST") await host.remove(tmp).catch(() => {});
    throw err;
  }
  try {
    await host.rename(tmp, path);
  } catch (err) {
    await host.remove(tmp).catch(() => {});
    throw err;
  }
  await syncDir(dirname(path));
}

async function syncDir(dir: string): Promise<void> {
  try {
    await host.syncDir(dir);
  } catch (err) {
    // Some platforms refuse to fsync a directory (EISDIR/EINVAL/EPERM); the rename itself is still atomic.
    const code = (err as { code?: string }).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "EBADF") throw err;
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await host.readText(path);
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw new StoreError(`Cannot read ${path}: ${(err as Error).message}`, err);
  }
}

/** FileConfigStore keeps `FILE` and `FILE.last-good` side by side, and revisions in `historyDir` (default `history/` beside FILE). */
export class FileConfigStore implements ConfigStore {
  readonly location: string;
  readonly history: ConfigHistory;
  readonly #lastGood: string;

  constructor(path: string, opts: { historyDir?: string } = {}) {
    this.location = path;
    this.#lastGood = `${path}.last-good`;
    this.history = new FileHistory(opts.historyDir ?? join(dirname(path), "history"));
  }

  async load(): Promise<Stored | undefined> {
    await this.#sweep();
    const text = await readIfExists(this.location);
    return text === undefined ? undefined : deserialise(text, this.location);
  }

  /** Removes temp files a killed writer left behind. */
  async #sweep(): Promise<void> {
    const dir = dirname(this.location);
    const prefix = `.${basename(this.location)}.`;
    let names: string[];
    try {
      names = (await host.readDir(dir)).map((e) => e.name);
    } catch {
      return;
    }
    for (const n of names) if (n.startsWith(prefix) && n.endsWith(".tmp")) await host.remove(join(dir, n));
  }

  async loadLastGood(): Promise<Stored | undefined> {
    const text = await readIfExists(this.#lastGood);
    return text === undefined ? undefined : deserialise(text, this.#lastGood);
  }

  async save(stored: Stored): Promise<void> {
    try {
      await writeFileAtomic(this.location, serialise(stored));
    } catch (err) {
      throw new StoreError(`Cannot write ${this.location}: ${(err as Error).message}`, err);
    }
  }

  async saveLastGood(stored: Stored): Promise<void> {
    try {
      await writeFileAtomic(this.#lastGood, serialise(stored));
    } catch (err) {
      throw new StoreError(`Cannot write ${this.#lastGood}: ${(err as Error).message}`, err);
    }
  }
}

/** MemoryConfigStore keeps documents in memory (tests, the demo without a state dir). */
export class MemoryConfigStore implements ConfigStore {
  readonly location = "memory";
  readonly history: ConfigHistory = new MemoryHistory();
  current?: Stored;
  lastGood?: Stored;
  failNextSave = false;

  load(): Promise<Stored | undefined> {
    return Promise.resolve(this.current && structuredClone(this.current));
  }
  loadLastGood(): Promise<Stored | undefined> {
    return Promise.resolve(this.lastGood && structuredClone(this.lastGood));
  }
  save(stored: Stored): Promise<void> {
    if (this.failNextSave) {
      this.failNextSave = false;
      return Promise.reject(new StoreError("memory store refused the write"));
    }
    this.current = structuredClone(stored);
    return Promise.resolve();
  }
  saveLastGood(stored: Stored): Promise<void> {
    this.lastGood = structuredClone(stored);
    return Promise.resolve();
  }
}
