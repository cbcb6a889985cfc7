/**
 * buildStatus assembles the API's status snapshot from the running generation.
 * @module
 */
import type { HealthState } from "../health/types.ts";
import type { RoutingPlan } from "../plan.ts";
import type { FlowStats } from "../platform.ts";
import type { StatusSnapshot, WanStatus } from "../status.ts";
import type { Generation } from "./generation.ts";
import { probeBytesPerMonth, type UsageStatus } from "./usage.ts";

export interface StatusInputs {
  readonly gen?: Generation;
  readonly plan: RoutingPlan;
  readonly revision: number;
  readonly overrides: ReadonlyMap<string, "up" | "down">;
  readonly effectiveState: (wan: string) => HealthState;
  readonly flows: Readonly<Record<string, FlowStats>>;
  readonly dataplane: { name: string; error?: string };
  readonly appliedAt?: number;
  readonly failovers: number;
  readonly uptimeMs: number;
  /** Data cap counts of capped WANs. */
  readonly usage?: (wan: string) => UsageStatus | undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function buildStatus(s: StatusInputs): StatusSnapshot {
  const doc = s.gen?.doc;
  let totalFlows = 0;
  for (const f of Object.values(s.flows)) totalFlows += f.flows;
  const carrying = new Set(s.plan.carriers.map((c) => c.wan));
  const wans: WanStatus[] = [];
  for (const [name, entry] of Object.entries(doc?.wans ?? {})) {
    const slot = s.gen?.wans.get(name);
    const view = slot?.runtime?.view();
    const insp = slot?.runtime?.inspection;
    const flows = s.flows[name] ?? { flows: 0, bytes: 0 };
    const reason = !entry.enabled ? "disabled" : slot?.failed ? `plugin failed: ${slot.failed}` : view?.reason ?? "";
    const override = s.overrides.get(name);
    const usage = s.usage?.(name);
    wans.push({
      name,
      type: entry.type,
      label: entry.label,
      enabled: entry.enabled,
      priority: entry.priority,
      weight: entry.weight,
      metered: entry.metered,
      tracker: entry.tracker.type,
      device: insp?.device ?? String((entry as { device?: unknown }).device ?? ""),
      state: entry.enabled ? s.effectiveState(name) : "down",
      health: view?.state ?? (entry.enabled ? "down" : "unknown"),
      ...(override ? { override } : {}),
      reason: override ? `forced ${override} by operator (${reason})` : reason,
      since: iso(view?.since ?? 0),
      phase: view?.phase ?? "down",
      latencyMs: view?.latencyMs,
      lossPct: view?.lossPct ?? 0,
      targets: view?.targets ?? [],
      probesSent: view?.probesSent ?? 0,
      present: insp?.present ?? false,
      carrier: insp?.carrier ?? false,
      address: insp?.address,
      gateway: insp?.gateway,
      details: insp?.details ?? {},
      flows: flows.flows,
      bytes: flows.bytes,
      share: totalFlows === 0 ? 0 : flows.flows / totalFlows,
      carrying: carrying.has(name),
      ...(usage ? { usage } : {}),
      probeBytesPerMonth: probeBytesPerMonth(entry.tracker, {
        metered: entry.metered,
        meteredIdleIntervalMs: entry.health.meteredIdleIntervalMs,
      }),
    });
  }
  return {
    revision: s.revision,
    mode: { type: doc?.mode.type ?? "", summary: s.plan.summary },
    plan: {
      carriers: s.plan.carriers,
      lastResort: s.plan.lastResort,
      summary: s.plan.summary,
      appliedAt: s.appliedAt === undefined ? undefined : iso(s.appliedAt),
    },
    dataplane: s.dataplane,
    wans,
    failovers: s.failovers,
    uptimeMs: s.uptimeMs,
  };
}
