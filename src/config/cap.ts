/**
 * The kernel-owned data cap of a WAN (`wans.<name>.cap`): a monthly or N-day volume, the
 * day it resets, when to warn, and what happens once it is reached.
 * @module
 */
import * as v from "valibot";

/** Bytes in one cap megabyte: carriers count in decimal megabytes. */
export const CAP_MB = 1_000_000;

export const capSchema = v.pipe(
  v.strictObject({
    limitMB: v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.maxValue(100_000_000),
      v.title("Data cap (MB)"),
      v.description("Bytes sent plus received per period, counted from the device's counters (1 MB = 1,000,000 bytes)."),
    ),
    period: v.optional(
      v.pipe(
        v.union([
          v.literal("month"),
          v.strictObject({
            days: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(366), v.title("Days")),
          }),
        ]),
        v.title("Period"),
        v.description('"month": a calendar month from the reset day; { "days": N }: N days from the reset day.'),
      ),
      "month",
    ),
    resetDay: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(1),
        v.maxValue(28),
        v.title("Reset day"),
        v.description("Day of the month the count starts again at local midnight (N-day periods start from it)."),
      ),
      1,
    ),
    warnPct: v.optional(
      v.pipe(
        v.number(),
        v.minValue(1),
        v.maxValue(100),
        v.title("Warn at %"),
        v.description("A wan.cap warning event (hooks, event stream) once this share of the cap is used."),
      ),
      80,
    ),
    atCap: v.optional(
      v.pipe(
        v.picklist(["last-resort", "never"]),
        v.title("Once the cap is reached"),
        v.description("last-resort: used only when no other WAN is usable, whatever its priority; never: not used until the reset."),
      ),
      "last-resort",
    ),
  }),
  v.title("Data cap"),
  v.description("Counts this uplink's traffic per period; at the cap it is kept for last (or not used)."),
);

export type CapConfig = v.InferOutput<typeof capSchema>;
