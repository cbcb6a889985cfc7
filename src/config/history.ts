/**
 * Config history: the last N revisions of the document, each with who changed it, from
 * where, when and a one-line summary. On disk one file per revision
 * (`STATE_DIR/history/<revision>.json`, written atomically, pruned beyond N); in memory
 * for tests. Also a JSON Patch (RFC 6902) diff of two documents, used for summaries and
 * by the API.
 * @module
 */
import { host, join } from "../host/index.ts";
import * as v from "valibot";
import { writeFileAtomic } from "./store.ts";

/** Revisions kept when the config does not say (`history.keep`). */
export const DEFAULT_KEEP = 20;
/** Seconds to confirm an `api.listen` change before it is reverted (`history.confirmS`). */
export const DEFAULT_CONFIRM_S = 60;

/** The `history` config section: how many revisions to keep, how long to confirm a listen change. */
export const historySection = v.strictObject({
  keep: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.maxValue(1000),
      v.title("Revisions kept"),
      v.description("How many config revisions the state dir keeps for rollback (oldest pruned first)."),
    ),
    DEFAULT_KEEP,
  ),
  confirmS: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(10),
      v.maxValue(3600),
      v.title("Confirm within (s)"),
      v.description("A change of api.listen is reverted unless POST /api/v1/config/confirm arrives within this time."),
    ),
    DEFAULT_CONFIRM_S,
  ),
});

/** Who made a change, from where, and what it was (given by the caller of applyConfig). */
export interface ChangeMeta {
  /** `token:NAME`, `session:admin`, `boot`, `timer`...; `via cli` is appended for the CLI. */
  readonly author: string;
  readonly remote?: string;
  /** Overrides the summary computed from the diff, e.g. "rollback to 7". */
  readonly summary?: string;
  /** Put before the computed summary, e.g. "import". */
  readonly label?: string;
}

/** One revision as listed. */
export interface HistoryEntry {
  readonly revision: number;
  /** ISO time of the change. */
  readonly at: string;
  readonly author: string;
  readonly remote?: string;
  readonly summary: string;
}

/** One revision with its document (secrets included: the files are mode 0600). */
export interface HistoryRecord extends HistoryEntry {
  readonly doc: unknown;
}

/** Where revisions are kept. */
export interface ConfigHistory {
  /** Stores a revision and prunes to the newest `keep`; entries at or above its number (an older lineage) go. */
  record(rec: HistoryRecord, keep: number): Promise<void>;
  /** Every kept revision, newest first. */
  list(): Promise<HistoryEntry[]>;
  get(revision: number): Promise<HistoryRecord | undefined>;
}

const entryOf = (r: HistoryRecord): HistoryEntry => ({
  revision: r.revision,
  at: r.at,
  author: r.author,
  ...(r.remote !== undefined ? { remote: r.remote } : {}),
  summary: r.summary,
});

/** MemoryHistory keeps revisions in memory (tests, the memory store). */
export class MemoryHistory implements ConfigHistory {
  readonly #byRevision = new Map<number, HistoryRecord>();

  record(rec: HistoryRecord, keep: number): Promise<void> {
    for (const r of [...this.#byRevision.keys()]) if (r >= rec.revision) this.#byRevision.delete(r);
    this.#byRevision.set(rec.revision, structuredClone(rec));
    const old = [...this.#byRevision.keys()].sort((a, b) => b - a).slice(keep);
    for (const r of old) this.#byRevision.delete(r);
    return Promise.resolve();
  }
  list(): Promise<HistoryEntry[]> {
    return Promise.resolve([...this.#byRevision.values()].sort((a, b) => b.revision - a.revision).map(entryOf));
  }
  get(revision: number): Promise<HistoryRecord | undefined> {
    const r = this.#byRevision.get(revision);
    return Promise.resolve(r && structuredClone(r));
  }
}

const FILE = /^(\d{1,15})\.json$/;

/** FileHistory keeps `<dir>/<revision>.json`, each written with the atomic writer. */
export class FileHistory implements ConfigHistory {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  /** The revisions on disk, newest first; temp files a killed writer left are removed. */
  async #revisions(): Promise<number[]> {
    let names: string[];
    try {
      names = (await host.readDir(this.dir)).map((e) => e.name);
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT") return [];
      throw err;
    }
    const out: number[] = [];
    for (const n of names) {
      const m = FILE.exec(n);
      if (m) out.push(Number(m[1]));
      else if (n.startsWith(".") && n.endsWith(".tmp")) await host.remove(join(this.dir, n));
    }
    return out.sort((a, b) => b - a);
  }

  async record(rec: HistoryRecord, keep: number): Promise<void> {
    await host.mkdir(this.dir, 0o700);
    const existing = await this.#revisions();
    for (const r of existing) if (r > rec.revision) await host.remove(join(this.dir, `${r}.json`));
    await writeFileAtomic(join(this.dir, `${rec.revision}.json`), JSON.stringify(rec, null, 2) + "\n");
    const kept = [rec.revision, ...existing.filter((r) => r < rec.revision)];
    for (const r of kept.slice(keep)) await host.remove(join(this.dir, `${r}.json`));
  }

  async list(): Promise<HistoryEntry[]> {
    const out: HistoryEntry[] = [];
    for (const r of await this.#revisions()) {
      const rec = await this.get(r);
      if (rec) out.push(entryOf(rec));
    }
    return out;
  }

  /** get reads one revision; a missing or unreadable file is undefined (never half a document). */
  async get(revision: number): Promise<HistoryRecord | undefined> {
    if (!Number.isSafeInteger(revision) || revision < 0) return undefined;
    let text: string;
    try {
      text = await host.readText(join(this.dir, `${revision}.json`));
    } catch {
      return undefined;
    }
    try {
      const rec = JSON.parse(text) as HistoryRecord;
      return rec && rec.revision === revision && typeof rec.at === "string" ? rec : undefined;
    } catch {
      return undefined;
    }
  }
}

/** One RFC 6902 operation as produced by {@link jsonDiff}. */
export type PatchOp =
  | { readonly op: "add" | "replace"; readonly path: string; readonly value: unknown }
  | { readonly op: "remove"; readonly path: string };

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => !!x && typeof x === "object" && !Array.isArray(x);
/** pointer writes path parts as a JSON Pointer (RFC 6901: `~` as `~0`, `/` as `~1`). */
export const pointer = (path: readonly string[]): string =>
  path.map((p) => `/${p.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");

/**
 * jsonDiff returns a JSON Patch (RFC 6902) that turns `a` into `b`: objects key by key,
 * anything else (arrays included) replaced whole when it differs.
 */
export function jsonDiff(a: unknown, b: unknown, at: readonly string[] = []): PatchOp[] {
  if (isObject(a) && isObject(b)) {
    const ops: PatchOp[] = [];
    for (const k of Object.keys(a)) if (!Object.hasOwn(b, k)) ops.push({ op: "remove", path: pointer([...at, k]) });
    for (const [k, value] of Object.entries(b)) {
      if (!Object.hasOwn(a, k)) ops.push({ op: "add", path: pointer([...at, k]), value: structuredClone(value) });
      else ops.push(...jsonDiff(a[k], value, [...at, k]));
    }
    return ops;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  return [{ op: "replace", path: pointer(at), value: structuredClone(b) }];
}

/** pointerParts splits a JSON Pointer into its unescaped parts. */
export function pointerParts(path: string): string[] {
  return path === "" ? [] : path.slice(1).split("/").map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
}

const WORDS = { add: "added", remove: "removed", replace: "changed" } as const;

/** summarise names what changed, by dotted path and without values (so no secret shows), e.g. "wans.lte.priority changed". */
export function summarise(before: unknown, after: unknown, max = 4): string {
  const ops = jsonDiff(before, after);
  if (ops.length === 0) return "no change";
  const parts = ops.slice(0, max).map((o) => `${pointerParts(o.path).join(".") || "document"} ${WORDS[o.op]}`);
  return parts.join(", ") + (ops.length > max ? ` and ${ops.length - max} more` : "");
}

/** keepOf reads `history.keep` from a validated document (the default when absent). */
export function keepOf(doc: unknown): number {
  const h = isObject(doc) ? doc.history : undefined;
  return isObject(h) && typeof h.keep === "number" ? h.keep : DEFAULT_KEEP;
}

/**
 * recordRevision stores a revision the kernel just applied: when and by whom, and a
 * summary from the diff against the one before (unless the change names its own).
 */
export function recordRevision(
  history: ConfigHistory,
  o: { revision: number; doc: unknown; before: unknown; change?: ChangeMeta; keep: number; now: number },
): Promise<void> {
  return history.record({
    revision: o.revision,
    at: new Date(o.now).toISOString(),
    author: o.change?.author ?? "unknown",
    ...(o.change?.remote !== undefined ? { remote: o.change.remote } : {}),
    summary: o.change?.summary ?? (o.change?.label ? `${o.change.label}: ` : "") + summarise(o.before, o.doc),
    doc: structuredClone(o.doc),
  }, o.keep);
}

/** recordBoot adds the revision the daemon booted with when the history lacks it (first start, a hand-edited file). */
export async function recordBoot(
  history: ConfigHistory,
  o: { revision: number; doc: unknown; source: string; keep: number; now: number },
): Promise<void> {
  const known = await history.get(o.revision);
  if (known && JSON.stringify(known.doc) === JSON.stringify(o.doc)) return;
  const summary = o.source === "store" ? "found at boot" : `booted with the ${o.source} config`;
  await recordRevision(history, { ...o, before: o.doc, change: { author: "boot", summary } });
}
