/**
 * The interface list: per WAN its type icon, label, status dot with the reason in words,
 * address and gateway, live RTT/loss/jitter, share of flows, its type's status fields,
 * enable/disable, force down/auto, and (folded) its settings: the WAN type's generated form,
 * "Interface Status Tracking" (tracker plugin + its form) and the kernel's health settings.
 * @module
 */
import type { Issue } from "./api.ts";
import { fieldValue, jitter, ms, pct, stateOf } from "./format.ts";
import { TypeIcon } from "./icons.tsx";
import { Disclosure, fieldId, issuesAt, type JsonSchema, SchemaForm } from "./schema-form.tsx";
import type { PluginInfo, Status, WanStatus } from "./types.ts";

type Obj = Record<string, unknown>;

export interface WanListProps {
  readonly status: Status | undefined;
  /** WAN names in priority order, with their draft config. */
  readonly order: readonly string[];
  readonly wans: Readonly<Record<string, Obj>>;
  readonly plugins: readonly PluginInfo[];
  /** The whole entry schema of a WAN type (kernel keys + the plugin's), from the OpenAPI document. */
  readonly entrySchema: (type: string) => JsonSchema | undefined;
  readonly issues: readonly Issue[];
  readonly onChange: (name: string, next: Obj) => void;
  readonly onAction: (name: string, action: "down" | "up" | "auto") => void;
}

export function WanList(p: WanListProps) {
  return (
    <section class="card" aria-labelledby="h-interfaces">
      <h2 id="h-interfaces">Interfaces</h2>
      <ul class="wan-list">
        {p.order.map((name) => (
          <WanRow key={name} name={name} {...p} w={p.status?.wans.find((x) => x.name === name)} cfg={p.wans[name]} />
        ))}
      </ul>
    </section>
  );
}

function WanRow(p: WanListProps & { name: string; w: WanStatus | undefined; cfg: Obj }) {
  const { w, cfg, name } = p;
  const type = String(cfg.type);
  const plugin = p.plugins.find((x) => x.id === type);
  const label = (cfg.label as string | undefined) || w?.label || name;
  const st = w ? stateOf(w) : { dot: "down" as const, word: "Not running yet" };
  const enabled = cfg.enabled !== false;
  const enabledId = fieldId(`wans.${name}.enabled`);
  const hasIssues = p.issues.some((i) => i.path.startsWith(`wans.${name}.`));
  return (
    <li class="wan" data-wan={name} data-state={st.dot} data-word={st.word}>
      <div class="wan-head">
        <TypeIcon type={type} />
        <div class="wan-title">
          <h3>{label}</h3>
          <span class="muted">{plugin?.title ?? type} · {w?.device ?? String(cfg.device ?? "")}</span>
        </div>
        <p class="wan-state">
          <span class={`dot dot-${st.dot}`} aria-hidden="true" />
          <strong class="state-word">{st.word}</strong>
          {w && <span class="reason">{w.reason}</span>}
        </p>
      </div>
      {w && (
        <dl class="figures">
          <div><dt>Address</dt><dd>{w.address ?? "—"}</dd></div>
          <div><dt>Gateway</dt><dd>{w.gateway ?? "—"}</dd></div>
          <div><dt>RTT</dt><dd class="rtt">{w.state === "down" ? "—" : ms(w.latencyMs)}</dd></div>
          <div><dt>Loss</dt><dd class="loss">{pct(w.lossPct)}</dd></div>
          <div><dt>Jitter</dt><dd>{w.state === "down" ? "—" : ms(jitter(w))}</dd></div>
          <div class="share-cell">
            <dt>Share of flows</dt>
            <dd>
              <span class="share">{pct(w.share * 100)}</span>
              <span class="bar" aria-hidden="true"><span ref={(el) => {
                if (el) el.style.width = `${Math.round(w.share * 100)}%`;
              }} /></span>
              <span class="muted"> {w.flows} flows{w.carrying ? " · carries new connections" : ""}</span>
            </dd>
          </div>
          {(plugin?.statusFields ?? []).map((f) => (
            <div key={f.key}><dt>{f.title}</dt><dd>{fieldValue(w.details[f.key], f.unit)}</dd></div>
          ))}
        </dl>
      )}
      <div class="wan-actions">
        <span class="switch">
          <input
            type="checkbox"
            id={enabledId}
            checked={enabled}
            onChange={(e) => p.onChange(name, { ...cfg, enabled: e.currentTarget.checked })}
          />
          <label for={enabledId}>Enabled</label>
        </span>
        <span class="force" role="group" aria-label={`Manual override for ${label} (takes effect at once)`}>
          <button type="button" class="small" aria-pressed={w?.override === "down"} onClick={() => p.onAction(name, "down")}>Force down</button>
          <button type="button" class="small" aria-pressed={w?.override === "up"} onClick={() => p.onAction(name, "up")}>Force up</button>
          <button type="button" class="small" aria-pressed={w !== undefined && w.override === undefined} onClick={() => p.onAction(name, "auto")}>Auto</button>
        </span>
      </div>
      <Disclosure class="wan-settings" summary={`Settings of ${label}`} openNow={hasIssues}>
        <WanSettings {...p} />
      </Disclosure>
    </li>
  );
}

function WanSettings(p: WanListProps & { name: string; cfg: Obj }) {
  const { name, cfg } = p;
  const type = String(cfg.type);
  const entry = p.entrySchema(type) ?? p.plugins.find((x) => x.id === type)?.schema;
  const trackers = p.plugins.filter((x) => x.kind === "tracker");
  const tracker = (cfg.tracker as Obj | undefined) ?? { type: "tracker.link" };
  const trackerPlugin = trackers.find((t) => t.id === tracker.type);
  const healthSchema = entry?.properties?.health;
  const trackerId = fieldId(`wans.${name}.tracker.type`);
  const trackerIssues = issuesAt(p.issues, `wans.${name}.tracker.type`);
  return (
    <div class="settings-body">
      {entry && (
        <SchemaForm
          schema={entry}
          value={cfg}
          path={`wans.${name}`}
          issues={p.issues}
          omit={["type", "enabled", "priority", "weight", "tracker", "health"]}
          onChange={(next) => p.onChange(name, next)}
        />
      )}
      <fieldset class="tracking">
        <legend>Interface Status Tracking</legend>
        <div class="field">
          <label for={trackerId}>Tracking method</label>
          <select
            id={trackerId}
            value={String(tracker.type)}
            aria-describedby={`${trackerId}-desc`}
            onChange={(e) => p.onChange(name, { ...cfg, tracker: { type: e.currentTarget.value } })}
          >
            {trackers.map((t) => <option key={t.id} value={t.id}>{t.title}</option>)}
          </select>
          <small id={`${trackerId}-desc`} class="help">{trackerPlugin?.description}</small>
          {trackerIssues.length > 0 && <p class="field-error" role="alert">{trackerIssues.map((i) => i.message).join("; ")}</p>}
        </div>
        {trackerPlugin && (
          <SchemaForm
            schema={trackerPlugin.schema}
            value={tracker}
            path={`wans.${name}.tracker`}
            issues={p.issues}
            omit={["type"]}
            onChange={(next) => p.onChange(name, { ...cfg, tracker: { ...next, type: tracker.type } })}
          />
        )}
      </fieldset>
      {healthSchema && (
        <Disclosure summary="Advanced: health settings" openNow={p.issues.some((i) => i.path.startsWith(`wans.${name}.health.`))}>
          <SchemaForm
            schema={healthSchema}
            value={cfg.health as Obj | undefined}
            path={`wans.${name}.health`}
            issues={p.issues}
            onChange={(next) => p.onChange(name, { ...cfg, health: Object.keys(next).length ? next : undefined })}
          />
        </Disclosure>
      )}
    </div>
  );
}
