/**
 * `tracker.dns`: asks resolvers a DNS question through the uplink (UDP, bound to the
 * uplink's address and a probe port the dataplane pins to it). Any answer — even
 * NXDOMAIN — means the uplink carries traffic both ways; a timeout or a refusal is a loss.
 * @module
 */
import type { Sdk, TargetResult } from "multiwan/sdk";

/** query builds a DNS question (recursion desired) for `name`, type A. */
export function query(id: number, name: string): Uint8Array {
  const labels = name.replace(/\.$/, "").split(".").flatMap((l) => [l.length, ...new TextEncoder().encode(l)]);
  return new Uint8Array([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
}

/** answered: the reply is a response to `id` whose code says the resolver worked (NOERROR or NXDOMAIN). */
export function answered(reply: Uint8Array, id: number): boolean {
  return reply.length >= 12 && ((reply[0] << 8) | reply[1]) === id && (reply[2] & 0x80) !== 0 && [0, 3].includes(reply[3] & 0x0f);
}

export function setup({ v, defineTracker, udpExchange, ui }: Sdk) {
  const schema = v.strictObject({
    targets: v.pipe(v.array(v.pipe(v.string(), v.ipv4("Expected an IPv4 address"))), v.minLength(1), v.maxLength(8),
      v.title("Resolvers"), v.description("DNS servers to ask, reached through this uplink.")),
    name: v.optional(v.pipe(v.string(), v.regex(/^([a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63}\.?$/i, "A domain name"), v.maxLength(253),
      v.title("Name to resolve")), "example.com"),
    port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65_535), v.title("Port"), ui({ advanced: true })), 53),
    intervalMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(500), v.maxValue(600_000), v.title("Interval"),
      ui({ unit: "ms", step: 500 })), 10_000),
    timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(10_000), v.title("Timeout"),
      ui({ unit: "ms", step: 100 })), 1000),
  });

  return defineTracker({
    id: "tracker.dns",
    version: "1.0.0",
    kernel: "^1.0.0",
    title: "DNS query",
    description: "Asks DNS resolvers a question through the uplink; an answer means it works.",
    schema,
    create(ctx, c) {
      return {
        targets: c.targets,
        watch(binding, emit, intervalMs) {
          const abort = new AbortController();
          let every = intervalMs;
          let timer: { cancel(): void } | undefined;
          const inFlight = new Set<Promise<void>>();
          const ask = async (target: string) => {
            const id = Math.floor(Math.random() * 0x10000);
            const r = await udpExchange({
              binding, host: target, port: c.port, payload: query(id, c.name), timeoutMs: c.timeoutMs,
              accept: (reply) => ((reply[0] << 8) | reply[1]) === id, signal: abort.signal,
            });
            if (abort.signal.aborted) return;
            const result: TargetResult = r.ok && answered(r.reply, id)
              ? { target, ok: true, rttMs: r.rttMs }
              : { target, ok: false, error: r.ok ? "refused" : r.error };
            emit(result);
          };
          const round = () => {
            for (const t of c.targets) {
              const p = ask(t).finally(() => inFlight.delete(p));
              inFlight.add(p);
            }
            timer = ctx.clock.setTimeout(round, every);
          };
          round();
          return {
            setIntervalMs(ms) {
              every = ms;
              timer?.cancel();
              timer = ctx.clock.setTimeout(round, every);
            },
            async close() {
              abort.abort();
              timer?.cancel();
              await Promise.all(inFlight);
            },
          };
        },
      };
    },
  });
}
