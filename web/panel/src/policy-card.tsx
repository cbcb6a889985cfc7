/**
 * "Routing policy": the config document's `policies` and `rules` sections, drawn by the
 * generic schema form from the document schema in the OpenAPI description (component
 * `Config`). Nothing here knows their fields: a section the daemon's schema lacks is not shown,
 * and a card with no section is not drawn at all. Edits go into the page's draft (Apply).
 * @module
 */
import type { Issue } from "./api.ts";
import { type JsonSchema, SchemaForm } from "./schema-form.tsx";
import type { Doc, Json } from "./types.ts";

/** The top-level sections this card draws, in this order, when the schema has them. */
export const POLICY_SECTIONS = ["policies", "rules"] as const;

/** documentSchema reads the config document's schema from the OpenAPI description. */
export function documentSchema(openapi: unknown): JsonSchema | undefined {
  return (openapi as { components?: { schemas?: { Config?: JsonSchema } } })?.components?.schemas?.Config;
}

export interface PolicyCardProps {
  readonly schema: JsonSchema | undefined;
  readonly draft: Doc;
  readonly issues: readonly Issue[];
  readonly onChange: (next: Doc) => void;
}

export function PolicyCard(p: PolicyCardProps) {
  const props = p.schema?.properties ?? {};
  const sections = POLICY_SECTIONS.filter((k) => props[k] !== undefined);
  if (sections.length === 0) return null;
  const schema: JsonSchema = { type: "object", properties: Object.fromEntries(sections.map((k) => [k, props[k]])) };
  const value = Object.fromEntries(sections.filter((k) => p.draft[k] !== undefined).map((k) => [k, p.draft[k]]));
  return (
    <section class="card policy-card" aria-labelledby="h-policy" data-testid="policy-card">
      <h2 id="h-policy">Routing policy</h2>
      <SchemaForm
        schema={schema}
        value={value}
        path=""
        issues={p.issues}
        onChange={(next) => {
          const doc: Doc = { ...p.draft };
          for (const k of sections) {
            if (next[k] === undefined) delete doc[k];
            else doc[k] = next[k] as Json;
          }
          p.onChange(doc);
        }}
      />
    </section>
  );
}
