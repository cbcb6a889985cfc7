/**
 * The kernel: boots from the config store, runs one generation of plugin instances,
 * turns WAN states into routing plans for the dataplane, and swaps generations when the
 * config changes (rebuild, then swap; roll back on failure).
 * @module
 */
import { join } from "./host/path.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { CapConfig } from "./config/cap.ts";
import { chooseBootConfig } from "./config/boot.ts";
import { wanFamilies } from "./families.ts";
import { type ChangeMeta, type ConfigHistory, historySection, keepOf, recordBoot, recordRevision } from "./config/history.ts";
import { buildDocumentSchema, type DocumentSchema, type Sections } from "./config/schema.ts";
import type { ConfigStore, Stored } from "./config/store.ts";
import { type ConfigDocument, validateDocument } from "./config/validate.ts";
import { ApplyError, ConfigError, type FieldIssue, KernelError, messageOf, NotFoundError, RevisionConflictError } from "./errors.ts";
import { EventBus } from "./events.ts";
import type { Transition } from "./health/machine.ts";
import type { HealthState } from "./health/types.ts";
import { logger, type Logger } from "./log.ts";
import { diffPlans, EMPTY_PLAN, isEmptyDiff, type ModeDecision, type RoutingPlan } from "./plan.ts";
import type { FlowStats, Platform, RoutingSettings } from "./platform.ts";
import type { Registry } from "./registry.ts";
import { PLUGIN_LIMITS, type PluginLimits } from "./runtime/bounded.ts";
import { Generation } from "./runtime/generation.ts";
import { composePlan, type PlannedWan } from "./runtime/planner.ts";
import { policyPlanInputs } from "./policy/inputs.ts";
import { Serial } from "./runtime/serial.ts";
import { buildStatus } from "./runtime/status.ts";
import { type CappedWan, UsageMeter } from "./runtime/usage.ts";
import type { StatusSnapshot } from "./status.ts";

export interface KernelOptions {
  readonly registry: Registry;
  readonly platform: Platform;
  readonly store: ConfigStore;
  readonly clock?: Clock;
  /** Extra top-level config sections (the API, hooks). */
  readonly sections?: Sections;
  /** Used when the store holds no valid document. */
  readonly defaultConfig?: unknown;
  readonly log?: Logger;
  readonly pluginLogger?: (plugin: string, instance: string) => Logger;
  /** Called with the document's `log` block whenever a config is (re)applied. */
  readonly onLogSettings?: (settings: ConfigDocument["log"]) => Promise<void>;
  /**
   * Called with a written document before it is validated (the daemon loads plugin folders
   * it names); plugins it registers are in the schema that validates it.
   */
  readonly beforeValidate?: (doc: unknown) => Promise<void>;
  /** Refuses a written document before anything else (the daemon: Deno permissions it lacks). */
  readonly preApply?: (doc: unknown) => readonly FieldIssue[];
  /** Bounds on plugin calls (defaults: PLUGIN_LIMITS in src/runtime/bounded.ts); tests shorten them. */
  readonly limits?: Partial<PluginLimits>;
  /** Where data cap counts persist (`usage.json`); none: kept in memory only. */
  readonly stateDir?: string;
}

/** How the boot went: which document runs and why. */
export interface BootReport {
  readonly source: "store" | "last-good" | "default";
  readonly revision: number;
  readonly problems: readonly string[];
}

const RETRY_MS = 5_000;
const FLOWS_REFRESH_MS = 2_000;

function settingsOf(doc: ConfigDocument): RoutingSettings {
  const r = doc.routing;
  return { markMask: r.markMask, rulePriority: r.rulePriority, tableBase: r.tableBase, bypass: r.bypass };
}

export class Kernel {
  readonly events: EventBus;
  readonly registry: Registry;
  readonly #o: KernelOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  /** Re-plans and the short critical section of a config apply (apply plan, store, swap). */
  readonly #planLane = new Serial();
  /** Config applies, one at a time; their slow plugin work runs here, outside the plan lane. */
  readonly #configLane = new Serial();
  readonly #limits: PluginLimits;
  readonly #indexes = new Map<string, number>();
  readonly #overrides = new Map<string, "up" | "down">();
  readonly #lastState = new Map<string, HealthState>();
  #gen?: Generation;
  #stored: Stored = { doc: {}, revision: 0 };
  #plan: RoutingPlan = EMPTY_PLAN;
  #decision?: ModeDecision;
  /** The last decision of each named policy. */
  #decisions: Readonly<Record<string, ModeDecision>> = {};
  /** The last apply failed part-way; the next one re-applies everything. */
  #dirty = false;
  #appliedAt?: number;
  #dataplaneError?: string;
  #flows: Record<string, FlowStats> = {};
  #failovers = 0;
  #startedAt: number;
  #replanQueued = false;
  #retry?: { cancel(): void };
  #flowsAt = -Infinity;
  #flowsPending?: Promise<void>;
  #closed = false;
  #schema?: { readonly at: number; readonly schema: DocumentSchema };
  readonly #usage: UsageMeter;

  constructor(o: KernelOptions) {
    this.#o = o;
    this.registry = o.registry;
    this.#clock = o.clock ?? systemClock;
    this.#log = o.log ?? logger("kernel");
    this.#limits = { ...PLUGIN_LIMITS, ...o.limits };
    this.events = new EventBus({ now: () => this.#clock.now() });
    this.#usage = new UsageMeter({
      links: o.platform.links,
      clock: this.#clock,
      log: this.#log,
      file: o.stateDir === undefined ? undefined : join(o.stateDir, "usage.json"),
      onCap: (e) => {
        this.#log.warn("{wan}: data cap {level}: {used} of {limit} bytes", { wan: e.wan, level: e.level, used: e.usedBytes, limit: e.limitBytes });
        this.events.emit("wan.cap", { ...e });
      },
      onCappedChange: () => void this.replan(),
    });
    void this.schema; // fail fast when no WAN or mode plugin is registered
    this.#startedAt = this.#clock.now();
  }

  /** The document's schema, rebuilt when plugins were registered (or failed to load) since. */
  get schema(): DocumentSchema {
    const at = this.registry.revision;
    const sections = { history: historySection, ...this.#o.sections };
    if (this.#schema?.at !== at) this.#schema = { at, schema: buildDocumentSchema(this.registry, sections) };
    return this.#schema.schema;
  }

  get revision(): number {
    return this.#stored.revision;
  }
  /** The kept revisions (the store's history), when the store keeps any. */
  get history(): ConfigHistory | undefined {
    return this.#o.store.history;
  }
  get plan(): RoutingPlan {
    return this.#plan;
  }
  /** The document as stored (what the user wrote, no defaults filled in). */
  get config(): Stored {
    return structuredClone(this.#stored);
  }
  /** The running document with defaults filled in. */
  get effective(): ConfigDocument | undefined {
    return this.#gen?.doc;
  }

  /**
   * Loads the config and starts everything; a document that is invalid or cannot start (a
   * mode plugin that fails or hangs) gives way to the last good one, then the default.
   */
  async boot(): Promise<BootReport> {
    const { source, stored, problems } = await chooseBootConfig(
      this.#o.store,
      this.schema,
      this.#o.defaultConfig,
      (c) => this.#start(c.value, c.stored),
    );
    for (const p of problems) this.#log.error("config rejected at boot: {problem}", { problem: p });
    if (source === "default" && problems.length === 0) await this.#o.store.save(stored);
    await this.#o.store.saveLastGood(stored).catch((err) => this.#log.warn("{e}", { e: messageOf(err) }));
    const h = this.#o.store.history;
    const at = { revision: stored.revision, doc: stored.doc, source, keep: keepOf(this.#gen?.doc), now: this.#clock.now() };
    if (h) await recordBoot(h, at).catch((err) => this.#log.warn("history: {e}", { e: messageOf(err) }));
    return { source, revision: stored.revision, problems };
  }


  async #start(doc: ConfigDocument, stored: Stored): Promise<void> {
    await this.#o.onLogSettings?.(doc.log);
    await this.#o.platform.dataplane.init(settingsOf(doc));
    await this.#usage.load();
    const gen = this.#newGeneration(doc);
    try {
      await gen.start(undefined, false);
    } catch (err) {
      await this.#o.platform.dataplane.close({ cleanup: false }).catch(() => {});
      throw err;
    }
    this.#gen = gen;
    this.#stored = stored;
    this.#usage.configure(this.#cappedWans(gen));
    await this.replan();
  }

  #newGeneration(doc: ConfigDocument): Generation {
    return new Generation(doc, {
      registry: this.registry,
      platform: this.#o.platform,
      clock: this.#clock,
      log: this.#log,
      pluginLogger: this.#o.pluginLogger,
      indexOf: (wan) => this.#indexOf(wan),
      onChange: (wan, t) => this.#onWanChange(wan, t),
      onError: (plugin, instance, err) => this.#pluginError(plugin, instance, err),
      limits: this.#limits,
    });
  }

  #indexOf(wan: string): number {
    let i = this.#indexes.get(wan);
    if (i === undefined) {
      const used = new Set(this.#indexes.values());
      for (i = 1; used.has(i); i++);
      this.#indexes.set(wan, i);
    }
    return i;
  }

  #pluginError(plugin: string, instance: string, err: unknown): void {
    const code = err instanceof KernelError ? err.code : "E_PLUGIN";
    const where = `${instance} (${plugin}): `;
    const text = messageOf(err);
    this.#log.error("{instance} ({plugin}): {message}", { plugin, instance, message: text.startsWith(where) ? text.slice(where.length) : text });
    this.events.emit("plugin.error", { plugin, instance, code, message: messageOf(err) });
  }

  /** The WANs with a data cap, and the device each one's counters are read from. */
  #cappedWans(gen: Generation): CappedWan[] {
    const out: CappedWan[] = [];
    for (const [name, entry] of Object.entries(gen.doc.wans)) {
      const cap = entry.cap as CapConfig | undefined;
      const device = gen.wans.get(name)?.runtime?.inspection?.device ?? (typeof entry.device === "string" ? entry.device : "");
      if (cap && entry.enabled && device) out.push({ name, device, cap });
    }
    return out;
  }

  #onWanChange(wan: string, t?: Transition): void {
    if (this.#gen && (this.#gen.doc.wans[wan]?.cap)) this.#usage.configure(this.#cappedWans(this.#gen));
    if (t) this.#emitState(wan, t.reason);
    void this.replan();
  }

  /** The IPv6 state modes act on: forced, else the IPv6 judge's. */
  #effectiveState6(name: string): HealthState {
    const forced = this.#overrides.get(name);
    if (forced) return forced;
    return this.#gen?.wans.get(name)?.runtime?.state6 ?? "down";
  }

  #effectiveState(name: string): HealthState {
    const forced = this.#overrides.get(name);
    if (forced) return forced;
    const slot = this.#gen?.wans.get(name);
    if (!slot?.runtime) return "down";
    return slot.runtime.state;
  }

  #emitState(wan: string, reason: string): void {
    const to = this.#effectiveState(wan);
    const from = this.#lastState.get(wan) ?? "unknown";
    if (from === to) return;
    this.#lastState.set(wan, to);
    this.events.emit("wan.state", { wan, from, to, reason });
  }

  /** Recomputes the plan and applies the difference; concurrent calls coalesce. Never rejects: errors go to status. */
  replan(): Promise<void> {
    if (this.#replanQueued) return this.#planLane.idle();
    this.#replanQueued = true;
    return this.#planLane.run(async () => {
      this.#replanQueued = false;
      if (this.#gen && !this.#closed) await this.#applyPlan(this.#gen).catch(() => {});
    });
  }

  #plannedWans(gen: Generation): PlannedWan[] {
    const out: PlannedWan[] = [];
    for (const [name, entry] of Object.entries(gen.doc.wans)) {
      if (!entry.enabled) continue;
      const slot = gen.wans.get(name);
      out.push({
        name,
        priority: entry.priority,
        weight: entry.weight,
        metered: entry.metered,
        nat: entry.nat,
        state: gen === this.#gen ? this.#effectiveState(name) : (this.#overrides.get(name) ?? slot?.runtime?.state ?? "down"),
        index: this.#indexOf(name),
        inspection: slot?.runtime?.inspection,
        latencyMs: slot?.runtime?.view().latencyMs,
        capped: this.#usage.capOf(name),
        families: wanFamilies(entry),
        state6: gen === this.#gen ? this.#effectiveState6(name) : (this.#overrides.get(name) ?? slot?.runtime?.state6 ?? "down"),
        nat6: entry.nat6 === true,
      });
    }
    return out;
  }

  async #applyPlan(gen: Generation): Promise<void> {
    this.#retry?.cancel();
    let composed;
    try {
      composed = composePlan({
        wans: this.#plannedWans(gen),
        mode: gen.mode!,
        lastResort: gen.doc.routing.lastResort,
        previousPlan: this.#plan,
        previousDecision: this.#decision,
        ...policyPlanInputs(gen.doc, gen.policyModes),
        previousDecisions: this.#decisions,
      });
    } catch (err) {
      this.#pluginError(gen.modePlugin ?? "mode", "mode", err);
      return;
    }
    const { plan, decision } = composed;
    // After a failed apply the live state is unknown: diff against nothing, so all of it is re-applied.
    const diff = diffPlans(this.#dirty ? EMPTY_PLAN : this.#plan, plan);
    this.#decision = decision;
    this.#decisions = composed.decisions;
    if (isEmptyDiff(diff)) return;
    const dp = this.#o.platform.dataplane;
    try {
      await dp.apply(plan, diff);
    } catch (err) {
      this.#dirty = true;
      this.#dataplaneFailed(err);
      throw err;
    }
    // The new rules are live: the plan in force (and in status) is the new one from here on.
    this.#dirty = false;
    this.#dataplaneError = undefined;
    const before = this.#plan;
    this.#plan = { ...plan, flush: [], ...(plan.flush6 ? { flush6: [] } : {}) };
    this.#appliedAt = this.#clock.now();
    // With IPv6 routed by its own carriers, each family's flows move on their own.
    const dual = plan.carriers6 !== undefined;
    if (plan.flush.length > 0) {
      // Moving existing flows is a follow-up: if it fails they stay where they are, the plan stands.
      await dp.flush(plan.flush, dual ? "ipv4" : undefined).catch((err) => this.#dataplaneFailed(err));
      this.#flowsAt = -Infinity; // the next status read shows the flows after the flush
    }
    if (plan.flush6 && plan.flush6.length > 0) {
      await dp.flush(plan.flush6, "ipv6").catch((err) => this.#dataplaneFailed(err));
      this.#flowsAt = -Infinity;
    }
    if (diff.carriers6Changed) this.#log.info("plan IPv6: {summary}", { summary: plan.summary6 ?? "" });
    if (diff.carriersChanged) {
      const was = new Set(before.carriers.map((c) => c.wan));
      if (before.carriers.length > 0 && plan.carriers.some((c) => !was.has(c.wan))) this.#failovers++;
      this.#log.info("plan: {summary}", { summary: plan.summary });
      this.events.emit("plan.changed", {
        summary: plan.summary,
        carriers: plan.carriers.map((c) => ({ ...c })),
        flushed: [...plan.flush],
      });
    }
  }

  #dataplaneFailed(err: unknown): void {
    this.#dataplaneError = messageOf(err);
    this.#pluginError("dataplane", this.#o.platform.name, err);
    this.#retry = this.#clock.setTimeout(() => void this.replan(), RETRY_MS);
  }

  async #refreshFlows(): Promise<void> {
    try {
      this.#flows = await this.#o.platform.dataplane.flows();
    } catch {
      // Status shows the last figures; the dataplane error surfaces through apply.
    }
  }

  /** validate checks a document without changing anything; returns its field issues. */
  validate(doc: unknown): FieldIssue[] {
    const r = validateDocument(this.schema, doc);
    return r.ok ? [] : r.issues;
  }

  /**
   * applyConfig validates, starts the new generation, applies its plan, stores the document
   * and only then swaps; any failure leaves the running config and the store untouched.
   * Starting and stopping plugins (slow, but bounded) happens outside the plan lane, so a
   * health transition re-plans at once with the generation in force; only applying the new
   * plan, storing and swapping wait their turn with re-plans.
   */
  applyConfig(
    doc: unknown,
    opts: { expectRevision?: number; change?: ChangeMeta } = {},
  ): Promise<{ revision: number; changed: boolean }> {
    return this.#configLane.run(async () => {
      const current = this.#gen;
      if (!current) throw new ApplyError(new Error("the kernel has not booted"));
      if (this.#closed) throw new ApplyError(new Error("the kernel is shutting down"));
      if (opts.expectRevision !== undefined && opts.expectRevision !== this.#stored.revision) {
        throw new RevisionConflictError(opts.expectRevision, this.#stored.revision);
      }
      const refused = this.#o.preApply?.(doc) ?? [];
      if (refused.length > 0) throw new ConfigError(refused, "The running daemon cannot take this config (see issues)");
      await this.#o.beforeValidate?.(doc);
      const v = validateDocument(this.schema, doc);
      if (!v.ok) throw new ConfigError(v.issues);
      if (JSON.stringify(doc) === JSON.stringify(this.#stored.doc)) {
        return { revision: this.#stored.revision, changed: false };
      }
      const before = this.#stored.doc;
      const stored: Stored = { doc: structuredClone(doc), revision: this.#stored.revision + 1 };
      const next = this.#newGeneration(v.value);
      try {
        await next.start(current, true);
      } catch (err) {
        throw new ApplyError(err);
      }
      try {
        await this.#planLane.run(() => this.#swap(current, next, stored));
      } catch (err) {
        await next.stop(current);
        throw err instanceof KernelError && err.code === "E_STORE" ? err : new ApplyError(err);
      }
      await current.stop(next);
      await this.#o.onLogSettings?.(v.value.log);
      await this.#o.store.saveLastGood(stored).catch((err) => this.#log.warn("{e}", { e: messageOf(err) }));
      const h = this.#o.store.history;
      if (h) {
        await recordRevision(h, { ...stored, before, change: opts.change, keep: keepOf(v.value), now: this.#clock.now() })
          .catch((err) => this.#log.warn("history: {e}", { e: messageOf(err) }));
      }
      this.events.emit("config.changed", { revision: stored.revision });
      await this.replan();
      return { revision: stored.revision, changed: true };
    });
  }

  /** The critical section of an apply: the new plan, the store, the swap; on failure the old plan again. */
  async #swap(current: Generation, next: Generation, stored: Stored): Promise<void> {
    if (this.#closed) throw new Error("the kernel is shutting down");
    const routingChanged = JSON.stringify(settingsOf(next.doc)) !== JSON.stringify(settingsOf(current.doc));
    const previousDecision = this.#decision;
    try {
      if (routingChanged) await this.#reinitDataplane(next.doc);
      await this.#applyPlan(next);
      await this.#o.store.save(stored);
    } catch (err) {
      if (routingChanged) await this.#reinitDataplane(current.doc).catch(() => {});
      // The dataplane may hold part of the new plan: re-apply the old one in full (apply is
      // idempotent and reconciles); if that fails too, the retry timer keeps trying.
      this.#dirty = true;
      this.#decision = previousDecision;
      await this.#applyPlan(current).catch(() => {});
      throw err;
    }
    this.#gen = next;
    this.#stored = stored;
    this.#usage.configure(this.#cappedWans(next));
    for (const name of this.#lastState.keys()) if (!next.wans.has(name)) this.#lastState.delete(name);
    for (const name of this.#overrides.keys()) if (!next.wans.has(name)) this.#overrides.delete(name);
    for (const name of this.#indexes.keys()) if (!next.wans.has(name)) this.#indexes.delete(name); // reused by later WANs
  }

  async #reinitDataplane(doc: ConfigDocument): Promise<void> {
    await this.#o.platform.dataplane.close({ cleanup: true });
    this.#dirty = true;
    await this.#o.platform.dataplane.init(settingsOf(doc));
  }

  /** setOverride forces a WAN up or down (like `mwan3 ifup/ifdown`), or returns it to automatic. */
  async setOverride(wan: string, state: "up" | "down" | undefined): Promise<void> {
    if (!this.#gen?.doc.wans[wan]) throw new NotFoundError(`WAN ${wan}`);
    if (state) this.#overrides.set(wan, state);
    else this.#overrides.delete(wan);
    this.#emitState(wan, state ? `forced ${state} by operator` : "returned to automatic");
    await this.replan();
  }

  /**
   * status returns the snapshot the API serves; flow figures are refreshed lazily, at most every 2 s.
   * With `flows: false` the last flow figures are reused and nothing is refreshed (samplers).
   */
  status(opts: { flows?: boolean } = {}): StatusSnapshot {
    if (opts.flows !== false && this.#clock.now() - this.#flowsAt >= FLOWS_REFRESH_MS) {
      this.#flowsAt = this.#clock.now();
      this.#flowsPending = this.#refreshFlows();
    }
    return buildStatus({
      gen: this.#gen,
      plan: this.#plan,
      revision: this.#stored.revision,
      overrides: this.#overrides,
      effectiveState: (n) => this.#effectiveState(n),
      effectiveState6: (n) => this.#effectiveState6(n),
      flows: this.#flows,
      dataplane: { name: this.#o.platform.name, error: this.#dataplaneError },
      appliedAt: this.#appliedAt,
      failovers: this.#failovers,
      uptimeMs: this.#clock.now() - this.#startedAt,
      usage: (wan) => this.#usage.usage(wan),
    });
  }

  /** Resolves once flow figures are at most FLOWS_REFRESH_MS old (starting a refresh when they are older). */
  flowsFresh(): Promise<void> {
    if (this.#clock.now() - this.#flowsAt >= FLOWS_REFRESH_MS) {
      this.#flowsAt = this.#clock.now();
      this.#flowsPending = this.#refreshFlows();
    }
    return this.#flowsPending ?? Promise.resolve();
  }

  /** status with flow figures at most FLOWS_REFRESH_MS old: waits for the refresh a stale read starts. */
  async statusFresh(): Promise<StatusSnapshot> {
    await this.flowsFresh();
    return this.status({ flows: false });
  }

  /** Stops every instance; with `cleanup` the dataplane removes what it added. */
  async shutdown(opts: { cleanup: boolean }): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#retry?.cancel();
    await this.#configLane.idle();
    await this.#planLane.idle();
    await this.#usage.close();
    await this.#gen?.stop();
    await this.#o.platform.dataplane.close(opts);
    await this.#o.platform.close();
  }
}
