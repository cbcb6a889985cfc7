/**
 * `/metrics` in the Prometheus text format: per WAN state, RTT, loss, probes, flows,
 * bytes; failovers; process figures.
 * @module
 */
import { host } from "../src/host/index.ts";
import type { Kernel } from "../src/kernel.ts";
import { statusOf } from "./routes/status.ts";
import type { Deps } from "./deps.ts";

const STATES = ["up", "degraded", "down", "unknown"] as const;

/** label escapes a Prometheus label value. */
export function label(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** Metric builds one metric family. */
export class Metric {
  readonly #lines: string[];
  readonly #name: string;
  constructor(name: string, type: "gauge" | "counter", help: string) {
    this.#name = name;
    this.#lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  }
  add(value: number | undefined, labels: Record<string, string> = {}): this {
    if (value === undefined || !Number.isFinite(value)) return this;
    const l = Object.entries(labels).map(([k, v]) => `${k}="${label(v)}"`).join(",");
    this.#lines.push(`${this.#name}${l ? `{${l}}` : ""} ${value}`);
    return this;
  }
  toString(): string {
    return this.#lines.join("\n") + "\n";
  }
}

async function processMetrics(): Promise<Metric[]> {
  const use = await host.usage();
  const out = [
    new Metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.").add(use.rssBytes),
    new Metric("process_heap_bytes", "gauge", "JavaScript heap used in bytes.").add(use.heapUsedBytes),
    new Metric("process_uptime_seconds", "gauge", "Seconds since the process started.").add(performance.now() / 1000),
  ];
  if (use.cpuSeconds !== undefined) {
    out.push(new Metric("process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.").add(use.cpuSeconds));
  }
  return out;
}

/** renderMetrics builds the whole exposition. */
export async function renderMetrics(d: Deps): Promise<string> {
  const st = statusOf(d);
  const state = new Metric("multiwan_wan_state", "gauge", "1 for the state the WAN is in (forced states included).");
  const rtt = new Metric("multiwan_wan_rtt_seconds", "gauge", "Mean RTT of answering targets.");
  const loss = new Metric("multiwan_wan_loss_ratio", "gauge", "Probe loss over the window, 0..1.");
  const tRtt = new Metric("multiwan_target_rtt_seconds", "gauge", "Last RTT per probe target.");
  const tJit = new Metric("multiwan_target_jitter_seconds", "gauge", "RTT jitter per probe target.");
  const tLoss = new Metric("multiwan_target_loss_ratio", "gauge", "Loss per probe target, 0..1.");
  const probes = new Metric("multiwan_wan_probes_sent_total", "counter", "Probes sent through the WAN.");
  const flows = new Metric("multiwan_wan_flows", "gauge", "Tracked connections on the WAN.");
  const bytes = new Metric("multiwan_wan_bytes", "gauge", "Bytes of the tracked connections on the WAN.");
  const carrying = new Metric("multiwan_wan_carrying", "gauge", "1 when new connections go to the WAN.");
  const forced = new Metric("multiwan_wan_forced", "gauge", "1 while an operator forces the WAN up or down.");
  const used = new Metric("multiwan_wan_usage_bytes", "gauge", "Bytes sent and received this data cap period (WANs with a cap).");
  const capBytes = new Metric("multiwan_wan_cap_bytes", "gauge", "The WAN's data cap per period, bytes.");
  for (const w of st.wans) {
    const wan = { wan: w.name };
    for (const s of STATES) state.add(w.state === s ? 1 : 0, { ...wan, state: s });
    rtt.add(w.latencyMs === undefined ? undefined : w.latencyMs / 1000, wan);
    loss.add(w.lossPct / 100, wan);
    probes.add(w.probesSent, wan);
    flows.add(w.flows, wan);
    bytes.add(w.bytes, wan);
    carrying.add(w.carrying ? 1 : 0, wan);
    forced.add(w.override ? 1 : 0, wan);
    used.add(w.usage?.usedBytes, wan);
    capBytes.add(w.usage?.limitBytes, wan);
    for (const t of w.targets) {
      const tl = { ...wan, target: t.target };
      tRtt.add(t.rttMs === undefined ? undefined : t.rttMs / 1000, tl);
      tJit.add(t.jitterMs === undefined ? undefined : t.jitterMs / 1000, tl);
      tLoss.add(t.lossPct / 100, tl);
    }
  }
  const kernel: Kernel = d.kernel;
  const global = [
    new Metric("multiwan_failovers_total", "counter", "Times a new uplink took over new connections.").add(st.failovers),
    new Metric("multiwan_config_revision", "gauge", "Revision of the config in force.").add(st.revision),
    new Metric("multiwan_events_total", "counter", "Events published by the kernel.").add(kernel.events.lastId),
    new Metric("multiwan_dataplane_error", "gauge", "1 while the last dataplane apply failed.").add(st.dataplane.error ? 1 : 0),
  ];
  const families = [state, rtt, loss, tRtt, tJit, tLoss, probes, flows, bytes, carrying, forced, used, capBytes, ...global, ...await processMetrics()];
  return families.join("") + (d.extraMetrics?.() ?? "");
}
