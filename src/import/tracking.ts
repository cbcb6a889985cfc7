/**
 * An mwan3 `interface` section's tracking options -> our tracker entry and `health` block.
 * Options that are set are carried over (seconds become milliseconds); unset ones take
 * multiwan's defaults, not mwan3's.
 * @module
 */
import { IPV4, type SectionReader } from "./reader.ts";

/** What the tracking options of one interface became. */
export interface Tracking {
  readonly tracker: Record<string, unknown>;
  /** Only the keys that were set (absent: multiwan's defaults). */
  readonly health: Record<string, number>;
}

const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/;
const PING_LIKE = new Set(["arping", "nping-tcp", "nping-udp", "nping-icmp", "nping-arp", "nslookup"]);
const QUALITY = ["failure_latency", "recovery_latency", "failure_loss", "recovery_loss"] as const;
const PROBE_OPTIONS = ["count", "size", "max_ttl", "timeout", "interval", "failure_interval", "recovery_interval", "keep_failure_interval", "down", "up", "reliability", "httping_ssl", "check_quality", ...QUALITY] as const;

/** seconds reads a duration in seconds and returns milliseconds within [minMs, maxMs], warning when clamped. */
function seconds(r: SectionReader, name: string, minMs: number, maxMs: number): number | undefined {
  const s = r.int(name, 1, 86_400);
  if (s === undefined) return undefined;
  const ms = Math.min(maxMs, Math.max(minMs, s * 1000));
  if (ms !== s * 1000) r.warn(name, `${s} s is outside multiwan's range (${minMs / 1000}\u2013${maxMs / 1000} s); ${ms / 1000} s is used`);
  return ms;
}

/** clamp reads a whole number and limits it to [min, max], warning when it had to. */
function clamp(r: SectionReader, name: string, min: number, max: number, what: string): number | undefined {
  const n = r.int(name, 0, 1_000_000);
  if (n === undefined) return undefined;
  const c = Math.min(max, Math.max(min, n));
  if (c !== n) r.warn(name, `${n} is outside multiwan's range for ${what} (${min}\u2013${max}); ${c} is used`);
  return c;
}

function targetsOf(r: SectionReader, method: string): string[] {
  const all = r.list("track_ip", "written with `option`, not `list`: mwan3 itself saw no targets; carried over as targets");
  const ok: string[] = [];
  for (const t of all) {
    if (method === "httping" ? HOST.test(t) || IPV4.test(t) : IPV4.test(t)) ok.push(t);
    else r.warn("track_ip", `${JSON.stringify(t)} is not an IPv4 address${method === "httping" ? " or host name" : ""} (multiwan probes IPv4); dropped`);
  }
  if (ok.length > 8) {
    r.warn("track_ip", `multiwan takes at most 8 targets; ${ok.slice(8).join(", ")} dropped`);
    return ok.slice(0, 8);
  }
  return ok;
}

/** readTracking converts the tracking options of one (IPv4) interface section. */
export function readTracking(r: SectionReader): Tracking {
  let method = r.str("track_method") ?? "ping";
  if (method !== "ping" && method !== "httping") {
    if (PING_LIKE.has(method)) r.warn("track_method", `${method} has no multiwan tracker; ping is used (as mwan3 does when the tool is missing)`);
    else r.warn("track_method", `unknown method ${JSON.stringify(method)}; ping is used`);
    method = "ping";
  }
  const targets = targetsOf(r, method);
  if (targets.length === 0) {
    for (const name of PROBE_OPTIONS) r.drop(name, "no usable track_ip, so nothing is probed (the link alone decides); not carried over");
    return { tracker: { type: "tracker.link" }, health: {} };
  }
  const tracker: Record<string, unknown> = {};
  const timeoutS = r.has("timeout") ? r.int("timeout", 1, 3600) : undefined;
  const intervalMs = seconds(r, "interval", method === "httping" ? 1000 : 500, 3_600_000);
  if (method === "httping") {
    const ssl = r.bool("httping_ssl") === true;
    tracker.type = "tracker.httping";
    tracker.urls = targets.slice(0, 4).map((t) => `${ssl ? "https" : "http"}://${t}/`);
    if (targets.length > 4) r.warn("track_ip", `an HTTP tracker takes at most 4 URLs; ${targets.slice(4).join(", ")} dropped`);
    if (timeoutS !== undefined) tracker.timeoutMs = Math.min(30_000, Math.max(200, timeoutS * 1000));
    r.drop("count", "HTTP probes send one request per target; not carried over");
    r.drop("size", "HTTP probes have no payload size; not carried over");
  } else {
    tracker.type = "tracker.ping";
    tracker.targets = targets;
    const count = clamp(r, "count", 1, 10, "pings per target");
    if (count !== undefined) tracker.count = count;
    if (timeoutS !== undefined) {
      tracker.timeoutMs = Math.min(10_000, timeoutS * 1000);
      if (timeoutS > 10) r.warn("timeout", `${timeoutS} s is longer than multiwan's ping timeout allows; 10 s is used`);
    }
    const size = clamp(r, "size", 16, 1472, "the ping payload");
    if (size !== undefined) tracker.size = size;
    r.drop("httping_ssl", "only used by httping; not carried over");
  }
  if (intervalMs !== undefined) tracker.intervalMs = intervalMs;
  r.drop("max_ttl", "multiwan's probes use the system's default TTL; not carried over");
  return { tracker, health: readHealth(r, targets.length) };
}

function readHealth(r: SectionReader, targets: number): Record<string, number> {
  const health: Record<string, number> = {};
  const put = (key: string, value: number | undefined) => {
    if (value !== undefined) health[key] = value;
  };
  put("down", clamp(r, "down", 1, 20, "failed rounds"));
  put("up", clamp(r, "up", 1, 20, "good rounds"));
  const reliability = clamp(r, "reliability", 1, 8, "targets that must answer");
  if (reliability !== undefined && reliability > targets) {
    r.warn("reliability", `${reliability} is more than the ${targets} target(s) probed (mwan3 never brings such an interface online); multiwan needs all ${targets} to answer`);
  }
  put("reliability", reliability);
  put("failureIntervalMs", seconds(r, "failure_interval", 50, 60_000));
  put("recoveryIntervalMs", seconds(r, "recovery_interval", 100, 300_000));
  if (r.bool("keep_failure_interval") === true) {
    r.warn("keep_failure_interval", "multiwan probes a down uplink at recovery_interval; not carried over");
  }
  const quality = r.bool("check_quality") === true;
  if (!quality) {
    for (const name of QUALITY) r.drop(name, "mwan3 ignores it while check_quality is off; not carried over");
    return health;
  }
  r.warn("check_quality", "a slow or lossy uplink becomes degraded in multiwan (still used, reported), not offline as in mwan3");
  put("failureLatencyMs", r.int("failure_latency", 1, 60_000));
  put("recoveryLatencyMs", r.int("recovery_latency", 1, 60_000));
  put("failureLossPct", r.int("failure_loss", 0, 100));
  put("recoveryLossPct", r.int("recovery_loss", 0, 100));
  ordered(r, health, ["failureLatencyMs", "recoveryLatencyMs", 1000, 500, "recovery_latency"]);
  ordered(r, health, ["failureLossPct", "recoveryLossPct", 40, 10, "recovery_loss"]);
  return health;
}

/** ordered keeps the recovery threshold at or below the failure one, as our schema requires. */
function ordered(r: SectionReader, health: Record<string, number>, [fail, rec, failDefault, recDefault, option]: [string, string, number, number, string]): void {
  const f = health[fail] ?? failDefault;
  const v = health[rec] ?? recDefault;
  if (v <= f) return;
  if (health[rec] !== undefined) r.warn(option, `${v} is above the failure threshold ${f}; ${f} is used`);
  health[rec] = f;
}
