/**
 * Guard: who is calling (bearer token, the environment's admin token, or a session
 * cookie), CSRF protection for cookie writes, and password login with a rate limit.
 * @module
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { HttpError } from "../problem.ts";
import { RateLimiter, sameSecret, SESSION_COOKIE, Sessions } from "./sessions.ts";
import type { AuthStore, Role } from "./store.ts";

/** Who is calling, once authenticated. */
export interface Principal {
  readonly kind: "session" | "token" | "env";
  readonly role: Role;
  readonly id: string;
  readonly csrf?: string;
}

export interface GuardOptions {
  readonly store: AuthStore;
  /** The config's `api.passwordHash`, read at each login (it may change). */
  readonly configHash?: () => string | undefined;
  readonly sessions?: Sessions;
  /** Login attempts per client per minute (default 10). */
  readonly loginsPerMinute?: number;
}

const UNAUTHORIZED = () =>
  new HttpError(401, "E_UNAUTHORIZED", "Log in or send Authorization: Bearer <token>", {
    headers: { "www-authenticate": 'Bearer realm="multiwan"' },
  });

/** clientAddress reads the peer address the runtime adapter put in `c.env` (Deno or Node). */
export function clientAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } }; remoteAddr?: { hostname?: string } };
  return env?.incoming?.socket?.remoteAddress ?? env?.remoteAddr?.hostname ?? "local";
}

/** Guard authenticates requests and runs the login. */
export class Guard {
  readonly store: AuthStore;
  readonly sessions: Sessions;
  readonly #configHash: () => string | undefined;
  readonly #limiter: RateLimiter;

  constructor(o: GuardOptions) {
    this.store = o.store;
    this.sessions = o.sessions ?? new Sessions();
    this.#configHash = o.configHash ?? (() => undefined);
    this.#limiter = new RateLimiter({ max: o.loginsPerMinute ?? 10, windowMs: 60_000 });
  }

  /** authenticate returns the caller or throws 401; a bad bearer token is never ignored. */
  async authenticate(c: Context): Promise<Principal> {
    const header = c.req.header("authorization");
    if (header !== undefined) {
      const m = /^Bearer ([\x21-\x7e]{1,200})$/i.exec(header.trim());
      const who = m ? await this.store.verifyToken(m[1]) : undefined;
      if (!who) throw UNAUTHORIZED();
      return { kind: who.kind, role: who.role, id: who.id };
    }
    const sid = safeCookie(c);
    const session = sid ? await this.sessions.get(sid) : undefined;
    if (!session || !sid) throw UNAUTHORIZED();
    return { kind: "session", role: "admin", id: sid.slice(0, 8), csrf: session.csrf };
  }

  /** checkCsrf: a cookie-authenticated write must echo the session's CSRF token and come from this origin. */
  checkCsrf(c: Context, who: Principal): void {
    const sent = c.req.header("x-csrf-token") ?? "";
    if (!who.csrf || !sameSecret(sent, who.csrf)) {
      throw new HttpError(403, "E_CSRF", "Cookie-authenticated writes need the X-CSRF-Token header from login");
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && origin !== "null") {
      let host = "";
      try {
        host = new URL(origin).host;
      } catch { /* a malformed origin fails the check below */ }
      if (host !== (c.req.header("host") ?? new URL(c.req.url).host)) {
        throw new HttpError(403, "E_CSRF", "Cross-origin writes are refused");
      }
    }
  }

  /** login checks the password (rate limited per client) and opens a session. */
  async login(c: Context, password: string): Promise<{ csrfToken: string; expiresAt: string }> {
    const limit = this.#limiter.take(clientAddress(c));
    if (!limit.ok) {
      throw new HttpError(429, "E_RATE_LIMITED", `Too many login attempts; wait ${limit.retryAfterS} s`, {
        headers: { "retry-after": String(limit.retryAfterS) },
      });
    }
    if (!(await this.store.checkPassword(password, this.#configHash()))) {
      throw new HttpError(401, "E_LOGIN_FAILED", "Wrong password");
    }
    const s = await this.sessions.create();
    setCookie(c, SESSION_COOKIE, s.id, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      secure: new URL(c.req.url).protocol === "https:",
      maxAge: Math.floor(this.sessions.ttlMs / 1000),
    });
    return { csrfToken: s.csrf, expiresAt: new Date(s.expiresAt).toISOString() };
  }

  async logout(c: Context): Promise<void> {
    const sid = safeCookie(c);
    if (sid) await this.sessions.destroy(sid);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
  }
}

function safeCookie(c: Context): string | undefined {
  try {
    const v = getCookie(c, SESSION_COOKIE);
    return v && /^[A-Za-z0-9_-]{43}$/.test(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
