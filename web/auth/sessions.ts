/**
 * Panel sessions (an HttpOnly, SameSite=Strict cookie plus a CSRF token for writes) and
 * the login rate limiter.
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

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
  create(): { id: string; csrf: string; expiresAt: number } {
    this.#sweep();
    const id = randomBytes(32).toString("base64url");
    const session = { csrf: randomBytes(24).toString("base64url"), expiresAt: this.#now() + this.#ttlMs };
    this.#byId.set(hashId(id), session);
    return { id, ...session };
  }

  /** get returns a live session and slides its expiry. */
  get(id: string): { csrf: string } | undefined {
    const key = hashId(id);
    const s = this.#byId.get(key);
    if (!s) return undefined;
    if (s.expiresAt <= this.#now()) {
      this.#byId.delete(key);
      return undefined;
    }
    s.expiresAt = this.#now() + this.#ttlMs;
    return { csrf: s.csrf };
  }

  destroy(id: string): void {
    this.#byId.delete(hashId(id));
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

function hashId(id: string): string {
  return createHash("sha256").update(id).digest("base64url");
}

/** sameSecret compares two strings in constant time. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
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
