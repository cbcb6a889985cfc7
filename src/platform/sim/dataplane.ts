/**
 * SimDataplane: a flow table that behaves like conntrack. New flows pick an uplink by the
 * plan's weights (IPv6 ones by `carriers6`); existing flows keep theirs until flushed. It records every operation so
 * tests can check idempotence.
 * @module
 */
import type { Carrier, Family, PlanDiff, RoutingPlan } from "../../plan.ts";
import { EMPTY_PLAN } from "../../plan.ts";
import { choosePolicy, type Connection, StickyTable, weightedPick } from "../../policy/select.ts";
import type { Dataplane, FlowStats, RoutingSettings } from "../../platform.ts";
import type { SimWorld } from "./world.ts";

export interface SimFlow {
  readonly id: number;
  readonly uplink: string;
  readonly family: Family;
  bytes: number;
}

/** What happened to a new connection. */
export type OpenResult =
  | { readonly ok: true; readonly flow: SimFlow }
  | { readonly ok: false; readonly error: "unreachable" | "blackhole" | "no-route" | "blocked" };

export class SimDataplane implements Dataplane {
  readonly #world: SimWorld;
  readonly #random: () => number;
  #plan: RoutingPlan = EMPTY_PLAN;
  #settings?: RoutingSettings;
  #flows = new Map<number, SimFlow>();
  #nextId = 1;
  /** Sticky clients per policy (what the nft sets with timeouts hold on Linux). */
  readonly #sticky = new StickyTable();
  /** Operations that changed state, for tests. */
  readonly ops: string[] = [];

  constructor(world: SimWorld, random?: () => number) {
    this.#world = world;
    this.#random = random ?? world.random;
  }

  get plan(): RoutingPlan {
    return this.#plan;
  }
  get settings(): RoutingSettings | undefined {
    return this.#settings;
  }

  init(settings: RoutingSettings): Promise<void> {
    this.#settings = settings;
    this.ops.push("init");
    return Promise.resolve();
  }

  apply(plan: RoutingPlan, _diff: PlanDiff): Promise<void> {
    const same = JSON.stringify({ ...this.#plan, flush: [] }) === JSON.stringify({ ...plan, flush: [] });
    this.#plan = plan;
    this.#sticky.prune(plan); // a sticky uplink that stops carrying for its policy is forgotten at once
    const list = (cs: readonly Carrier[]) => cs.map((c) => `${c.wan}:${c.weight}`).join(",") || plan.lastResort;
    if (!same) this.ops.push(`apply ${list(plan.carriers)}${plan.carriers6 ? ` v6 ${list(plan.carriers6)}` : ""}`);
    return Promise.resolve();
  }

  flush(uplinks: readonly string[], family?: Family): Promise<number> {
    const set = new Set(uplinks);
    let n = 0;
    for (const [id, f] of this.#flows) {
      if (set.has(f.uplink) && (!family || f.family === family)) {
        this.#flows.delete(id);
        n++;
      }
    }
    this.ops.push(`flush ${uplinks.join(",")}${family ? ` ${family}` : ""} (${n})`);
    return Promise.resolve(n);
  }

  flows(): Promise<Record<string, FlowStats>> {
    const out: Record<string, { flows: number; bytes: number }> = {};
    for (const f of this.#flows.values()) {
      const s = (out[f.uplink] ??= { flows: 0, bytes: 0 });
      s.flows++;
      s.bytes += f.bytes;
    }
    return Promise.resolve(out);
  }

  close(opts: { cleanup: boolean }): Promise<void> {
    if (opts.cleanup) {
      this.#plan = EMPTY_PLAN;
      this.#flows.clear();
      this.#sticky.clear();
    }
    this.ops.push(opts.cleanup ? "close cleanup" : "close keep");
    return Promise.resolve();
  }

  /**
   * Opens a new connection from the LAN: the plan's weights choose, as nft numgen would. An
   * IPv6 connection uses `carriers6`; a plan without them routes IPv6 by the main table (the
   * first ready uplink that carries IPv6).
   */
  open(family: Family = "ipv4"): OpenResult {
    // A connection the rules know nothing about but its family: the same choice as connect().
    return this.connect({ family });
  }

  /**
   * Opens a new connection described by `c`, as the Linux ruleset would route it: the first
   * matching rule's policy (main table, block, or a named policy; else the default), a
   * sticky client's uplink while it still carries for the policy, else the policy's weights.
   */
  connect(c: Connection = {}): OpenResult {
    const family = c.family ?? "ipv4";
    const chosen = choosePolicy(this.#plan, c);
    if (chosen.special === "block") return { ok: false, error: "blocked" };
    let uplink: string | undefined;
    const viaMain = () =>
      Object.values(this.#plan.uplinks)
        .filter((u) => u.ready && (u.families ?? ["ipv4"]).includes(family))
        .sort((a, b) => a.index - b.index)[0]?.name;
    if (chosen.special === "main") {
      uplink = viaMain();
      if (!uplink) return { ok: false, error: "no-route" };
    } else if (chosen.carriers.length > 0) {
      const now = this.#world.clock.now();
      const key = chosen.sticky && StickyTable.keyOf(chosen.policy, chosen.sticky, c);
      uplink = key ? this.#sticky.get(key, chosen.carriers, now) : undefined;
      uplink ??= weightedPick(chosen.carriers, this.#random);
      if (key && uplink && chosen.sticky) this.#sticky.set(key, uplink, chosen.sticky.timeoutS, now);
    } else if (chosen.lastResort === "main") {
      uplink = viaMain();
      if (!uplink) return { ok: false, error: "no-route" };
    } else {
      return { ok: false, error: chosen.lastResort };
    }
    if (!uplink) return { ok: false, error: "no-route" };
    const flow = { id: this.#nextId++, uplink, family, bytes: 0 } as SimFlow;
    this.#flows.set(flow.id, flow);
    return { ok: true, flow };
  }

  /** The flow's uplink, or undefined when the flow was flushed. */
  flow(id: number): SimFlow | undefined {
    return this.#flows.get(id);
  }

  /** Ends a flow, as a connection close would. */
  end(id: number): void {
    this.#flows.delete(id);
  }

  /** Whether a flow's packets get through now. */
  alive(id: number): boolean {
    const f = this.#flows.get(id);
    const dev = f && this.#plan.uplinks[f.uplink]?.device;
    return !!dev && this.#world.reachable(dev, f.family);
  }

  /** The device an uplink name maps to in the plan in force. */
  deviceOf(uplink: string): string | undefined {
    return this.#plan.uplinks[uplink]?.device;
  }
}
