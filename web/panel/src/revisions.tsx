/**
 * The Revisions page (`#/revisions`): the kept config revisions (who, when, from where, what),
 * the changes from a chosen revision to the current one (the API's JSON Patch, shown as
 * "path: old → new"), and "Roll back" to a revision after a confirmation. A rollback names the
 * current revision (`If-Match`): when someone changed the settings meanwhile, the 412 is
 * reported and the list offered for reload, nothing rolled back.
 * @module
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError, get, request } from "./api.ts";
import { checkConfirm, onConfigReload, type WriteAnswer } from "./confirm.tsx";

interface Entry {
  readonly revision: number;
  readonly at: string;
  readonly author: string;
  readonly remote?: string;
  readonly summary: string;
}

interface PatchOp {
  readonly op: "add" | "remove" | "replace";
  readonly path: string;
  readonly value?: unknown;
}

interface Notice {
  readonly kind: "ok" | "error" | "info";
  readonly text: string;
}

/** readablePath turns a JSON Pointer (`/wans/ethernet/priority`) into `wans › ethernet › priority`. */
export function readablePath(pointer: string): string {
  if (pointer === "") return "(the whole document)";
  return pointer.slice(1).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~")).join(" › ");
}

/** valueAt follows a JSON Pointer through a document. */
function valueAt(doc: unknown, pointer: string): unknown {
  if (pointer === "") return doc;
  let cur = doc;
  for (const raw of pointer.slice(1).split("/")) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[part] : undefined;
  }
  return cur;
}

function shown(v: unknown): string {
  if (v === undefined) return "—";
  const s = JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
}

export function RevisionsPage() {
  const [list, setList] = useState<Entry[]>();
  const [etag, setEtag] = useState("");
  const [current, setCurrent] = useState<number>();
  const [chosen, setChosen] = useState<number>();
  const [diff, setDiff] = useState<{ from: number; to: number; ops: PatchOp[]; old: unknown }>();
  const [asking, setAsking] = useState<number>();
  const [notice, setNotice] = useState<Notice>();
  const [conflict, setConflict] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try {
      const [revs, cfg] = await Promise.all([
        get<{ revisions: Entry[] }>("/config/revisions"),
        get<unknown>("/config"),
      ]);
      setList(revs.data.revisions);
      setEtag(cfg.etag ?? "");
      setCurrent(Number((cfg.etag ?? "").replace(/"/g, "")));
      setConflict(false);
    } catch (err) {
      setNotice({ kind: "error", text: `Could not read the revisions: ${(err as Error).message}` });
    }
  };
  useEffect(() => {
    load();
    return onConfigReload(() => {
      load();
      setDiff(undefined);
    });
  }, []);

  const show = async (rev: number) => {
    if (current === undefined) return;
    setChosen(rev);
    try {
      const [patch, old] = await Promise.all([
        get<PatchOp[]>(`/config/revisions/${rev}/diff/${current}`),
        get<unknown>(`/config/revisions/${rev}`),
      ]);
      setDiff({ from: rev, to: current, ops: patch.data, old: old.data });
    } catch (err) {
      setNotice({ kind: "error", text: (err as Error).message });
    }
  };

  const rollback = async (rev: number) => {
    setBusy(true);
    setNotice(undefined);
    try {
      const res = await request<WriteAnswer>("POST", `/config/revisions/${rev}/rollback`, { headers: { "if-match": etag } });
      setAsking(undefined);
      setNotice({ kind: "ok", text: `Rolled back to revision ${rev}: the settings are now revision ${res.data.revision}.` });
      checkConfirm(res.data);
      setDiff(undefined);
      await load();
    } catch (err) {
      const e = err as ApiError;
      setAsking(undefined);
      if (e.status === 412) {
        setConflict(true);
        setNotice({ kind: "error", text: "Someone changed the settings since this list was read. Nothing was rolled back; reload to see their change." });
      } else {
        setNotice({ kind: "error", text: e.issues?.length ? `${e.message}: ${e.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}` : e.message });
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" tabIndex={-1} class="page">
      <div class="page-head">
        <h1>Revisions</h1>
        <p class="muted">Each change of the settings is kept here: look at what changed since, or go back to it.</p>
      </div>
      <p class={`notice ${notice?.kind ?? "info"}`} role={notice?.kind === "error" ? "alert" : "status"} data-testid="rev-notice">
        {notice?.text ?? ""}
      </p>
      {conflict && (
        <p>
          <button type="button" onClick={() => load().then(() => setNotice({ kind: "info", text: "Reloaded the revisions." }))}>Reload revisions</button>
        </p>
      )}
      <div class="grid">
        <section class="card" aria-labelledby="h-revisions">
          <h2 id="h-revisions">Kept revisions</h2>
          {list === undefined ? <p class="loading">Loading…</p> : list.length === 0 ? <p class="muted">No revisions kept yet.</p> : (
            <ol class="revisions" aria-labelledby="h-revisions">
              {list.map((r) => {
                const isCurrent = r.revision === current;
                return (
                  <li key={r.revision} data-rev={r.revision} class={`rev${chosen === r.revision ? " chosen" : ""}`}>
                    <div class="rev-head">
                      <strong>Revision {r.revision}</strong>
                      {isCurrent && <span class="badge">current</span>}
                      <time dateTime={r.at} class="muted">{new Date(r.at).toLocaleString()}</time>
                    </div>
                    <p class="rev-summary">{r.summary}</p>
                    <p class="muted small-text">{r.author}{r.remote ? ` from ${r.remote}` : ""}</p>
                    {!isCurrent && (
                      <div class="rev-actions">
                        <button type="button" class="small" aria-pressed={chosen === r.revision} onClick={() => show(r.revision)}>
                          Changes since {r.revision}
                        </button>
                        <button type="button" class="small secondary" onClick={() => setAsking(r.revision)}>Roll back to {r.revision}</button>
                      </div>
                    )}
                    {asking === r.revision && (
                      <div class="ask" role="group" aria-label={`Roll back to revision ${r.revision}?`}>
                        <p>
                          Put the settings back as they were in revision {r.revision}? This is applied at once, as a new revision;
                          the revisions after it stay in the list.
                        </p>
                        <button type="button" class="primary" disabled={busy} onClick={() => rollback(r.revision)} ref={(el) => el?.focus()}>
                          {busy ? "Rolling back…" : `Yes, roll back to ${r.revision}`}
                        </button>{" "}
                        <button type="button" class="secondary" onClick={() => setAsking(undefined)}>Cancel</button>
                      </div>
                    )}
                  </li>
                );
              })}
            </ol>
          )}
        </section>
        <section class="card" aria-labelledby="h-diff" aria-live="polite">
          <h2 id="h-diff">{diff ? `Changes from revision ${diff.from} to ${diff.to} (current)` : "Changes"}</h2>
          {!diff
            ? <p class="muted">Choose "Changes since …" on a revision to see what changed from it to the current settings.</p>
            : diff.ops.length === 0
            ? <p class="muted">No difference.</p>
            : (
              <table class="diff">
                <caption class="sr-only">Changed settings</caption>
                <thead><tr><th scope="col">Setting</th><th scope="col">In {diff.from}</th><th scope="col">Now</th></tr></thead>
                <tbody>
                  {diff.ops.map((op) => (
                    <tr key={op.op + op.path} class={`op-${op.op}`}>
                      <th scope="row"><code>{readablePath(op.path)}</code></th>
                      <td>{op.op === "add" ? <em>not set</em> : <code>{shown(valueAt(diff.old, op.path))}</code>}</td>
                      <td>{op.op === "remove" ? <em>removed</em> : <code>{shown(op.value)}</code>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
        </section>
      </div>
    </main>
  );
}
