/**
 * The route table: every API route is data (method, path, role, docs, handler). The same
 * table mounts the Hono routes, answers 405 with `Allow`, guards each route, and feeds the
 * OpenAPI document and the test that proves no route answers without a credential.
 * @module
 */
import type { Context, Hono } from "hono";
import type { Guard, Principal } from "./auth/guard.ts";
import { HttpError } from "./problem.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type Access = "public" | "read" | "admin";
export type JsonSchema = Record<string, unknown>;

export type ApiEnv = { Variables: { principal: Principal } };
export type ApiContext = Context<ApiEnv>;

export interface ParamDoc {
  readonly name: string;
  readonly description: string;
  readonly schema: JsonSchema;
  readonly required?: boolean;
}

export interface ResponseDoc {
  readonly description: string;
  readonly schema?: JsonSchema;
  /** Media type of the body (default application/json). */
  readonly type?: string;
  readonly headers?: readonly string[];
}

/** One API route: what it is, who may call it, how it is documented, and its handler. */
export interface Route {
  readonly method: Method;
  /** Hono syntax, e.g. `/api/v1/wans/:name`. */
  readonly path: string;
  readonly access: Access;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly params?: readonly ParamDoc[];
  readonly query?: readonly ParamDoc[];
  readonly headers?: readonly ParamDoc[];
  readonly body?: { readonly types: readonly string[]; readonly schema: JsonSchema; readonly required?: boolean };
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  handler(c: ApiContext): Response | Promise<Response>;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

async function admit(c: ApiContext, route: { access: Access }, guard: Guard): Promise<void> {
  if (route.access === "public") return;
  const who = await guard.authenticate(c);
  if (route.access === "admin" && who.role !== "admin") {
    throw new HttpError(403, "E_FORBIDDEN", "This needs an admin credential; yours is read-only");
  }
  if (who.kind === "session" && UNSAFE.has(c.req.method)) guard.checkCsrf(c, who);
  c.set("principal", who);
}

/** mount registers the routes on `app`, then a 405 answer for other methods on each path. */
export function mount(app: Hono<ApiEnv>, routes: readonly Route[], guard: Guard): void {
  const allowed = new Map<string, Method[]>();
  for (const route of routes) {
    app.on(route.method, route.path, async (c) => {
      await admit(c, route, guard);
      return await route.handler(c);
    });
    allowed.set(route.path, [...(allowed.get(route.path) ?? []), route.method]);
  }
  for (const [path, methods] of allowed) {
    const allow = [...methods, ...(methods.includes("GET") ? ["HEAD"] : [])].join(", ");
    const access: Access = methods.length > 0 && routes.some((r) => r.path === path && r.access === "public")
      ? "public"
      : "read";
    app.all(path, async (c) => {
      await admit(c, { access }, guard);
      throw new HttpError(405, "E_METHOD", `${c.req.method} is not allowed here; use ${allow}`, {
        headers: { allow },
      });
    });
  }
}

/** openApiPath turns `/wans/:name` into `/wans/{name}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");
}
