/**
 * The credential store: the admin password hash and the API tokens, kept hashed in a
 * state-dir file (`auth.json`, mode 0600), never in the config document.
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../../src/config/store.ts";
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

const TOKEN = /^mwt_([A-Za-z0-9_-]{8})_([A-Za-z0-9_-]{43})$/;

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** AuthStore keeps the password hash and tokens; `path` undefined keeps them in memory. */
export class AuthStore {
  readonly #path?: string;
  #data: AuthFile = { tokens: [] };
  #envToken?: Buffer;
  #lastUsed = new Map<string, number>();

  constructor(opts: { path?: string; adminToken?: string } = {}) {
    this.#path = opts.path;
    if (opts.adminToken) this.#envToken = sha256(opts.adminToken);
  }

  /** load reads the file; a missing file is an empty store. */
  async load(): Promise<void> {
    if (!this.#path) return;
    let text: string;
    try {
      text = await readFile(this.#path, "utf8");
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT") return;
      throw err;
    }
    const parsed = JSON.parse(text) as Partial<AuthFile>;
    this.#data = {
      password: typeof parsed.password === "string" && PASSWORD_HASH.test(parsed.password) ? parsed.password : undefined,
      tokens: Array.isArray(parsed.tokens) ? parsed.tokens.filter((t) => typeof t?.hash === "string") : [],
    };
  }

  async #save(): Promise<void> {
    if (this.#path) await writeFileAtomic(this.#path, JSON.stringify(this.#data, null, 2) + "\n");
  }

  get hasPassword(): boolean {
    return this.#data.password !== undefined;
  }

  async setPassword(password: string): Promise<void> {
    this.#data.password = await hashPassword(password);
    await this.#save();
  }

  /** checkPassword verifies against `override` (the config's hash) or the stored hash. */
  checkPassword(password: string, override?: string): Promise<boolean> {
    const hash = override ?? this.#data.password;
    return hash ? verifyPassword(password, hash) : Promise.resolve(false);
  }

  /** createToken returns the secret once; only its hash is kept. */
  async createToken(name: string, role: Role, now = Date.now()): Promise<TokenInfo & { token: string }> {
    const id = randomBytes(6).toString("base64url");
    const token = `mwt_${id}_${randomBytes(32).toString("base64url")}`;
    const record: TokenRecord = {
      id,
      name,
      role,
      createdAt: new Date(now).toISOString(),
      hash: sha256(token).toString("hex"),
    };
    this.#data.tokens.push(record);
    await this.#save();
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
  async revokeToken(id: string): Promise<boolean> {
    const before = this.#data.tokens.length;
    this.#data.tokens = this.#data.tokens.filter((t) => t.id !== id);
    if (this.#data.tokens.length === before) return false;
    await this.#save();
    return true;
  }

  /** verifyToken returns who a bearer token is, or undefined. */
  verifyToken(token: string, now = Date.now()): { id: string; role: Role; kind: "token" | "env" } | undefined {
    const digest = sha256(token);
    if (this.#envToken && timingSafeEqual(digest, this.#envToken)) return { id: "env", role: "admin", kind: "env" };
    const m = TOKEN.exec(token);
    if (!m) return undefined;
    const record = this.#data.tokens.find((t) => t.id === m[1]);
    const stored = record ? Buffer.from(record.hash, "hex") : undefined;
    if (!record || stored?.length !== digest.length || !timingSafeEqual(stored, digest)) return undefined;
    this.#lastUsed.set(record.id, now);
    return { id: record.id, role: record.role, kind: "token" };
  }
}
