/**
 * What the route builders share: the kernel, the guard, limits, the JSON Schemas built
 * once from the registry, and helpers to parse the API's own bodies.
 * @module
 */
import * as v from "valibot";
import { pathOf } from "../src/config/validate.ts";
import type { Kernel } from "../src/kernel.ts";
import type { Guard } from "./auth/guard.ts";
import { HttpError } from "./problem.ts";
import type { JsonSchema } from "./router.ts";
import { jsonSchemaOf } from "./schemas.ts";

/** The JSON Schemas of the config document and its parts, generated from the registry. */
export interface SchemaBook {
  readonly document: JsonSchema;
  readonly wanEntry: JsonSchema;
  readonly modeEntry: JsonSchema;
}

export interface Deps {
  readonly kernel: Kernel;
  readonly guard: Guard;
  /** Largest request body in bytes. */
  readonly bodyLimit: number;
  readonly book: SchemaBook;
  /** Extra Prometheus text (hooks counters). */
  readonly extraMetrics?: () => string;
  /** The daemon's listeners (confirm-or-revert of api.listen); absent in tests and with --listen. */
  readonly listeners?: ListenConfirm;
}

/** What the API sees of the daemon's listeners: a pending api.listen change, and its confirmation. */
export interface ListenConfirm {
  pending(): { readonly listen: readonly string[]; readonly deadline: number } | undefined;
  confirm(): Promise<boolean>;
}

/** schemaBook converts the kernel's document schema once; plugins register before start-up. */
export function schemaBook(kernel: Kernel): SchemaBook {
  const { $schema: _drop, ...document } = jsonSchemaOf(kernel.schema);
  const props = (document.properties ?? {}) as Record<string, JsonSchema>;
  return {
    document,
    wanEntry: (props.wans?.additionalProperties ?? {}) as JsonSchema,
    modeEntry: props.mode ?? {},
  };
}

/** schemaOf gives a valibot schema's JSON Schema without the `$schema` key (for OpenAPI). */
export function schemaOf(schema: v.GenericSchema): JsonSchema {
  const { $schema: _drop, ...rest } = jsonSchemaOf(schema);
  return rest;
}

/** parseBody validates one of the API's own bodies; issues name JSON paths, values are not echoed. */
export function parseBody<S extends v.GenericSchema>(schema: S, body: unknown): v.InferOutput<S> {
  const r = v.safeParse(schema, body);
  if (r.success) return r.output;
  const issues = r.issues.map((i) => ({
    path: pathOf(i.path),
    message: i.type === "strict_object" && i.expected === "never"
      ? "Unknown key"
      // valibot's own wording starts with "Invalid" and may echo the value: replace it; a message the schema chose is kept
      : i.message.startsWith("Invalid ")
      ? `Invalid ${i.kind === "schema" ? "type" : "value"}: ${i.expected ?? i.type}`
      : i.message,
  }));
  throw new HttpError(400, "E_BAD_BODY", "The body does not match what this endpoint expects", { issues });
}

export const problemRef = { $ref: "#/components/schemas/Problem" };
