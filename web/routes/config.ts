/**
 * The whole config document: GET, PUT (replace), PATCH (JSON Merge Patch) and a dry-run
 * validation. Writes take If-Match and return the new revision as the ETag.
 * @module
 */
import { readJson } from "../body.ts";
import { etagOf, mergePatch, redact, unredact, writeConfig } from "../config-ops.ts";
import * as s from "../api-schemas.ts";
import { changeOf, withNotice, writeResultSchema } from "../change.ts";
import { type Deps, schemaOf } from "../deps.ts";
import { HttpError } from "../problem.ts";
import { policyWarnings } from "../../src/policy/schema.ts";
import type { ParamDoc, ResponseDoc, Route } from "../router.ts";

export const JSON_TYPES = ["application/json"] as const;
export const PATCH_TYPES = ["application/merge-patch+json", "application/json"] as const;

export const ifMatchHeader: ParamDoc = {
  name: "If-Match",
  description: 'The ETag from a GET, e.g. "7"; a stale one gives 412',
  schema: { type: "string" },
};

/** Error statuses every config write can give. */
export const writeErrors: Readonly<Record<number, ResponseDoc>> = {
  400: { description: "Invalid JSON or config; `issues` name each field" },
  409: { description: "The config could not be applied; the previous one still runs" },
  412: { description: "If-Match names a stale revision" },
  413: { description: "The body is too large" },
  415: { description: "Wrong content type" },
};

export function configRoutes(d: Deps): Route[] {
  const doc = { $ref: "#/components/schemas/Config" };
  const written: ResponseDoc = { description: "Applied (or unchanged)", schema: writeResultSchema, headers: ["ETag"] };
  return [
    {
      method: "GET",
      path: "/api/v1/config",
      access: "read",
      tag: "config",
      summary: "The config document as stored (secrets redacted); the ETag is its revision",
      query: [{ name: "effective", description: "1: with defaults filled in", schema: { enum: ["0", "1"] } }],
      responses: { 200: { description: "The document", schema: doc, headers: ["ETag"] } },
      handler: (c) => {
        const { doc, revision } = d.kernel.config;
        c.header("etag", etagOf(revision));
        if (c.req.header("if-none-match") === etagOf(revision)) return c.body(null, 304);
        return c.json(redact(d.kernel, c.req.query("effective") === "1" ? d.kernel.effective : doc) as object);
      },
    },
    {
      method: "PUT",
      path: "/api/v1/config",
      access: "admin",
      tag: "config",
      summary: "Replace the whole document (validated, applied with rollback)",
      headers: [ifMatchHeader],
      body: { types: JSON_TYPES, schema: doc, required: true },
      responses: { 200: written, ...writeErrors },
      handler: async (c) => {
        const body = await readJson(c, { limit: d.bodyLimit, types: JSON_TYPES });
        const before = d.kernel.config.doc;
        const r = await writeConfig(d.kernel, c, () => body, changeOf(d, c));
        return c.json(withNotice(d, r, before, d.kernel.config.doc));
      },
    },
    {
      method: "PATCH",
      path: "/api/v1/config",
      access: "admin",
      tag: "config",
      summary: "Change part of the document with a JSON Merge Patch (RFC 7396); null deletes a key",
      headers: [ifMatchHeader],
      body: { types: PATCH_TYPES, schema: { type: "object" }, required: true },
      responses: { 200: written, ...writeErrors },
      handler: async (c) => {
        const patch = await readJson(c, { limit: d.bodyLimit, types: PATCH_TYPES });
        const before = d.kernel.config.doc;
        const r = await writeConfig(d.kernel, c, (stored) => mergePatch(stored, patch), changeOf(d, c));
        return c.json(withNotice(d, r, before, d.kernel.config.doc));
      },
    },
    {
      method: "POST",
      path: "/api/v1/config/validate",
      access: "read",
      tag: "config",
      summary: "Dry run: validate a document, change nothing, return the issues",
      body: { types: JSON_TYPES, schema: doc, required: true },
      responses: {
        200: { description: "valid, and the issues when not", schema: schemaOf(s.validation) },
        400: { description: "Not JSON" },
        413: { description: "Too large" },
        415: { description: "Wrong content type" },
      },
      handler: async (c) => {
        const body = await readJson(c, { limit: d.bodyLimit, types: JSON_TYPES });
        let doc: unknown;
        try {
          doc = unredact(d.kernel, body, d.kernel.config.doc);
        } catch (err) {
          // A redaction marker with nothing stored behind it is one more issue of the dry run.
          if (err instanceof HttpError && err.issues) return c.json({ valid: false, issues: err.issues });
          throw err;
        }
        const issues = d.kernel.validate(doc);
        const warnings = issues.length === 0 && doc !== null && typeof doc === "object" ? policyWarnings(doc) : [];
        return c.json({ valid: issues.length === 0, issues, ...(warnings.length > 0 ? { warnings } : {}) });
      },
    },
  ];
}
