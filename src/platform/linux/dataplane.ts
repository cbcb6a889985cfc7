/**
 * The Linux dataplane: nftables classification + per-uplink tables and ip rules +
 * selective conntrack flushes. Every apply is computed from the whole plan and compared
 * with what was last installed, so applying the same plan twice runs no command.
 * Plans with `carriers6` get the same for IPv6 (`ip -6` rules and tables, ip6 marks, NAT66
 * where `nat6`); without it IPv6 is left to the main table and no `ip -6` command runs
 * (except reading leftovers once).
 * @module
 */
import type { Dataplane, FlowStats, RoutingSettings } from "../../platform.ts";
import { type Family, isEmptyDiff, type PlanDiff, type PlanUplink, type RoutingPlan } from "../../plan.ts";
import { countByMark, flushMark } from "./conntrack.ts";
import { markOf, markSpace, type MarkSpace } from "./marks.ts";
import { renderDelete, renderRuleset, skeletonOf, TABLE } from "./nft.ts";
import {
  carriesIPv6, connectedNetworks, connectedNetworks6, desiredRules, flushTable, type IpFamily, learnedGateway6, readRules, routeArgs,
  routeArgs6, routesIPv6, ruleArgs, ruleKey, type RuleSpec, tableOf,
} from "./routes.ts";
import type { Prepared, Runner } from "./run.ts";

export type LogFn = (level: "debug" | "info" | "warning" | "error", msg: string, props?: Record<string, unknown>) => void;

/** What the last apply did, for benchmarks and tests. */
export interface ApplyStats {
  readonly ms: number;
  readonly commands: number;
  readonly nftBytes: number;
  readonly nftLoaded: boolean;
}

export class LinuxDataplane implements Dataplane {
  #runner: Runner;
  #log: LogFn;
  #settings?: RoutingSettings;
  #space?: MarkSpace;
  #plan?: RoutingPlan;
  #nftText?: string;
  /** skeletonOf() the plan whose full load created the live table's objects. */
  #skeleton?: string;
  #rulesKey?: string;
  #rulesKey6?: string;
  #routes = new Map<number, string>();
  #routes6 = new Map<number, string>();
  /** IPv6 gateways read from the main table for uplinks whose plan has none, by device|address6. */
  #gw6 = new Map<string, string | undefined>();
  /** Connected networks the loaded ruleset bypasses (re-read after each apply, off the failover path). */
  #connected?: string[];
  #connected6?: string[];
  /** Our rules as live in the kernel (read once, then tracked), keyed by ruleKey. */
  #liveRules?: RuleSpec[];
  #liveRules6?: RuleSpec[];
  #bytesBase = new Map<string, number>();
  #commands = 0;
  #closed = false;
  lastApply?: ApplyStats;

  #routedWaiters = new Set<() => void>();

  /**
   * Resolves once uplink `index` has its routing table installed (or after `maxMs`), so probes
   * started before the first apply do not fail for want of a route. Immediate before init().
   */
  whenRouted(index: number, maxMs = 2000): Promise<void> {
    const settings = this.#settings;
    if (!settings || this.#closed || this.#routes.has(settings.tableBase + index)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#routedWaiters.delete(check);
        resolve();
      };
      const check = () => {
        if (this.#closed || this.#routes.has(settings.tableBase + index)) done();
      };
      const timer = setTimeout(done, maxMs);
      this.#routedWaiters.add(check);
    });
  }

  /** The settings given to init(), if any. */
  get settings(): RoutingSettings | undefined {
    return this.#settings;
  }

  constructor(runner: Runner, log: LogFn = () => {}) {
    this.#runner = {
      netns: runner.netns,
      spawn: (argv, o) => runner.spawn(argv, o),
      run: (argv, o) => {
        this.#commands++;
        return runner.run(argv, o);
      },
    };
    this.#prepare = runner.prepare?.bind(runner);
    this.#log = log;
  }

  #prepare?: Runner["prepare"];
  /** An `nft -f -` started ahead, waiting for the next batch (Node forks slowly: ~6 ms at 120 MB). */
  #standby?: Prepared;
  #standbyTimer?: ReturnType<typeof setTimeout>;

  /** Loads one nft batch through the standby process when there is one, else a fresh `nft -f -`. */
  async #nft(text: string): Promise<void> {
    const standby = this.#standby?.ready ? this.#standby : undefined;
    this.#standby = undefined;
    try {
      if (standby) {
        this.#commands++;
        await standby.feed(text);
      } else {
        await this.#runner.run(["nft", "-f", "-"], { stdin: text });
      }
    } finally {
      this.#prepareStandby();
    }
  }

  /** Starts the next standby soon, off the path of the apply that used the last one. */
  #prepareStandby(delayMs = 300): void {
    if (!this.#prepare || this.#closed || this.#standby || this.#standbyTimer) return;
    this.#standbyTimer = setTimeout(() => {
      this.#standbyTimer = undefined;
      if (this.#closed || this.#standby) return;
      try {
        this.#standby = this.#prepare?.(["nft", "-f", "-"]);
      } catch {
        this.#standby = undefined; // the next load forks its own
      }
    }, delayMs);
    (this.#standbyTimer as { unref?: () => void }).unref?.();
  }

  #dropStandby(): void {
    clearTimeout(this.#standbyTimer);
    this.#standbyTimer = undefined;
    this.#standby?.cancel();
    this.#standby = undefined;
  }

  async init(settings: RoutingSettings): Promise<void> {
    const space = markSpace(settings.markMask);
    for (const [k, v] of [["rulePriority", settings.rulePriority], ["tableBase", settings.tableBase]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 0x7fff_ff00) throw new RangeError(`${k} ${v} out of range`);
    }
    if (settings.rulePriority + 99 >= 32766) throw new RangeError(`rulePriority ${settings.rulePriority} collides with main (32766)`);
    this.#settings = settings;
    this.#space = space;
    this.#closed = false; // the kernel re-initialises after close() when the routing settings change
    // Adopt: leave whatever an earlier run installed in place until the first apply replaces it.
    const { stdout } = await this.#runner.run(["nft", "list", "tables", "inet"]);
    const adopted = stdout.includes(`table inet ${TABLE}`);
    const rules = await readRules(this.#runner, settings.rulePriority, settings.rulePriority + 99);
    this.#log("info", "linux dataplane ready", { adoptedTable: adopted, adoptedRules: rules.length, markMask: space.mask });
    this.#prepareStandby(0);
  }

  async apply(plan: RoutingPlan, diff: PlanDiff): Promise<void> {
    const settings = this.#need();
    if (this.#plan && isEmptyDiff(diff)) return;
    const t0 = performance.now();
    const c0 = this.#commands;
    const prev = this.#plan;
    // The failover path forks as little as possible before the new classification is live:
    // connected networks and our rules come from memory after the first apply.
    const v6 = routesIPv6(plan);
    const cachedConnected = this.#connected !== undefined && (!v6 || this.#connected6 !== undefined);
    this.#connected ??= await connectedNetworks(this.#runner);
    if (v6) this.#connected6 ??= await connectedNetworks6(this.#runner);
    const connected6 = v6 ? this.#connected6 : undefined;
    const text = renderRuleset(plan, settings, { connected: this.#connected, connected6 });
    // 1. Routes of ready uplinks first, so a mark never points at an empty table.
    const want = new Map<number, string>();
    for (const up of Object.values(plan.uplinks)) {
      const args = routeArgs(settings, up);
      if (args) want.set(tableOf(settings, up), args.join(" "));
    }
    for (const [table, args] of want) {
      if (this.#routes.get(table) === args) continue;
      await this.#runner.run(["ip", "-4", "route", "replace", ...args.split(" ")]);
      this.#routes.set(table, args);
    }
    const want6 = new Map<number, string>();
    if (v6) {
      for (const up of Object.values(plan.uplinks)) {
        const args = routeArgs6(settings, up, up.gateway6 ?? await this.#learnedGateway6(up));
        if (args) want6.set(tableOf(settings, up), args.join(" "));
      }
    }
    for (const [table, args] of want6) {
      if (this.#routes6.get(table) === args) continue;
      await this.#runner.run(["ip", "-6", "route", "replace", ...args.split(" ")]);
      this.#routes6.set(table, args);
    }
    for (const check of [...this.#routedWaiters]) check();
    // 2. Rules: additions before the new classification is live, deletions after.
    const rules = desiredRules(plan, settings);
    const rulesKey = rules.map(ruleKey).sort().join("\n");
    let surplus: RuleSpec[] = [];
    if (rulesKey !== this.#rulesKey) {
      const P = settings.rulePriority;
      const live = this.#liveRules ?? await readRules(this.#runner, P, P + 99);
      this.#liveRules = undefined; // unknown until the additions succeeded
      const liveKeys = new Set(live.map(ruleKey));
      const wantKeys = new Set(rules.map(ruleKey));
      for (const r of rules) if (!liveKeys.has(ruleKey(r))) await this.#runner.run(["ip", "-4", "rule", "add", ...ruleArgs(r)]);
      surplus = live.filter((r) => !wantKeys.has(ruleKey(r)));
      this.#liveRules = [...rules, ...surplus];
    }
    const rules6 = desiredRules(plan, settings, 6);
    const rulesKey6 = rules6.map(ruleKey).sort().join("\n");
    let surplus6: RuleSpec[] = [];
    if (rulesKey6 !== this.#rulesKey6) {
      const P = settings.rulePriority;
      const live = this.#liveRules6 ?? await readRules(this.#runner, P, P + 99, 6);
      this.#liveRules6 = undefined;
      const liveKeys = new Set(live.map(ruleKey));
      const wantKeys = new Set(rules6.map(ruleKey));
      for (const r of rules6) if (!liveKeys.has(ruleKey(r))) await this.#runner.run(["ip", "-6", "rule", "add", ...ruleArgs(r)]);
      surplus6 = live.filter((r) => !wantKeys.has(ruleKey(r)));
      this.#liveRules6 = [...rules6, ...surplus6];
    }
    // 3. One atomic nft transaction.
    const nftLoaded = text !== this.#nftText;
    if (nftLoaded) {
      await this.#load(plan, prev, text, this.#connected, connected6);
    }
    for (const r of surplus) await this.#delRule(4, r);
    if (surplus.length > 0) this.#liveRules = rules;
    this.#rulesKey = rulesKey;
    for (const r of surplus6) await this.#delRule(6, r);
    if (surplus6.length > 0) this.#liveRules6 = rules6;
    this.#rulesKey6 = rulesKey6;
    // 4. Tables no longer wanted (uplink gone or not ready, or adopted from a crash).
    const stale = new Set<number>([...this.#routes.keys()].filter((t) => !want.has(t)));
    for (const r of surplus) if (r.table && /^\d+$/.test(r.table) && !want.has(Number(r.table))) stale.add(Number(r.table));
    if (!prev) for (const up of Object.values(plan.uplinks)) if (!want.has(tableOf(settings, up))) stale.add(tableOf(settings, up));
    for (const t of stale) {
      await flushTable(this.#runner, t);
      this.#routes.delete(t);
    }
    const stale6 = new Set<number>([...this.#routes6.keys()].filter((t) => !want6.has(t)));
    for (const r of surplus6) if (r.table && /^\d+$/.test(r.table) && !want6.has(Number(r.table))) stale6.add(Number(r.table));
    if (!prev && v6) for (const up of Object.values(plan.uplinks)) if (!want6.has(tableOf(settings, up))) stale6.add(tableOf(settings, up));
    for (const t of stale6) {
      await flushTable(this.#runner, t, 6);
      this.#routes6.delete(t);
    }
    this.#plan = plan;
    // The flows of `diff.flush` are not deleted here: the caller calls flush() next, once
    // these rules are live (the port contract), so conntrack runs once per failover.
    // 5. Connected networks may have changed since they were cached: reload if so.
    if (cachedConnected) {
      const connected = await connectedNetworks(this.#runner);
      const fresh6 = v6 ? await connectedNetworks6(this.#runner) : undefined;
      if (connected.join() !== this.#connected.join() || (fresh6 !== undefined && fresh6.join() !== (this.#connected6 ?? []).join())) {
        this.#connected = connected;
        if (fresh6) this.#connected6 = fresh6;
        await this.#load(plan, plan, renderRuleset(plan, settings, { connected, connected6: fresh6 }), connected, fresh6);
      }
    }
    this.lastApply = { ms: performance.now() - t0, commands: this.#commands - c0, nftBytes: text.length, nftLoaded };
    this.#log("debug", "plan applied", { ...this.lastApply, summary: plan.summary });
  }

  /**
   * Loads `text` (the full-replace rendering of `plan`). When the live table was loaded by us
   * and declares the same objects, the same ruleset is loaded in place instead: no hook is
   * re-registered and the counters keep counting, so nothing has to be read first (a fork
   * less on the failover path). A full replace saves the counters of `prev` first.
   */
  async #load(
    plan: RoutingPlan, prev: RoutingPlan | undefined, text: string, connected: readonly string[], connected6?: readonly string[],
  ): Promise<void> {
    const settings = this.#need();
    const skeleton = skeletonOf(plan);
    if (this.#nftText !== undefined && this.#skeleton === skeleton) {
      const inPlace = renderRuleset(plan, settings, { connected, connected6, inPlace: true });
      try {
        await this.#nft(inPlace);
        this.#nftText = text;
        return;
      } catch (err) {
        // The table changed behind our back (deleted, edited): replace it whole.
        this.#log("warning", "in-place nft update failed; replacing the table", { error: (err as Error).message });
      }
    }
    if (prev) await this.#saveCounters(prev);
    this.#skeleton = undefined;
    await this.#nft(text);
    this.#nftText = text;
    this.#skeleton = skeleton;
  }

  async flush(uplinks: readonly string[], family?: Family): Promise<number> {
    const space = this.#needSpace();
    // Without IPv6 policy routing no IPv6 flow carries a mark: only IPv4 is flushed.
    const v6 = this.#plan !== undefined && routesIPv6(this.#plan);
    if (family === "ipv6" && !v6) return 0;
    const only = family ?? (v6 ? undefined : "ipv4");
    let n = 0;
    for (const name of uplinks) {
      const up = this.#plan?.uplinks[name];
      if (!up) continue;
      n += await flushMark(this.#runner, markOf(space, up.index), space.mask, only);
    }
    if (n > 0) this.#log("info", "flows flushed", { uplinks, flows: n });
    return n;
  }

  async flows(): Promise<Record<string, FlowStats>> {
    const space = this.#needSpace();
    const plan = this.#plan;
    if (!plan) return {};
    const counts = await countByMark(this.#runner, space.mask, routesIPv6(plan) ? undefined : "ipv4");
    const bytes = await this.#readCounters();
    const out: Record<string, FlowStats> = {};
    for (const up of Object.values(plan.uplinks)) {
      out[up.name] = {
        flows: counts.get(markOf(space, up.index)) ?? 0,
        bytes: (this.#bytesBase.get(up.name) ?? 0) + (bytes.get(up.index) ?? 0),
      };
    }
    return out;
  }

  async close(opts: { cleanup: boolean }): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#dropStandby();
    for (const check of [...this.#routedWaiters]) check();
    const settings = this.#settings;
    if (!opts.cleanup || !settings) return;
    await this.#runner.run(["nft", "-f", "-"], { stdin: renderDelete() });
    const P = settings.rulePriority;
    const live = await readRules(this.#runner, P, P + 99);
    const tables = new Set<number>(this.#routes.keys());
    for (const up of Object.values(this.#plan?.uplinks ?? {})) tables.add(tableOf(settings, up));
    for (const r of live) {
      if (r.table && /^\d+$/.test(r.table)) tables.add(Number(r.table));
      await this.#delRule(4, r);
    }
    for (const t of tables) await flushTable(this.#runner, t);
    const tables6 = new Set<number>(this.#routes6.keys());
    for (const up of Object.values(this.#plan?.uplinks ?? {})) if (carriesIPv6(up)) tables6.add(tableOf(settings, up));
    for (const r of await readRules(this.#runner, P, P + 99, 6)) {
      if (r.table && /^\d+$/.test(r.table)) tables6.add(Number(r.table));
      await this.#delRule(6, r);
    }
    for (const t of tables6) await flushTable(this.#runner, t, 6);
    this.#routes.clear();
    this.#routes6.clear();
    this.#gw6.clear();
    this.#rulesKey6 = undefined;
    this.#liveRules6 = undefined;
    this.#connected6 = undefined;
    this.#nftText = undefined;
    this.#skeleton = undefined;
    this.#rulesKey = undefined;
    this.#liveRules = undefined;
    this.#connected = undefined;
    this.#log("info", "linux dataplane removed its table, rules and routes", { tables: [...tables] });
  }

  /** Deletes one of our rules (a foreign-shaped one by its preference); gone already is fine. */
  async #delRule(family: IpFamily, r: RuleSpec): Promise<void> {
    const args = r.table?.endsWith("?foreign") ? ["pref", String(r.pref)] : ruleArgs(r);
    await this.#runner.run(["ip", `-${family}`, "rule", "del", ...args], { okCodes: [0, 2] });
  }

  /** The IPv6 gateway a router advertisement left on the uplink's device, read once per device and address (until one is seen: at each apply). */
  async #learnedGateway6(up: PlanUplink): Promise<string | undefined> {
    if (!up.ready || !carriesIPv6(up)) return undefined;
    const key = `${up.device}|${up.address6 ?? ""}`;
    if (this.#gw6.has(key)) return this.#gw6.get(key);
    const gw = await learnedGateway6(this.#runner, up.device);
    if (gw) this.#gw6.set(key, gw); // none yet (no advertisement so far): asked again at the next apply
    return gw;
  }

  async #readCounters(): Promise<Map<number, number>> {
    const r = await this.#runner.run(["nft", "-j", "list", "counters", "table", "inet", TABLE], { okCodes: [0, 1] });
    const out = new Map<number, number>();
    if (r.code !== 0) return out;
    const doc = JSON.parse(r.stdout) as { nftables?: { counter?: { name: string; bytes: number } }[] };
    for (const item of doc.nftables ?? []) {
      const m = item.counter ? /^up_(\d+)$/.exec(item.counter.name) : null;
      if (m && item.counter) out.set(Number(m[1]), item.counter.bytes);
    }
    return out;
  }

  async #saveCounters(prev: RoutingPlan): Promise<void> {
    const bytes = await this.#readCounters();
    const byIndex = new Map<number, PlanUplink>(Object.values(prev.uplinks).map((u) => [u.index, u]));
    for (const [index, b] of bytes) {
      const up = byIndex.get(index);
      if (up) this.#bytesBase.set(up.name, (this.#bytesBase.get(up.name) ?? 0) + b);
    }
  }

  #need(): RoutingSettings {
    if (this.#closed) throw new Error("dataplane is closed");
    if (!this.#settings) throw new Error("dataplane.init() was not called");
    return this.#settings;
  }

  #needSpace(): MarkSpace {
    this.#need();
    return this.#space as MarkSpace;
  }
}
