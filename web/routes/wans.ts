/**
 * Per-WAN resources: `/api/v1/wans/{name}` GET/PUT/PATCH/DELETE (each a change of the
 * config document) and the operator actions force down, force up and back to automatic.
 * @module
 */
import { WAN_NAME } from "../../src/config/schema.ts";
import { RESERVED_KEYS } from "../../src/config/structure.ts";
import * as s from "../api-schemas.ts";
import { readJson } from "../body.ts";
import { changeOf } from "../change.ts";
import { etagOf, field, mergePatch, redact, writeConfig } from "../config-ops.ts";
import { type Deps, schemaOf } from "../deps.ts";
import { HttpError } from "../problem.ts";
import type { ApiContext, Route } from "../router.ts";
import { statusOf } from "./status.ts";
import { ifMatchHeader, JSON_TYPES, PATCH_TYPES, writeErrors } from "./config.ts";

const nameParam = { name: "name", description: "WAN name, e.g. ethernet", schema: { type: "string", pattern: WAN_NAME.source } };

function nameOf(c: ApiContext): string {
  const name = c.req.param("name") ?? "";
  if (RESERVED_KEYS.has(name)) {
    throw new HttpError(400, "E_CONFIG_INVALID", `${name} cannot name a WAN`, {
      issues: [{ path: `wans.${name}`, message: `The key ${name} is reserved` }],
    });
  }
  if (!WAN_NAME.test(name)) throw new HttpError(404, "E_NOT_FOUND", "No WAN has that name");
  return name;
}

function wansOf(doc: Record<string, unknown>): Record<string, unknown> {
  const w = field(doc, "wans");
  return w && typeof w === "object" && !Array.isArray(w) ? { ...(w as Record<string, unknown>) } : {};
}

export function wanRoutes(d: Deps): Route[] {
  const entry = { $ref: "#/components/schemas/WanEntry" };
  const view = {
    type: "object",
    properties: { name: { type: "string" }, config: entry, status: schemaOf(s.wanStatus) },
  };
  const written = { description: "Applied (or unchanged)", schema: schemaOf(s.writeResult), headers: ["ETag"] };
  const lookup = (name: string) => {
    const cfg = field(wansOf(redact(d.kernel, d.kernel.config.doc) as Record<string, unknown>), name);
    if (cfg === undefined) throw new HttpError(404, "E_NOT_FOUND", `WAN ${name} does not exist`);
    return { name, config: cfg, status: statusOf(d).wans.find((w) => w.name === name) };
  };
  const put = (c: ApiContext, name: string, value: unknown) =>
    writeConfig(d.kernel, c, (stored) => ({ ...stored, wans: { ...wansOf(stored), [name]: value } }), changeOf(d, c));
  return [
    {
      method: "GET",
      path: "/api/v1/wans",
      access: "read",
      tag: "wans",
      summary: "Every WAN: its config entry and its status",
      responses: { 200: { description: "The WANs", schema: { type: "object", properties: { wans: { type: "array", items: view } } } } },
      handler: (c) => {
        const { doc, revision } = d.kernel.config;
        const st = statusOf(d).wans;
        c.header("etag", etagOf(revision));
        const wans = Object.entries(wansOf(redact(d.kernel, doc) as Record<string, unknown>)).map(([name, config]) => ({
          name,
          config,
          status: st.find((w) => w.name === name),
        }));
        return c.json({ wans });
      },
    },
    {
      method: "GET",
      path: "/api/v1/wans/:name",
      access: "read",
      tag: "wans",
      summary: "One WAN: its config entry and its status",
      params: [nameParam],
      responses: { 200: { description: "The WAN", schema: view, headers: ["ETag"] }, 404: { description: "No such WAN" } },
      handler: (c) => {
        c.header("etag", etagOf(d.kernel.revision));
        return c.json(lookup(nameOf(c)));
      },
    },
    {
      method: "PUT",
      path: "/api/v1/wans/:name",
      access: "admin",
      tag: "wans",
      summary: "Create or replace a WAN's config entry",
      params: [nameParam],
      headers: [ifMatchHeader],
      body: { types: JSON_TYPES, schema: entry, required: true },
      responses: { 200: written, 201: { ...written, description: "Created" }, ...writeErrors },
      handler: async (c) => {
        const name = nameOf(c);
        const body = await readJson(c, { limit: d.bodyLimit, types: JSON_TYPES });
        const existed = field(wansOf(d.kernel.config.doc as Record<string, unknown>), name) !== undefined;
        const r = await put(c, name, body);
        if (!existed) c.header("location", `/api/v1/wans/${name}`);
        return c.json(r, existed ? 200 : 201);
      },
    },
    {
      method: "PATCH",
      path: "/api/v1/wans/:name",
      access: "admin",
      tag: "wans",
      summary: "Change a WAN's entry with a JSON Merge Patch (priority, ratio, tracker\u2026)",
      params: [nameParam],
      headers: [ifMatchHeader],
      body: { types: PATCH_TYPES, schema: { type: "object" }, required: true },
      responses: { 200: written, 404: { description: "No such WAN" }, ...writeErrors },
      handler: async (c) => {
        const name = nameOf(c);
        const patch = await readJson(c, { limit: d.bodyLimit, types: PATCH_TYPES });
        const r = await writeConfig(d.kernel, c, (stored) => {
          const wans = wansOf(stored);
          if (!Object.hasOwn(wans, name)) throw new HttpError(404, "E_NOT_FOUND", `WAN ${name} does not exist`);
          return { ...stored, wans: { ...wans, [name]: mergePatch(wans[name], patch) } };
        }, changeOf(d, c));
        return c.json(r);
      },
    },
    {
      method: "DELETE",
      path: "/api/v1/wans/:name",
      access: "admin",
      tag: "wans",
      summary: "Remove a WAN from the config",
      params: [nameParam],
      headers: [ifMatchHeader],
      responses: { 200: written, 404: { description: "No such WAN" }, 409: writeErrors[409], 412: writeErrors[412] },
      handler: async (c) => {
        const name = nameOf(c);
        const r = await writeConfig(d.kernel, c, (stored) => {
          const wans = wansOf(stored);
          if (!Object.hasOwn(wans, name)) throw new HttpError(404, "E_NOT_FOUND", `WAN ${name} does not exist`);
          delete wans[name];
          return { ...stored, wans };
        }, changeOf(d, c));
        return c.json(r);
      },
    },
    {
      method: "POST",
      path: "/api/v1/wans/:name/actions/:action",
      access: "admin",
      tag: "wans",
      summary: "Force a WAN down or up, or return it to automatic (like mwan3 ifdown/ifup)",
      description: "Runtime only: not stored in the config, cleared by a restart.",
      params: [nameParam, { name: "action", description: "down, up or auto", schema: schemaOf(s.overrideAction) }],
      responses: {
        200: { description: "The WAN's status after the action", schema: schemaOf(s.wanStatus) },
        404: { description: "No such WAN or action" },
      },
      handler: async (c) => {
        const name = nameOf(c);
        const action = c.req.param("action");
        if (action !== "down" && action !== "up" && action !== "auto") {
          throw new HttpError(404, "E_NOT_FOUND", "Actions are down, up and auto");
        }
        await d.kernel.setOverride(name, action === "auto" ? undefined : action);
        return c.json(statusOf(d).wans.find((w) => w.name === name));
      },
    },
  ];
}
