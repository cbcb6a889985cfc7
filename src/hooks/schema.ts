/**
 * The `hooks` config section: user scripts and webhooks run on WAN events.
 * @module
 */
import * as v from "valibot";

/** Hook events: a WAN came up, went down, degraded, recovered; the plan changed; a data cap warned, was reached or reset. */
export const HOOK_EVENTS = ["up", "down", "degraded", "recovered", "plan", "cap"] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

const name = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{1,40}$/, "1 to 40 letters, digits, _ . -"), v.title("Name"));
const on = v.optional(
  v.pipe(v.array(v.picklist(HOOK_EVENTS)), v.minLength(1), v.title("Events"), v.description("Default: all")),
  [...HOOK_EVENTS],
);
const wans = v.optional(
  v.pipe(v.array(v.pipe(v.string(), v.maxLength(24))), v.title("Only these WANs"), v.description("Default: every WAN")),
);

export const scriptHookSchema = v.strictObject({
  name,
  on,
  wans,
  argv: v.pipe(
    v.array(v.pipe(v.string(), v.maxLength(4096))),
    v.minLength(1),
    v.maxLength(64),
    v.title("Command"),
    v.description(
      "Program and arguments, no shell. MULTIWAN_EVENT, _WAN, _DEVICE, _STATE, _PREVIOUS, _REASON are set; " +
        "for cap: _LEVEL (warning, reached, reset), _USED_BYTES, _LIMIT_BYTES.",
    ),
    v.metadata({ writeOnly: true }), // arguments often carry API keys: never served back
  ),
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(300_000), v.title("Timeout (ms)")), 10_000),
});

export const webhookSchema = v.strictObject({
  name,
  on,
  wans,
  url: v.pipe(
    v.string(),
    v.maxLength(2048),
    v.regex(/^https?:\/\/[^\s]+$/, "Expected an http(s) URL"),
    v.title("URL"),
    v.description("May carry credentials (a token in the path or query): never served back."),
    v.metadata({ writeOnly: true }),
  ),
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(60_000), v.title("Timeout (ms)")), 5000),
  retries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(10), v.title("Retries")), 3),
  backoffMs: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(10), v.maxValue(600_000), v.title("First retry after (ms)"), v.description("Doubles each retry")),
    1000,
  ),
});

export const hooksSection = v.strictObject({
  scripts: v.optional(v.pipe(v.array(scriptHookSchema), v.maxLength(32), v.title("Scripts")), []),
  webhooks: v.optional(v.pipe(v.array(webhookSchema), v.maxLength(32), v.title("Webhooks")), []),
});

export type ScriptHook = v.InferOutput<typeof scriptHookSchema>;
export type Webhook = v.InferOutput<typeof webhookSchema>;
export type HooksConfig = v.InferOutput<typeof hooksSection>;
