/**
 * "Multi-WAN method": the mode chosen from the mode plugins with the mode's own generated
 * settings (Forced Refresh Streams…), and the interfaces in priority order. The order changes
 * by drag and drop, by the "Move up"/"Move down" buttons, or by Alt+ArrowUp/ArrowDown on a
 * focused row; each move is announced. In load balance each interface has a ratio and the
 * resulting percentages are shown as they are typed.
 * @module
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { Issue } from "./api.ts";
import { stateOf } from "./format.ts";
import { TypeIcon } from "./icons.tsx";
import { fieldId, issuesAt, type JsonSchema, SchemaForm } from "./schema-form.tsx";
import type { PluginInfo, Status } from "./types.ts";

type Obj = Record<string, unknown>;

export interface MethodProps {
  readonly mode: Obj;
  readonly order: readonly string[];
  readonly wans: Readonly<Record<string, Obj>>;
  readonly plugins: readonly PluginInfo[];
  readonly status: Status | undefined;
  readonly issues: readonly Issue[];
  /** A mode's whole entry schema (kernel keys like sticky, degraded + the plugin's), from the OpenAPI document. */
  readonly modeSchema?: (type: string) => JsonSchema | undefined;
  readonly onMode: (next: Obj) => void;
  /** A new order (priorities are renumbered by the caller). */
  readonly onOrder: (order: string[]) => void;
  readonly onWan: (name: string, next: Obj) => void;
}

const isBalance = (type: string) => /balanc/i.test(type);

/** sharesOf gives each enabled WAN of the best priority its percentage of new connections. */
export function sharesOf(order: readonly string[], wans: Readonly<Record<string, Obj>>): Record<string, number> {
  const live = order.filter((n) => wans[n].enabled !== false);
  const best = Math.min(...live.map((n) => Number(wans[n].priority ?? 1)));
  const tier = live.filter((n) => Number(wans[n].priority ?? 1) === best);
  const total = tier.reduce((s, n) => s + Math.max(0, Number(wans[n].weight ?? 1) || 0), 0);
  const out: Record<string, number> = {};
  for (const n of tier) out[n] = total > 0 ? (100 * Math.max(0, Number(wans[n].weight ?? 1) || 0)) / total : 0;
  return out;
}

export function Method(p: MethodProps) {
  const modes = p.plugins.filter((x) => x.kind === "mode");
  const type = String(p.mode.type);
  const modePlugin = modes.find((m) => m.id === type);
  const balance = isBalance(type);
  const [said, setSaid] = useState("");
  const [focusTarget, setFocusTarget] = useState<string>();
  const [dragging, setDragging] = useState<string>();
  const list = useRef<HTMLOListElement>(null);
  const labelOf = (n: string) => String(p.wans[n].label || n);

  useEffect(() => {
    if (!focusTarget) return;
    const el = list.current?.querySelector<HTMLElement>(`[data-focus="${focusTarget}"]`);
    const fallback = list.current?.querySelector<HTMLElement>(`[data-row="${focusTarget.split(":")[0]}"]`);
    (el && !(el as HTMLButtonElement).disabled ? el : fallback)?.focus();
    setFocusTarget(undefined);
  }, [focusTarget]);

  const move = (name: string, by: number, focus: string) => {
    const from = p.order.indexOf(name);
    const to = Math.max(0, Math.min(p.order.length - 1, from + by));
    if (from === to) return;
    const next = [...p.order];
    next.splice(from, 1);
    next.splice(to, 0, name);
    p.onOrder(next);
    setSaid(`${labelOf(name)} moved to position ${to + 1} of ${next.length}.`);
    setFocusTarget(focus);
  };
  const shares = sharesOf(p.order, p.wans);
  const modeIssues = issuesAt(p.issues, "mode.type");

  return (
    <section class="card" aria-labelledby="h-method">
      <h2 id="h-method">Multi-WAN method</h2>
      <fieldset class="modes">
        <legend class="sr-only">Method</legend>
        {modes.map((m) => (
          <label key={m.id} class={`mode-choice${m.id === type ? " chosen" : ""}`}>
            <input
              type="radio"
              name="mode"
              value={m.id}
              checked={m.id === type}
              onChange={() => p.onMode({ type: m.id })}
            />
            <span>
              <strong>{m.title}</strong>
              <small class="help">{m.description}</small>
            </span>
          </label>
        ))}
        {modeIssues.length > 0 && <p class="field-error" role="alert">{modeIssues.map((i) => i.message).join("; ")}</p>}
      </fieldset>
      {modePlugin && (
        <SchemaForm
          schema={p.modeSchema?.(type) ?? modePlugin.schema}
          value={p.mode}
          path="mode"
          issues={p.issues}
          omit={["type"]}
          onChange={(next) => p.onMode({ ...next, type })}
        />
      )}
      <h3 id="h-priority">{balance ? "Interfaces and load ratio" : "Priority"}</h3>
      <p class="help" id="priority-help">
        {balance
          ? "New connections are spread over the enabled interfaces of the best priority by their ratio; the others stand by."
          : "The first healthy interface carries new connections. Drag a row, use Move up/down, or focus a row and press Alt+↑ / Alt+↓."}
      </p>
      <ol class="priority" ref={list} aria-labelledby="h-priority" aria-describedby="priority-help">
        {p.order.map((name, i) => {
          const cfg = p.wans[name];
          const w = p.status?.wans.find((x) => x.name === name);
          const st = w ? stateOf(w) : undefined;
          const label = labelOf(name);
          const weightId = fieldId(`wans.${name}.weight`);
          const prioId = fieldId(`wans.${name}.priority`);
          const errs = [...issuesAt(p.issues, `wans.${name}.weight`), ...issuesAt(p.issues, `wans.${name}.priority`)];
          return (
            <li
              key={name}
              data-row={name}
              tabIndex={0}
              draggable
              aria-label={`${label}, position ${i + 1} of ${p.order.length}`}
              class={`prio-row${dragging === name ? " dragging" : ""}${cfg.enabled === false ? " off" : ""}`}
              onKeyDown={(e) => {
                if (!e.altKey || (e.key !== "ArrowUp" && e.key !== "ArrowDown")) return;
                e.preventDefault();
                move(name, e.key === "ArrowUp" ? -1 : 1, `${name}:row`);
              }}
              onDragStart={(e) => {
                e.dataTransfer?.setData("text/plain", name);
                if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
                setDragging(name);
              }}
              onDragEnd={() => setDragging(undefined)}
              onDragOver={(e) => e.preventDefault()}
              onDrop={(e) => {
                e.preventDefault();
                const from = e.dataTransfer?.getData("text/plain") || dragging;
                setDragging(undefined);
                if (from && from !== name && p.order.includes(from)) move(from, i - p.order.indexOf(from), `${from}:row`);
              }}
            >
              <span class="grip" aria-hidden="true">⠿</span>
              <span class="pos" aria-hidden="true">{i + 1}</span>
              <TypeIcon type={String(cfg.type)} />
              <span class="prio-label">
                {label}
                {st && <span class={`dot dot-${st.dot}`} aria-hidden="true" />}
                {cfg.enabled === false && <span class="muted"> (disabled)</span>}
              </span>
              {balance && (
                <span class="ratio">
                  <NumberCell label="Priority" id={prioId} min={1} max={99} name={name} field="priority" {...p} />
                  <NumberCell label="Ratio" id={weightId} min={1} max={1000} name={name} field="weight" {...p} />
                  <output class="pct" for={weightId} aria-live="polite">
                    {shares[name] !== undefined ? `${Math.round(shares[name])} %` : "standby"}
                  </output>
                </span>
              )}
              <span class="moves">
                <button
                  type="button"
                  class="small icon"
                  data-focus={`${name}:up`}
                  aria-label={`Move ${label} up`}
                  disabled={i === 0}
                  onClick={() => move(name, -1, `${name}:up`)}
                >↑</button>
                <button
                  type="button"
                  class="small icon"
                  data-focus={`${name}:down`}
                  aria-label={`Move ${label} down`}
                  disabled={i === p.order.length - 1}
                  onClick={() => move(name, 1, `${name}:down`)}
                >↓</button>
              </span>
              {errs.length > 0 && <p class="field-error" role="alert">{errs.map((x) => x.message).join("; ")}</p>}
            </li>
          );
        })}
      </ol>
      <p class="sr-only" aria-live="assertive" data-testid="announce">{said}</p>
    </section>
  );
}

/** NumberCell is the priority or ratio input of one row in load balance. */
function NumberCell(p: MethodProps & { label: string; id: string; min: number; max: number; name: string; field: "priority" | "weight" }) {
  const cfg = p.wans[p.name];
  return (
    <>
      <label for={p.id}>{p.label}</label>
      <input
        id={p.id}
        type="number"
        min={p.min}
        max={p.max}
        class="narrow"
        value={String(cfg[p.field] ?? 1)}
        aria-invalid={issuesAt(p.issues, `wans.${p.name}.${p.field}`).length ? "true" : undefined}
        onInput={(e) => {
          const v = e.currentTarget.value;
          p.onWan(p.name, { ...cfg, [p.field]: v === "" ? undefined : Number(v) });
        }}
      />
    </>
  );
}
