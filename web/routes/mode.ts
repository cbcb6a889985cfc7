/**
 * Mode settings: `/api/v1/mode` is the config's `mode` entry (its type and settings such
 * as Forced Refresh Streams). Priorities and load ratios are per WAN (`/wans/{name}`).
 * @module
 */
import * as s from "../api-schemas.ts";
import { readJson } from "../body.ts";
import { changeOf } from "../change.ts";
import { etagOf, field, mergePatch, redact, writeConfig } from "../config-ops.ts";
import { type Deps, schemaOf } from "../deps.ts";
import type { Route } from "../router.ts";
import { ifMatchHeader, JSON_TYPES, PATCH_TYPES, writeErrors } from "./config.ts";

export function modeRoutes(d: Deps): Route[] {
  const entry = { $ref: "#/components/schemas/ModeEntry" };
  const written = { description: "Applied (or unchanged)", schema: schemaOf(s.writeResult), headers: ["ETag"] };
  return [
    {
      method: "GET",
      path: "/api/v1/mode",
      access: "read",
      tag: "mode",
      summary: "The mode entry as stored, and with defaults filled in",
      responses: {
        200: {
          description: "The mode",
          schema: { type: "object", properties: { config: entry, effective: entry, summary: { type: "string" } } },
          headers: ["ETag"],
        },
      },
      handler: (c) => {
        const { doc, revision } = d.kernel.config;
        c.header("etag", etagOf(revision));
        const config = field(redact(d.kernel, doc), "mode");
        const effective = field(redact(d.kernel, d.kernel.effective), "mode");
        return c.json({ config, effective, summary: d.kernel.plan.summary });
      },
    },
    {
      method: "PUT",
      path: "/api/v1/mode",
      access: "admin",
      tag: "mode",
      summary: "Replace the mode entry (switch between failover and load balance)",
      headers: [ifMatchHeader],
      body: { types: JSON_TYPES, schema: entry, required: true },
      responses: { 200: written, ...writeErrors },
      handler: async (c) => {
        const body = await readJson(c, { limit: d.bodyLimit, types: JSON_TYPES });
        return c.json(await writeConfig(d.kernel, c, (stored) => ({ ...stored, mode: body }), changeOf(d, c)));
      },
    },
    {
      method: "PATCH",
      path: "/api/v1/mode",
      access: "admin",
      tag: "mode",
      summary: "Change mode settings with a JSON Merge Patch, e.g. {\"forcedRefresh\": true}",
      headers: [ifMatchHeader],
      body: { types: PATCH_TYPES, schema: { type: "object" }, required: true },
      responses: { 200: written, ...writeErrors },
      handler: async (c) => {
        const patch = await readJson(c, { limit: d.bodyLimit, types: PATCH_TYPES });
        return c.json(await writeConfig(d.kernel, c, (stored) => ({ ...stored, mode: mergePatch(stored.mode, patch) }), changeOf(d, c)));
      },
    },
  ];
}
