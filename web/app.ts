/**
 * The HTTP surface on Hono. For now read-only: status and plugins. It depends only on the
 * kernel's public facade, so the full API and the panel grow here without touching `src/`.
 * @module
 */
import { Hono } from "hono";
import type { Kernel } from "../src/kernel.ts";
import { pluginInfo } from "./schemas.ts";

/** createApp builds the Hono app over a booted kernel. */
export function createApp(kernel: Kernel): Hono {
  const app = new Hono();
  const plugins = kernel.registry.list().map(pluginInfo);

  app.get("/api/v1/status", (c) => c.json(kernel.status()));
  app.get("/api/v1/plugins", (c) => c.json({ plugins }));
  app.get("/", (c) =>
    c.html(
      `<!doctype html><meta charset="utf-8"><title>multiwan</title>` +
        `<h1>multiwan</h1><p>The panel arrives soon. Meanwhile: ` +
        `<a href="/api/v1/status">/api/v1/status</a> and <a href="/api/v1/plugins">/api/v1/plugins</a>.</p>`,
    ));
  app.notFound((c) =>
    c.json({ type: "about:blank", title: "Not Found", status: 404, code: "E_NOT_FOUND", detail: `No route ${c.req.path}` }, 404, {
      "content-type": "application/problem+json",
    })
  );
  app.onError((err, c) => {
    console.error(err);
    return c.json({ type: "about:blank", title: "Internal Server Error", status: 500, code: "E_INTERNAL" }, 500, {
      "content-type": "application/problem+json",
    });
  });
  return app;
}
