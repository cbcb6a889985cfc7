/**
 * The credential store: the admin password hash and the API tokens, kept hashed in a
 * state-dir file (`auth.json`, mode 0600), never in the config document. Saves are
 * serialised and atomic, each followed by a last good copy (`auth.json.last-good`) that
 * `load()` falls back to, saying why, when the file is unreadable.
 * @module
 */
import { writeFileAtomic } from "../../src/config/store.ts";
import { host } from "../../src/host/index.ts";
import { base64url, fromHex, hex, randomBytes, sameBytes, sha256 } from "./secret.ts";
import { hashPassword, PASSWORD_HASH, verifyPassword } from "./password.ts";

export type Role = "read" | "admin";

/** A token as listed: never the secret, never its hash. */
export interface TokenInfo {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly lastUsedAt?: string;
}

interface TokenRecord extends TokenInfo {
  readonly hash: string;
}

interface AuthFile {
  password?: string;
  tokens: TokenRecord[];
}

/** What `load()` found: which file it used and why an earlier one was refused. */
export interface AuthLoadReport {
  readonly source: "file" | "last-good" | "empty";
  readonly problems: readonly string[];
}

/** parseAuthFile reads the file's text; throws a plain message when it is not an auth file. */
function parseAuthFile(text: string): AuthFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message.slice(0, 80)})`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not a JSON object");
  const p = parsed as Partial<AuthFile>;
  if (p.tokens !== undefined && !Array.isArray(p.tokens)) throw new Error("tokens is not an array");
  return {
    password: typeof p.password === "string" && PASSWORD_HASH.test(p.password) ? p.password : undefined,
    tokens: (p.tokens ?? []).filter((t) => typeof t?.hash === "string" && typeof t?.id === "string"),
  };
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await host.readText(path);
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw err;
  }
}

const TOKEN = /^mwt_([A-Za-z0-9_-]{8})_([A-Za-z0-9_-]{43})$/;


/** AuthStore keeps the password hash and tokens; `path` undefined keeps them in memory. */
export class AuthStore {
  readonly #path?: string;
  #data: AuthFile = { tokens: [] };
  /** The digest of MULTIWAN_ADMIN_TOKEN, computed with the first check. */
  #envToken?: Promise<Uint8Array>;
  #lastUsed = new Map<string, number>();
  /** The tail of the save queue: each change is written after the previous one. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: { path?: string; adminToken?: string } = {}) {
    this.#path = opts.path;
    const envToken = opts.adminToken;
    if (envToken) this.#envToken = sha256(envToken);
  }

  /**
   * load reads the file, else its last good copy (a missing file is an empty store).
   * Throws when neither is usable, rather than starting with no credentials.
   */
  async load(): Promise<AuthLoadReport> {
    if (!this.#path) return { source: "empty", problems: [] };
    const problems: string[] = [];
    const candidates = [["file", this.#path], ["last-good", `${this.#path}.last-good`]] as const;
    let missing = 0;
    for (const [source, path] of candidates) {
      let text: string | undefined;
      try {
        text = await readText(path);
      } catch (err) {
        problems.push(`${path}: ${(err as Error).message}`);
        continue;
      }
      if (text === undefined) {
        missing++;
        continue;
      }
      try {
        this.#data = parseAuthFile(text);
      } catch (err) {
        problems.push(`${path}: ${(err as Error).message}`);
        continue;
      }
      if (source === "last-good") {
        console.error(`multiwan: using the last good credentials, because:\n  ${problems.join("\n  ")}`);
        await this.#write(this.#data); // repair the file from the copy
      }
      return { source, problems };
    }
    if (missing === candidates.length) return { source: "empty", problems };
    if (problems.length === 0) return { source: "empty", problems };
    throw new Error(`Cannot read the credentials: ${problems.join("; ")}`);
  }

  /** #write stores `data` atomically, then the last good copy. */
  async #write(data: AuthFile): Promise<void> {
    if (!this.#path) return;
    const text = JSON.stringify(data, null, 2) + "\n";
    await writeFileAtomic(this.#path, text);
    await writeFileAtomic(`${this.#path}.last-good`, text);
  }

  /**
   * #change runs one change after the previous one is saved: `fn` edits a copy, the copy is
   * written, and only then does it replace the data in memory. A failed save changes nothing.
   */
  #change<T>(fn: (draft: AuthFile) => T, changed: (result: T) => boolean = () => true): Promise<T> {
    const run = async () => {
      const draft: AuthFile = structuredClone(this.#data);
      const result = fn(draft);
      if (!changed(result)) return result;
      await this.#write(draft);
      this.#data = draft;
      return result;
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => {});
    return next;
  }

  get hasPassword(): boolean {
    return this.#data.password !== undefined;
  }

  async setPassword(password: string): Promise<void> {
    const hash = await hashPassword(password);
    await this.#change((d) => {
      d.password = hash;
    });
  }

  /** checkPassword verifies against `override` (the config's hash) or the stored hash. */
  checkPassword(password: string, override?: string): Promise<boolean> {
    const hash = override ?? this.#data.password;
    return hash ? verifyPassword(password, hash) : Promise.resolve(false);
  }

  /** createToken returns the secret once; only its hash is kept. */
  async createToken(name: string, role: Role, now = Date.now()): Promise<TokenInfo & { token: string }> {
    // Never with a leading "-": `multiwan token revoke ID` would read it as an option (1 in 64).
    let id: string;
    do id = base64url(randomBytes(6)); while (id.startsWith("-"));
    const token = `mwt_${id}_${base64url(randomBytes(32))}`;
    const record: TokenRecord = {
      id,
      name,
      role,
      createdAt: new Date(now).toISOString(),
      hash: hex(await sha256(token)),
    };
    await this.#change((d) => d.tokens.push(record));
    return { ...this.#info(record), token };
  }

  #info(r: TokenRecord): TokenInfo {
    const used = this.#lastUsed.get(r.id);
    return {
      id: r.id,
      name: r.name,
      role: r.role,
      createdAt: r.createdAt,
      ...(used ? { lastUsedAt: new Date(used).toISOString() } : r.lastUsedAt ? { lastUsedAt: r.lastUsedAt } : {}),
    };
  }

  listTokens(): TokenInfo[] {
    return this.#data.tokens.map((r) => this.#info(r));
  }

  /** revokeToken removes a token; false when no token has that id. */
  revokeToken(id: string): Promise<boolean> {
    return this.#change((d) => {
      const before = d.tokens.length;
      d.tokens = d.tokens.filter((t) => t.id !== id);
      return d.tokens.length !== before;
    }, (removed) => removed);
  }

  /** verifyToken returns who a bearer token is, or undefined. */
  async verifyToken(token: string, now = Date.now()): Promise<{ id: string; role: Role; kind: "token" | "env" } | undefined> {
    const digest = await sha256(token);
    if (this.#envToken && sameBytes(digest, await this.#envToken)) return { id: "env", role: "admin", kind: "env" };
    const m = TOKEN.exec(token);
    if (!m) return undefined;
    const record = this.#data.tokens.find((t) => t.id === m[1]);
    const stored = record ? fromHex(record.hash) : undefined;
    if (!record || !stored || !sameBytes(stored, digest)) return undefined;
    this.#lastUsed.set(record.id, now);
    return { id: record.id, role: record.role, kind: "token" };
  }
}
