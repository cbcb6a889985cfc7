/**
 * The OpenAPI document, the docs page (our own assets) and `/metrics`.
 * @module
 */
import type { Deps } from "../deps.ts";
import { docsFile } from "../docs-page.ts";
import { renderMetrics } from "../metrics.ts";
import { buildOpenApi } from "../openapi.ts";
import type { Route } from "../router.ts";
import { type Held, hold, PAGE_HEADERS, send } from "../static.ts";

/** metaRoutes needs the full table (for the OpenAPI document), given as a getter. */
export function metaRoutes(d: Deps, all: () => readonly Route[]): Route[] {
  let doc: Promise<Held> | undefined;
  let docAt = -1;
  return [
    {
      method: "GET",
      path: "/api/v1/openapi.json",
      access: "read",
      tag: "meta",
      summary: "This API described in OpenAPI 3.1, generated from the registered plugins",
      responses: { 200: { description: "The OpenAPI document", schema: { type: "object" } } },
      handler: async (c) => {
        // Built once (plugins register before start-up) and gzipped once: it is the largest reply.
        // Rebuilt only when plugins were loaded since (a config write may load more).
        if (!doc || docAt !== d.kernel.registry.revision) {
          docAt = d.kernel.registry.revision;
          const built = hold("openapi.json", new TextEncoder().encode(JSON.stringify(buildOpenApi(all(), d))));
          built.catch(() => doc === built && (doc = undefined)); // a failed build is not kept
          doc = built;
        }
        return send(c, await doc, {});
      },
    },
    {
      method: "GET",
      path: "/metrics",
      access: "read",
      tag: "meta",
      summary: "Prometheus metrics (text format 0.0.4); scrape with a read token",
      responses: { 200: { description: "The metrics", type: "text/plain; version=0.0.4", schema: { type: "string" } } },
      handler: async (c) => c.body(await renderMetrics(d), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }),
    },
    {
      method: "GET",
      path: "/docs",
      access: "public",
      tag: "meta",
      summary: "The API reference page (no data: it loads the OpenAPI document with your credential)",
      responses: { 200: { description: "HTML", type: "text/html", schema: { type: "string" } } },
      handler: async (c) => send(c, await docsFile("docs.html"), { ...PAGE_HEADERS }),
    },
    {
      method: "GET",
      path: "/docs/docs.js",
      access: "public",
      tag: "meta",
      summary: "The reference page's script",
      responses: { 200: { description: "JavaScript", type: "text/javascript", schema: { type: "string" } } },
      handler: async (c) => send(c, await docsFile("docs.js"), {}),
    },
    {
      method: "GET",
      path: "/docs/docs.css",
      access: "public",
      tag: "meta",
      summary: "The reference page's style sheet",
      responses: { 200: { description: "CSS", type: "text/css", schema: { type: "string" } } },
      handler: async (c) => send(c, await docsFile("docs.css"), {}),
    },
  ];
}
