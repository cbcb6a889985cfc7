/**
 * The OpenAPI document, the docs page (our own assets) and `/metrics`.
 * @module
 */
import type { Deps } from "../deps.ts";
import { DOCS_HTML, DOCS_JS } from "../docs-page.ts";
import { renderMetrics } from "../metrics.ts";
import { buildOpenApi } from "../openapi.ts";
import type { Route } from "../router.ts";

const CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'";

/** metaRoutes needs the full table (for the OpenAPI document), given as a getter. */
export function metaRoutes(d: Deps, all: () => readonly Route[]): Route[] {
  let doc: string | undefined;
  return [
    {
      method: "GET",
      path: "/api/v1/openapi.json",
      access: "read",
      tag: "meta",
      summary: "This API described in OpenAPI 3.1, generated from the registered plugins",
      responses: { 200: { description: "The OpenAPI document", schema: { type: "object" } } },
      handler: (c) => {
        doc ??= JSON.stringify(buildOpenApi(all(), d));
        return c.body(doc, 200, { "content-type": "application/json" });
      },
    },
    {
      method: "GET",
      path: "/metrics",
      access: "read",
      tag: "meta",
      summary: "Prometheus metrics (text format 0.0.4); scrape with a read token",
      responses: { 200: { description: "The metrics", type: "text/plain; version=0.0.4", schema: { type: "string" } } },
      handler: (c) => c.body(renderMetrics(d), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }),
    },
    {
      method: "GET",
      path: "/docs",
      access: "public",
      tag: "meta",
      summary: "The API docs page (no data: it loads the OpenAPI document with your credential)",
      responses: { 200: { description: "HTML", type: "text/html", schema: { type: "string" } } },
      handler: (c) => c.html(DOCS_HTML, 200, { "content-security-policy": CSP }),
    },
    {
      method: "GET",
      path: "/docs/docs.js",
      access: "public",
      tag: "meta",
      summary: "The docs page's script",
      responses: { 200: { description: "JavaScript", type: "text/javascript", schema: { type: "string" } } },
      handler: (c) => c.body(DOCS_JS, 200, { "content-type": "text/javascript; charset=utf-8" }),
    },
  ];
}
