/**
 * buildStatus assembles the API's status snapshot from the running generation.
 * @module
 */
import type { HealthState, HealthView } from "../health/types.ts";
import type { RoutingPlan } from "../plan.ts";
import type { FlowStats } from "../platform.ts";
import type { StatusSnapshot, WanStatus } from "../status.ts";
import type { Generation } from "./generation.ts";
import { policyWarnings } from "../policy/schema.ts";
import type { PolicyStatus } from "../status.ts";
import { wanFamilies } from "../families.ts";
import type { FamilyHealth } from "../status.ts";
import { probeBytesPerMonth, type UsageStatus } from "./usage.ts";

export interface StatusInputs {
  readonly gen?: Generation;
  readonly plan: RoutingPlan;
  readonly revision: number;
  readonly overrides: ReadonlyMap<string, "up" | "down">;
  readonly effectiveState: (wan: string) => HealthState;
  /** The IPv6 state modes act on (absent: `effectiveState`). */
  readonly effectiveState6?: (wan: string) => HealthState;
  readonly flows: Readonly<Record<string, FlowStats>>;
  readonly dataplane: { name: string; error?: string };
  readonly appliedAt?: number;
  readonly failovers: number;
  readonly uptimeMs: number;
  /** Data cap counts of capped WANs. */
  readonly usage?: (wan: string) => UsageStatus | undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Suspicions of both judges, and the later of their last ones. */
function suspicionsOf(v4: HealthView | undefined, v6: HealthView | undefined): Pick<WanStatus, "suspicions" | "lastSuspicion"> {
  if (!v4) return {};
  const last = [v4.lastSuspicion, v6?.lastSuspicion].reduce((a, b) => (b && (!a || b.at > a.at) ? b : a), undefined);
  return {
    suspicions: (v4.suspicions ?? 0) + (v6?.suspicions ?? 0),
    ...(last ? { lastSuspicion: { at: iso(last.at), cause: last.cause } } : {}),
  };
}

function policyStatus(policies: NonNullable<RoutingPlan["policies"]>): Record<string, PolicyStatus> {
  const out: Record<string, PolicyStatus> = {};
  for (const [name, p] of Object.entries(policies)) {
    out[name] = {
      carriers: p.carriers,
      ...(p.carriers6 ? { carriers6: p.carriers6 } : {}),
      lastResort: p.lastResort,
      summary: p.summary,
      ...(p.sticky ? { sticky: p.sticky } : {}),
    };
  }
  return out;
}

const FAMILY_NAME = { ipv4: "IPv4", ipv6: "IPv6" } as const;

/** A dual-stack WAN's reason names the family that is down while the other is not. */
function familyReason(base: string, f: { ipv4?: FamilyHealth; ipv6?: FamilyHealth }): string {
  const { ipv4, ipv6 } = f;
  if (!ipv4 || !ipv6 || (ipv4.state === "down") === (ipv6.state === "down")) return base;
  const [down, other] = ipv6.state === "down" ? (["ipv6", "ipv4"] as const) : (["ipv4", "ipv6"] as const);
  const o = f[other]!;
  return `${FAMILY_NAME[down]} down: ${f[down]!.reason || "no answer"}; ${FAMILY_NAME[other]} ${o.state}` +
    (o.reason ? `: ${o.reason}` : "");
}

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
    const fams = wanFamilies(entry);
    const view6 = slot?.runtime?.view6() ?? view;
    const families = entry.enabled && fams.includes("ipv6")
      ? {
        ...(fams.includes("ipv4") ? { ipv4: { state: s.effectiveState(name), reason } } : {}),
        // Without a global IPv6 address the uplink carries no IPv6, whatever a link-only tracker says.
        ipv6: insp && !insp.address6 && !override
          ? { state: "down" as const, reason: `no global IPv6 address on ${insp.device}` }
          : { state: (s.effectiveState6 ?? s.effectiveState)(name), reason: slot?.failed ? reason : view6?.reason ?? "" },
      }
      : undefined;
    const shown = families ? familyReason(reason, families) : reason;
    const targets6 = slot?.runtime?.view6()?.targets ?? [];
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
      reason: override ? `forced ${override} by operator (${shown})` : shown,
      since: iso(view?.since ?? 0),
      phase: view?.phase ?? "down",
      latencyMs: view?.latencyMs,
      lossPct: view?.lossPct ?? 0,
      targets: [...(view?.targets ?? []), ...targets6],
      probesSent: (view?.probesSent ?? 0) + (slot?.runtime?.view6()?.probesSent ?? 0),
      ...suspicionsOf(view, slot?.runtime?.view6()),
      present: insp?.present ?? false,
      carrier: insp?.carrier ?? false,
      address: insp?.address,
      gateway: insp?.gateway,
      details: insp?.details ?? {},
      flows: flows.flows,
      bytes: flows.bytes,
      share: totalFlows === 0 ? 0 : flows.flows / totalFlows,
      carrying: carrying.has(name),
      ...(families ? { families } : {}),
      ...(insp?.address6 ? { address6: insp.address6 } : {}),
      ...(insp?.gateway6 ? { gateway6: insp.gateway6 } : {}),
      ...(s.plan.carriers6 ? { carrying6: s.plan.carriers6.some((c) => c.wan === name) } : {}),
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
      ...(s.plan.carriers6 ? { carriers6: s.plan.carriers6, summary6: s.plan.summary6 ?? "" } : {}),
      ...(s.plan.policies ? { policies: policyStatus(s.plan.policies) } : {}),
      ...(s.plan.rules?.length ? { rules: s.plan.rules.length } : {}),
      ...(doc && policyWarnings(doc).length > 0 ? { ruleWarnings: policyWarnings(doc) } : {}),
      appliedAt: s.appliedAt === undefined ? undefined : iso(s.appliedAt),
    },
    dataplane: s.dataplane,
    wans,
    failovers: s.failovers,
    uptimeMs: s.uptimeMs,
  };
}
