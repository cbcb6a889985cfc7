/**
 * `mode.failover`: the healthy uplink with the best priority carries every new connection.
 * @module
 */
import * as v from "valibot";
import type { ModePlugin } from "../../../src/index.ts";
import { byPriority, noCarrier, refreshEntries, refreshOnRecovery, usable } from "../_shared/refresh.ts";

export const failoverSchema = v.strictObject({ ...refreshEntries });
export type FailoverConfig = v.InferOutput<typeof failoverSchema>;

export const failoverMode = {
  id: "mode.failover",
  version: "1.0.0",
  kernel: "^1.0.0",
  title: "Failover",
  description: "Use the highest-priority healthy uplink; switch to the next one when it fails.",
  schema: failoverSchema,
  create(_ctx, config) {
    return {
      decide(input) {
        const ranked = byPriority(input.wans);
        const best = ranked.find(usable);
        if (!best) return noCarrier(input);
        const skipped = ranked.slice(0, ranked.indexOf(best)).map((w) => w.name);
        const why = skipped.length === 0 ? "" : `${skipped.join(", ")} ${skipped.length === 1 ? "is" : "are"} down; `;
        return {
          carriers: [{ wan: best.name, weight: 1 }],
          refresh: refreshOnRecovery(input, best.priority, config),
          summary: `${why}${best.name} (priority ${best.priority}) carries new connections`,
        };
      },
    };
  },
} satisfies ModePlugin<typeof failoverSchema>;
