/**
 * The OpenAPI 3.1 document, generated from the route table and the registry's valibot
 * schemas: a plugin registered at start-up appears here without touching `web/`.
 * @module
 */
import { KERNEL_API_VERSION } from "../src/plugin.ts";
import * as s from "./api-schemas.ts";
import { type Deps, problemRef, schemaOf } from "./deps.ts";
import { PROBLEM_JSON } from "./problem.ts";
import { type JsonSchema, openApiPath, type Route } from "./router.ts";
import { pluginInfo } from "./schemas.ts";

const COMMON: Readonly<Record<number, string>> = {
  401: "No credential, or a bad one",
  403: "Read-only credential, or a cookie write without the CSRF token",
  405: "Method not allowed on this path",
};

function operationId(r: Route): string {
  const words = r.path.replace(/^\/api\/v1\//, "").split(/[/-]/).filter(Boolean)
    .map((w) => (w.startsWith(":") ? `by ${w.slice(1)}` : w)).join(" ").split(" ");
  return r.method.toLowerCase() + words.map((w) => w[0].toUpperCase() + w.slice(1)).join("");
}

function operation(r: Route): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [code, doc] of Object.entries(r.responses)) {
    const ok = Number(code) < 400;
    const schema = ok ? doc.schema : (doc.schema ?? problemRef);
    const type = doc.type ?? (ok ? "application/json" : PROBLEM_JSON);
    responses[code] = {
      description: doc.description,
      ...(schema && code !== "204" ? { content: { [type]: { schema } } } : {}),
      ...(doc.headers ? { headers: Object.fromEntries(doc.headers.map((h) => [h, { schema: { type: "string" } }])) } : {}),
    };
  }
  const common = r.access === "public" ? [405] : r.access === "read" ? [401, 405] : [401, 403, 405];
  for (const code of common) {
    responses[code] ??= { description: COMMON[code], content: { [PROBLEM_JSON]: { schema: problemRef } } };
  }
  const parameters = [
    ...(r.params ?? []).map((p) => ({ in: "path", required: true, ...p })),
    ...(r.query ?? []).map((p) => ({ in: "query", required: p.required ?? false, ...p })),
    ...(r.headers ?? []).map((p) => ({ in: "header", required: p.required ?? false, ...p })),
  ];
  return {
    operationId: operationId(r),
    tags: [r.tag],
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    "x-role": r.access,
    security: r.access === "public" ? [] : [{ bearer: [] }, { session: [] }],
    ...(parameters.length ? { parameters } : {}),
    ...(r.body
      ? {
        requestBody: {
          required: r.body.required ?? true,
          content: Object.fromEntries(r.body.types.map((t) => [t, { schema: r.body!.schema }])),
        },
      }
      : {}),
    responses,
  };
}

/** buildOpenApi assembles the document from the routes and the registry. */
export function buildOpenApi(routes: readonly Route[], d: Deps): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = (paths[openApiPath(r.path)] ??= {});
    p[r.method.toLowerCase()] = operation(r);
  }
  const plugins: Record<string, JsonSchema> = {};
  for (const p of d.kernel.registry.list()) plugins[p.id] = pluginInfo(p).schema;
  for (const k of Object.keys(plugins)) delete plugins[k].$schema;
  return {
    openapi: "3.1.0",
    info: {
      title: "multiwan API",
      version: KERNEL_API_VERSION,
      description: "Drive a multiwan router: status, config (generated from the registered plugins' schemas), " +
        "per-WAN actions, events and metrics. Errors are application/problem+json with a stable code.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    servers: [{ url: "/" }],
    tags: ["status", "plugins", "config", "wans", "mode", "events", "auth", "sim", "meta"].map((name) => ({ name })),
    paths,
    components: {
      schemas: {
        Config: d.book.document,
        WanEntry: d.book.wanEntry,
        ModeEntry: d.book.modeEntry,
        Problem: schemaOf(s.problem),
        PluginInfo: {
          type: "object",
          required: ["id", "kind", "version", "kernel", "title", "description", "schema"],
          properties: {
            id: { type: "string" },
            kind: { enum: ["tracker", "wan", "mode"] },
            version: { type: "string" },
            kernel: { type: "string" },
            title: { type: "string" },
            description: { type: "string" },
            statusFields: { type: "array", items: { type: "object" } },
            schema: { type: "object", description: "JSON Schema (draft 2020-12) of the plugin's own keys" },
          },
        },
        ...plugins,
      },
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "A token from POST /api/v1/tokens or MULTIWAN_ADMIN_TOKEN" },
        session: { type: "apiKey", in: "cookie", name: "mwan_session", description: "From POST /api/v1/auth/login" },
      },
    },
  };
}
