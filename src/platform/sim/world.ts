/**
 * SimWorld: simulated uplinks whose carrier, upstream reachability, latency, loss and
 * signal can be changed at run time. Nothing here touches a real network.
 * @module
 */
import type { Clock } from "../../clock.ts";
import type { Family } from "../../plan.ts";
import type { LinkEvent } from "../../platform.ts";

/** A seeded PRNG (mulberry32) so simulations repeat exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimUplinkSpec {
  readonly device: string;
  /** The uplink's own address with prefix, e.g. 198.18.1.2/30. */
  readonly address: string;
  readonly gateway: string;
  /** The uplink's global IPv6 address with prefix (absent: the uplink carries no IPv6). */
  readonly address6?: string;
  /** IPv6 next hop, e.g. 2001:2:0:1::1. */
  readonly gateway6?: string;
  present?: boolean;
  carrier?: boolean;
  /** The ISP forwards traffic (false: a silent failure with the link up). */
  upstream?: boolean;
  /** The ISP forwards IPv4 (false: a silent IPv4-only failure). */
  upstream4?: boolean;
  /** The ISP forwards IPv6 (false: a silent IPv6-only failure). */
  upstream6?: boolean;
  latencyMs?: number;
  jitterMs?: number;
  lossPct?: number;
  /** Status an HTTP probe gets (302 for a captive portal). */
  httpStatus?: number;
  ssid?: string;
  signalDbm?: number;
  signalPct?: number;
  operator?: string;
}

/** Packet and byte counters of one family. */
export interface SimCounters {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
}

export interface SimUplink
  extends Required<Omit<SimUplinkSpec, "ssid" | "signalDbm" | "signalPct" | "operator" | "address6" | "gateway6">> {
  address6?: string;
  gateway6?: string;
  /** The IPv6 share of the counters. */
  readonly ipv6: SimCounters;
  ssid?: string;
  signalDbm?: number;
  signalPct?: number;
  operator?: string;
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
  probeBytes: number;
}

export class SimWorld {
  readonly clock: Clock;
  readonly random: () => number;
  readonly #uplinks = new Map<string, SimUplink>();
  readonly #listeners = new Set<(ev: LinkEvent) => void>();

  constructor(opts: { clock: Clock; seed?: number; uplinks: readonly SimUplinkSpec[] }) {
    this.clock = opts.clock;
    this.random = seededRandom(opts.seed ?? 1);
    for (const u of opts.uplinks) {
      this.#uplinks.set(u.device, {
        present: true,
        carrier: true,
        upstream: true,
        upstream4: true,
        upstream6: true,
        latencyMs: 20,
        jitterMs: 2,
        lossPct: 0,
        httpStatus: 204,
        ...u,
        rxPackets: 0,
        txPackets: 0,
        rxBytes: 0,
        txBytes: 0,
        probeBytes: 0,
        ipv6: { rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0 },
      });
    }
  }

  get devices(): string[] {
    return [...this.#uplinks.keys()];
  }

  uplink(device: string): SimUplink | undefined {
    return this.#uplinks.get(device);
  }

  /** Changes an uplink; presence and carrier changes raise a link event at once. */
  set(device: string, patch: Partial<SimUplinkSpec>): void {
    const u = this.#uplinks.get(device);
    if (!u) throw new RangeError(`No simulated uplink ${device}`);
    const before = `${u.present}/${u.carrier}`;
    Object.assign(u, patch);
    if (`${u.present}/${u.carrier}` !== before) {
      const ev = { device, at: this.clock.now() };
      for (const l of this.#listeners) l(ev);
    }
  }

  onLink(listener: (ev: LinkEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Whether the uplink carries this family at all (IPv6 needs an IPv6 address). */
  carries(device: string, family: Family): boolean {
    const u = this.#uplinks.get(device);
    return !!u && (family === "ipv4" || !!u.address6);
  }

  /** Whether packets of `family` (default IPv4) through this uplink reach the Internet now. */
  reachable(device: string, family: Family = "ipv4"): boolean {
    const u = this.#uplinks.get(device);
    if (!u || !u.present || !u.carrier || !u.upstream || !this.carries(device, family)) return false;
    return family === "ipv6" ? u.upstream6 : u.upstream4;
  }

  /** One round trip: lost (by reachability and random loss) or its RTT. */
  roundTrip(device: string, family: Family = "ipv4"): { ok: boolean; rttMs: number } {
    const u = this.#uplinks.get(device);
    if (!u || !this.reachable(device, family)) return { ok: false, rttMs: 0 };
    if (this.random() * 100 < u.lossPct) return { ok: false, rttMs: 0 };
    const rtt = Math.max(0.1, u.latencyMs + (this.random() * 2 - 1) * u.jitterMs);
    return { ok: true, rttMs: rtt };
  }

  /** Counts packets on an uplink's device (the LAN client and probes call this); IPv6 also in `ipv6`. */
  traffic(
    device: string,
    tx: { packets: number; bytes: number },
    rx: { packets: number; bytes: number },
    family: Family = "ipv4",
  ): void {
    const u = this.#uplinks.get(device);
    if (!u || !u.present) return;
    for (const c of family === "ipv6" ? [u, u.ipv6] : [u]) {
      c.txPackets += tx.packets;
      c.txBytes += tx.bytes;
      c.rxPackets += rx.packets;
      c.rxBytes += rx.bytes;
    }
  }
}
