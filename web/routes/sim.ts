/**
 * `/api/v1/sim...`: drive the simulated world (pull a cable, silence an ISP, add loss or
 * latency, restore; the LAN client's load; presets such as the demo cycle). Admin only.
 * Without a simulator (Linux dataplane) every path answers 404 `E_NOT_SIM`.
 * @module
 */
import * as v from "valibot";
import { readJson } from "../body.ts";
import { type Deps, parseBody, schemaOf } from "../deps.ts";
import { HttpError } from "../problem.ts";
import type { Route } from "../router.ts";
import type { SimControl, SimUplinkView } from "../sim-control.ts";

const PATCH_TYPES = ["application/json", "application/merge-patch+json"];
const JSON_ONLY = ["application/json"];
const LIMIT = 4096;

const bounded = (max: number, title: string) => v.pipe(v.number(), v.minValue(0), v.maxValue(max), v.title(title));

export const uplinkPatch = v.pipe(
  v.strictObject({
    present: v.optional(v.pipe(v.boolean(), v.title("Device present"), v.description("false: the device disappears (USB unplugged)"))),
    carrier: v.optional(v.pipe(v.boolean(), v.title("Cable plugged in"), v.description("false: pull the cable"))),
    upstream: v.optional(
      v.pipe(v.boolean(), v.title("ISP forwards traffic"), v.description("false: the ISP goes silent while the link stays up")),
    ),
    upstream6: v.optional(
      v.pipe(
        v.boolean(),
        v.title("ISP forwards IPv6"),
        v.description("false: IPv6 goes silent while IPv4 keeps working (uplinks with an IPv6 address)"),
      ),
    ),
    lossPct: v.optional(bounded(100, "Packet loss, %")),
    latencyMs: v.optional(bounded(10_000, "Added latency, ms")),
    jitterMs: v.optional(bounded(5_000, "Jitter, ms")),
  }),
  v.examples([{ carrier: false }, { upstream: false }, { lossPct: 30, latencyMs: 200 }]),
);

export const clientBody = v.pipe(
  v.strictObject({ perSecond: bounded(200, "New LAN connections per second") }),
  v.examples([{ perSecond: 20 }]),
);

const uplinkView = v.pipe(
  v.object({
    device: v.string(),
    wans: v.pipe(v.array(v.string()), v.description("WANs configured on this device")),
    present: v.boolean(),
    carrier: v.boolean(),
    upstream: v.boolean(),
    upstream6: v.optional(v.pipe(v.boolean(), v.description("Uplinks with an IPv6 address only"))),
    lossPct: v.number(),
    latencyMs: v.number(),
    jitterMs: v.number(),
  }),
  v.examples([{ device: "eth1", wans: ["ethernet"], present: true, carrier: true, upstream: true, lossPct: 0, latencyMs: 8, jitterMs: 1 }]),
);
const presetView = v.pipe(
  v.object({ name: v.string(), title: v.string(), running: v.boolean() }),
  v.examples([{ name: "demo", title: "Every 80 s the primary uplink's ISP goes silent\u2026", running: false }]),
);
const clientView = v.object({ perSecond: v.number() });
const simView = v.object({ uplinks: v.array(uplinkView), client: clientView, presets: v.array(presetView) });

const NOT_SIM = () => new HttpError(404, "E_NOT_SIM", "The simulator exists only on the sim dataplane");

export function simRoutes(d: Deps, sim: SimControl | undefined): Route[] {
  const need = (): SimControl => {
    if (!sim) throw NOT_SIM();
    return sim;
  };
  /** The WANs on each device, read once per request (without refreshing flow figures). */
  const wansByDevice = () => {
    const by = new Map<string, string[]>();
    for (const w of d.kernel.status({ flows: false }).wans) by.set(w.device, [...(by.get(w.device) ?? []), w.name]);
    return by;
  };
  const withWans = (u: SimUplinkView, by = wansByDevice()) => ({
    device: u.device,
    wans: by.get(u.device) ?? [],
    present: u.present,
    carrier: u.carrier,
    upstream: u.upstream,
    ...(u.upstream6 === undefined ? {} : { upstream6: u.upstream6 }),
    lossPct: u.lossPct,
    latencyMs: u.latencyMs,
    jitterMs: u.jitterMs,
  });
  const uplinkOr404 = (u: SimUplinkView | undefined) => {
    if (!u) throw new HttpError(404, "E_NOT_FOUND", "No simulated uplink has that device name");
    return withWans(u);
  };
  const presetOr404 = <T>(p: T | undefined): T => {
    if (!p) throw new HttpError(404, "E_NOT_FOUND", "No preset has that name");
    return p;
  };
  const device = { name: "device", description: "Simulated device, e.g. eth1", schema: { type: "string" } };
  const preset = { name: "name", description: "Preset name, e.g. demo", schema: { type: "string" } };
  const notSim = { description: "No simulator (Linux dataplane: E_NOT_SIM), or no such device/preset" };
  const common = { access: "admin", tag: "sim" } as const;
  return [
    {
      ...common,
      method: "GET",
      path: "/api/v1/sim",
      summary: "The simulated world: uplinks, LAN client load, presets",
      responses: { 200: { description: "The simulator's state", schema: schemaOf(simView) }, 404: notSim },
      handler: (c) => {
        const s = need();
        const by = wansByDevice();
        return c.json({ uplinks: s.uplinks().map((u) => withWans(u, by)), client: { perSecond: s.clientRate() }, presets: s.presets() });
      },
    },
    {
      ...common,
      method: "PATCH",
      path: "/api/v1/sim/uplinks/:device",
      summary: "Change a simulated uplink: pull the cable, silence the ISP, add loss, latency or jitter",
      description: "Give any of the keys. `{\"carrier\": false}` pulls the cable; `{\"upstream\": false}` makes the ISP silent.",
      params: [device],
      body: { types: PATCH_TYPES, schema: schemaOf(uplinkPatch), required: true },
      responses: { 200: { description: "The uplink after the change", schema: schemaOf(uplinkView) }, 400: { description: "Invalid body" }, 404: notSim },
      handler: async (c) => {
        const s = need();
        const body = parseBody(uplinkPatch, await readJson(c, { limit: LIMIT, types: PATCH_TYPES }));
        return c.json(uplinkOr404(s.setUplink(c.req.param("device") ?? "", body)));
      },
    },
    {
      ...common,
      method: "POST",
      path: "/api/v1/sim/uplinks/:device/restore",
      summary: "Put a simulated uplink back as it started (present, cable in, ISP up, no loss, its first latency)",
      params: [device],
      responses: { 200: { description: "The restored uplink", schema: schemaOf(uplinkView) }, 404: notSim },
      handler: (c) => {
        const s = need();
        return c.json(uplinkOr404(s.restoreUplink(c.req.param("device") ?? "")));
      },
    },
    {
      ...common,
      method: "PUT",
      path: "/api/v1/sim/client",
      summary: "Set the LAN client load (new connections per second, 0..200)",
      body: { types: JSON_ONLY, schema: schemaOf(clientBody), required: true },
      responses: { 200: { description: "The load in force", schema: schemaOf(clientView) }, 400: { description: "Invalid body" }, 404: notSim },
      handler: async (c) => {
        const s = need();
        const body = parseBody(clientBody, await readJson(c, { limit: LIMIT, types: JSON_ONLY }));
        return c.json({ perSecond: s.setClientRate(body.perSecond) });
      },
    },
    {
      ...common,
      method: "POST",
      path: "/api/v1/sim/presets/:name/start",
      summary: "Start a preset (e.g. demo, the fault cycle on the primary uplink); starting a running one changes nothing",
      params: [preset],
      responses: { 200: { description: "The preset", schema: schemaOf(presetView) }, 404: notSim },
      handler: (c) => c.json(presetOr404(need().startPreset(c.req.param("name") ?? ""))),
    },
    {
      ...common,
      method: "POST",
      path: "/api/v1/sim/presets/:name/stop",
      summary: "Stop a preset; the uplinks it plays with are restored",
      params: [preset],
      responses: { 200: { description: "The preset", schema: schemaOf(presetView) }, 404: notSim },
      handler: (c) => c.json(presetOr404(need().stopPreset(c.req.param("name") ?? ""))),
    },
  ];
}
