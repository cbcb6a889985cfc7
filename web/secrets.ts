/**
 * Secret redaction driven by the document's JSON Schema: any value whose schema says
 * `writeOnly: true` (set in valibot with `v.metadata({ writeOnly: true })`, by the kernel's
 * sections or by any plugin) is served as {@link REDACTED}; a write that carries the
 * marker keeps the stored value. Nothing here knows field names.
 * @module
 */
import type { FieldIssue } from "../src/errors.ts";
import { HttpError } from "./problem.ts";
import type { JsonSchema } from "./router.ts";

/** What readers see instead of a secret; writing it back keeps the stored value. */
export const REDACTED = "<redacted>";

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => !!x && typeof x === "object" && !Array.isArray(x);
const asSchema = (x: unknown): JsonSchema | undefined => (isObject(x) ? x : undefined);

/** resolve follows a local `$ref` (`#/$defs/...`, `#/components/schemas/...`) within `root`. */
function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let s = schema;
  for (let hops = 0; typeof s.$ref === "string" && hops < 16; hops++) {
    let target: unknown = root;
    for (const part of s.$ref.replace(/^#\//, "").split("/")) {
      target = isObject(target) ? target[part.replaceAll("~1", "/").replaceAll("~0", "~")] : undefined;
    }
    if (!isObject(target)) return {};
    s = target;
  }
  return s;
}

/** branchesFor picks the oneOf/anyOf/allOf branches that can describe `value`. */
function branchesFor(schema: JsonSchema, value: unknown): JsonSchema[] {
  const out: JsonSchema[] = [];
  const listOf = (x: unknown): JsonSchema[] =>
    Array.isArray(x) ? x.flatMap((b: unknown): JsonSchema[] => { const s = asSchema(b); return s ? [s] : []; }) : [];
  out.push(...listOf(schema.allOf));
  for (const key of ["oneOf", "anyOf"] as const) {
    const list = listOf(schema[key]);
    // A discriminated union (`type` const): only the branch the value names; else every branch.
    const tag = isObject(value) ? value.type : undefined;
    const named = list.filter((b) => asSchema(asSchema(b.properties)?.type)?.const === tag && tag !== undefined);
    out.push(...(named.length > 0 ? named : list));
  }
  return out;
}

/** childSchema is the schema of `key` within an object schema (properties, then additionalProperties). */
function childSchema(schema: JsonSchema, key: string): JsonSchema | undefined {
  const p = asSchema(schema.properties)?.[key];
  if (p !== undefined) return asSchema(p);
  return asSchema(schema.additionalProperties);
}

function itemSchema(schema: JsonSchema, i: number): JsonSchema | undefined {
  if (Array.isArray(schema.prefixItems) && i < schema.prefixItems.length) return asSchema(schema.prefixItems[i]);
  return asSchema(schema.items);
}

/**
 * visit walks `value` along `schema`; at each writeOnly position it calls `onSecret(value,
 * path)` and uses its return value. Returns a new value; the input is not changed.
 */
function visit(
  value: unknown,
  schema: JsonSchema | undefined,
  root: JsonSchema,
  path: (string | number)[],
  onSecret: (value: unknown, path: (string | number)[]) => unknown,
): unknown {
  if (!schema || value === undefined) return value;
  const s = resolve(schema, root);
  const schemas = [s, ...branchesFor(s, value).map((b) => resolve(b, root))];
  if (schemas.some((x) => x.writeOnly === true)) return onSecret(value, path);
  if (Array.isArray(value)) {
    return value.map((item, i) => {
      let out = item;
      for (const x of schemas) out = visit(out, itemSchema(x, i), root, [...path, i], onSecret);
      return out;
    });
  }
  if (isObject(value)) {
    const out: Json = {};
    for (const [key, item] of Object.entries(value)) {
      let v = item;
      for (const x of schemas) v = visit(v, childSchema(x, key), root, [...path, key], onSecret);
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/** redactSecrets replaces every writeOnly value of `value` (described by `schema`) with {@link REDACTED}. */
export function redactSecrets(value: unknown, schema: JsonSchema): unknown {
  return visit(value, schema, schema, [], () => REDACTED);
}

/** at reads `stored` along a path; array items that are objects with a `name` are matched by name. */
function at(stored: unknown, path: readonly (string | number)[], written: unknown): unknown {
  let cur = stored;
  let mirror = written;
  for (const part of path) {
    const wrote = Array.isArray(mirror) || isObject(mirror) ? (mirror as Json)[part as string] : undefined;
    if (typeof part === "number" && Array.isArray(cur)) {
      const name = isObject(wrote) && typeof wrote.name === "string" ? wrote.name : undefined;
      cur = name !== undefined ? cur.find((x) => isObject(x) && x.name === name) : cur[part];
    } else cur = isObject(cur) && Object.hasOwn(cur, part) ? cur[part as string] : undefined;
    mirror = wrote;
  }
  return cur;
}

function pathText(path: readonly (string | number)[]): string {
  return path.reduce<string>((out, p) => (typeof p === "number" ? `${out}[${p}]` : out ? `${out}.${p}` : p), "") || "$";
}

/**
 * restoreSecrets puts the stored value back wherever a write carries {@link REDACTED} at a
 * writeOnly position. A marker with nothing stored behind it is a 400 naming the path.
 */
export function restoreSecrets(value: unknown, stored: unknown, schema: JsonSchema): unknown {
  const missing: FieldIssue[] = [];
  const out = visit(value, schema, schema, [], (v, path) => {
    if (v !== REDACTED) return v;
    const old = at(stored, path, value);
    if (old === undefined) missing.push({ path: pathText(path), message: `${REDACTED} keeps a stored secret, and none is stored here` });
    return old ?? v;
  });
  if (missing.length > 0) throw new HttpError(400, "E_CONFIG_INVALID", "A redacted secret has no stored value", { issues: missing });
  return out;
}
