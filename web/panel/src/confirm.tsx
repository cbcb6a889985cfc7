/**
 * Confirm-or-revert of `api.listen` in the panel. A write that changes `api.listen` answers
 * with `notice` and `confirmBy`; the daemon then listens on the new addresses beside the old
 * ones until `POST /api/v1/config/confirm`, or puts the old ones back when `confirmBy` passes.
 * The banner shows the pending change with a countdown and "Keep this change"; when the
 * countdown ends it says the change was put back and asks the open pages to reload the config
 * ({@link onConfigReload}). It also finds a change made elsewhere (CLI, another tab) through
 * `GET /api/v1/config/confirm`, read at start and whenever {@link checkConfirm} is called.
 * @module
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { get, request } from "./api.ts";

/** What a config write answers (PUT/PATCH /config, rollback, import). */
export interface WriteAnswer {
  readonly revision?: number;
  readonly notice?: string;
  readonly confirmBy?: string;
}

interface Pending {
  readonly listen: readonly string[];
  readonly confirmBy: string;
}

type State =
  | { kind: "none" }
  | { kind: "pending"; pending: Pending; notice?: string }
  | { kind: "kept"; listen: readonly string[] }
  | { kind: "reverted" }
  | { kind: "info"; notice: string };

const RELOAD = "multiwan:config-reload";
const CHECK = "multiwan:confirm-check";

/** onConfigReload registers what a page does when the config must be read again; returns the unsubscribe. */
export function onConfigReload(fn: () => void): () => void {
  addEventListener(RELOAD, fn);
  return () => removeEventListener(RELOAD, fn);
}

/** checkConfirm asks the banner to read `GET /config/confirm` again (after a config change). */
export function checkConfirm(answer?: WriteAnswer): void {
  dispatchEvent(new CustomEvent(CHECK, { detail: answer }));
}

/** hrefOf links a listen address (none for a wildcard: its host is not known here). */
function hrefOf(listen: string): string | undefined {
  if (/^(0\.0\.0\.0|\[::\]):/.test(listen)) return undefined;
  return `http://${listen}/`;
}

function left(confirmBy: string, now: number): number {
  return Math.max(0, Math.ceil((Date.parse(confirmBy) - now) / 1000));
}

export function ConfirmBanner() {
  const [state, setState] = useState<State>({ kind: "none" });
  const [now, setNow] = useState(Date.now());
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const current = useRef(state);
  current.current = state;

  const read = async (answer?: WriteAnswer) => {
    try {
      const { data } = await get<{ pending: Pending | null }>("/config/confirm");
      setNow(Date.now());
      if (data.pending) setState({ kind: "pending", pending: data.pending, notice: answer?.notice });
      else if (answer?.notice) setState({ kind: "info", notice: answer.notice });
      else {
        // Nothing waits any more: kept (confirmed elsewhere) when the document has the new addresses.
        const { data: doc } = await get<{ api?: { listen?: string[] } }>("/config");
        const now = JSON.stringify(doc.api?.listen ?? []);
        const was = current.current;
        if (was.kind !== "pending") return;
        if (now === JSON.stringify(was.pending.listen)) setState({ kind: "kept", listen: was.pending.listen });
        else {
          setState({ kind: "reverted" });
          // api.listen was put back as a new revision: the open page reads the settings again.
          dispatchEvent(new Event(RELOAD));
        }
      }
    } catch {
      // Not logged in or the daemon is away: the next check tells.
    }
  };

  useEffect(() => {
    read();
    const onCheck = (e: Event) => read((e as CustomEvent<WriteAnswer | undefined>).detail);
    addEventListener(CHECK, onCheck);
    return () => removeEventListener(CHECK, onCheck);
  }, []);

  const pending = state.kind === "pending" ? state.pending : undefined;
  useEffect(() => {
    if (!pending) return;
    // Past the deadline the daemon puts api.listen back (a new revision): read what happened.
    const deadline = Date.parse(pending.confirmBy);
    let asked = 0;
    const tick = setInterval(() => {
      const t = Date.now();
      setNow(t);
      // Every 3 s (kept elsewhere?), and past the deadline (put back?).
      if (t - asked >= 3000 || (t > deadline + 1000 && t - asked >= 2000)) {
        asked = t;
        read();
      }
    }, 1000);
    return () => clearInterval(tick);
  }, [pending?.confirmBy]);

  if (state.kind === "none") return null;
  const close = (
    <button type="button" class="small secondary" onClick={() => setState({ kind: "none" })}>Dismiss</button>
  );
  if (state.kind === "info" || state.kind === "kept" || state.kind === "reverted") {
    const text = state.kind === "info"
      ? state.notice
      : state.kind === "kept"
      ? `Kept: the API and this panel listen on ${state.listen.join(", ")} from now on.`
      : "Not confirmed in time: the listen addresses were put back as they were, and the settings were read again.";
    return (
      <div class={`confirm-banner ${state.kind === "reverted" ? "warn" : "ok"}`} role="status" data-testid="confirm-banner">
        <p>{text}</p>
        {close}
      </div>
    );
  }
  const p = state.pending;
  const secs = left(p.confirmBy, now);
  const here = p.listen.includes(location.host) || p.listen.some((l) => /^(0\.0\.0\.0|\[::\]):/.test(l) && l.endsWith(`:${location.port || "80"}`));
  const keep = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const { data } = await request<{ confirmed: string[] }>("POST", "/config/confirm");
      setState({ kind: "kept", listen: data.confirmed });
    } catch (err) {
      setError((err as Error).message);
      read();
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="confirm-banner warn" role="region" aria-labelledby="confirm-title" data-testid="confirm-banner">
      <div class="confirm-text">
        <p id="confirm-title" role="alert">
          <strong>The listen addresses changed.</strong> The API and this panel now listen on{" "}
          {p.listen.map((l, i) => {
            const href = hrefOf(l);
            return <span key={l}>{i > 0 && ", "}{href ? <a href={href}>{l}</a> : l}</span>;
          })}, and on the old addresses until you keep the change. Unless kept, it is put back by itself.
        </p>
        <p>
          <span class="countdown" data-testid="countdown">{secs} s</span> left to keep it
          {!here && " — ideally from one of the new addresses: the address of this page closes when you keep it."}
        </p>
        {error && <p class="field-error" role="alert">{error}</p>}
      </div>
      <button type="button" class="primary" disabled={busy} onClick={keep}>Keep this change</button>
    </div>
  );
}
