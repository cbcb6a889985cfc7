/**
 * composePlan asks the mode for a decision and completes it into a routing plan: uplink
 * facts for the dataplane, only ready uplinks as carriers, and the flows to flush.
 * @module
 */
import { PluginResultError } from "../errors.ts";
import type { HealthState } from "../health/types.ts";
import type { Carrier, LastResort, ModeDecision, PlanUplink, RoutingPlan } from "../plan.ts";
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
}

export interface PlanInputs {
  /** Enabled WANs in config order. */
  readonly wans: readonly PlannedWan[];
  readonly mode: ModeInstance;
  readonly lastResort: LastResort;
  readonly previousPlan: RoutingPlan;
  readonly previousDecision?: ModeDecision;
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

/** composePlan is pure apart from calling the (pure) mode; it throws what the mode throws. */
export function composePlan(inp: PlanInputs): { plan: RoutingPlan; decision: ModeDecision } {
  const modeWans: ModeWan[] = inp.wans.map((w) => ({
    name: w.name,
    priority: w.priority,
    weight: w.weight,
    state: w.state,
    metered: w.metered,
    ...(w.latencyMs === undefined ? {} : { latencyMs: w.latencyMs }),
  }));
  const decision = inp.mode.decide({ wans: modeWans, previous: inp.previousDecision });
  checkDecision(decision);
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
    };
  }
  const carriers = decision.carriers.filter((c) => uplinks[c.wan]?.ready && c.weight > 0);
  const carrying = new Set(carriers.map((c) => c.wan));
  const flush = new Set<string>();
  if (carriers.length > 0) {
    for (const name of decision.refresh) if (!carrying.has(name) && uplinks[name]) flush.add(name);
    const stateOf = new Map(inp.wans.map((w) => [w.name, w.state]));
    for (const c of inp.previousPlan.carriers) {
      if (!carrying.has(c.wan) && stateOf.get(c.wan) === "down" && uplinks[c.wan]) flush.add(c.wan);
    }
  }
  return {
    decision,
    plan: { uplinks, carriers, lastResort: inp.lastResort, flush: [...flush], summary: decision.summary },
  };
}
