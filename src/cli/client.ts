/**
 * The CLI's HTTP client: URL and token from flags or the environment, problem+json
 * errors turned into exit codes that mean something.
 * @module
 */

/** Exit codes of `multiwan`, stable for scripts. */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  conflict: 5,
  invalid: 6,
  unreachable: 7,
  rateLimited: 8,
} as const;

/** exitFor maps an HTTP status to an exit code. */
export function exitFor(status: number): number {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 412) return EXIT.conflict;
  if (status === 400 || status === 413 || status === 415 || status === 405) return EXIT.invalid;
  if (status === 429) return EXIT.rateLimited;
  return EXIT.error;
}

/** CliError carries the exit code and a one-line message (plus field issues). */
export class CliError extends Error {
  readonly exitCode: number;
  readonly body?: unknown;
  constructor(exitCode: number, message: string, body?: unknown) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
    this.body = body;
  }
}

export interface ClientOptions {
  readonly url: string;
  readonly token?: string;
}

/** Client calls the API with a bearer token. */
export class Client {
  readonly #o: ClientOptions;
  constructor(o: ClientOptions) {
    this.#o = o;
  }

  async raw(method: string, path: string, opts: { body?: string; type?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    // The user agent lets the config history note "via cli".
    const headers: Record<string, string> = { accept: "application/json", "user-agent": "multiwan-cli/1", ...opts.headers };
    if (this.#o.token) headers.authorization = `Bearer ${this.#o.token}`;
    if (opts.body !== undefined) headers["content-type"] = opts.type ?? "application/json";
    let res: Response;
    try {
      res = await fetch(new URL(path, this.#o.url), { method, headers, body: opts.body });
    } catch (err) {
      throw new CliError(EXIT.unreachable, `cannot reach ${this.#o.url}: ${(err as Error).message}`);
    }
    if (res.status >= 400) {
      const text = await res.text();
      let body: { detail?: string; code?: string; issues?: { path: string; message: string }[] } | undefined;
      try {
        body = JSON.parse(text);
      } catch { /* not problem+json */ }
      const issues = body?.issues?.map((i) => `\n  ${i.path}: ${i.message}`).join("") ?? "";
      throw new CliError(exitFor(res.status), `${res.status} ${body?.code ?? ""} ${body?.detail ?? text.slice(0, 200)}${issues}`.replace(/\s+\n/g, "\n"), body);
    }
    return res;
  }

  async json<T = unknown>(method: string, path: string, opts: { body?: string; type?: string; headers?: Record<string, string> } = {}): Promise<{ body: T; etag?: string }> {
    const res = await this.raw(method, path, opts);
    const text = await res.text();
    return { body: (text ? JSON.parse(text) : null) as T, etag: res.headers.get("etag") ?? undefined };
  }
}
