/**
 * SimLanClient: a LAN host that keeps opening connections, so failover, Forced Refresh
 * Streams and the load-balance split are visible in the demo and testable.
 * @module
 */
import type { Clock, TimerHandle } from "../../clock.ts";
import type { SimDataplane } from "./dataplane.ts";
import type { SimWorld } from "./world.ts";

export interface ClientOptions {
  /** New connections per second. */
  readonly perSecond?: number;
  /** Connection lifetime range, ms. */
  readonly lifetimeMs?: readonly [number, number];
  readonly tickMs?: number;
}

interface Conn {
  id: number;
  endsAt: number;
  stalledSince?: number;
}

export class SimLanClient {
  readonly #dp: SimDataplane;
  readonly #world: SimWorld;
  readonly #clock: Clock;
  readonly #o: Required<ClientOptions>;
  #perSecond: number;
  #conns: Conn[] = [];
  #timer?: TimerHandle;
  #debt = 0;
  /** New connections per uplink (and failures) since start. */
  readonly opened: Record<string, number> = {};
  failed = 0;
  reconnects = 0;

  constructor(dp: SimDataplane, world: SimWorld, clock: Clock, o: ClientOptions = {}) {
    this.#dp = dp;
    this.#world = world;
    this.#clock = clock;
    this.#o = { perSecond: o.perSecond ?? 5, lifetimeMs: o.lifetimeMs ?? [2_000, 60_000], tickMs: o.tickMs ?? 100 };
    this.#perSecond = this.#o.perSecond;
  }

  /** New connections per second; may change while running. */
  get perSecond(): number {
    return this.#perSecond;
  }
  set perSecond(n: number) {
    this.#perSecond = Math.max(0, n);
  }

  start(): void {
    const tick = () => {
      this.#tick();
      this.#timer = this.#clock.setTimeout(tick, this.#o.tickMs);
    };
    this.#timer = this.#clock.setTimeout(tick, this.#o.tickMs);
  }

  stop(): void {
    this.#timer?.cancel();
  }

  #open(): void {
    const r = this.#dp.open();
    if (!r.ok) {
      this.failed++;
      return;
    }
    this.opened[r.flow.uplink] = (this.opened[r.flow.uplink] ?? 0) + 1;
    const [lo, hi] = this.#o.lifetimeMs;
    this.#conns.push({ id: r.flow.id, endsAt: this.#clock.now() + lo + this.#world.random() * (hi - lo) });
  }

  #tick(): void {
    const now = this.#clock.now();
    this.#debt += (this.#perSecond * this.#o.tickMs) / 1000;
    for (; this.#debt >= 1; this.#debt--) this.#open();
    const current = this.#conns;
    this.#conns = [];
    const keep = this.#conns;
    for (const c of current) {
      const flow = this.#dp.flow(c.id);
      if (!flow) {
        // Flushed (failover or Forced Refresh Streams): the application reconnects.
        this.reconnects++;
        this.#open();
        continue;
      }
      if (now >= c.endsAt) {
        this.#dp.end(c.id);
        continue;
      }
      const dev = this.#dp.deviceOf(flow.uplink);
      if (!dev) {
        keep.push(c);
        continue;
      }
      const alive = this.#world.reachable(dev);
      this.#world.traffic(dev, { packets: 1, bytes: 1200 }, alive ? { packets: 1, bytes: 1200 } : { packets: 0, bytes: 0 });
      if (alive) {
        flow.bytes += 2400;
        c.stalledSince = undefined;
        keep.push(c);
      } else if ((c.stalledSince ??= now) + 5_000 < now) {
        // An application gives up on a dead connection after a while and opens a new one.
        this.#dp.end(c.id);
        this.reconnects++;
        this.#open();
      } else {
        keep.push(c);
      }
    }
  }

  /** Connections the client holds open. */
  get active(): number {
    return this.#conns.length;
  }
}
