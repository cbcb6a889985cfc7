/**
 * The status snapshot the API serves: per WAN health and device state, the mode and the
 * plan in force.
 * @module
 */
import type { HealthState, TargetStats } from "./health/types.ts";
import type { Carrier, LastResort } from "./plan.ts";

/** One address family's health on a dual-stack or IPv6 WAN. */
export interface FamilyHealth {
  /** The state modes act on for this family (forced, like `state`, while an operator forces the WAN). */
  readonly state: HealthState;
  readonly reason: string;
}

export interface WanStatus {
  readonly name: string;
  readonly type: string;
  readonly label?: string;
  readonly enabled: boolean;
  readonly priority: number;
  readonly weight: number;
  readonly metered: boolean;
  readonly tracker: string;
  readonly device: string;
  /** The state modes act on: the judged state, unless forced. */
  readonly state: HealthState;
  /** The state the health machine judged. */
  readonly health: HealthState;
  /** Set while an operator forces the WAN up or down. */
  readonly override?: "up" | "down";
  readonly reason: string;
  /** ISO time the judged state was entered. */
  readonly since: string;
  readonly phase: string;
  readonly latencyMs?: number;
  readonly lossPct: number;
  readonly targets: readonly TargetStats[];
  readonly probesSent: number;
  /** Times the steady phase turned suspect since the WAN started (both families). */
  readonly suspicions?: number;
  /** The last suspicion: ISO time and cause ("probe to ... failed: timeout", "5 packets left unanswered for 230 ms"). */
  readonly lastSuspicion?: { readonly at: string; readonly cause: string };
  readonly present: boolean;
  readonly carrier: boolean;
  readonly address?: string;
  readonly gateway?: string;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
  /** Tracked flows on this uplink and their bytes. */
  readonly flows: number;
  readonly bytes: number;
  /** Share of all tracked flows, 0..1. */
  readonly share: number;
  /** Whether new connections go here now, and with which weight. */
  readonly carrying: boolean;
  /**
   * Health per address family the WAN carries (WANs whose family is ipv6 or both); `state` and
   * `reason` above are IPv4's for a dual-stack WAN, and the reason names a family that is down.
   */
  readonly families?: { readonly ipv4?: FamilyHealth; readonly ipv6?: FamilyHealth };
  /** The uplink's IPv6 address and next hop, when it has them. */
  readonly address6?: string;
  readonly gateway6?: string;
  /** Whether new IPv6 connections go here now. */
  readonly carrying6?: boolean;
  /** The data cap's count this period (WANs with a cap only). */
  readonly usage?: {
    readonly usedBytes: number;
    readonly limitBytes: number;
    /** ISO times the period started and ends. */
    readonly periodStart: string;
    readonly periodEnd: string;
    /** At or over the cap: used only as last resort, or not at all. */
    readonly capped: boolean;
  };
  /** Estimated bytes the WAN's probes cost in 30 days at its idle cadence (metered: meteredIdleIntervalMs). */
  readonly probeBytesPerMonth: number;
}

/** One named policy in the status. */
export interface PolicyStatus {
  readonly carriers: readonly Carrier[];
  readonly carriers6?: readonly Carrier[];
  readonly lastResort: LastResort;
  readonly summary: string;
  readonly sticky?: { readonly by: "src" | "src-dst"; readonly timeoutS: number };
}

export interface StatusSnapshot {
  readonly revision: number;
  readonly mode: { readonly type: string; readonly summary: string };
  readonly plan: {
    readonly carriers: readonly Carrier[];
    readonly lastResort: LastResort;
    readonly summary: string;
    /** IPv6 carriers and their summary, when any WAN carries IPv6. */
    readonly carriers6?: readonly Carrier[];
    readonly summary6?: string;
    /** Named policies: who carries their new connections (the default policy is the plan itself). */
    readonly policies?: Readonly<Record<string, PolicyStatus>>;
    /** How many rules are in force (routing.bypass included). */
    readonly rules?: number;
    /** Rules that never match, or partly overlap an earlier one with another policy. */
    readonly ruleWarnings?: readonly { readonly path: string; readonly message: string }[];
    /** ISO time the plan was last applied. */
    readonly appliedAt?: string;
  };
  readonly dataplane: { readonly name: string; readonly error?: string };
  readonly wans: readonly WanStatus[];
  readonly failovers: number;
  readonly uptimeMs: number;
}
