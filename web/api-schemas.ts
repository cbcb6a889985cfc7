/**
 * Valibot schemas of the API's own bodies (login, tokens, replies). Plugin and config
 * schemas come from the registry instead; both end up in the OpenAPI document.
 * @module
 */
import * as v from "valibot";
import { PASSWORD_HASH } from "./auth/password.ts";

/** The `api` config section: password from the config, listen addresses. */
export const apiSection = v.strictObject({
  passwordHash: v.optional(
    v.pipe(
      v.string(),
      v.regex(PASSWORD_HASH, "Expected a hash from `multiwan hash-password`"),
      v.title("Admin password hash"),
      v.description("scrypt hash; when set it replaces the password chosen at first start. Never served back."),
      v.metadata({ writeOnly: true }),
    ),
  ),
  listen: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.regex(/^(\[[0-9a-fA-F:]+\]|[0-9.]+|localhost):\d{1,5}$/, "Expected HOST:PORT"))),
      v.minLength(1),
      v.maxLength(8),
      v.title("Listen on"),
      v.description(
        "Addresses the API and panel listen on. Default 127.0.0.1:8080: this machine only; name the router's LAN address to reach " +
          "the panel from the LAN. Never an uplink unless named.",
      ),
    ),
  ),
});

export const loginBody = v.strictObject({
  password: v.pipe(v.string(), v.minLength(1), v.maxLength(256), v.title("Password")),
});

export const passwordBody = v.strictObject({
  password: v.pipe(v.string(), v.minLength(8, "Use at least 8 characters"), v.maxLength(256), v.title("New password")),
});

export const role = v.picklist(["read", "admin"]);

export const tokenCreateBody = v.strictObject({
  name: v.pipe(v.string(), v.regex(/^[A-Za-z0-9 ._-]{1,64}$/, "1 to 64 letters, digits, space . _ -"), v.title("Name")),
  role: v.pipe(role, v.title("Role"), v.description("read: GET only; admin: everything")),
});

export const tokenInfo = v.object({
  id: v.string(),
  name: v.string(),
  role,
  createdAt: v.string(),
  lastUsedAt: v.optional(v.string()),
});

export const tokenCreated = v.object({ ...tokenInfo.entries, token: v.pipe(v.string(), v.description("Shown once")) });

export const writeResult = v.object({
  revision: v.pipe(v.number(), v.integer(), v.description("The config revision now in force (also the ETag)")),
  changed: v.boolean(),
});

export const problem = v.object({
  type: v.string(),
  title: v.string(),
  status: v.number(),
  code: v.pipe(v.string(), v.description("Stable across releases, e.g. E_CONFIG_INVALID")),
  detail: v.string(),
  issues: v.optional(
    v.array(v.object({ path: v.string(), message: v.string(), plugin: v.optional(v.string()) })),
  ),
});

export const validation = v.object({
  valid: v.boolean(),
  issues: problem.entries.issues.wrapped,
  warnings: v.optional(v.pipe(
    v.array(v.object({ path: v.string(), message: v.string() })),
    v.description("Not refusals: rules that never match, or partly overlap an earlier one with another policy."),
  )),
});

const state = v.picklist(["up", "degraded", "down", "unknown"]);
const carrier = v.object({ wan: v.string(), weight: v.number() });
const target = v.object({
  target: v.string(),
  rttMs: v.optional(v.number()),
  jitterMs: v.optional(v.number()),
  lossPct: v.number(),
  sent: v.number(),
  received: v.number(),
  lastError: v.optional(v.pipe(v.string(), v.description("Why the last probe failed, when it did (timeout, an ICMP error, a probe that died)."))),
});

export const wanStatus = v.object({
  name: v.string(),
  type: v.string(),
  label: v.optional(v.string()),
  enabled: v.boolean(),
  priority: v.number(),
  weight: v.number(),
  metered: v.boolean(),
  tracker: v.string(),
  device: v.string(),
  state,
  health: state,
  override: v.optional(v.picklist(["up", "down"])),
  reason: v.string(),
  since: v.string(),
  phase: v.string(),
  latencyMs: v.optional(v.number()),
  lossPct: v.number(),
  targets: v.array(target),
  probesSent: v.number(),
  suspicions: v.optional(v.pipe(v.number(), v.description("Times the steady phase turned suspect since the WAN started (fast probes until cleared)."))),
  lastSuspicion: v.optional(v.pipe(
    v.object({ at: v.string(), cause: v.string() }),
    v.description("The last suspicion: when, and its cause (a failed probe with its error, or packets that left unanswered)."),
  )),
  present: v.boolean(),
  carrier: v.boolean(),
  address: v.optional(v.string()),
  gateway: v.optional(v.string()),
  details: v.record(v.string(), v.union([v.string(), v.number(), v.boolean(), v.null()])),
  flows: v.number(),
  bytes: v.number(),
  share: v.number(),
  carrying: v.boolean(),
  families: v.optional(
    v.pipe(
      v.object({
        ipv4: v.optional(v.object({ state, reason: v.string() })),
        ipv6: v.optional(v.object({ state, reason: v.string() })),
      }),
      v.description("Health per address family (WANs whose family is ipv6 or both); state and reason above are IPv4's."),
    ),
  ),
  address6: v.optional(v.string()),
  gateway6: v.optional(v.string()),
  carrying6: v.optional(v.pipe(v.boolean(), v.description("Whether new IPv6 connections go here now."))),
  usage: v.optional(
    v.object({
      usedBytes: v.number(),
      limitBytes: v.number(),
      periodStart: v.string(),
      periodEnd: v.string(),
      capped: v.boolean(),
    }),
  ),
  probeBytesPerMonth: v.number(),
});

export const status = v.object({
  revision: v.number(),
  mode: v.object({ type: v.string(), summary: v.string(), settings: v.record(v.string(), v.unknown()) }),
  plan: v.object({
    carriers: v.array(carrier),
    lastResort: v.string(),
    summary: v.string(),
    carriers6: v.optional(v.pipe(v.array(carrier), v.description("IPv6 carriers, when any WAN carries IPv6."))),
    summary6: v.optional(v.string()),
    policies: v.optional(v.pipe(
      v.record(v.string(), v.object({
        carriers: v.array(carrier),
        carriers6: v.optional(v.array(carrier)),
        lastResort: v.string(),
        summary: v.string(),
        sticky: v.optional(v.object({ by: v.string(), timeoutS: v.number() })),
      })),
      v.description("Named policies: who carries their new connections."),
    )),
    rules: v.optional(v.pipe(v.number(), v.description("Rules in force (routing.bypass included)."))),
    ruleWarnings: v.optional(v.pipe(
      v.array(v.object({ path: v.string(), message: v.string() })),
      v.description("Rules that never match, or partly overlap an earlier one with another policy."),
    )),
    appliedAt: v.optional(v.string()),
  }),
  dataplane: v.object({ name: v.string(), error: v.optional(v.string()) }),
  wans: v.array(wanStatus),
  failovers: v.number(),
  uptimeMs: v.number(),
  events: v.object({ lastId: v.number() }),
});

export const principal = v.object({
  kind: v.picklist(["session", "token", "env"]),
  role,
  id: v.string(),
  csrfToken: v.optional(v.pipe(v.string(), v.description("Sessions only: send it as X-CSRF-Token on writes"))),
});

export const overrideAction = v.picklist(["down", "up", "auto"]);
