/**
 * The config document's routing policy parts: kernel-owned keys of every mode section
 * (`sticky`, `degraded`), named `policies` (a mode instance of their own over a subset of
 * WANs) and ordered `rules` that send matching new connections to a policy. Checks that
 * need the whole document (a policy naming an unknown WAN, a rule naming an unknown policy)
 * are in {@link documentPolicyIssues}.
 * @module
 */
import * as v from "valibot";
import type { Family } from "../plan.ts";
import { familyOf, listOf, portProblem, type PortText } from "./address.ts";
import { analyseRules } from "./rules.ts";

/** Policy names a rule may use without defining them. */
export const RESERVED_POLICIES: readonly string[] = ["default", "main", "block"];
export const POLICY_NAME = /^(?!(?:constructor|prototype)$)[a-z][a-z0-9_-]{0,23}$/;
const SET_NAME = /^[a-z][a-z0-9_]{0,31}$/;
const DEVICE = /^[A-Za-z0-9_.@-]{1,15}$/;

export type DegradedUse = "like-up" | "fallback" | "never";

/** Kernel-owned keys of a mode section (the global `mode` and each policy's `mode`). */
export const modeCommon: v.ObjectEntries = {
  sticky: v.optional(
    v.pipe(
      v.strictObject({
        by: v.optional(
          v.pipe(
            v.picklist(["src", "src-dst"]),
            v.title("Keep per"),
            v.description("src: a client stays on its uplink; src-dst: a client and destination pair does."),
          ),
          "src",
        ),
        timeoutS: v.optional(
          v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(86_400), v.title("Timeout (s)")),
          600,
        ),
      }),
      v.title("Sticky sessions"),
      v.description(
        "Keep a client on the uplink it was given (sites that tie a session to the public address). " +
          "Forgotten after the timeout without new connections, and at once when the uplink stops carrying.",
      ),
    ),
  ),
  degraded: v.optional(
    v.pipe(
      v.picklist(["like-up", "fallback", "never"]),
      v.title("Degraded uplinks"),
      v.description(
        "like-up: used like healthy ones; fallback: only when no healthy WAN of the same priority is left; " +
          "never: a degraded WAN counts as down.",
      ),
    ),
    "like-up",
  ),
};

const portSchema = v.pipe(
  v.union([v.number(), v.string()]),
  v.check((p) => portProblem(p as PortText) === undefined, (i) => portProblem(i.input as PortText) ?? "Bad port"),
);
const portsSchema = v.union([portSchema, v.pipe(v.array(portSchema), v.minLength(1), v.maxLength(32))]);
const addressSchema = v.pipe(
  v.string(),
  v.check((s) => familyOf(s) !== undefined, "Expected an IPv4 or IPv6 address or network, like 198.18.0.0/15 or 2001:2::/48"),
);
const addressesSchema = v.union([addressSchema, v.pipe(v.array(addressSchema), v.minLength(1), v.maxLength(256))]);

export const matchSchema = v.pipe(
  v.strictObject({
    family: v.optional(v.pipe(v.picklist(["ipv4", "ipv6"]), v.title("Family"))),
    src: v.optional(v.pipe(addressesSchema, v.title("Source"), v.description("Addresses or networks (CIDR)."))),
    dst: v.optional(v.pipe(addressesSchema, v.title("Destination"), v.description("Addresses or networks (CIDR)."))),
    proto: v.optional(v.pipe(v.picklist(["tcp", "udp", "icmp", "icmpv6"]), v.title("Protocol"))),
    sport: v.optional(v.pipe(portsSchema, v.title("Source ports"), v.description('5060, "10000-20000" or a list.'))),
    dport: v.optional(v.pipe(portsSchema, v.title("Destination ports"), v.description('5060, "10000-20000" or a list.'))),
    iif: v.optional(v.pipe(v.string(), v.regex(DEVICE, "Expected a network device name"), v.title("LAN interface"))),
    dstSet: v.optional(
      v.pipe(
        v.string(),
        v.regex(SET_NAME, "Set names are lowercase letters, digits and _, at most 32"),
        v.title("Destination set"),
        v.description("A set of destinations you fill (nft set user_<name> in table inet multiwan on Linux)."),
      ),
    ),
  }),
  v.title("Match"),
  v.description("Every given field must match; an empty match matches everything."),
);

export const ruleSchema = v.strictObject({
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(64), v.title("Name")),
  match: v.optional(matchSchema, {}),
  policy: v.pipe(
    v.string(),
    v.title("Policy"),
    v.description("A named policy, or default (the global mode), main (the main routing table) or block."),
  ),
});

export const rulesSchema = v.pipe(
  v.array(ruleSchema),
  v.maxLength(4096),
  v.title("Rules"),
  v.description("Checked in order; the first that matches a new connection picks its policy. Unmatched: default."),
);

const policyWan = v.union([
  v.pipe(v.string(), v.minLength(1)),
  v.strictObject({
    name: v.pipe(v.string(), v.minLength(1)),
    priority: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(99), v.title("Priority"))),
    weight: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000), v.title("Load ratio"))),
  }),
]);

/** The schema of `policies`, given the variant of mode sections. */
export function policiesSchema(mode: v.GenericSchema) {
  return v.pipe(
    v.record(
      v.pipe(
        v.string(),
        v.regex(POLICY_NAME, "Policy names are lowercase letters, digits, - and _, at most 24"),
        v.check((n) => !RESERVED_POLICIES.includes(n), (i) => `${i.input} is a reserved policy name`),
      ),
      v.strictObject({
        title: v.optional(v.pipe(v.string(), v.maxLength(64), v.title("Title"))),
        mode,
        wans: v.pipe(
          v.array(policyWan),
          v.minLength(1),
          v.maxLength(32),
          v.title("WANs"),
          v.description("Names, or { name, priority, weight } to override the WAN's own priority and ratio here."),
        ),
        lastResort: v.optional(
          v.pipe(
            v.picklist(["unreachable", "blackhole", "main"]),
            v.title("When none of its WANs can carry"),
            v.description("Absent: routing.lastResort."),
          ),
        ),
      }),
    ),
    v.check((p) => Object.keys(p).length <= 32, "At most 32 policies"),
    v.title("Policies"),
    v.description("Named routing policies: a mode of their own over some WANs. Rules send traffic to them."),
  );
}

/** One policy entry after validation. */
export interface PolicyEntry {
  readonly title?: string;
  readonly mode: { readonly type: string; readonly [k: string]: unknown };
  readonly wans: readonly (string | { readonly name: string; readonly priority?: number; readonly weight?: number })[];
  readonly lastResort?: "unreachable" | "blackhole" | "main";
}

/** One rule after validation (ports and addresses as the document wrote them). */
export interface RuleEntry {
  readonly name: string;
  readonly match: {
    readonly family?: Family;
    readonly src?: string | readonly string[];
    readonly dst?: string | readonly string[];
    readonly proto?: "tcp" | "udp" | "icmp" | "icmpv6";
    readonly sport?: PortText | readonly PortText[];
    readonly dport?: PortText | readonly PortText[];
    readonly iif?: string;
    readonly dstSet?: string;
  };
  readonly policy: string;
}

/** A problem found with the whole document in view: a JSON path (as keys) and a message. */
export interface PathIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The name of a policy WAN item. */
export function wanNameOf(w: PolicyEntry["wans"][number]): string {
  return typeof w === "string" ? w : w.name;
}

/**
 * documentPolicyIssues finds what only the whole document shows: policies naming unknown
 * WANs (or one twice), rules naming unknown policies, and rules whose addresses, family and
 * protocol contradict each other (they could never match).
 */
export function documentPolicyIssues(doc: {
  readonly wans: Readonly<Record<string, unknown>>;
  readonly policies?: Readonly<Record<string, PolicyEntry>>;
  readonly rules?: readonly RuleEntry[];
}): PathIssue[] {
  const out: PathIssue[] = [];
  const policies = doc.policies ?? {};
  for (const [name, p] of Object.entries(policies)) {
    const seen = new Set<string>();
    p.wans.forEach((w, i) => {
      const wan = wanNameOf(w);
      const at = typeof w === "string" ? ["policies", name, "wans", i] : ["policies", name, "wans", i, "name"];
      if (!Object.hasOwn(doc.wans, wan)) {
        out.push({ path: at, message: `Unknown WAN ${wan}; expected one of ${Object.keys(doc.wans).join(", ") || "(none)"}` });
      } else if (seen.has(wan)) out.push({ path: at, message: `WAN ${wan} is listed twice` });
      seen.add(wan);
    });
  }
  (doc.rules ?? []).forEach((r, i) => {
    if (!RESERVED_POLICIES.includes(r.policy) && !Object.hasOwn(policies, r.policy)) {
      const known = [...RESERVED_POLICIES, ...Object.keys(policies)].join(", ");
      out.push({ path: ["rules", i, "policy"], message: `Unknown policy ${r.policy}; expected one of ${known}` });
    }
    const m = r.match ?? {};
    let family: Family | undefined = m.family;
    if (m.proto === "icmp") family ??= "ipv4";
    if (m.proto === "icmpv6") family ??= "ipv6";
    if (m.proto === "icmp" && family === "ipv6") out.push({ path: ["rules", i, "match", "proto"], message: "icmp is IPv4; use icmpv6 for IPv6" });
    if (m.proto === "icmpv6" && family === "ipv4") out.push({ path: ["rules", i, "match", "proto"], message: "icmpv6 is IPv6; use icmp for IPv4" });
    for (const key of ["src", "dst"] as const) {
      listOf(m[key]).forEach((a, j) => {
        const f = familyOf(a);
        const at = Array.isArray(m[key]) ? ["rules", i, "match", key, j] : ["rules", i, "match", key];
        if (family && f && f !== family) {
          const what = f === "ipv6" ? "an IPv6" : "an IPv4";
          out.push({ path: at, message: `${a} is ${what} address, but this rule matches ${family} only` });
        }
        family ??= f;
      });
    }
    if ((m.sport !== undefined || m.dport !== undefined) && m.proto !== undefined && m.proto !== "tcp" && m.proto !== "udp") {
      out.push({ path: ["rules", i, "match", "proto"], message: `Ports need proto tcp or udp, not ${m.proto}` });
    }
  });
  return out;
}

/**
 * The document-wide policy checks as one valibot action for the document's pipe: unknown
 * WANs and policies, contradicting matches, exactly duplicated rules (refused with their
 * JSON path). Shadowed and overlapping rules are warnings, see {@link policyWarnings}.
 */
export function policyDocumentCheck<T>(): v.RawCheckAction<T> {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
  if (!dataset.typed) return;
  const doc = dataset.value as Parameters<typeof documentPolicyIssues>[0];
  const issues = [...documentPolicyIssues(doc), ...analyseRules(doc.rules ?? []).errors];
  for (const issue of issues) {
    let at: unknown = doc;
    const path = issue.path.map((key) => {
      const input = at;
      const value = (at as Record<string | number, unknown> | undefined)?.[key];
      at = value;
      return { type: typeof key === "number" ? "array" : "object", origin: "value", input, key, value };
    });
    addIssue({ message: issue.message, path: path as unknown as [v.ObjectPathItem] });
  }
  });
}

/** policyWarnings lists the shadowed and overlapping rules of a valid document, as `rules[3]: ...`. */
export function policyWarnings(doc: object): { path: string; message: string }[] {
  const rules = (doc as { readonly rules?: readonly RuleEntry[] }).rules ?? [];
  const cached = warningCache.get(rules);
  if (cached) return cached;
  const out = analyseRules(rules).warnings.map((w) => ({
    path: w.path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`)).join(""),
    message: w.message,
  }));
  warningCache.set(rules, out);
  return out;
}

/** Warnings per rules list (a running document's list is analysed once, not at every status read). */
const warningCache = new WeakMap<readonly RuleEntry[], { path: string; message: string }[]>();
