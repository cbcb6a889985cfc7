/**
 * SimLanClient: a LAN host that keeps opening connections, so failover, Forced Refresh
 * Streams and the load-balance split are visible in the demo and testable.
 * @module
 */
import type { Clock, TimerHandle } from "../../clock.ts";
import type { Family } from "../../plan.ts";
import type { SimDataplane } from "./dataplane.ts";
import type { SimWorld } from "./world.ts";

export interface ClientOptions {
  /** New connections per second. */
  readonly perSecond?: number;
  /** Connection lifetime range, ms. */
  readonly lifetimeMs?: readonly [number, number];
  readonly tickMs?: number;
  /** Share of new connections that are IPv6, 0..1 (default 0: an IPv4-only client). */
  readonly ipv6Share?: number;
}

interface Conn {
  id: number;
  family: Family;
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
  /** New connections per uplink (and failures) since start; IPv6 ones also in `opened6`/`failed6`. */
  readonly opened: Record<string, number> = {};
  readonly opened6: Record<string, number> = {};
  failed = 0;
  failed6 = 0;
  reconnects = 0;

  constructor(dp: SimDataplane, world: SimWorld, clock: Clock, o: ClientOptions = {}) {
    this.#dp = dp;
    this.#world = world;
    this.#clock = clock;
    this.#o = {
      perSecond: o.perSecond ?? 5,
      lifetimeMs: o.lifetimeMs ?? [2_000, 60_000],
      tickMs: o.tickMs ?? 100,
      ipv6Share: Math.min(1, Math.max(0, o.ipv6Share ?? 0)),
    };
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

  /** Opens a connection: IPv6 for the configured share (kept for a reconnect of an IPv6 one). */
  #open(family?: Family): void {
    // No draw for an IPv4-only client, so its random sequence is the one it had before dual stack.
    const fam = family ?? (this.#o.ipv6Share > 0 && this.#world.random() < this.#o.ipv6Share ? "ipv6" : "ipv4");
    const r = this.#dp.open(fam);
    if (!r.ok) {
      this.failed++;
      if (fam === "ipv6") this.failed6++;
      return;
    }
    this.opened[r.flow.uplink] = (this.opened[r.flow.uplink] ?? 0) + 1;
    if (fam === "ipv6") this.opened6[r.flow.uplink] = (this.opened6[r.flow.uplink] ?? 0) + 1;
    const [lo, hi] = this.#o.lifetimeMs;
    this.#conns.push({ id: r.flow.id, family: fam, endsAt: this.#clock.now() + lo + this.#world.random() * (hi - lo) });
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
        this.#open(c.family);
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
      const alive = this.#world.reachable(dev, c.family);
      const rx = alive ? { packets: 1, bytes: 1200 } : { packets: 0, bytes: 0 };
      this.#world.traffic(dev, { packets: 1, bytes: 1200 }, rx, c.family);
      if (alive) {
        flow.bytes += 2400;
        c.stalledSince = undefined;
        keep.push(c);
      } else if ((c.stalledSince ??= now) + 5_000 < now) {
        // An application gives up on a dead connection after a while and opens a new one.
        this.#dp.end(c.id);
        this.reconnects++;
        this.#open(c.family);
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
