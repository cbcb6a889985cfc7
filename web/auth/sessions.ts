/**
 * Panel sessions (an HttpOnly, SameSite=Strict cookie plus a CSRF token for writes) and
 * the login rate limiter.
 * @module
 */
import { base64url, randomBytes, sameSecret, sha256 } from "./secret.ts";

export { sameSecret };

export const SESSION_COOKIE = "mwan_session";

interface Session {
  readonly csrf: string;
  expiresAt: number;
}

/** Sessions lives in memory: a restart logs everyone out, which is fine for a router. */
export class Sessions {
  readonly #ttlMs: number;
  readonly #now: () => number;
  #byId = new Map<string, Session>();

  constructor(opts: { ttlMs?: number; now?: () => number } = {}) {
    this.#ttlMs = opts.ttlMs ?? 12 * 3600_000;
    this.#now = opts.now ?? Date.now;
  }

  /** create opens a session; the cookie value and the CSRF token are random and independent. */
  async create(): Promise<{ id: string; csrf: string; expiresAt: number }> {
    this.#sweep();
    const id = base64url(randomBytes(32));
    const session = { csrf: base64url(randomBytes(24)), expiresAt: this.#now() + this.#ttlMs };
    this.#byId.set(await hashId(id), session);
    return { id, ...session };
  }

  /** get returns a live session and slides its expiry. */
  async get(id: string): Promise<{ csrf: string } | undefined> {
    const key = await hashId(id);
    const s = this.#byId.get(key);
    if (!s) return undefined;
    if (s.expiresAt <= this.#now()) {
      this.#byId.delete(key);
      return undefined;
    }
    s.expiresAt = this.#now() + this.#ttlMs;
    return { csrf: s.csrf };
  }

  async destroy(id: string): Promise<void> {
    this.#byId.delete(await hashId(id));
  }

  /** destroyAll ends every session (after a password change). */
  destroyAll(): void {
    this.#byId.clear();
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [k, s] of this.#byId) if (s.expiresAt <= now) this.#byId.delete(k);
  }
}

/** The map key of a session: a digest, so a timing leak of the lookup tells nothing of the id. */
async function hashId(id: string): Promise<string> {
  return base64url(await sha256(id));
}

/** RateLimiter allows `max` attempts per `windowMs` per key (a fixed window; enough for logins). */
export class RateLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  #hits = new Map<string, { count: number; resetAt: number }>();

  constructor(opts: { max: number; windowMs: number; now?: () => number }) {
    this.#max = opts.max;
    this.#windowMs = opts.windowMs;
    this.#now = opts.now ?? Date.now;
  }

  /** take counts one attempt; returns the seconds to wait when over the limit. */
  take(key: string): { ok: true } | { ok: false; retryAfterS: number } {
    const now = this.#now();
    if (this.#hits.size > 10_000) for (const [k, h] of this.#hits) if (h.resetAt <= now) this.#hits.delete(k);
    let h = this.#hits.get(key);
    if (!h || h.resetAt <= now) {
      h = { count: 0, resetAt: now + this.#windowMs };
      this.#hits.set(key, h);
    }
    h.count++;
    if (h.count > this.#max) return { ok: false, retryAfterS: Math.max(1, Math.ceil((h.resetAt - now) / 1000)) };
    return { ok: true };
  }
}
