/**
 * JSON Schema (draft 2020-12) from the registered plugins' valibot schemas.
 * @module
 */
import { toJsonSchema } from "@valibot/to-json-schema";
import type { GenericSchema } from "valibot";
import type { AnyPlugin } from "../src/plugin.ts";
import { kindOf } from "../src/plugin.ts";

/** jsonSchemaOf converts a valibot schema; actions without a JSON Schema form are left out. */
export function jsonSchemaOf(schema: GenericSchema): Record<string, unknown> {
  return toJsonSchema(schema, { target: "draft-2020-12", typeMode: "input", errorMode: "ignore" }) as Record<
    string,
    unknown
  >;
}

export interface PluginInfo {
  readonly id: string;
  readonly kind: string;
  readonly version: string;
  readonly kernel: string;
  readonly title: string;
  readonly description: string;
  readonly statusFields: readonly { key: string; title: string; unit?: string }[];
  readonly schema: Record<string, unknown>;
}

/** pluginInfo describes one plugin for `/api/v1/plugins`. */
export function pluginInfo(p: AnyPlugin): PluginInfo {
  return {
    id: p.id,
    kind: kindOf(p.id),
    version: p.version,
    kernel: p.kernel,
    title: p.title,
    description: p.description,
    statusFields: p.statusFields ?? [],
    schema: jsonSchemaOf(p.schema),
  };
}
