/**
 * The kernel-owned health settings of each WAN (`wans.<name>.health`).
 * @module
 */
import * as v from "valibot";

const ms = (title: string, description: string, min: number, max: number, dflt: number) =>
  v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max), v.title(title), v.description(description)),
    dflt,
  );

const pct = (title: string, description: string, dflt: number) =>
  v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(100), v.title(title), v.description(description)), dflt);

const count = (title: string, description: string, min: number, max: number, dflt: number) =>
  v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max), v.title(title), v.description(description)),
    dflt,
  );

/** healthSchema: hysteresis, quorum, quality thresholds and probe cadence by phase. */
export const healthSchema = v.pipe(
  v.strictObject({
    down: count("Failures to go down", "Consecutive failed probe rounds before the WAN is marked down.", 1, 20, 3),
    up: count("Successes to come back", "Consecutive good probe rounds before a down WAN is marked up.", 1, 20, 3),
    reliability: count(
      "Targets that must answer",
      "A round succeeds when at least this many targets answer (mwan3's reliability).",
      1,
      8,
      1,
    ),
    failureIntervalMs: ms(
      "Probe interval while failing",
      "Probe cadence while a failure is suspected and being confirmed.",
      50,
      60_000,
      100,
    ),
    recoveryIntervalMs: ms("Probe interval while down", "Probe cadence while the WAN is down.", 100, 300_000, 1000),
    failureLatencyMs: ms("Degraded above latency", "Mean RTT above which the WAN is degraded.", 1, 60_000, 1000),
    recoveryLatencyMs: ms("Healthy below latency", "Mean RTT below which a degraded WAN is healthy again.", 1, 60_000, 500),
    failureLossPct: pct("Degraded above loss %", "Loss over the window above which the WAN is degraded.", 40),
    recoveryLossPct: pct("Healthy below loss %", "Loss over the window below which a degraded WAN is healthy again.", 10),
    lossWindow: count("Loss window", "Probes per target that loss and latency are computed over.", 4, 1000, 20),
    passive: v.optional(
      v.pipe(
        v.boolean(),
        v.title("Use real traffic as evidence"),
        v.description(
          "When packets leave the uplink and nothing comes back for a moment, probe fast to confirm a failure at once.",
        ),
      ),
      true,
    ),
    suspectAfterMs: ms(
      "Silence before suspecting",
      "How long traffic may go unanswered before fast probing starts.",
      50,
      60_000,
      200,
    ),
    meteredIdleIntervalMs: ms(
      "Probe interval of an idle metered uplink",
      "A metered uplink (cellular by default) that carried nothing but probes for a minute is probed this often instead of " +
        "the tracker's interval (ping, 3 targets: 4.5 MB a month at 60 s against 27 MB at 10 s); traffic brings the normal cadence back at once. " +
        "Ping costs 104 bytes a probe (24-byte payload, both ways): 27 MB a month at 10 s, 4.5 MB at 60 s; " +
        "the status shows each WAN's estimate (probeBytesPerMonth).",
      1000,
      3_600_000,
      60_000,
    ),
  }),
  v.title("Health"),
  v.description("How probe results become up, degraded and down."),
  v.check((h) => h.recoveryLatencyMs <= h.failureLatencyMs, "recoveryLatencyMs must not exceed failureLatencyMs"),
  v.check((h) => h.recoveryLossPct <= h.failureLossPct, "recoveryLossPct must not exceed failureLossPct"),
);

export type HealthConfig = v.InferOutput<typeof healthSchema>;

/** defaultHealth is the health block every WAN gets when it names none. */
export const defaultHealth: HealthConfig = v.parse(healthSchema, {});
