/**
 * `mode.load-balance`: new connections spread over the healthy uplinks of the best
 * priority by their load ratios; a lower priority is used only when all better ones are down.
 * @module
 */
import * as v from "valibot";
import type { ModePlugin } from "../../../src/index.ts";
import { byPriority, noCarrier, refreshEntries, refreshOnRecovery, usable } from "../_shared/refresh.ts";

export const loadBalanceSchema = v.strictObject({ ...refreshEntries });
export type LoadBalanceConfig = v.InferOutput<typeof loadBalanceSchema>;

export const loadBalanceMode = {
  id: "mode.load-balance",
  version: "1.0.0",
  kernel: "^1.0.0",
  title: "Load balance",
  description: "Spread new connections over the healthy uplinks by their load ratio (per connection, not per packet).",
  schema: loadBalanceSchema,
  create(_ctx, config) {
    return {
      decide(input) {
        const healthy = byPriority(input.wans).filter(usable);
        if (healthy.length === 0) return noCarrier(input);
        const tier = healthy[0].priority;
        const carriers = healthy.filter((w) => w.priority === tier).map((w) => ({ wan: w.name, weight: w.weight }));
        const total = carriers.reduce((s, c) => s + c.weight, 0);
        const split = carriers.map((c) => `${c.wan} ${Math.round((100 * c.weight) / total)}%`).join(", ");
        return {
          carriers,
          refresh: refreshOnRecovery(input, tier, config),
          summary: `priority ${tier} balances new connections: ${split}`,
        };
      },
    };
  },
} satisfies ModePlugin<typeof loadBalanceSchema>;
