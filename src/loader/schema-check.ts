/**
 * Load-time checks of a plugin's schema: it must become JSON Schema (the API, OpenAPI and
 * the panel's forms are generated from it) and must not accept anything (every key needs a
 * type, so a typo in the config is an error rather than a value the plugin trusts).
 * Validation-only refinements (`check`, `transform`, ...) are fine: they have no JSON form
 * and are left out of it.
 * @module
 */
import { toJsonSchema } from "@valibot/to-json-schema";
import type { GenericSchema } from "valibot";
import { messageOf } from "../errors.ts";

type Json = Record<string, unknown>;

/** toStrictJsonSchema converts a valibot schema; throws when a schema type has no JSON Schema form. */
export function toStrictJsonSchema(schema: GenericSchema): Json {
  return toJsonSchema(schema, {
    target: "draft-2020-12",
    typeMode: "input",
    errorMode: "throw",
    overrideAction: (c) => c.jsonSchema,
  }) as Json;
}

const CONSTRAINTS = ["type", "const", "enum", "anyOf", "oneOf", "allOf", "$ref", "not"];

/** openPaths lists the places in a JSON Schema that accept any value (`{}` apart from annotations). */
export function openPaths(node: unknown, path = "$"): string[] {
  if (node === true) return [path];
  if (!node || typeof node !== "object") return [];
  const n = node as Json;
  if (!CONSTRAINTS.some((k) => k in n)) return [path];
  const out: string[] = [];
  for (const [k, sub] of Object.entries((n.properties ?? {}) as Json)) out.push(...openPaths(sub, `${path}.${k}`));
  if ("additionalProperties" in n && n.additionalProperties !== false) out.push(...openPaths(n.additionalProperties, `${path}.*`));
  if ("items" in n) out.push(...openPaths(n.items, `${path}[]`));
  for (const k of ["anyOf", "oneOf", "allOf"]) {
    const list = n[k];
    if (Array.isArray(list)) list.forEach((sub, i) => out.push(...openPaths(sub, `${path}(${k}[${i}])`)));
  }
  return out;
}

/** schemaProblem says what is wrong with a plugin's schema for the document, or undefined. */
export function schemaProblem(schema: unknown): string | undefined {
  const entries = (schema as { entries?: unknown } | undefined)?.entries;
  if (!schema || typeof schema !== "object" || !entries || typeof entries !== "object") {
    return "schema must be a valibot object schema (v.strictObject({...}))";
  }
  let json: Json;
  try {
    json = toStrictJsonSchema(schema as GenericSchema);
  } catch (err) {
    return `schema cannot be turned into JSON Schema: ${messageOf(err)}`;
  }
  const open = openPaths(json).map((p) => p.replace(/^\$\.?/, "") || "(the whole schema)");
  if (open.length > 0) return `schema accepts anything at ${open.join(", ")}: give each key a type`;
  return undefined;
}
