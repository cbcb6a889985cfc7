/**
 * Health vocabulary shared by the kernel, the API and modes.
 * @module
 */

/** A WAN's health as the kernel judges it. */
export type HealthState = "up" | "degraded" | "down" | "unknown";

/** Measurements for one probe target, over the loss window. */
export interface TargetStats {
  readonly target: string;
  /** Last round-trip time, ms. */
  readonly rttMs?: number;
  /** Mean absolute difference between consecutive RTTs, ms. */
  readonly jitterMs?: number;
  /** Loss over the window, percent. */
  readonly lossPct: number;
  readonly sent: number;
  readonly received: number;
  /** Why the last probe failed, when it did ("timeout", an ICMP error, a probe that died). */
  readonly lastError?: string;
}

/** What the kernel knows about one WAN's health. */
export interface HealthView {
  readonly state: HealthState;
  /** Human-readable reason, e.g. "3 of 3 targets lost for 1.2 s". */
  readonly reason: string;
  /** Clock ms when the state was entered. */
  readonly since: number;
  /** Mean RTT of answering targets in the last rounds, ms. */
  readonly latencyMs?: number;
  /** Loss over the window, percent, all targets. */
  readonly lossPct: number;
  readonly targets: readonly TargetStats[];
  /** Probe phase: steady (idle cadence), suspect (fast checks), down (recovery cadence). */
  readonly phase: "steady" | "suspect" | "down";
  readonly probesSent: number;
  /** How many times the steady phase turned suspect (a lost probe, unanswered traffic, a failed round). */
  readonly suspicions?: number;
  /** The last of them: clock ms and cause. */
  readonly lastSuspicion?: { readonly at: number; readonly cause: string };
}
