/**
 * The panel's HTTP client for `/api/v1`: JSON in and out, the session's CSRF token on every
 * write, problem+json errors as {@link ApiError} (with the field `issues`), ETags for config.
 * @module
 */

/** One invalid field, as the API names it (`wans.ethernet.tracker.targets[0]`). */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** ApiError is a problem+json answer (or a network failure, status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: readonly Issue[];
  constructor(status: number, code: string, message: string, issues: readonly Issue[] = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

export interface Answer<T> {
  readonly data: T;
  readonly status: number;
  readonly etag: string | null;
}

const CSRF_KEY = "multiwan.csrf";

/** The CSRF token of this tab's session (kept in sessionStorage). */
export function setCsrf(token: string | undefined): void {
  if (token) sessionStorage.setItem(CSRF_KEY, token);
  else sessionStorage.removeItem(CSRF_KEY);
}

let onUnauthorized: () => void = () => {};
/** whenLoggedOut sets what happens when the API answers 401 (the login page). */
export function whenLoggedOut(fn: () => void): void {
  onUnauthorized = fn;
}

/** request calls the API; rejects with ApiError on any non-2xx answer. */
export async function request<T>(
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string>; quiet401?: boolean } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") {
    const csrf = sessionStorage.getItem(CSRF_KEY);
    if (csrf) headers["x-csrf-token"] = csrf;
  }
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "E_NETWORK", "The router does not answer. Is the daemon running?");
  }
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const p = (data ?? {}) as { code?: string; detail?: string; title?: string; issues?: Issue[]; errors?: Issue[] };
    if (res.status === 401 && !opts.quiet401) onUnauthorized();
    throw new ApiError(res.status, p.code ?? `E_HTTP_${res.status}`, p.detail ?? p.title ?? res.statusText, p.issues ?? p.errors ?? []);
  }
  return { data: data as T, status: res.status, etag: res.headers.get("etag") };
}

export const get = <T>(path: string, quiet401 = false) => request<T>("GET", path, { quiet401 });
