/**
 * Config history over the API: the kept revisions (who, from where, when, what), one
 * revision's document, a JSON Patch (RFC 6902) between two, rollback to one (validated and
 * applied like any write, If-Match against the current revision), and backup/restore of the
 * whole document (export with secrets, admin only; import like PUT).
 * @module
 */
import { jsonDiff, type PatchOp, pointer, pointerParts } from "../../src/config/history.ts";
import { serialise } from "../../src/config/store.ts";
import { readJson } from "../body.ts";
import { changeOf, withNotice, writeResultSchema } from "../change.ts";
import { etagOf, redact, REDACTED, writeConfig } from "../config-ops.ts";
import type { Deps } from "../deps.ts";
import { HttpError } from "../problem.ts";
import type { ApiContext, ResponseDoc, Route } from "../router.ts";
import { ifMatchHeader, JSON_TYPES, writeErrors } from "./config.ts";

const entrySchema = {
  type: "object",
  required: ["revision", "at", "author", "summary"],
  properties: {
    revision: { type: "integer" },
    at: { type: "string", format: "date-time" },
    author: { type: "string", description: "token:NAME, session:admin, boot\u2026; ' via cli' when the CLI wrote it" },
    remote: { type: "string", description: "The client's address" },
    summary: { type: "string", description: "What changed (paths, never values), or e.g. 'rollback to 7'" },
  },
};

const patchSchema = {
  type: "array",
  description: "JSON Patch (RFC 6902) turning revision a into b; secrets are <redacted>",
  items: {
    type: "object",
    required: ["op", "path"],
    properties: { op: { enum: ["add", "remove", "replace"] }, path: { type: "string" }, value: {} },
  },
};

const revParam = (name: string, description: string) => ({ name, description, schema: { type: "integer", minimum: 0 } });

function revisionOf(c: ApiContext, name: string): number {
  const raw = c.req.param(name) ?? "";
  if (!/^\d{1,15}$/.test(raw)) throw new HttpError(404, "E_NOT_FOUND", "Revisions are whole numbers");
  return Number(raw);
}

/** walk follows JSON Pointer parts through a redacted document; `secretAt` is set when a redacted value lies on the way. */
function walk(doc: unknown, parts: readonly string[]): { value: unknown; secretAt?: number } {
  let cur = doc;
  for (let i = 0; i < parts.length; i++) {
    if (cur === REDACTED) return { value: cur, secretAt: i };
    cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[parts[i]] : undefined;
  }
  return { value: cur };
}

/**
 * redactedDiff diffs the stored documents, then takes every value from the redacted ones:
 * a change inside a secret shows as a replace of the secret with <redacted>.
 */
export function redactedDiff(a: unknown, b: unknown, ra: unknown, rb: unknown): PatchOp[] {
  const out: PatchOp[] = [];
  const seen = new Set<string>();
  for (const op of jsonDiff(a, b)) {
    const parts = pointerParts(op.path);
    const { value, secretAt } = walk(op.op === "remove" ? ra : rb, parts);
    if (secretAt !== undefined) {
      const path = pointer(parts.slice(0, secretAt));
      if (!seen.has(path)) out.push({ op: "replace", path, value: REDACTED });
      seen.add(path);
    } else out.push(op.op === "remove" ? op : { ...op, value });
  }
  return out;
}

export function revisionRoutes(d: Deps): Route[] {
  const history = () => {
    const h = d.kernel.history;
    if (!h) throw new HttpError(404, "E_NOT_FOUND", "This daemon keeps no config history");
    return h;
  };
  const docOf = async (rev: number): Promise<unknown> => {
    if (rev === d.kernel.revision) return d.kernel.config.doc;
    const rec = await history().get(rev);
    if (!rec) throw new HttpError(404, "E_NOT_FOUND", `Revision ${rev} is not kept (see GET /api/v1/config/revisions)`);
    return rec.doc;
  };
  const written: ResponseDoc = { description: "Applied (or unchanged)", schema: writeResultSchema, headers: ["ETag"] };
  return [
    {
      method: "GET",
      path: "/api/v1/config/revisions",
      access: "read",
      tag: "config",
      summary: "The kept config revisions, newest first: who changed what, when, from where",
      description: "The state dir keeps the last history.keep revisions (default 20) in STATE_DIR/history/.",
      responses: { 200: { description: "The revisions", schema: { type: "object", properties: { revisions: { type: "array", items: entrySchema } } } } },
      handler: async (c) => c.json({ revisions: await history().list() }),
    },
    {
      method: "GET",
      path: "/api/v1/config/revisions/:rev",
      access: "read",
      tag: "config",
      summary: "One revision's document (secrets redacted)",
      params: [revParam("rev", "The revision")],
      responses: { 200: { description: "The document", schema: { $ref: "#/components/schemas/Config" }, headers: ["ETag"] }, 404: { description: "Not kept" } },
      handler: async (c) => {
        const rev = revisionOf(c, "rev");
        const doc = await docOf(rev);
        c.header("etag", etagOf(rev));
        return c.json(redact(d.kernel, doc) as object);
      },
    },
    {
      method: "GET",
      path: "/api/v1/config/revisions/:a/diff/:b",
      access: "read",
      tag: "config",
      summary: "What changed from revision a to b, as a JSON Patch (RFC 6902), secrets redacted",
      params: [revParam("a", "From this revision"), revParam("b", "To this revision")],
      responses: { 200: { description: "The patch", schema: patchSchema, type: "application/json-patch+json" }, 404: { description: "Not kept" } },
      handler: async (c) => {
        const [a, b] = [await docOf(revisionOf(c, "a")), await docOf(revisionOf(c, "b"))];
        const ops = redactedDiff(a, b, redact(d.kernel, a), redact(d.kernel, b));
        return c.body(JSON.stringify(ops), 200, { "content-type": "application/json-patch+json" });
      },
    },
    {
      method: "POST",
      path: "/api/v1/config/revisions/:rev/rollback",
      access: "admin",
      tag: "config",
      summary: "Roll back to a kept revision: validated and applied like any write; makes a new revision",
      description: "The new revision's summary says \"rollback to N\". If-Match names the current revision.",
      params: [revParam("rev", "The revision to go back to")],
      headers: [ifMatchHeader],
      responses: { 200: written, 404: { description: "Not kept" }, ...writeErrors },
      handler: async (c) => {
        const rev = revisionOf(c, "rev");
        const doc = await docOf(rev);
        const before = d.kernel.config.doc;
        const r = await writeConfig(d.kernel, c, () => structuredClone(doc), changeOf(d, c, { summary: `rollback to ${rev}` }));
        return c.json(withNotice(d, r, before, d.kernel.config.doc));
      },
    },
    {
      method: "GET",
      path: "/api/v1/config/export",
      access: "admin",
      tag: "config",
      summary: "Backup: the whole document as stored, secrets included (admin only), as a download",
      description: "Unlike GET /config, nothing is redacted: this is a real backup (password hash, webhook URLs " +
        "with credentials). Keep the file safe. POST it to /api/v1/config/import to restore.",
      responses: { 200: { description: "The document with its revision", schema: { $ref: "#/components/schemas/Config" }, headers: ["ETag", "Content-Disposition"] } },
      handler: (c) => {
        const stored = d.kernel.config;
        return c.body(serialise(stored), 200, {
          "content-type": "application/json",
          etag: etagOf(stored.revision),
          "content-disposition": `attachment; filename="multiwan-config-r${stored.revision}.json"`,
        });
      },
    },
    {
      method: "POST",
      path: "/api/v1/config/import",
      access: "admin",
      tag: "config",
      summary: "Restore: replace the document with an exported one (validated and applied like PUT)",
      description: "The export's `revision` key is ignored; the applied document gets a new revision. <redacted> keeps a stored secret.",
      headers: [ifMatchHeader],
      body: { types: JSON_TYPES, schema: { $ref: "#/components/schemas/Config" }, required: true },
      responses: { 200: written, ...writeErrors },
      handler: async (c) => {
        const body = await readJson(c, { limit: d.bodyLimit, types: JSON_TYPES });
        if (!body || typeof body !== "object" || Array.isArray(body)) {
          throw new HttpError(400, "E_CONFIG_INVALID", "The import is not a JSON object", { issues: [{ path: "$", message: "Expected an object" }] });
        }
        const { revision: _ignored, ...doc } = body as Record<string, unknown>;
        const before = d.kernel.config.doc;
        const r = await writeConfig(d.kernel, c, () => doc, changeOf(d, c, { label: "import" }));
        return c.json(withNotice(d, r, before, d.kernel.config.doc));
      },
    },
    {
      method: "GET",
      path: "/api/v1/config/confirm",
      access: "read",
      tag: "config",
      summary: "The api.listen change waiting for confirmation, if any",
      responses: { 200: { description: "pending: null, or the new addresses and the deadline", schema: confirmSchema } },
      handler: (c) => c.json({ pending: pendingOf(d) }),
    },
    {
      method: "POST",
      path: "/api/v1/config/confirm",
      access: "admin",
      tag: "config",
      summary: "Confirm an api.listen change: keep the new listeners, close the old ones",
      description: "Unconfirmed within history.confirmS (default 60 s), api.listen is put back as a new revision.",
      responses: {
        200: { description: "Confirmed", schema: confirmSchema },
        409: { description: "Nothing waits for confirmation" },
      },
      handler: async (c) => {
        const p = pendingOf(d);
        if (!p || !(await d.listeners!.confirm())) {
          throw new HttpError(409, "E_NOTHING_TO_CONFIRM", "No api.listen change waits for confirmation");
        }
        return c.json({ pending: null, confirmed: p.listen });
      },
    },
  ];
}

const confirmSchema = {
  type: "object",
  properties: {
    pending: {
      type: ["object", "null"],
      properties: { listen: { type: "array", items: { type: "string" } }, confirmBy: { type: "string", format: "date-time" } },
    },
    confirmed: { type: "array", items: { type: "string" } },
  },
};

function pendingOf(d: Deps): { listen: string[]; confirmBy: string } | null {
  const p = d.listeners?.pending();
  return p ? { listen: [...p.listen], confirmBy: new Date(p.deadline).toISOString() } : null;
}
