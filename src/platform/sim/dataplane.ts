/**
 * SimDataplane: a flow table that behaves like conntrack. New flows pick an uplink by the
 * plan's weights; existing flows keep theirs until flushed. It records every operation so
 * tests can check idempotence.
 * @module
 */
import type { PlanDiff, RoutingPlan } from "../../plan.ts";
import { EMPTY_PLAN } from "../../plan.ts";
import type { Dataplane, FlowStats, RoutingSettings } from "../../platform.ts";
import type { SimWorld } from "./world.ts";

export interface SimFlow {
  readonly id: number;
  readonly uplink: string;
  bytes: number;
}

/** What happened to a new connection. */
export type OpenResult =
  | { readonly ok: true; readonly flow: SimFlow }
  | { readonly ok: false; readonly error: "unreachable" | "blackhole" | "no-route" };

export class SimDataplane implements Dataplane {
  readonly #world: SimWorld;
  readonly #random: () => number;
  #plan: RoutingPlan = EMPTY_PLAN;
  #settings?: RoutingSettings;
  #flows = new Map<number, SimFlow>();
  #nextId = 1;
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
    if (!same) this.ops.push(`apply ${plan.carriers.map((c) => `${c.wan}:${c.weight}`).join(",") || plan.lastResort}`);
    return Promise.resolve();
  }

  flush(uplinks: readonly string[]): Promise<number> {
    const set = new Set(uplinks);
    let n = 0;
    for (const [id, f] of this.#flows) {
      if (set.has(f.uplink)) {
        this.#flows.delete(id);
        n++;
      }
    }
    this.ops.push(`flush ${uplinks.join(",")} (${n})`);
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
    }
    this.ops.push(opts.cleanup ? "close cleanup" : "close keep");
    return Promise.resolve();
  }

  /** Opens a new connection from the LAN: the plan's weights choose, as nft numgen would. */
  open(): OpenResult {
    const carriers = this.#plan.carriers;
    let uplink: string | undefined;
    if (carriers.length > 0) {
      const total = carriers.reduce((s, c) => s + c.weight, 0);
      let pick = Math.floor(this.#random() * total);
      for (const c of carriers) {
        if (pick < c.weight) {
          uplink = c.wan;
          break;
        }
        pick -= c.weight;
      }
    } else if (this.#plan.lastResort === "main") {
      uplink = Object.values(this.#plan.uplinks).filter((u) => u.ready).sort((a, b) => a.index - b.index)[0]?.name;
      if (!uplink) return { ok: false, error: "no-route" };
    } else {
      return { ok: false, error: this.#plan.lastResort };
    }
    const flow = { id: this.#nextId++, uplink: uplink!, bytes: 0 };
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
    return !!dev && this.#world.reachable(dev);
  }

  /** The device an uplink name maps to in the plan in force. */
  deviceOf(uplink: string): string | undefined {
    return this.#plan.uplinks[uplink]?.device;
  }
}
