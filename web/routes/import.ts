/**
 * Import from OpenWrt mwan3: the uploaded `/etc/config/mwan3` (with `network` and
 * `wireless` when given) becomes a config document, with a warning for everything that
 * could not be carried over and the document's validation. Nothing is applied: the caller
 * reviews the result and PUTs it to `/api/v1/config`.
 * @module
 */
import * as v from "valibot";
import { readJson } from "../body.ts";
import { type Deps, parseBody, schemaOf } from "../deps.ts";
import { HttpError } from "../problem.ts";
import type { Route } from "../router.ts";
import { JSON_TYPES } from "./config.ts";

/** Largest upload: three UCI files are a few KiB each. */
export const IMPORT_BODY_LIMIT = 256 * 1024;

const uciText = (title: string) => v.pipe(v.string(), v.maxLength(IMPORT_BODY_LIMIT), v.title(title));

export const mwan3ImportBody = v.strictObject({
  mwan3: v.pipe(uciText("/etc/config/mwan3"), v.minLength(1, "The mwan3 file is empty")),
  network: v.optional(uciText("/etc/config/network")),
  wireless: v.optional(uciText("/etc/config/wireless")),
});

export const mwan3ImportResult = v.object({
  config: v.pipe(v.record(v.string(), v.unknown()), v.description("The config document (not applied)")),
  warnings: v.array(v.object({
    section: v.pipe(v.string(), v.description("UCI section, e.g. mwan3.wan or wireless.@wifi-iface[0]")),
    option: v.nullable(v.string()),
    message: v.string(),
  })),
  valid: v.boolean(),
  issues: v.array(v.object({ path: v.string(), message: v.string(), plugin: v.optional(v.string()) })),
});

export function importRoutes(d: Deps): Route[] {
  return [
    {
      method: "POST",
      path: "/api/v1/config/import/mwan3",
      access: "admin",
      tag: "config",
      summary: "Convert an OpenWrt mwan3 config into a config document (changes nothing)",
      description: "Send the text of /etc/config/mwan3 and, for devices and WAN types, /etc/config/network and " +
        "/etc/config/wireless. The answer is the document, a warning per UCI section/option that could not be " +
        "carried over, and whether the document is valid. Review it, then PUT it to /api/v1/config. " +
        "Addresses in the files are never contacted.",
      body: { types: JSON_TYPES, schema: schemaOf(mwan3ImportBody), required: true },
      responses: {
        200: { description: "The converted document and its warnings", schema: schemaOf(mwan3ImportResult) },
        400: { description: "The body is not what this endpoint expects, or a file is not valid UCI (the line is named)" },
        413: { description: "The body is larger than 256 KiB" },
        415: { description: "Wrong content type" },
      },
      handler: async (c) => {
        const body = parseBody(mwan3ImportBody, await readJson(c, { limit: IMPORT_BODY_LIMIT, types: JSON_TYPES }));
        // The importer (four modules) is loaded on first use: an idle daemon does not hold it.
        const [{ importMwan3 }, { UciSyntaxError }] = await Promise.all([import("../../src/import/mwan3.ts"), import("../../src/import/uci.ts")]);
        let result;
        try {
          result = importMwan3(body);
        } catch (err) {
          if (err instanceof UciSyntaxError) throw new HttpError(400, err.code, err.message);
          throw err;
        }
        const issues = d.kernel.validate(result.config);
        return c.json({ config: result.config, warnings: result.warnings, valid: issues.length === 0, issues });
      },
    },
  ];
}
