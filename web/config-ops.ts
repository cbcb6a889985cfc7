/**
 * Config writes shared by `/config`, `/wans/{name}` and `/mode`: ETag/If-Match, JSON
 * Merge Patch (RFC 7396), secret redaction (from the schema's writeOnly marks), and the
 * call into the kernel.
 * @module
 */
import type { ChangeMeta } from "../src/config/history.ts";
import type { Kernel } from "../src/kernel.ts";
import { KernelError } from "../src/errors.ts";
import type { ApiContext, JsonSchema } from "./router.ts";
import { HttpError } from "./problem.ts";
import { jsonSchemaOf } from "./schemas.ts";
import { redactSecrets, restoreSecrets } from "./secrets.ts";

export { REDACTED } from "./secrets.ts";

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => !!x && typeof x === "object" && !Array.isArray(x);

export function etagOf(revision: number): string {
  return `"${revision}"`;
}

/**
 * ifMatch returns the revision the client based its write on: undefined without the
 * header; throws 412 when it names no current revision.
 */
export function ifMatch(c: ApiContext, current: number): number | undefined {
  const header = c.req.header("if-match");
  if (header === undefined) return undefined;
  const tags = header.split(",").map((t) => t.trim().replace(/^W\//, ""));
  if (tags.includes("*") || tags.includes(etagOf(current))) return current;
  throw new HttpError(412, "E_PRECONDITION", `If-Match ${header.slice(0, 40)} is stale: the config is at ${etagOf(current)}`);
}

/** setOwn writes a key as an own data property, so `__proto__` stays data and fails validation. */
function setOwn(o: Json, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** mergePatch applies an RFC 7396 JSON Merge Patch without touching `target`. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Json = {};
  if (isObject(target)) for (const [k, v] of Object.entries(target)) setOwn(out, k, v);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else setOwn(out, k, mergePatch(Object.hasOwn(out, k) ? out[k] : undefined, v));
  }
  return out;
}

const documentSchemas = new WeakMap<object, JsonSchema>();

/** documentSchemaOf is the JSON Schema of the kernel's document, converted once per schema. */
export function documentSchemaOf(kernel: Kernel): JsonSchema {
  let s = documentSchemas.get(kernel.schema);
  if (!s) documentSchemas.set(kernel.schema, s = jsonSchemaOf(kernel.schema));
  return s;
}

/** redact replaces every value the document's schema marks writeOnly with {@link REDACTED}. */
export function redact(kernel: Kernel, doc: unknown): unknown {
  return redactSecrets(doc, documentSchemaOf(kernel));
}

/** unredact puts the stored secret back wherever a write carries {@link REDACTED}. */
export function unredact(kernel: Kernel, doc: unknown, stored: unknown): unknown {
  return restoreSecrets(doc, stored, documentSchemaOf(kernel));
}

/** The answer to a successful write. */
export interface WriteResult {
  readonly revision: number;
  readonly changed: boolean;
}

/**
 * writeConfig computes the next document from the stored one and applies it. The kernel
 * validates first and rolls back on failure; a revision race is 412 with If-Match, else 409.
 * `change` (who, from where) goes into the config history.
 */
export async function writeConfig(
  kernel: Kernel,
  c: ApiContext,
  next: (stored: Json) => unknown,
  change?: ChangeMeta,
): Promise<WriteResult> {
  const { doc, revision } = kernel.config;
  const expected = ifMatch(c, revision);
  const stored = isObject(doc) ? doc : {};
  const candidate = unredact(kernel, next(structuredClone(stored)), stored);
  try {
    const r = await kernel.applyConfig(candidate, { expectRevision: revision, change });
    c.header("etag", etagOf(r.revision));
    return r;
  } catch (err) {
    if (err instanceof KernelError && err.code === "E_REVISION_CONFLICT" && expected !== undefined) {
      throw new HttpError(412, "E_PRECONDITION", "The config changed while this write was prepared; reload");
    }
    throw err;
  }
}

/** readable picks `obj[key]` when obj is an object. */
export function field(obj: unknown, key: string): unknown {
  return isObject(obj) && Object.hasOwn(obj, key) ? obj[key] : undefined;
}
