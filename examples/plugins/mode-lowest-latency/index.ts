/**
 * `mode.lowest-latency`: new connections go to the usable uplink with the lowest latency.
 * Hysteresis keeps it from flapping: it leaves the uplink in force only for one faster by
 * more than `marginMs` and `marginPct` %. Uplinks without a latency yet rank last, by
 * priority. Existing connections stay where they are.
 * @module
 */
import type { ModeWan, Sdk } from "multiwan/sdk";

export function setup({ v, defineMode, ui }: Sdk) {
  const schema = v.strictObject({
    marginMs: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1000), v.title("Margin"),
      v.description("Switch only to an uplink faster by more than this…"), ui({ unit: "ms", step: 1 })), 10),
    marginPct: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(100), v.title("Relative margin"),
      v.description("…and by more than this share of the current latency."), ui({ unit: "%", step: 5 })), 20),
  });

  const rank = (w: ModeWan) => w.latencyMs ?? Infinity;

  return defineMode({
    id: "mode.lowest-latency",
    version: "1.0.0",
    kernel: "^1.0.0",
    title: "Lowest latency",
    description: "Use the healthy uplink with the lowest latency; switch only for a clear gain.",
    schema,
    create(_ctx, c) {
      return {
        decide({ wans, previous }) {
          const usable = wans.filter((w) => w.state !== "down");
          if (usable.length === 0) return { carriers: [], refresh: [], summary: "no uplink is usable" };
          const best = usable.reduce((a, b) => (rank(b) < rank(a) || (rank(b) === rank(a) && b.priority < a.priority) ? b : a));
          const current = usable.find((w) => w.name === previous?.carriers[0]?.wan);
          const gain = current ? rank(current) - rank(best) : Infinity;
          const keep = current && !(gain > c.marginMs && gain > (rank(current) * c.marginPct) / 100);
          const pick = keep ? current : best;
          const ms = pick.latencyMs === undefined ? "no latency yet" : `${pick.latencyMs.toFixed(0)} ms`;
          return { carriers: [{ wan: pick.name, weight: 1 }], refresh: [], summary: `${pick.name} carries new connections (${ms})` };
        },
      };
    },
  });
}
