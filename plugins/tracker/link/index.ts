/**
 * `tracker.link`: no probes at all; the WAN is up while its device has carrier (the
 * product's "tracking disabled"). The kernel reacts to link events immediately.
 * @module
 */
import * as v from "valibot";
import type { TrackerPlugin } from "../../../src/index.ts";

export const linkSchema = v.strictObject({
  intervalMs: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1000),
      v.maxValue(600_000),
      v.title("Re-check interval (ms) \u2014 ignored"),
      v.description(
        "Not used: link events act at once and the kernel re-reads every device every 5 s. Accepted so older configs stay valid.",
      ),
    ),
    5000,
  ),
});

export const linkTracker = {
  id: "tracker.link",
  version: "1.0.0",
  kernel: "^1.0.0",
  title: "Physical link only",
  description: "No probes: the uplink counts as up while its device has carrier.",
  schema: linkSchema,
  create() {
    return {
      targets: [],
      watch() {
        return { setIntervalMs() {}, close: () => Promise.resolve() };
      },
    };
  },
} satisfies TrackerPlugin<typeof linkSchema>;
