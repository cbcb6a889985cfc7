/**
 * One UDP request and its answer through an uplink: the socket binds the uplink's address
 * and a source port from PROBE_PORTS, which the Linux dataplane pins to that uplink (like
 * HTTP probes), so the query leaves through it whatever the routing policy. For trackers
 * that ask a service (DNS, NTP, STUN) rather than ping.
 * @module
 */
import { messageOf } from "../errors.ts";
import type { ProbeBinding } from "../platform.ts";

/** Source ports probes bind; the Linux dataplane's nft output chain pins them to the uplink. */
export const PROBE_PORTS: readonly [number, number] = [61000, 61999];

export interface UdpExchange {
  readonly binding: Pick<ProbeBinding, "address">;
  readonly host: string;
  readonly port: number;
  readonly payload: Uint8Array;
  readonly timeoutMs: number;
  /** Accepts the first datagram for which it returns true (e.g. the DNS id matches). */
  readonly accept?: (reply: Uint8Array) => boolean;
  readonly signal?: AbortSignal;
}

export type UdpResult =
  | { readonly ok: true; readonly reply: Uint8Array; readonly rttMs: number }
  | { readonly ok: false; readonly error: string };

const randomPort = () => PROBE_PORTS[0] + Math.floor(Math.random() * (PROBE_PORTS[1] - PROBE_PORTS[0] + 1));

/** udpExchange sends one datagram and waits for the answer; never rejects. A taken source port is retried. */
export async function udpExchange(x: UdpExchange): Promise<UdpResult> {
  let r: UdpResult | "port taken" = "port taken";
  const { createSocket } = await import("node:dgram"); // loaded with the first exchange
  for (let i = 0; i < 5 && r === "port taken"; i++) r = await attempt(createSocket, x, randomPort());
  return r === "port taken" ? { ok: false, error: "no free probe port" } : r;
}

function attempt(
  createSocket: typeof import("node:dgram").createSocket, x: UdpExchange, port: number,
): Promise<UdpResult | "port taken"> {
  return new Promise((resolve) => {
    if (!x.binding.address) return resolve({ ok: false, error: "the uplink has no address" });
    const address = x.binding.address.split("/")[0];
    const socket = createSocket("udp4");
    let timer: ReturnType<typeof setTimeout> | undefined;
    let sentAt = 0;
    let done = false;
    const finish = (r: UdpResult | "port taken") => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      x.signal?.removeEventListener("abort", onAbort);
      try {
        socket.close();
      } catch { /* already closed */ }
      resolve(r);
    };
    const onAbort = () => finish({ ok: false, error: "aborted" });
    if (x.signal?.aborted) return onAbort();
    x.signal?.addEventListener("abort", onAbort);
    socket.on("error", (err) => {
      const taken = sentAt === 0 && (err as { code?: string }).code === "EADDRINUSE";
      finish(taken ? "port taken" : { ok: false, error: messageOf(err) });
    });
    socket.on("message", (msg) => {
      const reply = new Uint8Array(msg);
      if (!x.accept || x.accept(reply)) finish({ ok: true, reply, rttMs: performance.now() - sentAt });
    });
    socket.bind({ address, port, exclusive: true }, () => {
      timer = setTimeout(() => finish({ ok: false, error: "timeout" }), x.timeoutMs);
      sentAt = performance.now();
      socket.send(x.payload, x.port, x.host, (err) => err && finish({ ok: false, error: messageOf(err) }));
    });
  });
}
