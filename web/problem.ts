/**
 * Problem details (RFC 9457) for every API error: a stable `code`, a message a person
 * understands, the JSON path of each invalid field; never a stack trace or a secret.
 * @module
 */
import type { Context } from "hono";
import { type FieldIssue, KernelError } from "../src/errors.ts";

export const PROBLEM_JSON = "application/problem+json";

/** The body of every error response. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly issues?: readonly FieldIssue[];
}

const TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Kernel codes and the HTTP status each maps to: the one place that decides. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  E_CONFIG_INVALID: 400,
  E_NOT_FOUND: 404,
  E_PLUGIN_NOT_FOUND: 404,
  E_REVISION_CONFLICT: 409,
  E_CONFIG_APPLY: 409,
  E_STORE: 503,
};

/** HttpError is thrown by handlers and middleware; the app turns it into problem+json. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues?: readonly FieldIssue[];
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    status: number,
    code: string,
    message: string,
    opts: { issues?: readonly FieldIssue[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.issues = opts.issues;
    this.headers = opts.headers ?? {};
  }
}

/** toHttpError maps any thrown value; unknown errors become a 500 without details. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof KernelError) {
    const status = STATUS_OF_CODE[err.code] ?? 500;
    const issues = (err as { issues?: readonly FieldIssue[] }).issues;
    return new HttpError(status, err.code, status === 500 ? "The request could not be completed" : err.message, {
      issues,
    });
  }
  return new HttpError(500, "E_INTERNAL", "The server hit an unexpected error; it is logged");
}

/** problemResponse renders an HttpError as `application/problem+json`. */
export function problemResponse(c: Context, err: HttpError): Response {
  const body: Problem = {
    type: "about:blank",
    title: TITLES[err.status] ?? "Error",
    status: err.status,
    code: err.code,
    detail: err.message,
    ...(err.issues ? { issues: err.issues } : {}),
  };
  return c.body(JSON.stringify(body), err.status as 400, {
    ...err.headers,
    "content-type": PROBLEM_JSON,
    "cache-control": "no-store",
  });
}
