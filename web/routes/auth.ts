/**
 * Login, logout, who am I, the password, and API tokens (created and revoked here,
 * stored hashed in the state dir).
 * @module
 */
import * as s from "../api-schemas.ts";
import { readJson } from "../body.ts";
import { type Deps, parseBody, schemaOf } from "../deps.ts";
import { HttpError } from "../problem.ts";
import type { Route } from "../router.ts";

const JSON_ONLY = ["application/json"];

export function authRoutes(d: Deps): Route[] {
  const g = d.guard;
  const tokenInfo = schemaOf(s.tokenInfo);
  return [
    {
      method: "POST",
      path: "/api/v1/auth/login",
      access: "public",
      tag: "auth",
      summary: "Log in with the password: sets an HttpOnly SameSite=Strict session cookie",
      description: "Cookie-authenticated writes must send the returned csrfToken as X-CSRF-Token. Rate limited per client.",
      body: { types: JSON_ONLY, schema: schemaOf(s.loginBody), required: true },
      responses: {
        200: {
          description: "Logged in",
          schema: { type: "object", properties: { csrfToken: { type: "string" }, expiresAt: { type: "string" } } },
          headers: ["Set-Cookie"],
        },
        400: { description: "Malformed body" },
        401: { description: "Wrong password" },
        429: { description: "Too many attempts", headers: ["Retry-After"] },
      },
      handler: async (c) => {
        const body = parseBody(s.loginBody, await readJson(c, { limit: 4096, types: JSON_ONLY }));
        return c.json(await g.login(c, body.password));
      },
    },
    {
      method: "POST",
      path: "/api/v1/auth/logout",
      access: "read",
      tag: "auth",
      summary: "End the session",
      responses: { 204: { description: "Logged out" } },
      handler: async (c) => {
        await g.logout(c);
        return c.body(null, 204);
      },
    },
    {
      method: "GET",
      path: "/api/v1/auth/whoami",
      access: "read",
      tag: "auth",
      summary: "The caller: session or token, and its role",
      description: "For a session, also its csrfToken, so a reloaded page can write again.",
      responses: { 200: { description: "The caller", schema: schemaOf(s.principal) } },
      handler: (c) => {
        const p = c.get("principal");
        return c.json({ kind: p.kind, role: p.role, id: p.id, ...(p.csrf ? { csrfToken: p.csrf } : {}) });
      },
    },
    {
      method: "PUT",
      path: "/api/v1/auth/password",
      access: "admin",
      tag: "auth",
      summary: "Set the admin password (ends every session)",
      description: "A passwordHash in the config's api section takes precedence over this one.",
      body: { types: JSON_ONLY, schema: schemaOf(s.passwordBody), required: true },
      responses: { 204: { description: "Changed" }, 400: { description: "Too short or malformed" } },
      handler: async (c) => {
        const body = parseBody(s.passwordBody, await readJson(c, { limit: 4096, types: JSON_ONLY }));
        await g.store.setPassword(body.password);
        g.sessions.destroyAll();
        return c.body(null, 204);
      },
    },
    {
      method: "GET",
      path: "/api/v1/tokens",
      access: "admin",
      tag: "auth",
      summary: "API tokens (never their secrets)",
      responses: {
        200: { description: "The tokens", schema: { type: "object", properties: { tokens: { type: "array", items: tokenInfo } } } },
      },
      handler: (c) => c.json({ tokens: g.store.listTokens() }),
    },
    {
      method: "POST",
      path: "/api/v1/tokens",
      access: "admin",
      tag: "auth",
      summary: "Create a token with a role (read or admin); the secret is shown once",
      body: { types: JSON_ONLY, schema: schemaOf(s.tokenCreateBody), required: true },
      responses: {
        201: { description: "Created", schema: schemaOf(s.tokenCreated) },
        400: { description: "Malformed body" },
        409: { description: "A token has that name" },
      },
      handler: async (c) => {
        const body = parseBody(s.tokenCreateBody, await readJson(c, { limit: 4096, types: JSON_ONLY }));
        if (g.store.listTokens().some((t) => t.name === body.name)) {
          throw new HttpError(409, "E_TOKEN_EXISTS", `A token named ${body.name} exists; revoke it first`);
        }
        return c.json(await g.store.createToken(body.name, body.role), 201);
      },
    },
    {
      method: "DELETE",
      path: "/api/v1/tokens/:id",
      access: "admin",
      tag: "auth",
      summary: "Revoke a token",
      params: [{ name: "id", description: "Token id", schema: { type: "string" } }],
      responses: { 204: { description: "Revoked" }, 404: { description: "No such token" } },
      handler: async (c) => {
        if (!(await g.store.revokeToken(c.req.param("id") ?? ""))) throw new HttpError(404, "E_NOT_FOUND", "No token has that id");
        return c.body(null, 204);
      },
    },
  ];
}
