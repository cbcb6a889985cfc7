/**
 * The config document's schema, assembled from the registry: each WAN entry's `type`
 * selects its WAN plugin, and the tracker and mode entries likewise. Objects are strict,
 * so unknown keys are rejected.
 * @module
 */
import * as v from "valibot";
import { defaultHealth, healthSchema } from "../health/config.ts";
import { capSchema } from "./cap.ts";
import { familiesOf, targetFamily } from "../families.ts";
import type { AnyPlugin } from "../plugin.ts";
import type { Registry } from "../registry.ts";
import { modeCommon, policiesSchema, policyDocumentCheck, rulesSchema } from "../policy/schema.ts";

/** WAN names: what `ip`/`nft` and URLs can carry safely. */
/** IPv4 CIDR, e.g. `198.18.0.0/15`. */
export const CIDR4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

export const WAN_NAME = /^(?!(?:constructor|prototype)$)[a-z][a-z0-9_-]{0,23}$/;

const level = v.picklist(["debug", "info", "warning", "error"]);

export const logSchema = v.strictObject({
  level: v.optional(v.pipe(level, v.title("Log level"), v.description("Lowest level logged.")), "info"),
  categories: v.optional(
    v.pipe(
      v.record(v.pipe(v.string(), v.regex(/^(?!(?:constructor|prototype)$)[a-z][a-z0-9.-]{0,63}$/)), level),
      v.title("Levels per category"),
      v.description("Keys like kernel.health or plugin.wan.cellular."),
    ),
    {},
  ),
  file: v.optional(
    v.pipe(v.string(), v.minLength(1), v.maxLength(255), v.title("Log file"), v.description("JSON Lines, rotated.")),
  ),
  syslog: v.optional(
    v.pipe(
      v.strictObject({
        enabled: v.optional(v.pipe(v.boolean(), v.title("Send to syslog")), true),
        socket: v.optional(
          v.pipe(v.string(), v.regex(/^\/[^\0]{0,106}$/), v.title("Socket"), v.description("The local syslog socket.")),
          "/dev/log",
        ),
        transport: v.optional(
          v.pipe(
            v.picklist(["auto", "datagram", "stream", "logger"]),
            v.title("Transport"),
            v.description(
              "datagram: unix datagram socket (what /dev/log usually is); only Deno started with --unstable-net " +
                "can open one, Node cannot at all. stream: unix stream socket (syslog-ng unix-stream), both runtimes. " +
                "logger: lines piped through util-linux logger --rfc5424 (on Deno needs --allow-run=logger), both " +
                "runtimes. auto: datagram where possible, else logger. Undeliverable lines are reported on stderr " +
                "and in the status, never dropped silently.",
            ),
          ),
          "auto",
        ),
        facility: v.optional(
          v.pipe(
            v.picklist(["daemon", "user", "syslog", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"]),
            v.title("Facility"),
          ),
          "daemon",
        ),
        appName: v.optional(v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,48}$/), v.title("APP-NAME")), "multiwan"),
      }),
      v.title("Syslog"),
      v.description("RFC 5424 to the local syslog socket, besides the console and the file; secrets are redacted in every log."),
    ),
  ),
});

export const routingSchema = v.strictObject({
  lastResort: v.optional(
    v.pipe(
      v.picklist(["unreachable", "blackhole", "main"]),
      v.title("When every uplink is down"),
      v.description("unreachable: reject at once; blackhole: drop silently; main: use the main routing table."),
    ),
    "unreachable",
  ),
  markMask: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(0x100),
      v.maxValue(0xffffffff),
      v.check((m) => countBits(m) >= 3, "markMask needs at least 3 bits"),
      v.check(contiguous, "markMask must be one run of contiguous bits, e.g. 0x3f00"),
      v.title("fwmark mask"),
      v.description("Mark bits multiwan owns; other packages' bits are preserved."),
    ),
    0x3f00,
  ),
  rulePriority: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(32000), v.title("First ip rule preference")),
    2000,
  ),
  tableBase: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(250), v.title("First routing table")),
    100,
  ),
  bypass: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.regex(CIDR4, "Expected an IPv4 network like 198.18.0.0/15"))),
      v.maxLength(64),
      v.title("Never policy-route"),
      v.description("Networks (CIDR) that always use the main table, e.g. the LAN."),
    ),
    [],
  ),
});

function countBits(n: number): number {
  let c = 0;
  for (let x = n >>> 0; x; x >>>= 1) c += x & 1;
  return c;
}

/**
 * How many WANs a mark mask can tell apart: every value of its contiguous bits except 0 and
 * the three reserved ones (bypass, unreachable, blackhole) -- 60 for 0x3f00, 4 for three bits.
 */
export function wanCapacity(markMask: number): number {
  const m = markMask >>> 0;
  if (m === 0) return 0;
  let shift = 0;
  while (((m >>> shift) & 1) === 0) shift++;
  return Math.max(0, (m >>> shift) - 3);
}

/** A mask whose bits are one contiguous run (what the dataplane needs). */
function contiguous(markMask: number): boolean {
  const m = markMask >>> 0;
  if (m === 0) return false;
  let shift = 0;
  while (((m >>> shift) & 1) === 0) shift++;
  return !/0/.test((m >>> shift).toString(2));
}

/** Builds the strict object for one plugin: `type` literal plus kernel keys plus the plugin's keys. */
function entryFor(plugin: AnyPlugin, kernelEntries: v.ObjectEntries) {
  return v.pipe(
    v.strictObject({ type: v.literal(plugin.id), ...kernelEntries, ...plugin.schema.entries }),
    v.title(plugin.title),
    v.description(plugin.description),
  );
}

/**
 * A `type` no plugin holds is refused; when a plugin of that id failed to load, the message
 * says so and why ("wan.foo failed to load from /x/y: ...") instead of listing the known types.
 */
function typeIssue(registry: Registry) {
  return (issue: v.VariantIssue) => {
    const failed = typeof issue.input === "string" ? registry.failureOf(issue.input) : undefined;
    return failed ? `${issue.input} failed to load from ${failed.folder}: ${failed.error.message}` : issue.message;
  };
}

function trackerEntry(registry: Registry) {
  const options = registry.list("tracker").map((p) => entryFor(p, {}));
  if (options.length === 0) throw new Error("No tracker plugin is registered");
  return v.variant("type", options as unknown as v.VariantOptions<"type">, typeIssue(registry));
}

function wanCommon(plugin: AnyPlugin, tracker: v.GenericSchema): v.ObjectEntries {
  return {
    label: v.optional(v.pipe(v.string(), v.maxLength(64), v.title("Label"))),
    enabled: v.optional(v.pipe(v.boolean(), v.title("Enabled")), true),
    priority: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(1),
        v.maxValue(99),
        v.title("Priority"),
        v.description("1 is the highest. Failover uses the best healthy priority; load balance spreads within it."),
      ),
      1,
    ),
    weight: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(1),
        v.maxValue(1000),
        v.title("Load ratio"),
        v.description("Share of new connections among healthy WANs of the same priority."),
      ),
      1,
    ),
    nat: v.optional(v.pipe(v.boolean(), v.title("NAT"), v.description("Masquerade traffic leaving here.")), true),
    metered: v.optional(
      v.pipe(v.boolean(), v.title("Metered"), v.description("Data costs money; prefer to leave it soon.")),
      plugin.wanDefaults?.metered ?? false,
    ),
    family: v.optional(
      v.pipe(
        v.picklist(["ipv4", "ipv6", "both"]),
        v.title("Address family"),
        v.description("What this uplink carries: IPv4, IPv6 or both (dual stack). Health is judged per family."),
      ),
      "ipv4",
    ),
    nat6: v.optional(
      v.pipe(
        v.boolean(),
        v.title("NAT66"),
        v.description(
          "Masquerade IPv6 leaving here: for uplinks that hand out a single address, as a phone or cellular " +
            "modem does. Leave off where the uplink delegates a routed prefix (no NAT needed).",
        ),
      ),
      false,
    ),
    tracker: v.optional(tracker, { type: "tracker.link" }),
    health: v.optional(healthSchema, defaultHealth),
    cap: v.optional(capSchema),
  };
}

/** Tracker keys that name probe targets (addresses or URLs), checked against the WAN's families. */
const TARGET_KEYS = ["targets", "urls"] as const;

/** One issue the document-level check adds (message and where). */
type AddIssue = (issue: { message: string; path: [v.ObjectPathItem, ...v.ObjectPathItem[]] }) => void;

/** The document-level check of tracker target families (typed by the pipe it sits in). */
function targetFamilyCheck<T>(): v.RawCheckAction<T> {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    if (dataset.typed) checkTargetFamilies(dataset.value as { wans: Record<string, unknown> }, addIssue);
  });
}

/** A tracker target of a family the WAN does not carry is refused at its path. */
function checkTargetFamilies(doc: { wans: Record<string, unknown> }, addIssue: AddIssue): void {
  const key = (k: string | number, input: unknown, value: unknown) =>
    ({ type: "object", origin: "value", input, key: k, value }) as v.ObjectPathItem;
  for (const [name, entry] of Object.entries(doc.wans)) {
    const wan = entry as { family?: unknown; tracker?: unknown };
    const carried = familiesOf(wan.family);
    const tracker = wan.tracker as Record<string, unknown> | undefined;
    for (const k of TARGET_KEYS) {
      const list = tracker?.[k];
      if (!Array.isArray(list)) continue;
      list.forEach((t, i) => {
        const fam = typeof t === "string" ? targetFamily(t) : undefined;
        if (!fam || carried.includes(fam)) return;
        const named = (f: string) => (f === "ipv6" ? "IPv6" : "IPv4");
        addIssue({
          message: `${t} is an ${named(fam)} target, but WAN ${name} carries ${carried.map(named).join(" and ")} ` +
            `only (family: "both" carries both)`,
          path: [
            key("wans", doc, doc.wans),
            key(name, doc.wans, wan),
            key("tracker", wan, tracker),
            key(k, tracker, list),
            key(i, list, t),
          ],
        });
      });
    }
  }
}

/** Extra top-level sections other parts (the API, hooks) add to the document. */
export type Sections = Readonly<Record<string, v.GenericSchema>>;

/** buildDocumentSchema assembles the whole document's schema from the registry. */
export function buildDocumentSchema(registry: Registry, sections: Sections = {}) {
  const tracker = trackerEntry(registry);
  const wans = registry.list("wan").map((p) => entryFor(p, wanCommon(p, tracker)));
  const modes = registry.list("mode").map((p) => entryFor(p, modeCommon));
  if (wans.length === 0 || modes.length === 0) throw new Error("No WAN or mode plugin is registered");
  return v.pipe(
    v.strictObject({
      log: v.optional(logSchema, {}),
      routing: v.optional(routingSchema, {}),
      mode: v.variant("type", modes as unknown as v.VariantOptions<"type">, typeIssue(registry)),
      policies: v.optional(policiesSchema(v.variant("type", modes as unknown as v.VariantOptions<"type">, typeIssue(registry))), {}),
      rules: v.optional(rulesSchema, []),
      // How many WANs fit is the mark mask's business (the check below), not a fixed number.
      wans: v.record(
        v.pipe(v.string(), v.regex(WAN_NAME, "WAN names are lowercase letters, digits, - and _, at most 24")),
        v.variant("type", wans as unknown as v.VariantOptions<"type">, typeIssue(registry)),
      ),
      ...Object.fromEntries(Object.entries(sections).map(([k, s]) => [k, v.optional(s, {})])),
    }),
    // Each WAN needs its own fwmark value inside routing.markMask.
    v.forward(
      v.check(
        (d) => Object.keys(d.wans).length <= wanCapacity(d.routing.markMask),
        (i) => {
          const d = i.input as { wans: object; routing: { markMask: number } };
          const n = Object.keys(d.wans).length;
          return `${n} WANs, but routing.markMask 0x${d.routing.markMask.toString(16)} tells apart at most ` +
            `${wanCapacity(d.routing.markMask)}: widen the mask (each more bit doubles it) or remove WANs`;
        },
      ),
      ["wans"],
    ),
    // A tracker target of a family its WAN does not carry is refused at its path.
    targetFamilyCheck(),
    // Policies name known WANs, rules known policies; exact duplicate rules are refused.
    policyDocumentCheck(),
    v.title("multiwan configuration"),
  );
}

export type DocumentSchema = ReturnType<typeof buildDocumentSchema>;
