/**
 * The Multi-WAN page: interfaces, method and priorities, charts, event timeline, simulator.
 * Settings are edited in a draft of the config document; Apply validates the whole draft
 * first (`POST /config/validate`), shows each issue next to its field, and only then writes
 * it with `If-Match` (a 412 means someone else changed it: reported, offered for reload,
 * never overwritten). Force down/up/auto act at once, outside the draft.
 * @module
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, get, type Issue, request } from "./api.ts";
import { Chart } from "./charts.tsx";
import { checkConfirm, onConfigReload, type WriteAnswer } from "./confirm.tsx";
import { timelineText, useLive } from "./live.ts";
import { Method } from "./method.tsx";
import { documentSchema, PolicyCard } from "./policy-card.tsx";
import { fieldId, type JsonSchema } from "./schema-form.tsx";
import { SimCard } from "./sim-card.tsx";
import type { Doc, PluginInfo } from "./types.ts";
import { WanList } from "./wan-list.tsx";

type Obj = Record<string, unknown>;

interface Saved {
  readonly doc: Doc;
  readonly etag: string;
}

interface Notice {
  readonly kind: "ok" | "error" | "info";
  readonly text: string;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** orderOf lists WAN names by priority, then by their place in the document. */
export function orderOf(wans: Readonly<Record<string, Obj>>): string[] {
  const names = Object.keys(wans);
  return names
    .map((n, i) => ({ n, i, p: Number(wans[n].priority ?? 1) }))
    .sort((a, b) => a.p - b.p || a.i - b.i)
    .map((x) => x.n);
}

/**
 * entrySchemas reads each plugin's whole entry schema (kernel keys + the plugin's) from the
 * OpenAPI document: WAN types from `WanEntry`, modes from `ModeEntry`.
 */
function entrySchemas(openapi: unknown, component = "WanEntry"): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  const entry = (openapi as { components?: { schemas?: Record<string, { oneOf?: JsonSchema[] }> } })
    ?.components?.schemas?.[component];
  for (const s of entry?.oneOf ?? []) {
    const id = s.properties?.type?.const;
    if (typeof id === "string") out[id] = s;
  }
  return out;
}

export function MultiWanPage() {
  const live = useLive();
  const [plugins, setPlugins] = useState<PluginInfo[]>();
  const [entries, setEntries] = useState<Record<string, JsonSchema>>({});
  const [modeEntries, setModeEntries] = useState<Record<string, JsonSchema>>({});
  const [docSchema, setDocSchema] = useState<JsonSchema>();
  const [saved, setSaved] = useState<Saved>();
  const [draft, setDraft] = useState<Doc>();
  const [issues, setIssues] = useState<Issue[]>([]);
  const [notice, setNotice] = useState<Notice>();
  const [conflict, setConflict] = useState(false);
  const [busy, setBusy] = useState(false);
  const [loadError, setLoadError] = useState<string>();

  const loadConfig = async () => {
    const { data, etag } = await get<Doc>("/config");
    setSaved({ doc: data, etag: etag ?? "" });
    setDraft(structuredClone(data));
    setIssues([]);
    setConflict(false);
  };

  useEffect(() => {
    Promise.all([
      get<{ plugins: PluginInfo[] }>("/plugins").then(({ data }) => setPlugins(data.plugins)),
      get<unknown>("/openapi.json").then(({ data }) => {
        setEntries(entrySchemas(data));
        setModeEntries(entrySchemas(data, "ModeEntry"));
        setDocSchema(documentSchema(data));
      }).catch(() => {}),
      loadConfig(),
    ]).catch((err) => setLoadError((err as Error).message));
  }, []);

  const dirty = saved !== undefined && draft !== undefined && !same(saved.doc, draft);
  // The stream's listener reads the latest state through this ref (it is registered once).
  const latest = useRef({ saved, dirty });
  latest.current = { saved, dirty };
  useEffect(() => {
    return live.onEvent((type, data) => {
      const { saved, dirty } = latest.current;
      if (type !== "config.changed" || !saved) return;
      const revision = (data as { revision?: number }).revision;
      if (saved.etag === `"${revision}"`) return;
      checkConfirm();
      if (!dirty) loadConfig().catch(() => {});
      else setNotice({ kind: "info", text: `The settings were changed elsewhere (revision ${revision}). Applying yours will be refused; reload to see theirs.` });
    });
  }, []);
  // The confirm banner's countdown ended (api.listen put back): read the settings again.
  useEffect(() => onConfigReload(() => {
    if (!latest.current.dirty) loadConfig().catch(() => {});
  }), []);

  const wans = (draft?.wans ?? {}) as Record<string, Obj>;
  const order = useMemo(() => orderOf(wans), [draft]);

  if (loadError) return <main id="main" tabIndex={-1} class="page"><p class="notice error" role="alert">Could not load the settings: {loadError}</p></main>;
  if (!draft || !plugins || !saved) return <main id="main" tabIndex={-1} class="page"><p class="loading">Loading…</p></main>;

  const setWan = (name: string, next: Obj) => {
    setDraft({ ...draft, wans: { ...wans, [name]: next } } as Doc);
  };
  const setOrder = (names: string[], balance = /balanc/i.test(String((draft.mode as Obj).type))) => {
    const next: Record<string, Obj> = {};
    for (const n of Object.keys(wans)) next[n] = wans[n];
    if (!balance) names.forEach((n, i) => (next[n] = { ...wans[n], priority: i + 1 }));
    else {
      // Keep the tiers, in the new order: a row takes the priority of the place it moved to.
      const prios = order.map((n) => Number(wans[n].priority ?? 1));
      names.forEach((n, i) => (next[n] = { ...wans[n], priority: prios[i] }));
    }
    setDraft({ ...draft, wans: next } as Doc);
  };
  const setMode = (mode: Obj) => {
    const before = String((draft.mode as Obj).type);
    const after = String(mode.type);
    const next: Doc = { ...draft, mode: mode as Doc };
    if (before !== after) {
      const toBalance = /balanc/i.test(after);
      const w: Record<string, Obj> = {};
      order.forEach((n, i) => (w[n] = { ...wans[n], priority: toBalance ? 1 : i + 1 }));
      for (const n of Object.keys(wans)) w[n] ??= wans[n];
      next.wans = w as Doc;
      // Keep the settings both modes share (Forced Refresh Streams, sticky sessions).
      const old = draft.mode as Obj;
      const schema = modeEntries[after] ?? plugins.find((p) => p.id === after)?.schema;
      for (const k of Object.keys(schema?.properties ?? {})) if (old[k] !== undefined && mode[k] === undefined) (next.mode as Obj)[k] = old[k] as never;
    }
    setDraft(next);
  };
  const action = async (name: string, a: "down" | "up" | "auto") => {
    try {
      await request("POST", `/wans/${encodeURIComponent(name)}/actions/${a}`);
      setNotice({ kind: "ok", text: a === "auto" ? `${name}: back to automatic.` : `${name}: forced ${a}.` });
    } catch (err) {
      setNotice({ kind: "error", text: (err as Error).message });
    }
    live.refresh();
  };

  const apply = async () => {
    setBusy(true);
    setNotice(undefined);
    try {
      const check = await request<{ valid: boolean; issues: Issue[] }>("POST", "/config/validate", { body: draft });
      if (!check.data.valid) {
        showIssues(check.data.issues);
        return;
      }
      const res = await request<WriteAnswer>("PUT", "/config", { body: draft, headers: { "if-match": saved.etag } });
      await loadConfig();
      setNotice({ kind: "ok", text: `Applied (revision ${res.data.revision}).` });
      checkConfirm(res.data);
      live.refresh();
    } catch (err) {
      const e = err as ApiError;
      if (e.status === 412) {
        setConflict(true);
        setNotice({
          kind: "error",
          text: "Someone changed the settings since you opened this page. Nothing was applied, and their change was not overwritten.",
        });
      } else if (e.issues?.length) showIssues(e.issues);
      else setNotice({ kind: "error", text: e.message });
    } finally {
      setBusy(false);
    }
  };
  const showIssues = (list: readonly Issue[]) => {
    setIssues([...list]);
    setNotice({ kind: "error", text: `${list.length} setting${list.length === 1 ? " needs" : "s need"} attention; nothing was changed.` });
    requestAnimationFrame(() => {
      for (const i of list) {
        const el = document.getElementById(fieldId(i.path.replace(/\[\d+\]$/, "")));
        if (el) {
          el.focus();
          break;
        }
      }
    });
  };
  const discard = () => {
    setDraft(structuredClone(saved.doc));
    setIssues([]);
    setNotice(undefined);
  };

  const status = live.status;
  const wanLabel = (n: string) => status?.wans.find((w) => w.name === n)?.label || n;
  // Charts follow the priority list, so each interface keeps its colour while the order holds.
  const statusWans = order.map((n) => status?.wans.find((w) => w.name === n)).filter((w) => w !== undefined);
  return (
    <main id="main" tabIndex={-1} class="page">
      <div class="page-head">
        <h1>Multi-WAN</h1>
        <p class="muted plan" aria-live="polite">
          <span class={`live-dot${live.connected ? " on" : ""}`} aria-hidden="true" />
          {live.connected ? "Live" : "Reconnecting…"}
          {status && ` · ${status.plan.summary}`}
        </p>
      </div>
      {live.error && <p class="notice error" role="alert">{live.error}</p>}
      {status?.dataplane.error && <p class="notice error" role="alert">Dataplane: {status.dataplane.error}</p>}
      <div class="grid">
        <div class="col">
          <WanList
            status={status}
            order={order}
            wans={wans}
            plugins={plugins}
            entrySchema={(t) => entries[t]}
            issues={issues}
            onChange={setWan}
            onAction={action}
          />
          <section class="card" aria-labelledby="h-events">
            <h2 id="h-events">Events</h2>
            {live.timeline.length === 0
              ? <p class="muted">No events yet.</p>
              : (
                <ol class="timeline" aria-live="polite" aria-label="Recent events, newest first" tabIndex={0}>
                  {live.timeline.map((e) => <li key={`${e.at}-${e.id}`} class={`ev ev-${e.kind}`}>{timelineText(e, wanLabel)}</li>)}
                </ol>
              )}
          </section>
        </div>
        <div class="col">
          <Method
            mode={draft.mode as Obj}
            order={order}
            wans={wans}
            plugins={plugins}
            status={status}
            issues={issues}
            modeSchema={(t) => modeEntries[t]}
            onMode={setMode}
            onOrder={(names) => setOrder(names)}
            onWan={setWan}
          />
          <section class="card" aria-labelledby="h-charts">
            <h2 id="h-charts">Latency and loss</h2>
            <Chart title="Latency (RTT)" unit="ms" pick="rtt" series={live.series} wans={statusWans} />
            <Chart title="Loss" unit="%" pick="loss" series={live.series} wans={statusWans} />
          </section>
          <SimCard status={status} changed={live.refresh} subscribe={live.onEvent} />
        </div>
      </div>
      <PolicyCard schema={docSchema} draft={draft} issues={issues} onChange={setDraft} />
      <div class={`apply-bar${dirty || notice ? " show" : ""}`} role="region" aria-label="Apply changes">
        <p class={`notice ${notice?.kind ?? "info"}`} role={notice?.kind === "error" ? "alert" : "status"} data-testid="notice">
          {notice?.text ?? (dirty ? "You have changes that are not applied yet." : "")}
        </p>
        {issues.length > 0 && (
          <ul class="issue-list">
            {issues.map((i) => {
              const id = fieldId(i.path.replace(/\[\d+\]$/, ""));
              const label = document.querySelector(`label[for="${id}"]`)?.textContent?.replace(/\s*\*$/, "");
              const wan = /^wans\.([^.]+)\./.exec(i.path)?.[1];
              const where = label ? `${wan ? `${String(wans[wan]?.label ?? wan)} › ` : ""}${label}` : i.path;
              return (
                <li key={i.path + i.message}>
                  <button type="button" class="link" onClick={() => document.getElementById(id)?.focus()}>{where}</button>: {i.message}
                </li>
              );
            })}
          </ul>
        )}
        <div class="apply-buttons">
          {conflict && <button type="button" onClick={() => loadConfig().then(() => setNotice({ kind: "info", text: "Reloaded the current settings." }))}>Reload settings</button>}
          <button type="button" class="secondary" disabled={!dirty || busy} onClick={discard}>Discard</button>
          <button type="button" class="primary" disabled={!dirty || busy || conflict} onClick={apply}>{busy ? "Applying…" : "Apply"}</button>
        </div>
      </div>
    </main>
  );
}
