/**
 * Simulated probes and links: echo streams and HTTP probes answered from the SimWorld.
 * @module
 */
import type { TimerHandle } from "../../clock.ts";
import type {
  EchoResult,
  EchoStream,
  EchoStreamOptions,
  HttpProbeRequest,
  HttpProbeResult,
  LinkEvent,
  LinkInfo,
  Links,
  Probes,
} from "../../platform.ts";
import { targetFamily } from "../../families.ts";
import type { SimWorld } from "./world.ts";

export class SimProbes implements Probes {
  readonly #world: SimWorld;

  constructor(world: SimWorld) {
    this.#world = world;
  }

  echo(opts: EchoStreamOptions, onResult: (r: EchoResult) => void): EchoStream {
    const w = this.#world;
    let interval = opts.intervalMs;
    let timeout = opts.timeoutMs;
    let closed = false;
    let timer: TimerHandle | undefined;
    const pending = new Set<TimerHandle>();
    // IPv6 targets go out as ICMPv6 (40-byte header) and are answered only where the uplink carries IPv6.
    const family = targetFamily(opts.target) === "ipv6" ? "ipv6" : "ipv4";
    const ipBytes = (family === "ipv6" ? 48 : 28) + opts.size;
    const later = (ms: number, fn: () => void) => {
      const t = w.clock.setTimeout(() => {
        pending.delete(t);
        if (!closed) fn();
      }, ms);
      pending.add(t);
    };
    const send = () => {
      if (closed) return;
      const dev = opts.binding.device;
      const u = w.uplink(dev);
      if (u?.present) u.probeBytes += ipBytes;
      if (!w.carries(dev, family)) {
        later(0, () => onResult({ target: opts.target, ok: false, error: "network unreachable" }));
        timer = w.clock.setTimeout(send, interval);
        return;
      }
      w.traffic(dev, { packets: 1, bytes: ipBytes }, { packets: 0, bytes: 0 }, family);
      const r = w.roundTrip(dev, family);
      if (r.ok && r.rttMs <= timeout) {
        later(r.rttMs, () => {
          w.traffic(dev, { packets: 0, bytes: 0 }, { packets: 1, bytes: ipBytes }, family);
          const back = w.uplink(dev);
          if (back?.present) back.probeBytes += ipBytes;
          onResult({ target: opts.target, ok: true, rttMs: r.rttMs });
        });
      } else {
        later(timeout, () => onResult({ target: opts.target, ok: false, error: "timeout" }));
      }
      timer = w.clock.setTimeout(send, interval);
    };
    timer = w.clock.setTimeout(send, 0);
    return {
      setIntervalMs(ms) {
        interval = ms;
        timer?.cancel();
        timer = w.clock.setTimeout(send, 0);
      },
      setTimeoutMs(ms) {
        timeout = ms;
      },
      close() {
        closed = true;
        timer?.cancel();
        for (const t of pending) t.cancel();
        return Promise.resolve();
      },
    };
  }

  http(req: HttpProbeRequest, signal: AbortSignal): Promise<HttpProbeResult> {
    const w = this.#world;
    const dev = req.binding.device;
    const family = targetFamily(req.url) === "ipv6" ? "ipv6" : "ipv4";
    if (!w.carries(dev, family)) return Promise.resolve({ ok: false, error: "network unreachable" });
    const r = w.roundTrip(dev, family);
    w.traffic(dev, { packets: 5, bytes: 400 }, r.ok ? { packets: 4, bytes: 600 } : { packets: 0, bytes: 0 }, family);
    const u = w.uplink(dev);
    if (u?.present) u.probeBytes += r.ok ? 1000 : 400;
    return new Promise((resolve) => {
      const done = r.ok && r.rttMs * 2 <= req.timeoutMs;
      const t = w.clock.setTimeout(
        () => resolve(done ? { ok: true, status: u!.httpStatus, ttfbMs: r.rttMs * 2 } : { ok: false, error: "timeout" }),
        done ? r.rttMs * 2 : req.timeoutMs,
      );
      signal.addEventListener("abort", () => {
        t.cancel();
        resolve({ ok: false, error: "aborted" });
      }, { once: true });
    });
  }
}

export class SimLinks implements Links {
  readonly #world: SimWorld;

  constructor(world: SimWorld) {
    this.#world = world;
  }

  get(device: string): Promise<LinkInfo> {
    const u = this.#world.uplink(device);
    if (!u || !u.present) {
      return Promise.resolve({
        device,
        present: false,
        carrier: false,
        operstate: "notpresent",
        rxBytes: 0,
        txBytes: 0,
        rxPackets: 0,
        txPackets: 0,
      });
    }
    return Promise.resolve({
      device,
      present: true,
      carrier: u.carrier,
      operstate: u.carrier ? "up" : "down",
      address: u.address,
      gateway: u.gateway,
      ...(u.address6 ? { address6: u.address6, gateway6: u.gateway6, ipv6: { ...u.ipv6 } } : {}),
      rxBytes: u.rxBytes,
      txBytes: u.txBytes,
      rxPackets: u.rxPackets,
      txPackets: u.txPackets,
    });
  }

  watch(listener: (ev: LinkEvent) => void): () => void {
    return this.#world.onLink(listener);
  }
}
