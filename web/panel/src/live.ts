/**
 * Live data for the Multi-WAN page: the status (re-read every 2 s and at once on each event),
 * the event stream (EventSource resumes with Last-Event-ID by itself; when the stream is
 * closed for good, or the daemon restarted, it is reopened), the event timeline, and the
 * latency/loss history (from `GET /api/v1/history`, then extended with each status read).
 * @module
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { get } from "./api.ts";
import { clock } from "./format.ts";
import type { History, Status } from "./types.ts";

const POLL_MS = 2000;
const KEEP_MS = 10 * 60_000;
const TIMELINE_MAX = 40;

/** One line of the event timeline; WAN names are turned into labels when it is drawn. */
export interface TimelineEntry {
  readonly id: number;
  readonly at: number;
  readonly kind: string;
  /** The WAN the line is about (its label goes first). */
  readonly wan?: string;
  readonly text: string;
  /** Where new connections go since (a plan change right after a state change). */
  readonly carriers?: readonly string[];
}

/** timelineText renders an entry: "14:02:11 Ethernet down: 3 of 3 targets lost — new connections on Repeater". */
export function timelineText(e: TimelineEntry, label: (wan: string) => string): string {
  const where = e.carriers === undefined
    ? ""
    : e.carriers.length
    ? `new connections on ${e.carriers.map(label).join(", ")}`
    : "no uplink carries new connections";
  const head = `${clock(e.at)} ${e.wan ? `${label(e.wan)} ` : ""}${e.text}`;
  if (e.kind === "plan") return `${head}${where}`;
  return where ? `${head} — ${where}` : head;
}

/** Columnar series for the charts: time in seconds, then per WAN rtt and loss. */
export interface Series {
  t: number[];
  wans: Record<string, { rtt: (number | null)[]; loss: (number | null)[] }>;
  version: number;
}

export interface Live {
  readonly status: Status | undefined;
  readonly error: string | undefined;
  readonly connected: boolean;
  readonly timeline: readonly TimelineEntry[];
  readonly series: Series;
  /** refresh re-reads the status now. */
  refresh(): void;
  /** on registers a listener for every SSE event (type, data). */
  onEvent(fn: (type: string, data: unknown) => void): () => void;
}

interface KernelEventBody {
  id: number;
  at: string;
  type: string;
  data: Record<string, unknown>;
}

/** useLive runs while the Multi-WAN page is shown. */
export function useLive(): Live {
  const [status, setStatus] = useState<Status>();
  const [error, setError] = useState<string>();
  const [connected, setConnected] = useState(false);
  const [timeline, setTimeline] = useState<TimelineEntry[]>([]);
  const [, setTick] = useState(0);
  const series = useRef<Series>({ t: [], wans: {}, version: 0 });
  const statusRef = useRef<Status | undefined>(undefined);
  const listeners = useRef(new Set<(type: string, data: unknown) => void>());
  const refreshRef = useRef<() => void>(() => {});

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let es: EventSource | undefined;
    let lastId = 0;
    let reopen: ReturnType<typeof setTimeout> | undefined;

    const append = (s: Status) => {
      const now = Date.now() / 1000;
      const sr = series.current;
      sr.t.push(now);
      for (const w of s.wans) {
        sr.wans[w.name] ??= { rtt: sr.t.slice(1).map(() => null), loss: sr.t.slice(1).map(() => null) };
        const up = w.state !== "down";
        sr.wans[w.name].rtt.push(up && w.latencyMs !== undefined ? Math.round(w.latencyMs * 10) / 10 : null);
        sr.wans[w.name].loss.push(Math.round(w.lossPct * 10) / 10);
      }
      for (const k of Object.keys(sr.wans)) {
        const row = sr.wans[k];
        while (row.rtt.length < sr.t.length) row.rtt.push(null);
        while (row.loss.length < sr.t.length) row.loss.push(null);
      }
      const cut = sr.t.findIndex((t) => t >= now - KEEP_MS / 1000);
      if (cut > 0) {
        sr.t.splice(0, cut);
        for (const row of Object.values(sr.wans)) {
          row.rtt.splice(0, cut);
          row.loss.splice(0, cut);
        }
      }
      sr.version++;
    };

    const poll = async () => {
      clearTimeout(timer);
      try {
        const { data } = await get<Status & { uptimeMs?: number }>("/status");
        if (stopped) return;
        const before = statusRef.current as (Status & { uptimeMs?: number }) | undefined;
        if (before?.uptimeMs !== undefined && data.uptimeMs !== undefined && data.uptimeMs < before.uptimeMs) {
          // The daemon restarted: its event ids begin again; follow the new stream from its start.
          lastId = 0;
          open();
        }
        statusRef.current = data;
        setStatus(data);
        setError(undefined);
        append(data);
      } catch (err) {
        if (!stopped) setError((err as Error).message);
      }
      if (!stopped) timer = setTimeout(poll, document.hidden ? POLL_MS * 5 : POLL_MS);
    };
    let soon: ReturnType<typeof setTimeout> | undefined;
    const pollSoon = () => {
      clearTimeout(soon);
      soon = setTimeout(poll, 50);
    };
    refreshRef.current = pollSoon;

    const addEntry = (ev: KernelEventBody) => {
      const at = Date.parse(ev.at);
      const d = ev.data;
      setTimeline((list) => {
        if (list.some((e) => e.id === ev.id && e.at === at)) return list;
        let next = list;
        if (ev.type === "wan.state") {
          next = [{ id: ev.id, at, kind: `state-${String(d.to)}`, wan: String(d.wan), text: `${String(d.to)}: ${String(d.reason)}` }, ...list];
        } else if (ev.type === "plan.changed") {
          const carriers = ((d.carriers as { wan: string }[] | undefined) ?? []).map((c) => c.wan);
          const recent = list[0];
          if (recent && recent.kind.startsWith("state-") && at - recent.at < 3000 && recent.carriers === undefined) {
            next = [{ ...recent, carriers }, ...list.slice(1)];
          } else {
            next = [{ id: ev.id, at, kind: "plan", text: "Plan: ", carriers }, ...list];
          }
        } else if (ev.type === "config.changed") {
          next = [{ id: ev.id, at, kind: "config", text: `Settings applied (revision ${String(d.revision)})` }, ...list];
        } else if (ev.type === "plugin.error") {
          next = [{ id: ev.id, at, kind: "error", text: `${String(d.plugin)} (${String(d.instance)}): ${String(d.message)}` }, ...list];
        }
        return next.slice(0, TIMELINE_MAX);
      });
    };

    const open = () => {
      es?.close();
      clearTimeout(reopen);
      es = new EventSource(`/api/v1/events?lastEventId=${lastId}`);
      es.addEventListener("open", () => setConnected(true));
      es.addEventListener("ready", () => setConnected(true));
      es.addEventListener("reset", () => pollSoon());
      for (const type of ["wan.state", "plan.changed", "config.changed", "plugin.error", "sim.changed"]) {
        es.addEventListener(type, (e) => {
          const msg = e as MessageEvent<string>;
          if (msg.lastEventId) lastId = Number(msg.lastEventId) || lastId;
          let body: KernelEventBody | undefined;
          try {
            body = JSON.parse(msg.data) as KernelEventBody;
          } catch {
            return;
          }
          if (type !== "sim.changed") addEntry(body);
          for (const fn of listeners.current) fn(type, body.data ?? body);
          pollSoon();
        });
      }
      es.addEventListener("error", () => {
        setConnected(false);
        // CONNECTING: the browser retries with Last-Event-ID itself. CLOSED: reopen later.
        if (es?.readyState === EventSource.CLOSED && !stopped) reopen = setTimeout(open, 3000);
      });
    };

    get<History>("/history?minutes=10")
      .then(({ data }) => {
        if (stopped) return;
        const names = Object.keys(data.wans);
        const longest = names.reduce((a, n) => (data.wans[n].t.length > (data.wans[a]?.t.length ?? 0) ? n : a), names[0]);
        if (!longest) return;
        const t = data.wans[longest].t;
        const sr = series.current;
        const fresh: Series = { t: t.map((x) => x / 1000), wans: {}, version: sr.version + 1 };
        for (const n of names) {
          const h = data.wans[n];
          const pad = t.length - h.t.length;
          const fill = (xs: (number | null)[]) => [...Array<null>(Math.max(0, pad)).fill(null), ...xs.slice(Math.max(0, -pad))];
          fresh.wans[n] = {
            rtt: fill(h.rttMs.map((x, i) => (h.state[i] === "down" ? null : x))),
            loss: fill(h.lossPct),
          };
        }
        // Keep live points newer than the history's end.
        const end = fresh.t[fresh.t.length - 1] ?? 0;
        sr.t.forEach((x, i) => {
          if (x <= end) return;
          fresh.t.push(x);
          for (const n of Object.keys(sr.wans)) {
            fresh.wans[n] ??= { rtt: fresh.t.slice(1).map(() => null), loss: fresh.t.slice(1).map(() => null) };
            fresh.wans[n].rtt.push(sr.wans[n].rtt[i]);
            fresh.wans[n].loss.push(sr.wans[n].loss[i]);
          }
        });
        series.current = fresh;
        setTick((n) => n + 1);
      })
      .catch(() => {});
    poll();
    open();
    const onVisible = () => {
      if (!document.hidden) pollSoon();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(soon);
      clearTimeout(reopen);
      es?.close();
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, []);

  return {
    status,
    error,
    connected,
    timeline,
    series: series.current,
    refresh: () => refreshRef.current(),
    onEvent: (fn) => {
      listeners.current.add(fn);
      return () => listeners.current.delete(fn);
    },
  };
}
