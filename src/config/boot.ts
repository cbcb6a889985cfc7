/**
 * chooseBootConfig picks the document the daemon boots with: the stored one, else the last
 * good copy, else the default, collecting why each earlier candidate was refused (invalid,
 * or, with `start`, it could not start: say a mode plugin that fails or hangs).
 * @module
 */
import { ConfigError, messageOf } from "../errors.ts";
import type { DocumentSchema } from "./schema.ts";
import type { ConfigStore, Stored } from "./store.ts";
import { type ConfigDocument, validateDocument } from "./validate.ts";

export interface BootChoice {
  readonly source: "store" | "last-good" | "default";
  /** As stored; a fallback gets revision >= 1. */
  readonly stored: Stored;
  /** Validated, defaults filled in. */
  readonly value: ConfigDocument;
  /** Why earlier candidates were refused, e.g. "store: wans: Invalid type". */
  readonly problems: readonly string[];
}

export async function chooseBootConfig(
  store: ConfigStore,
  schema: DocumentSchema,
  defaultConfig: unknown,
  start?: (choice: BootChoice) => Promise<void>,
): Promise<BootChoice> {
  const problems: string[] = [];
  const candidates: [BootChoice["source"], () => Promise<Stored | undefined>][] = [
    ["store", () => store.load()],
    ["last-good", () => store.loadLastGood()],
    ["default", () => Promise.resolve(defaultConfig === undefined ? undefined : { doc: defaultConfig, revision: 0 })],
  ];
  for (const [source, load] of candidates) {
    let stored: Stored | undefined;
    try {
      stored = await load();
    } catch (err) {
      problems.push(`${source}: ${messageOf(err)}`);
      continue;
    }
    if (!stored) continue;
    const v = validateDocument(schema, stored.doc);
    if (!v.ok) {
      problems.push(`${source}: ${v.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
      continue;
    }
    if (source !== "store") stored = { doc: stored.doc, revision: Math.max(stored.revision, 1) };
    const choice = { source, stored, value: v.value, problems };
    try {
      await start?.(choice);
    } catch (err) {
      problems.push(`${source}: could not start: ${messageOf(err)}`);
      continue;
    }
    return choice;
  }
  throw new ConfigError([], `No usable config: ${problems.join(" | ") || "the store is empty and there is no default"}`);
}
