/**
 * `GET /api/v1/status` and the plugin catalogue (each plugin with its JSON Schema).
 * @module
 */
import * as s from "../api-schemas.ts";
import { type Deps, schemaOf } from "../deps.ts";
import { HttpError } from "../problem.ts";
import type { Route } from "../router.ts";
import { pluginInfo } from "../schemas.ts";

/** statusOf is the kernel's status grown with the mode's settings and the last event id. */
export function statusOf(d: Deps) {
  const st = d.kernel.status();
  const { type: _t, ...settings } = d.kernel.effective?.mode ?? { type: "" };
  return { ...st, mode: { ...st.mode, settings }, events: { lastId: d.kernel.events.lastId } };
}

/** How long a rendered status may be reused; any kernel event invalidates it at once. */
const STATUS_TTL_MS = 100;

export function statusRoutes(d: Deps): Route[] {
  let cached: { body: string; at: number } | undefined;
  d.kernel.events.on(() => (cached = undefined));
  const statusBody = () => {
    const now = performance.now();
    if (!cached || now - cached.at > STATUS_TTL_MS || cached.body.length === 0) {
      cached = { body: JSON.stringify(statusOf(d)), at: now };
    }
    return cached.body;
  };
  // Rebuilt when plugins were loaded (or failed to load) since: a config write may load new folders.
  let catalogue: { at: number; plugins: ReturnType<typeof pluginInfo>[] } | undefined;
  const pluginList = () => {
    const registry = d.kernel.registry;
    if (catalogue?.at !== registry.revision) catalogue = { at: registry.revision, plugins: registry.list().map(pluginInfo) };
    return catalogue.plugins;
  };
  const failureSchema = {
    type: "object",
    description: "A plugin that failed to load; a config that uses its id is refused naming it",
    properties: {
      id: { type: "string" },
      folder: { type: "string" },
      error: { type: "object", properties: { code: { type: "string" }, message: { type: "string" } } },
    },
  };
  const idParam = { name: "id", description: "Plugin id, e.g. wan.cellular", schema: { type: "string" } };
  const pluginSchema = { $ref: "#/components/schemas/PluginInfo" };
  return [
    {
      method: "GET",
      path: "/api/v1/status",
      access: "read",
      tag: "status",
      summary: "Health, plan and traffic of every WAN",
      description: "Per WAN: state and reason, per-target RTT/loss/jitter, flows and bytes, since when; the mode and the plan in force.",
      responses: { 200: { description: "The status snapshot", schema: schemaOf(s.status) } },
      // Flow figures at most one refresh period old, not the previous read's (16 s after a failover).
      handler: async (c) => {
        await d.kernel.flowsFresh();
        return c.body(statusBody(), 200, { "content-type": "application/json" });
      },
    },
    {
      method: "GET",
      path: "/api/v1/plugins",
      access: "read",
      tag: "plugins",
      summary: "Registered plugins, each with its configuration's JSON Schema (draft 2020-12)",
      responses: {
        200: {
          description: "The plugins, and those that failed to load with why",
          schema: {
            type: "object",
            properties: { plugins: { type: "array", items: pluginSchema }, failed: { type: "array", items: failureSchema } },
          },
        },
      },
      handler: (c) => c.json({ plugins: pluginList(), failed: d.kernel.registry.failures() }),
    },
    {
      method: "GET",
      path: "/api/v1/plugins/:id",
      access: "read",
      tag: "plugins",
      summary: "One plugin and its JSON Schema",
      params: [idParam],
      responses: { 200: { description: "The plugin", schema: pluginSchema } },
      handler: (c) => {
        const id = c.req.param("id") ?? "";
        const p = pluginList().find((x) => x.id === id);
        if (!p) throw new HttpError(404, "E_PLUGIN_NOT_FOUND", "No plugin is registered under that id");
        return c.json(p);
      },
    },
  ];
}
