/**
 * composePlan asks the modes for decisions and completes them into a routing plan: uplink
 * facts for the dataplane, only ready uplinks as carriers, and the flows to flush. The
 * default policy is the global mode over every enabled WAN; each named policy is a mode
 * instance of its own over its subset of WANs (with its own priorities and ratios). Each
 * policy's `degraded` setting is applied to the states its mode is given. For IPv6 each mode
 * decides again over the WANs that carry IPv6, with their IPv6 states (`carriers6`).
 * @module
 */
import { PluginResultError } from "../errors.ts";
import type { HealthState } from "../health/types.ts";
import type { Carrier, Family, LastResort, ModeDecision, PlanPolicy, PlanRule, PlanUplink, RoutingPlan, Sticky } from "../plan.ts";
import type { ModeInstance, ModeWan, WanInspection } from "../plugin.ts";

export interface PlannedWan {
  readonly name: string;
  readonly priority: number;
  readonly weight: number;
  readonly metered: boolean;
  readonly nat: boolean;
  readonly state: HealthState;
  readonly index: number;
  readonly inspection?: WanInspection;
  /** Mean RTT from the health judge, ms (modes may rank by it). */
  readonly latencyMs?: number;
  /** Over its data cap: used only after every other usable WAN, or never (until the period resets). */
  readonly capped?: "last-resort" | "never";
  /** Families the WAN carries (absent: IPv4 only). */
  readonly families?: readonly Family[];
  /** The IPv6 state modes act on (absent: `state`). */
  readonly state6?: HealthState;
  /** NAT66 for IPv6 leaving here. */
  readonly nat6?: boolean;
}

const carriesIpv6 = (w: PlannedWan | undefined) => w?.families?.includes("ipv6") === true;
/** An IPv6-only WAN never carries IPv4. */
const carriesIpv4 = (w: PlannedWan) => !w.families || w.families.includes("ipv4");

/** The IPv6 facts of an uplink that carries IPv6 (none for an IPv4-only one: its plan entry keeps its shape). */
function dualStack(w: PlannedWan, i: WanInspection): Partial<PlanUplink> {
  if (!w.families || !carriesIpv6(w)) return {};
  return {
    families: w.families,
    ...(i.address6 ? { address6: i.address6.split("/")[0] } : {}),
    ...(i.gateway6 ? { gateway6: i.gateway6 } : {}),
    nat6: w.nat6 === true,
  };
}

/**
 * The WAN as a mode sees it for IPv6: its IPv6 state, down while its uplink has no global IPv6
 * address (nothing to send from, whatever a link-only tracker says).
 */
const ipv6View = (w: PlannedWan): PlannedWan => ({ ...w, state: w.inspection?.address6 ? w.state6 ?? w.state : "down" });

/** The previous IPv6 carriers as a decision (modes read `previous.carriers` to notice a better uplink came back). */
const previous6 = (carriers: readonly Carrier[] | undefined): ModeDecision | undefined =>
  carriers ? { carriers, refresh: [], summary: "" } : undefined;

/** Added to a capped WAN's priority (1..99) so that it ranks after every uncapped one. */
export const CAPPED_PRIORITY_OFFSET = 1000;

/** How a policy uses degraded WANs: like up ones, only when no up WAN of the same priority is left, or never. */
export type DegradedUse = "like-up" | "fallback" | "never";

/** A named policy: its own mode instance over a subset of the WANs. */
export interface PolicyInput {
  readonly name: string;
  readonly mode: ModeInstance;
  /** Its WANs, in its order; priority and weight override the WAN's own here. */
  readonly wans: readonly { readonly name: string; readonly priority?: number; readonly weight?: number }[];
  readonly lastResort: LastResort;
  readonly degraded?: DegradedUse;
  readonly sticky?: Sticky;
}

export interface PlanInputs {
  /** Enabled WANs in config order. */
  readonly wans: readonly PlannedWan[];
  readonly mode: ModeInstance;
  readonly lastResort: LastResort;
  readonly previousPlan: RoutingPlan;
  readonly previousDecision?: ModeDecision;
  /** The default policy's use of degraded WANs (default like-up). */
  readonly degraded?: DegradedUse;
  /** The default policy's sticky sessions. */
  readonly sticky?: Sticky;
  /** Named policies, in config order. */
  readonly policies?: readonly PolicyInput[];
  /** The previous decision of each named policy. */
  readonly previousDecisions?: Readonly<Record<string, ModeDecision>>;
  /** Ordered rules (routing.bypass first, as rules to `main`). */
  readonly rules?: readonly PlanRule[];
}

/** What composePlan returns: the plan, the default decision and each named policy's. */
export interface Composed {
  readonly plan: RoutingPlan;
  readonly decision: ModeDecision;
  readonly decisions: Readonly<Record<string, ModeDecision>>;
}

/** decisionProblem says why a mode's return value is not a decision (undefined when it is one). */
function decisionProblem(d: unknown): string | undefined {
  if (d === null || typeof d !== "object") return `decide() returned ${d === null ? "null" : typeof d}, not a decision`;
  if (typeof (d as { then?: unknown }).then === "function") return "decide() returned a promise; it must decide at once";
  const x = d as Record<string, unknown>;
  const carrier = (c: unknown) => typeof (c as Carrier)?.wan === "string" && typeof (c as Carrier)?.weight === "number";
  if (!Array.isArray(x.carriers) || !x.carriers.every(carrier)) return "decide() returned carriers that are not a list of { wan, weight }";
  if (!Array.isArray(x.refresh) || !x.refresh.every((r) => typeof r === "string")) return "decide() returned refresh that is not a list of names";
  if (typeof x.summary !== "string") return "decide() returned no summary";
  return undefined;
}

function checkDecision(d: unknown): asserts d is ModeDecision {
  const why = decisionProblem(d);
  if (why) throw new PluginResultError(why);
}

/**
 * applyDegraded gives the mode the states the policy means: with `never` a degraded WAN is
 * down; with `fallback` it is down while an up WAN of the same priority is left.
 */
export function applyDegraded(wans: readonly ModeWan[], use: DegradedUse = "like-up"): ModeWan[] {
  if (use === "like-up") return [...wans];
  const upAt = new Set(wans.filter((w) => w.state === "up").map((w) => w.priority));
  return wans.map((w) => {
    if (w.state !== "degraded") return w;
    if (use === "never" || upAt.has(w.priority)) return { ...w, state: "down" as HealthState };
    return w;
  });
}

function modeWanOf(w: PlannedWan, priority = w.priority, weight = w.weight): ModeWan {
  return {
    name: w.name,
    priority: w.capped === "last-resort" ? CAPPED_PRIORITY_OFFSET + priority : priority,
    weight,
    state: w.capped === "never" ? "down" : w.state,
    metered: w.metered,
    ...(w.latencyMs === undefined ? {} : { latencyMs: w.latencyMs }),
  };
}

function decide(mode: ModeInstance, wans: readonly ModeWan[], use: DegradedUse | undefined, previous?: ModeDecision): ModeDecision {
  const decision = mode.decide({ wans: applyDegraded(wans, use), previous });
  checkDecision(decision);
  return decision;
}

/** Uplinks whose flows move: refreshed by the mode, or previous carriers now down; never one that still carries. */
function flushOf(
  decision: ModeDecision,
  carriers: readonly Carrier[],
  previous: readonly Carrier[],
  stateOf: ReadonlyMap<string, HealthState>,
  uplinks: Readonly<Record<string, PlanUplink>>,
): string[] {
  if (carriers.length === 0) return [];
  const carrying = new Set(carriers.map((c) => c.wan));
  const out: string[] = [];
  for (const name of decision.refresh) if (!carrying.has(name) && uplinks[name]) out.push(name);
  for (const c of previous) if (!carrying.has(c.wan) && stateOf.get(c.wan) === "down" && uplinks[c.wan]) out.push(c.wan);
  return out;
}

/** composePlan is pure apart from calling the (pure) modes; it throws what a mode throws. */
export function composePlan(inp: PlanInputs): Composed {
  const decision = decide(inp.mode, inp.wans.filter(carriesIpv4).map((w) => modeWanOf(w)), inp.degraded, inp.previousDecision);
  const uplinks: Record<string, PlanUplink> = {};
  for (const w of inp.wans) {
    const i = w.inspection;
    if (!i) continue;
    uplinks[w.name] = {
      name: w.name,
      device: i.device,
      gateway: i.gateway,
      address: i.address?.split("/")[0],
      nat: w.nat,
      index: w.index,
      ready: i.present && i.carrier,
      ...dualStack(w, i),
    };
  }
  const ready = (cs: readonly Carrier[]) => cs.filter((c) => uplinks[c.wan]?.ready && c.weight > 0);
  const carriers = ready(decision.carriers);
  // A WAN capped "never" is left like a down one: its flows move too (they would keep counting).
  const stateOf = new Map(inp.wans.map((w) => [w.name, w.capped === "never" ? "down" as const : w.state]));
  const byName = new Map(inp.wans.map((w) => [w.name, w]));
  const flush = new Set(flushOf(decision, carriers, inp.previousPlan.carriers, stateOf, uplinks));

  const policies: Record<string, PlanPolicy> = {};
  const decisions: Record<string, ModeDecision> = {};
  for (const p of inp.policies ?? []) {
    const wans: ModeWan[] = [];
    for (const pw of p.wans) {
      const w = byName.get(pw.name);
      if (w && carriesIpv4(w)) wans.push(modeWanOf(w, pw.priority, pw.weight));
    }
    const d = decide(p.mode, wans, p.degraded, inp.previousDecisions?.[p.name]);
    const allowed = new Set(wans.map((w) => w.name));
    // A policy carries only over its own WANs, whatever its mode returns.
    const pc = ready(d.carriers.filter((c) => allowed.has(c.wan)));
    decisions[p.name] = d;
    policies[p.name] = {
      name: p.name,
      carriers: pc,
      lastResort: p.lastResort,
      ...(p.sticky ? { sticky: p.sticky } : {}),
      summary: d.summary,
    };
    const before = inp.previousPlan.policies?.[p.name]?.carriers ?? [];
    for (const name of flushOf(d, pc, before, stateOf, uplinks)) flush.add(name);
  }
  // Flows are flushed per uplink: never one that still carries for some policy.
  const carrying = new Set([...carriers, ...Object.values(policies).flatMap((p) => p.carriers)].map((c) => c.wan));
  for (const name of flush) if (carrying.has(name)) flush.delete(name);

  // IPv6: the default mode and each policy's decide again over the WANs that carry IPv6, with their IPv6 states.
  const six = inp.wans.filter(carriesIpv6);
  let ipv6: Pick<RoutingPlan, "carriers6" | "flush6" | "summary6"> = {};
  if (six.length > 0) {
    const state6Of = new Map(six.map((w) => [w.name, w.capped === "never" ? "down" as const : (w.state6 ?? w.state)]));
    const d6 = decide(inp.mode, six.map((w) => modeWanOf(ipv6View(w))), inp.degraded, previous6(inp.previousPlan.carriers6));
    const ready6 = (cs: readonly Carrier[]) => ready(cs).filter((c) => uplinks[c.wan]?.address6 !== undefined);
    const carriers6 = ready6(d6.carriers.filter((c) => carriesIpv6(byName.get(c.wan))));
    const flush6 = new Set(flushOf(d6, carriers6, inp.previousPlan.carriers6 ?? [], state6Of, uplinks));
    for (const p of inp.policies ?? []) {
      const wans: ModeWan[] = [];
      for (const pw of p.wans) {
        const w = byName.get(pw.name);
        if (carriesIpv6(w)) wans.push(modeWanOf(ipv6View(w!), pw.priority, pw.weight));
      }
      const before = inp.previousPlan.policies?.[p.name]?.carriers6;
      const d = decide(p.mode, wans, p.degraded, previous6(before));
      const allowed = new Set(wans.map((w) => w.name));
      const pc6 = ready6(d.carriers.filter((c) => allowed.has(c.wan)));
      policies[p.name] = { ...policies[p.name], carriers6: pc6 };
      for (const name of flushOf(d, pc6, before ?? [], state6Of, uplinks)) flush6.add(name);
    }
    const carrying6 = new Set([...carriers6, ...Object.values(policies).flatMap((p) => p.carriers6 ?? [])].map((c) => c.wan));
    ipv6 = { carriers6, flush6: [...flush6].filter((n) => !carrying6.has(n)), summary6: d6.summary };
  }

  const plan: RoutingPlan = {
    uplinks,
    carriers,
    lastResort: inp.lastResort,
    flush: [...flush],
    summary: decision.summary,
    ...ipv6,
    ...(inp.sticky ? { sticky: inp.sticky } : {}),
    ...(inp.policies?.length ? { policies } : {}),
    ...(inp.rules?.length ? { rules: inp.rules } : {}),
  };
  return { decision, decisions, plan };
}
