/**
 * The simulator API: admin only, validated bodies with JSON paths, uplink changes that the
 * kernel sees, restore, LAN client load, presets (the demo cycle), and 404 E_NOT_SIM when
 * the daemon has no simulator (Linux dataplane).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { silentLogger } from "../../src/log.ts";
import { SimController } from "../../src/platform/sim/control.ts";
import { SimLanClient } from "../../src/platform/sim/index.ts";
import { simPresets } from "../../src/platform/sim/presets.ts";
import { type Api, createApp } from "../../web/app.ts";
import { advance, until } from "../helpers.ts";
import { ADMIN, type ApiRig, makeApiRig } from "./rig.ts";

describe("simulator API", () => {
  let r: ApiRig;
  let sim: SimController;
  let api: Api;
  let reader: string;
  const call = async (method: string, path: string, o: { body?: unknown; token?: string | false; type?: string } = {}) => {
    const headers: Record<string, string> = {};
    if (o.token !== false) headers.authorization = `Bearer ${o.token ?? ADMIN}`;
    if (o.body !== undefined) headers["content-type"] = o.type ?? "application/json";
    const res = await api.app.request(path, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
    return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
  };

  before(async () => {
    r = await makeApiRig();
    const client = new SimLanClient(r.platform.dataplane, r.platform.world, r.clock, { perSecond: 4 });
    sim = new SimController({ world: r.platform.world, client, clock: r.clock, presets: simPresets });
    api = createApp(r.kernel, { store: r.auth, clock: r.clock, sim, log: silentLogger });
    reader = (await r.auth.createToken("sim-reader", "read")).token;
  });
  after(async () => {
    api.close();
    sim.close();
    await r.close();
  });

  it("GET /api/v1/sim lists the uplinks with their WANs, the client load and the presets", async () => {
    const { status, body } = await call("GET", "/api/v1/sim");
    assert.equal(status, 200);
    assert.deepEqual(body.uplinks.map((u: { device: string }) => u.device), ["eth1", "wlan0", "usb0", "wwan0"]);
    assert.deepEqual(body.uplinks[0], {
      device: "eth1", wans: ["ethernet"], present: true, carrier: true, upstream: true, lossPct: 0, latencyMs: 5, jitterMs: 1,
    });
    assert.deepEqual(body.client, { perSecond: 4 });
    assert.deepEqual(body.presets.map((p: { name: string; running: boolean }) => [p.name, p.running]), [["demo", false]]);
  });

  it("is admin only: no credential 401, a read token 403, and nothing changes", async () => {
    assert.equal((await call("GET", "/api/v1/sim", { token: false })).status, 401);
    const get = await call("GET", "/api/v1/sim", { token: reader });
    assert.equal(get.status, 403);
    assert.equal(get.body.code, "E_FORBIDDEN");
    const patch = await call("PATCH", "/api/v1/sim/uplinks/eth1", { token: reader, body: { carrier: false } });
    assert.equal(patch.status, 403);
    assert.equal((await call("PUT", "/api/v1/sim/client", { token: reader, body: { perSecond: 50 } })).status, 403);
    assert.equal((await call("POST", "/api/v1/sim/presets/demo/start", { token: reader })).status, 403);
    assert.equal(r.platform.world.uplink("eth1")!.carrier, true);
    assert.equal(sim.clientRate(), 4);
    assert.equal(sim.presets()[0].running, false);
  });

  it("refuses invalid bodies with the path of each bad field", async () => {
    const bad = await call("PATCH", "/api/v1/sim/uplinks/eth1", { body: { lossPct: 150, carrier: "no", cable: false } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "E_BAD_BODY");
    const paths = bad.body.issues.map((i: { path: string }) => i.path).sort();
    assert.deepEqual(paths, ["cable", "carrier", "lossPct"]);
    const client = await call("PUT", "/api/v1/sim/client", { body: { perSecond: 201 } });
    assert.equal(client.status, 400);
    assert.deepEqual(client.body.issues.map((i: { path: string }) => i.path), ["perSecond"]);
    assert.equal((await call("PATCH", "/api/v1/sim/uplinks/eth1", { body: { carrier: false }, type: "text/plain" })).status, 415);
    assert.equal(r.platform.world.uplink("eth1")!.carrier, true, "nothing changed");
  });

  it("pulling the cable takes the WAN down; restore brings it back as it started", async () => {
    const pulled = await call("PATCH", "/api/v1/sim/uplinks/eth1", { body: { carrier: false } });
    assert.equal(pulled.status, 200);
    assert.equal(pulled.body.carrier, false);
    assert.deepEqual(pulled.body.wans, ["ethernet"]);
    const ethernet = () => r.kernel.status().wans.find((w) => w.name === "ethernet")!;
    await until(r.clock, () => ethernet().state === "down", 5_000);
    assert.equal(ethernet().state, "down");
    const slow = await call("PATCH", "/api/v1/sim/uplinks/eth1", {
      body: { lossPct: 20, latencyMs: 300, jitterMs: 40, upstream: false },
      type: "application/merge-patch+json",
    });
    assert.equal(slow.status, 200);
    assert.deepEqual([slow.body.lossPct, slow.body.latencyMs, slow.body.jitterMs, slow.body.upstream], [20, 300, 40, false]);
    const back = await call("POST", "/api/v1/sim/uplinks/eth1/restore");
    assert.equal(back.status, 200);
    assert.deepEqual(back.body, {
      device: "eth1", wans: ["ethernet"], present: true, carrier: true, upstream: true, lossPct: 0, latencyMs: 5, jitterMs: 1,
    });
    await until(r.clock, () => ethernet().state === "up", 60_000, 100);
    assert.equal(ethernet().state, "up");
  });

  it("unknown devices and presets are 404", async () => {
    const dev = await call("PATCH", "/api/v1/sim/uplinks/eth9", { body: { carrier: false } });
    assert.equal(dev.status, 404);
    assert.equal(dev.body.code, "E_NOT_FOUND");
    assert.equal((await call("POST", "/api/v1/sim/uplinks/eth9/restore")).status, 404);
    assert.equal((await call("POST", "/api/v1/sim/presets/nope/start")).status, 404);
  });

  it("sets the LAN client load", async () => {
    const res = await call("PUT", "/api/v1/sim/client", { body: { perSecond: 20 } });
    assert.deepEqual(res, { status: 200, body: { perSecond: 20 } });
    assert.equal((await call("GET", "/api/v1/sim")).body.client.perSecond, 20);
  });

  it("plays the demo preset on the primary uplink; stop ends it and restores the uplink", async () => {
    const started = await call("POST", "/api/v1/sim/presets/demo/start");
    assert.equal(started.status, 200);
    assert.equal(started.body.running, true);
    assert.equal((await call("POST", "/api/v1/sim/presets/demo/start")).body.running, true, "starting twice is harmless");
    await advance(r.clock, 10_500, 500);
    assert.equal(r.platform.world.uplink("eth1")!.upstream, false, "10 s in, the ISP behind eth1 is silent");
    const stopped = await call("POST", "/api/v1/sim/presets/demo/stop");
    assert.deepEqual(stopped.body, { ...started.body, running: false });
    assert.equal(r.platform.world.uplink("eth1")!.upstream, true);
    await advance(r.clock, 80_000, 1_000);
    assert.equal(r.platform.world.uplink("eth1")!.upstream, true, "no step fires after stop");
  });

  it("every sim route is in the OpenAPI document, admin only", async () => {
    const doc = (await call("GET", "/api/v1/openapi.json")).body;
    const ops = ["get /api/v1/sim", "patch /api/v1/sim/uplinks/{device}", "post /api/v1/sim/uplinks/{device}/restore",
      "put /api/v1/sim/client", "post /api/v1/sim/presets/{name}/start", "post /api/v1/sim/presets/{name}/stop"];
    for (const op of ops) {
      const [method, path] = op.split(" ");
      const o = doc.paths[path]?.[method];
      assert.ok(o, op);
      assert.deepEqual(o.tags, ["sim"]);
      assert.ok(o.responses["403"], `${op} documents 403`);
    }
    const patch = doc.paths["/api/v1/sim/uplinks/{device}"].patch;
    assert.ok(patch.requestBody.content["application/merge-patch+json"]);
    assert.equal(patch.requestBody.content["application/json"].schema.properties.lossPct.maximum, 100);
  });

  it("without a simulator every /api/v1/sim path answers 404 E_NOT_SIM (after the credential check)", async () => {
    for (const [method, path] of [["GET", "/api/v1/sim"], ["PATCH", "/api/v1/sim/uplinks/eth1"], ["POST", "/api/v1/sim/presets/demo/start"],
      ["PUT", "/api/v1/sim/client"], ["GET", "/api/v1/sim/elsewhere"]]) {
      const res = await r.req(method, path, { body: method === "GET" ? undefined : { carrier: false } });
      assert.equal(res.status, 404, `${method} ${path}`);
      const p = await res.json();
      assert.equal(p.code, "E_NOT_SIM");
      assert.equal(res.headers.get("content-type"), "application/problem+json");
    }
    assert.equal((await r.req("GET", "/api/v1/sim", { token: false })).status, 401);
    assert.equal(r.platform.world.uplink("eth1")!.carrier, true);
  });
});
