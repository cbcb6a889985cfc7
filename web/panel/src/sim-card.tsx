/**
 * The simulator card (sim dataplane only; shown when `GET /api/v1/sim` answers): per uplink
 * pull the cable, make the ISP silent, add loss and latency, restore; the LAN client load;
 * the demo presets. Everything goes through the public `/api/v1/sim` API.
 * @module
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError, get, request } from "./api.ts";
import type { SimState, SimUplink, Status } from "./types.ts";

export interface SimCardProps {
  readonly status: Status | undefined;
  /** Called after each change, so the page re-reads the status at once. */
  readonly changed: () => void;
  readonly subscribe: (fn: (type: string) => void) => () => void;
}

export function SimCard(p: SimCardProps) {
  const [sim, setSim] = useState<SimState | null>();
  const [error, setError] = useState<string>();
  const load = () =>
    get<SimState>("/sim", true).then(({ data }) => setSim(data)).catch(() => setSim(null));
  useEffect(() => {
    load();
    return p.subscribe((type) => {
      if (type === "sim.changed") load();
    });
  }, []);
  if (!sim) return null;

  const act = async (method: string, path: string, body?: unknown) => {
    setError(undefined);
    try {
      await request(method, `/sim${path}`, { body });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
    await load();
    p.changed();
  };
  const wanLabel = (n: string) => p.status?.wans.find((w) => w.name === n)?.label ?? n;
  const clientId = "sim-client";
  return (
    <section class="card sim" aria-labelledby="h-sim">
      <h2 id="h-sim">Simulator</h2>
      <p class="help">This daemon runs on a simulated world: break an uplink and watch the panel react.</p>
      {error && <p class="notice error" role="alert">{error}</p>}
      <ul class="sim-uplinks">
        {sim.uplinks.map((u) => (
          <SimRow key={u.device} u={u} title={`${u.wans.map(wanLabel).join(", ") || "unused"} (${u.device})`} act={act} />
        ))}
      </ul>
      <form
        class="sim-client"
        onSubmit={(e) => {
          e.preventDefault();
          const v = Number((e.currentTarget.elements.namedItem("perSecond") as HTMLInputElement).value);
          act("PUT", "/client", { perSecond: v });
        }}
      >
        <label for={clientId}>LAN client load (new connections per second)</label>
        <span class="input-row">
          <input id={clientId} name="perSecond" type="number" min={0} max={200} class="narrow" value={String(sim.client.perSecond)} />
          <button type="submit" class="small">Set load</button>
        </span>
      </form>
      {sim.presets.length > 0 && (
        <div class="presets">
          {sim.presets.map((s) => (
            <span key={s.name} class="preset">
              <span>{s.title}{s.running ? " (running)" : ""}</span>
              <button type="button" class="small" onClick={() => act("POST", `/presets/${encodeURIComponent(s.name)}/${s.running ? "stop" : "start"}`)}>
                {s.running ? "Stop" : "Start"} {s.name}
              </button>
            </span>
          ))}
        </div>
      )}
    </section>
  );
}

function SimRow(p: { u: SimUplink; title: string; act: (m: string, path: string, body?: unknown) => Promise<void> }) {
  const { u } = p;
  const base = `/uplinks/${encodeURIComponent(u.device)}`;
  const lossId = `sim-${u.device}-loss`;
  const latId = `sim-${u.device}-latency`;
  const trouble = !u.carrier || !u.upstream || !u.present || u.lossPct > 0;
  return (
    <li class="sim-row" data-device={u.device}>
      <h3>{p.title}</h3>
      <p class="muted sim-state">
        {!u.present ? "device absent" : !u.carrier ? "cable pulled" : !u.upstream ? "ISP silent" : "link up"}
        {" · "}{u.latencyMs} ms{u.lossPct > 0 ? ` · ${u.lossPct} % loss` : ""}
      </p>
      <div class="sim-actions">
        <button type="button" class="small" onClick={() => p.act("PATCH", base, { carrier: !u.carrier })}>
          {u.carrier ? "Pull the cable" : "Plug the cable in"}
        </button>
        <button type="button" class="small" onClick={() => p.act("PATCH", base, { upstream: !u.upstream })}>
          {u.upstream ? "Make the ISP silent" : "ISP answers again"}
        </button>
        <button type="button" class="small" disabled={!trouble && u.lossPct === 0} onClick={() => p.act("POST", `${base}/restore`)}>
          Restore
        </button>
      </div>
      <form
        class="sim-figures"
        onSubmit={(e) => {
          e.preventDefault();
          const f = e.currentTarget.elements;
          p.act("PATCH", base, {
            lossPct: Number((f.namedItem("lossPct") as HTMLInputElement).value),
            latencyMs: Number((f.namedItem("latencyMs") as HTMLInputElement).value),
          });
        }}
      >
        <span class="pair">
          <label for={lossId}>Loss %</label>
          <input id={lossId} name="lossPct" type="number" min={0} max={100} class="narrow" value={String(u.lossPct)} />
        </span>
        <span class="pair">
          <label for={latId}>Latency ms</label>
          <input id={latId} name="latencyMs" type="number" min={0} max={10000} class="narrow" value={String(u.latencyMs)} />
        </span>
        <button type="submit" class="small">Set</button>
      </form>
    </li>
  );
}
