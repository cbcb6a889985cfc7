/**
 * HookRunner subscribes to the kernel's events and runs the configured scripts and
 * webhooks. It never blocks tracking or routing: work is queued off the emitting call,
 * bounded per hook, and every failure is logged and counted.
 * @module
 */
import type { EventBus, KernelEvent } from "../events.ts";
import type { Logger } from "../log.ts";
import { type HookPayload, type Outcome, postWebhook, runScript } from "./deliver.ts";
import type { HookEvent, HooksConfig, ScriptHook, Webhook } from "./schema.ts";

const MAX_IN_FLIGHT = 4;
const MAX_QUEUED = 100;

export interface HookRunnerOptions {
  readonly events: EventBus;
  /** The hooks section in force (read at each event, so config changes apply at once). */
  readonly config: () => HooksConfig | undefined;
  readonly deviceOf?: (wan: string) => string | undefined;
  readonly log: Logger;
  readonly sleep?: (ms: number) => Promise<void>;
}

type Job = { kind: "script"; hook: ScriptHook; payload: HookPayload } | { kind: "webhook"; hook: Webhook; payload: HookPayload };

/** hookEventOf maps a kernel event to the hook event it triggers, if any. */
export function hookEventOf(ev: KernelEvent): HookEvent | undefined {
  if (ev.type === "plan.changed") return "plan";
  if (ev.type === "wan.cap") return "cap";
  if (ev.type !== "wan.state") return undefined;
  const { from, to } = ev.data;
  if (to === "down" || to === "degraded") return to;
  if (to === "up") return from === "down" || from === "degraded" ? "recovered" : "up";
  return undefined;
}

export class HookRunner {
  readonly #o: HookRunnerOptions;
  readonly #off: () => void;
  readonly #counts = new Map<string, number>();
  readonly #queues = new Map<string, { running: number; jobs: Job[] }>();
  readonly #sleep: (ms: number) => Promise<void>;
  #pending = new Set<Promise<void>>();
  #closed = false;

  constructor(o: HookRunnerOptions) {
    this.#o = o;
    this.#sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#off = o.events.on((ev) => this.#onEvent(ev));
  }

  #onEvent(ev: KernelEvent): void {
    const event = hookEventOf(ev);
    const cfg = this.#o.config();
    if (!event || !cfg || this.#closed || cfg.scripts.length + cfg.webhooks.length === 0) return;
    const payload = this.#payload(ev, event);
    const wanted = (h: { on: readonly string[]; wans?: readonly string[] }) =>
      h.on.includes(event) && (!h.wans || !payload.wan || h.wans.includes(payload.wan));
    for (const hook of cfg.scripts) if (wanted(hook)) this.#enqueue({ kind: "script", hook, payload });
    for (const hook of cfg.webhooks) if (wanted(hook)) this.#enqueue({ kind: "webhook", hook, payload });
  }

  #payload(ev: KernelEvent, event: HookEvent): HookPayload {
    const base = { event, id: ev.id, at: new Date(ev.at).toISOString() };
    if (ev.type === "plan.changed") return { ...base, summary: ev.data.summary };
    if (ev.type === "wan.cap") {
      const c = ev.data;
      return { ...base, wan: c.wan, device: this.#o.deviceOf?.(c.wan), level: c.level, usedBytes: c.usedBytes, limitBytes: c.limitBytes };
    }
    if (ev.type !== "wan.state") return base;
    const d = ev.data;
    return { ...base, wan: d.wan, device: this.#o.deviceOf?.(d.wan), state: d.to, previous: d.from, reason: d.reason };
  }

  #enqueue(job: Job): void {
    const key = `${job.kind}:${job.hook.name}`;
    let q = this.#queues.get(key);
    if (!q) this.#queues.set(key, (q = { running: 0, jobs: [] }));
    if (q.jobs.length >= MAX_QUEUED) {
      this.#count(job.kind, job.hook.name, "dropped");
      this.#o.log.warn("hook {name}: queue full, event dropped", { name: job.hook.name });
      return;
    }
    q.jobs.push(job);
    setTimeout(() => this.#pump(key), 0);
  }

  #pump(key: string): void {
    const q = this.#queues.get(key);
    while (q && q.running < MAX_IN_FLIGHT && q.jobs.length > 0) {
      const job = q.jobs.shift()!;
      q.running++;
      const p = this.#run(job).finally(() => {
        q.running--;
        this.#pending.delete(p);
        this.#pump(key);
      });
      this.#pending.add(p);
    }
  }

  async #run(job: Job): Promise<void> {
    const r = job.kind === "script"
      ? await runScript(job.hook, job.payload)
      : await postWebhook(job.hook, job.payload, this.#sleep);
    this.#count(job.kind, job.hook.name, r.outcome);
    if (r.outcome === "ok") {
      this.#o.log.debug("hook {name} ran for {event}", { name: job.hook.name, event: job.payload.event });
    } else {
      this.#o.log.error("hook {name} ({kind}) {outcome} for {event}: {detail}", {
        name: job.hook.name,
        kind: job.kind,
        outcome: r.outcome,
        event: job.payload.event,
        detail: r.detail,
      });
    }
  }

  #count(kind: string, name: string, outcome: Outcome | "dropped"): void {
    const key = `${kind}\u0000${name}\u0000${outcome}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** counts returns runs by hook and outcome (tests, /metrics). */
  counts(): { kind: string; name: string; outcome: string; count: number }[] {
    return [...this.#counts].map(([k, count]) => {
      const [kind, name, outcome] = k.split("\u0000");
      return { kind, name, outcome, count };
    });
  }

  /** metrics renders the counters in the Prometheus text format. */
  metrics(): string {
    const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
    const lines = ["# HELP multiwan_hook_runs_total Hook runs by outcome (ok, failed, timeout, dropped).",
      "# TYPE multiwan_hook_runs_total counter"];
    for (const c of this.counts()) {
      lines.push(`multiwan_hook_runs_total{kind="${c.kind}",hook="${esc(c.name)}",outcome="${c.outcome}"} ${c.count}`);
    }
    return lines.join("\n") + "\n";
  }

  /** idle resolves when no hook is queued or running. */
  async idle(): Promise<void> {
    for (;;) {
      await new Promise((r) => setTimeout(r, 5));
      const queued = [...this.#queues.values()].some((q) => q.jobs.length > 0);
      if (this.#pending.size === 0 && !queued) return;
      await Promise.allSettled([...this.#pending]);
    }
  }

  /** close stops listening; running hooks finish on their own timeouts. */
  close(): void {
    this.#closed = true;
    this.#off();
  }
}
