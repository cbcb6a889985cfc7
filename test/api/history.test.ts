/**
 * Health history: sampled every 2 s from the kernel without refreshing flow figures, kept
 * in bounded rings, served in columns by `GET /api/v1/history`, stopped by `api.close()`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FakeClock } from "../../src/clock.ts";
import { silentLogger } from "../../src/log.ts";
import type { StatusSnapshot } from "../../src/status.ts";
import { type Api, createApp } from "../../web/app.ts";
import { HealthHistory } from "../../web/history.ts";
import { advance } from "../helpers.ts";
import { ADMIN, type ApiRig, makeApiRig } from "./rig.ts";

/** A status with one WAN per name, as the sampler reads it. */
function snapshot(wans: Record<string, { state?: string; latencyMs?: number; enabled?: boolean }>): StatusSnapshot {
  return {
    wans: Object.entries(wans).map(([name, w]) => ({
      name,
      enabled: w.enabled ?? true,
      state: w.state ?? "up",
      latencyMs: w.latencyMs,
      lossPct: 0,
      targets: [{ target: "198.19.0.1", jitterMs: 1.04, lossPct: 0, sent: 1, received: 1 }, { target: "198.19.0.2", lossPct: 0, sent: 1, received: 1 }],
    })),
  } as unknown as StatusSnapshot;
}

describe("health history", () => {
  let r: ApiRig;
  let api: Api;
  let flowReads = 0;
  const get = async (path: string, token: string | false = ADMIN) => {
    const res = await api.app.request(path, { headers: token === false ? {} : { authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.json() };
  };

  before(async () => {
    r = await makeApiRig();
    const dp = r.platform.dataplane;
    const flows = dp.flows.bind(dp);
    dp.flows = () => {
      flowReads++;
      return flows();
    };
    api = createApp(r.kernel, { store: r.auth, clock: r.clock, log: silentLogger });
  });
  after(async () => {
    api.close();
    await r.close();
  });

  it("samples every 2 s into equal columns per WAN, without reading flow counters", async () => {
    await advance(r.clock, 10_000, 100);
    const { status, body } = await get("/api/v1/history?minutes=5");
    assert.equal(status, 200);
    assert.equal(body.stepMs, 2000);
    assert.equal(body.now, new Date(r.clock.now()).toISOString());
    assert.deepEqual(Object.keys(body.wans).sort(), ["cellular", "ethernet", "repeater", "tethering"]);
    const eth = body.wans.ethernet;
    assert.equal(eth.t.length, 6, "one sample at start, then one per 2 s");
    for (const col of ["state", "rttMs", "lossPct", "jitterMs"]) assert.equal(eth[col].length, eth.t.length, col);
    assert.deepEqual(eth.t.slice(1).map((t: number, i: number) => t - eth.t[i]), [2000, 2000, 2000, 2000, 2000]);
    assert.equal(eth.state.at(-1), "up");
    assert.equal(typeof eth.rttMs.at(-1), "number");
    assert.equal(flowReads, 0, "the sampler never refreshes flow figures");
  });

  it("shows a pulled cable as down with no RTT", async () => {
    r.platform.world.set("eth1", { carrier: false });
    await advance(r.clock, 4_000, 100);
    const eth = (await get("/api/v1/history?minutes=1")).body.wans.ethernet;
    assert.equal(eth.state.at(-1), "down");
    assert.equal(eth.rttMs.at(-1), null);
    r.platform.world.set("eth1", { carrier: true });
  });

  it("is readable with a read token, needs a credential, and checks minutes", async () => {
    const reader = (await r.auth.createToken("history-reader", "read")).token;
    assert.equal((await get("/api/v1/history", reader)).status, 200);
    assert.equal((await get("/api/v1/history", false)).status, 401);
    for (const q of ["0", "31", "abc", "1.5", "-2", ""]) {
      const res = await get(`/api/v1/history?minutes=${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.body.code, "E_BAD_QUERY");
      assert.deepEqual(res.body.issues.map((i: { path: string }) => i.path), ["minutes"]);
    }
  });

  it("is documented in OpenAPI with its query parameter", async () => {
    const doc = (await get("/api/v1/openapi.json")).body;
    const op = doc.paths["/api/v1/history"].get;
    assert.equal(op.parameters[0].name, "minutes");
    assert.equal(op.parameters[0].schema.maximum, 30);
    assert.ok(op.responses["200"].content["application/json"].schema.properties.wans);
  });

  it("stops sampling when the API closes", async () => {
    const own = createApp(r.kernel, { store: r.auth, clock: r.clock, log: silentLogger });
    const count = async () => {
      const res = await own.app.request("/api/v1/history?minutes=30", { headers: { authorization: `Bearer ${ADMIN}` } });
      return (await res.json()).wans.ethernet.t.length;
    };
    await advance(r.clock, 4_000, 100);
    const before = await count();
    assert.equal(before, 3);
    own.close();
    await advance(r.clock, 10_000, 500);
    assert.equal(await count(), before);
  });
});

describe("HealthHistory rings", () => {
  it("keeps only the window, answers the asked minutes, and forgets WANs gone for longer than the window", () => {
    const clock = new FakeClock(1_000_000);
    let wans: Parameters<typeof snapshot>[0] = { a: { latencyMs: 10.04 }, b: { enabled: false } };
    const h = new HealthHistory({ read: () => snapshot(wans), clock, stepMs: 10_000, keepMs: 120_000 });
    h.start();
    clock.advance(300_000);
    const all = h.query(30);
    assert.equal(all.wans.a.t.length, 12, "120 s of 10 s steps");
    assert.equal(all.wans.a.t[0], clock.now() - 110_000);
    assert.equal(all.wans.a.rttMs[0], 10);
    assert.equal(all.wans.a.jitterMs[0], 1, "mean of the targets that have a figure");
    assert.deepEqual([all.wans.b.state[0], all.wans.b.rttMs[0], all.wans.b.lossPct[0]], ["disabled", null, null]);
    assert.equal(h.query(1).wans.a.t.length, 6, "the last minute only");
    wans = { a: { latencyMs: 12 } };
    clock.advance(60_000);
    assert.ok(h.query(30).wans.b, "b's older samples are still in the window");
    clock.advance(70_000);
    assert.equal(h.query(30).wans.b, undefined, "b is forgotten");
    h.close();
    clock.advance(60_000);
    assert.equal(h.query(30).wans.a.t.at(-1), clock.now() - 60_000, "no sample after close");
  });
});
