/**
 * What the planner needs from the running document about policies: the default policy's
 * `degraded` and `sticky` (keys of the global mode section), each named policy with its
 * mode instance, WANs, last resort, `degraded` and `sticky`, and the compiled rules.
 * @module
 */
import type { LastResort, PlanRule, Sticky } from "../plan.ts";
import type { ModeInstance } from "../plugin.ts";
import type { DegradedUse, PolicyInput } from "../runtime/planner.ts";
import { planRules } from "./rules.ts";
import type { PolicyEntry, RuleEntry } from "./schema.ts";

/** The parts of a validated document this reads. */
export interface PolicyDoc {
  readonly mode: { readonly [k: string]: unknown };
  readonly routing: { readonly lastResort: LastResort; readonly bypass: readonly string[] };
  readonly [section: string]: unknown;
}

export interface PolicyPlanInputs {
  readonly degraded?: DegradedUse;
  readonly sticky?: Sticky;
  readonly policies: PolicyInput[];
  readonly rules: PlanRule[];
}

function modeKeys(mode: { readonly [k: string]: unknown }): { degraded?: DegradedUse; sticky?: Sticky } {
  const out: { degraded?: DegradedUse; sticky?: Sticky } = {};
  if (typeof mode.degraded === "string") out.degraded = mode.degraded as DegradedUse;
  const s = mode.sticky as Sticky | undefined;
  if (s && typeof s === "object") out.sticky = { by: s.by ?? "src", timeoutS: s.timeoutS ?? 600 };
  return out;
}

/** policyPlanInputs reads the document; `modes` holds each named policy's running mode instance. */
export function policyPlanInputs(doc: PolicyDoc, modes: ReadonlyMap<string, { readonly mode: ModeInstance }>): PolicyPlanInputs {
  const entries = (doc.policies ?? {}) as Readonly<Record<string, PolicyEntry>>;
  const policies: PolicyInput[] = [];
  for (const [name, p] of Object.entries(entries)) {
    const mode = modes.get(name)?.mode;
    if (!mode) continue;
    policies.push({
      name,
      mode,
      wans: p.wans.map((w) => (typeof w === "string" ? { name: w } : w)),
      lastResort: p.lastResort ?? doc.routing.lastResort,
      ...modeKeys(p.mode),
    });
  }
  let rules = rulesCache.get(doc);
  if (!rules) rulesCache.set(doc, rules = planRules(doc.routing.bypass ?? [], (doc.rules ?? []) as readonly RuleEntry[]));
  return { ...modeKeys(doc.mode), policies, rules };
}

/**
 * The compiled rules of a running document: the same array at every re-plan, so a
 * dataplane can tell by identity that the rules did not change (a failover with 1,000 rules
 * does not render them again).
 */
const rulesCache = new WeakMap<PolicyDoc, PlanRule[]>();
