/**
 * Request bodies: media type check (415), size limit (413), nesting depth and JSON
 * parsing (400). The depth is checked on the text before parsing, so no nesting can
 * exhaust the stack of the parser or of what walks the value afterwards.
 * @module
 */
import type { Context } from "hono";
import { jsonDepthExceeds, MAX_DEPTH } from "../src/config/structure.ts";
import { HttpError } from "./problem.ts";

/** Default body limit in bytes: a config document is a few KiB. */
export const DEFAULT_BODY_LIMIT = 256 * 1024;

function mediaType(c: Context): string {
  return (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
}

async function readLimited(c: Context, limit: number): Promise<string> {
  const declared = c.req.header("content-length");
  if (declared !== undefined && Number(declared) > limit) {
    throw new HttpError(413, "E_BODY_TOO_LARGE", `The body is larger than ${limit} bytes`);
  }
  const stream = c.req.raw.body;
  if (!stream) return "";
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new HttpError(413, "E_BODY_TOO_LARGE", `The body is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch {
    throw new HttpError(400, "E_BAD_BODY", "The body is not valid UTF-8");
  }
}

/**
 * readJson reads a JSON body. `types` are the accepted media types (the first is what
 * the error names); an empty body gives `undefined` when `optional`.
 */
export async function readJson(
  c: Context,
  opts: { limit: number; types?: readonly string[]; optional?: boolean },
): Promise<unknown> {
  const types = opts.types ?? ["application/json"];
  const type = mediaType(c);
  const text = await readLimited(c, opts.limit);
  if (text.trim() === "" && opts.optional) return undefined;
  if (!types.includes(type)) {
    throw new HttpError(415, "E_MEDIA_TYPE", `Send the body as ${types.join(" or ")}, not ${type || "no content type"}`);
  }
  if (text.trim() === "") throw new HttpError(400, "E_BAD_BODY", "The body is empty; a JSON value is expected");
  if (jsonDepthExceeds(text, MAX_DEPTH)) {
    throw new HttpError(400, "E_TOO_DEEP", `The body nests objects or arrays deeper than ${MAX_DEPTH} levels`, {
      issues: [{ path: "$", message: `Nested deeper than ${MAX_DEPTH} levels` }],
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message quotes the input, which may hold a password: never echo it.
    throw new HttpError(400, "E_BAD_JSON", "The body is not valid JSON");
  }
}

/** readObject is readJson that also insists on a JSON object. */
export async function readObject(
  c: Context,
  opts: { limit: number; types?: readonly string[] },
): Promise<Record<string, unknown>> {
  const body = await readJson(c, opts);
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new HttpError(400, "E_BAD_BODY", "The body must be a JSON object");
  }
  return body as Record<string, unknown>;
}
