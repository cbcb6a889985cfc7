/**
 * `GET /api/v1/events`: Server-Sent Events (state changes, plan changes, config changes,
 * plugin errors). `Last-Event-ID` resumes from the kernel's bounded buffer; when events
 * were dropped meanwhile a `reset` event tells the client to refetch the status.
 * @module
 */
import { streamSSE } from "hono/streaming";
import type { KernelEvent } from "../../src/events.ts";
import type { Deps } from "../deps.ts";
import { HttpError } from "../problem.ts";
import type { Route } from "../router.ts";

/** Open streams in all, and per credential (token, session or the environment's token). */
export const MAX_STREAMS = 64;
export const MAX_STREAMS_PER_CREDENTIAL = 8;
const MAX_QUEUE = 1000;

/**
 * EventStreams tracks open streams so shutdown can end them (Deno's shutdown waits for them).
 * Each stream registers its ender here rather than as a listener on one shared AbortSignal:
 * 50 open streams are 50 listeners, which Node reports as a leak (MaxListenersExceededWarning)
 * past ten.
 */
export class EventStreams {
  readonly #ctl = new AbortController();
  readonly #enders = new Set<() => void>();
  readonly heartbeatMs: number;
  open = 0;
  /** Open streams per credential key. */
  readonly byCredential = new Map<string, number>();
  constructor(heartbeatMs = 15_000) {
    this.heartbeatMs = heartbeatMs;
  }
  get signal(): AbortSignal {
    return this.#ctl.signal;
  }
  /** Streams ended so far are not told again; returns the unregister call. */
  onClose(end: () => void): () => void {
    if (this.#ctl.signal.aborted) {
      end();
      return () => {};
    }
    this.#enders.add(end);
    return () => this.#enders.delete(end);
  }
  /** Enders registered now (open streams). */
  get listening(): number {
    return this.#enders.size;
  }
  close(): void {
    this.#ctl.abort();
    const enders = [...this.#enders];
    this.#enders.clear();
    for (const end of enders) end();
  }
}

function frame(ev: KernelEvent) {
  return {
    event: ev.type,
    id: String(ev.id),
    data: JSON.stringify({ id: ev.id, at: new Date(ev.at).toISOString(), type: ev.type, data: ev.data }),
  };
}

export function eventRoutes(d: Deps, streams: EventStreams): Route[] {
  const bus = d.kernel.events;
  return [{
    method: "GET",
    path: "/api/v1/events",
    access: "read",
    tag: "events",
    summary: "Server-Sent Events: wan.state, plan.changed, config.changed, plugin.error, wan.cap",
    description: "Each event's id increases by one. Reconnect with Last-Event-ID (or ?lastEventId=) to resume; " +
      "a `reset` event means some were dropped: refetch /status. A `ready` event follows the replay.",
    headers: [{ name: "Last-Event-ID", description: "Resume after this event id", schema: { type: "string" } }],
    query: [{ name: "lastEventId", description: "Same as the header (for clients that cannot set it)", schema: { type: "string" } }],
    responses: {
      200: { description: "An endless event stream", type: "text/event-stream", schema: { type: "string" } },
      400: { description: "Malformed Last-Event-ID" },
      429: { description: "Too many open streams (8 per credential, 64 in all)" },
    },
    handler: (c) => {
      const raw = c.req.header("last-event-id") ?? c.req.query("lastEventId");
      if (raw !== undefined && !/^\d{1,15}$/.test(raw.trim())) {
        throw new HttpError(400, "E_BAD_EVENT_ID", "Last-Event-ID must be a non-negative integer");
      }
      const who = c.get("principal");
      const key = `${who.kind}:${who.id}`;
      const mine = streams.byCredential.get(key) ?? 0;
      if (mine >= MAX_STREAMS_PER_CREDENTIAL) {
        throw new HttpError(429, "E_TOO_MANY_STREAMS", `This credential already has ${mine} open event streams; close one first`, {
          headers: { "retry-after": "5" },
        });
      }
      if (streams.open >= MAX_STREAMS) {
        throw new HttpError(429, "E_TOO_MANY_STREAMS", "Too many open event streams", { headers: { "retry-after": "5" } });
      }
      const resumeFrom = raw === undefined ? undefined : Number(raw.trim());
      streams.open++;
      streams.byCredential.set(key, mine + 1);
      return streamSSE(c, async (stream) => {
        const queue: KernelEvent[] = [];
        let wake: (() => void) | undefined;
        let overflow = false;
        const off = bus.on((ev) => {
          if (queue.length >= MAX_QUEUE) overflow = true;
          else queue.push(ev);
          wake?.();
        });
        let done = false;
        const finish = () => {
          done = true;
          wake?.();
        };
        stream.onAbort(finish);
        const unregister = streams.onClose(finish);
        try {
          let sent = resumeFrom ?? bus.lastId;
          if (resumeFrom !== undefined) {
            // An id past the newest one comes from before a restart (ids start again at 1):
            // the client's picture is stale, so reset and replay what this daemon has.
            const restarted = resumeFrom > bus.lastId;
            const { events, complete } = bus.since(restarted ? 0 : resumeFrom);
            if (restarted || !complete) {
              const reason = restarted ? "the daemon restarted; refetch /api/v1/status" : "events were dropped; refetch /api/v1/status";
              await stream.writeSSE({ event: "reset", data: JSON.stringify({ reason }) });
            }
            sent = restarted ? 0 : sent;
            for (const ev of events) {
              await stream.writeSSE(frame(ev));
              sent = ev.id;
            }
          }
          await stream.writeSSE({ event: "ready", id: String(sent), data: JSON.stringify({ lastId: sent }) });
          while (!done && !streams.signal.aborted) {
            while (queue.length > 0) {
              const ev = queue.shift()!;
              if (ev.id <= sent) continue;
              await stream.writeSSE(frame(ev));
              sent = ev.id;
            }
            if (overflow) break; // too slow: the client reconnects with Last-Event-ID
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, streams.heartbeatMs);
              wake = () => {
                clearTimeout(t);
                resolve();
              };
            });
            wake = undefined;
            if (queue.length === 0 && !done) await stream.write(": keep-alive\n\n");
          }
        } finally {
          off();
          unregister();
          streams.open--;
          const left = (streams.byCredential.get(key) ?? 1) - 1;
          if (left > 0) streams.byCredential.set(key, left);
          else streams.byCredential.delete(key);
        }
      }, async () => {});
    },
  }];
}
