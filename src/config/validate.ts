/**
 * Validation of the config document: valibot issues become field issues with a JSON path
 * and the plugin whose schema raised them.
 * @module
 */
import * as v from "valibot";
import { ConfigError, type FieldIssue } from "../errors.ts";
import type { HealthConfig } from "../health/config.ts";
import type { DocumentSchema, logSchema, routingSchema } from "./schema.ts";
import { MAX_CONFIG_BYTES, structureIssues } from "./structure.ts";

/** A typed entry picked by `type`; plugin keys are open-ended here, checked by the schema. */
export interface TypedEntry {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** One WAN entry after validation, defaults filled in. */
export interface WanEntry extends TypedEntry {
  readonly label?: string;
  readonly enabled: boolean;
  readonly priority: number;
  readonly weight: number;
  readonly nat: boolean;
  readonly metered: boolean;
  readonly tracker: TypedEntry;
  readonly health: HealthConfig;
}

/** The config document after validation, defaults filled in. */
export interface ConfigDocument {
  readonly log: v.InferOutput<typeof logSchema>;
  readonly routing: v.InferOutput<typeof routingSchema>;
  readonly mode: TypedEntry;
  readonly wans: Readonly<Record<string, WanEntry>>;
  readonly [section: string]: unknown;
}

/** pathOf renders a valibot issue path as `wans.ethernet.tracker.targets[0]`. */
export function pathOf(path: v.BaseIssue<unknown>["path"]): string {
  if (!path || path.length === 0) return "$";
  let out = "";
  for (const item of path) {
    const key = (item as { key: unknown }).key;
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function pluginAt(doc: unknown, path: string): string | undefined {
  const parts = path.split(/[.[]/);
  const get = (o: unknown, k: string) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined);
  const typeOf = (o: unknown) => {
    const t = get(o, "type");
    return typeof t === "string" ? t : undefined;
  };
  if (parts[0] === "mode") return typeOf(get(doc, "mode"));
  if (parts[0] === "wans" && parts[1]) {
    const wan = get(get(doc, "wans"), parts[1]);
    if (parts[2] === "tracker") return typeOf(get(wan, "tracker"));
    return typeOf(wan);
  }
  return undefined;
}

function messageFor(issue: v.BaseIssue<unknown>): string {
  if (issue.type === "strict_object" && issue.expected === "never") {
    return `Unknown key ${issue.received}`;
  }
  // Valibot's own wording is reworded; a message the schema chose (a plugin that failed to load) is kept.
  if (issue.type === "variant" && issue.path?.length && issue.message.startsWith("Invalid type")) {
    return `Unknown type ${issue.received}; expected one of ${issue.expected}`;
  }
  return issue.message;
}

/** issuesOf turns valibot issues into field issues; the document is used to name plugins. */
export function issuesOf(doc: unknown, issues: readonly v.BaseIssue<unknown>[]): FieldIssue[] {
  const flat = issues.flatMap((i) => (i.type === "variant" && i.issues?.length ? [i] : [i]));
  return flat.map((issue) => {
    const path = pathOf(issue.path);
    const plugin = pluginAt(doc, path);
    return plugin ? { path, message: messageFor(issue), plugin } : { path, message: messageFor(issue) };
  });
}

/** validateDocument returns the parsed document (defaults filled in) or the field issues. */
export function validateDocument(
  schema: DocumentSchema,
  doc: unknown,
): { ok: true; value: ConfigDocument } | { ok: false; issues: FieldIssue[] } {
  // Reserved keys, depth and size first: valibot skips reserved record keys and recurses.
  const structural = structureIssues(doc, { maxBytes: MAX_CONFIG_BYTES });
  if (structural.length > 0) return { ok: false, issues: structural };
  const result = v.safeParse(schema, doc);
  if (result.success) return { ok: true, value: result.output as unknown as ConfigDocument };
  return { ok: false, issues: issuesOf(doc, result.issues) };
}

/** parseDocument is validateDocument that throws a {@link ConfigError}. */
export function parseDocument(schema: DocumentSchema, doc: unknown): ConfigDocument {
  const r = validateDocument(schema, doc);
  if (!r.ok) throw new ConfigError(r.issues);
  return r.value;
}
