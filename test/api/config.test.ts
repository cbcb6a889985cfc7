/**
 * Config, WANs and mode over the API: ETags, If-Match (412), validation before any change
 * (400 with JSON paths), rollback (409), store failure (503), 404/405/413/415, actions.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as v from "valibot";
import { status as statusSchema } from "../../web/api-schemas.ts";
import { type ApiRig, makeApiRig } from "./rig.ts";

async function problem(res: Response, status: number, code: string) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}`);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const p = await res.json();
  assert.equal(p.code, code);
  assert.equal(p.status, status);
  assert.ok(!("stack" in p));
  return p;
}

describe("config, wans and mode", () => {
  let r: ApiRig;
  before(async () => (r = await makeApiRig()));
  after(() => r.close());
  const snapshot = () => JSON.stringify(r.kernel.config);

  it("GET /status matches its schema and carries the mode settings", async () => {
    const st = v.parse(statusSchema, await (await r.req("GET", "/api/v1/status")).json());
    assert.equal(st.wans.length, 4);
    assert.equal(st.mode.settings.forcedRefresh, false);
  });

  it("GET /config gives the stored document with its revision as ETag; If-None-Match gives 304", async () => {
    const res = await r.req("GET", "/api/v1/config");
    assert.equal(res.headers.get("etag"), `"${r.kernel.revision}"`);
    assert.deepEqual(await res.json(), r.kernel.config.doc);
    const eff = await (await r.req("GET", "/api/v1/config?effective=1")).json();
    assert.equal(eff.wans.ethernet.weight, 1);
    const cached = await r.req("GET", "/api/v1/config", { headers: { "if-none-match": res.headers.get("etag")! } });
    assert.equal(cached.status, 304);
  });

  it("PATCH applies a JSON Merge Patch and returns the new revision; null deletes", async () => {
    const rev = r.kernel.revision;
    const res = await r.req("PATCH", "/api/v1/config", {
      body: { wans: { cellular: { label: "LTE", weight: 3 } } },
      headers: { "content-type": "application/merge-patch+json", "if-match": `"${rev}"` },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { revision: rev + 1, changed: true });
    assert.equal(res.headers.get("etag"), `"${rev + 1}"`);
    const doc = r.kernel.config.doc as { wans: Record<string, Record<string, unknown>> };
    assert.equal(doc.wans.cellular.label, "LTE");
    await r.req("PATCH", "/api/v1/config", { body: { wans: { cellular: { label: null, weight: null } } } });
    assert.ok(!("label" in (r.kernel.config.doc as typeof doc).wans.cellular));
  });

  it("an unchanged document is a no-op", async () => {
    const rev = r.kernel.revision;
    const res = await r.req("PUT", "/api/v1/config", { body: r.kernel.config.doc });
    assert.deepEqual(await res.json(), { revision: rev, changed: false });
  });

  it("a stale If-Match is 412 and changes nothing", async () => {
    const before = snapshot();
    const res = await r.req("PATCH", "/api/v1/mode", { body: { forcedRefresh: true }, headers: { "if-match": '"1"' } });
    await problem(res, 412, "E_PRECONDITION");
    assert.equal(snapshot(), before);
    await problem(await r.req("DELETE", "/api/v1/wans/cellular", { headers: { "if-match": "garbage" } }), 412, "E_PRECONDITION");
  });

  it("an invalid document is 400 with the JSON path and plugin of each field, and changes nothing", async () => {
    const before = snapshot();
    const res = await r.req("PATCH", "/api/v1/config", {
      body: { wans: { ethernet: { priority: 0, tracker: { targets: ["300.1.1.1"] }, bogus: 1 } } },
    });
    const p = await problem(res, 400, "E_CONFIG_INVALID");
    const paths = p.issues.map((i: { path: string }) => i.path);
    assert.ok(paths.includes("wans.ethernet.priority"), paths.join());
    assert.ok(paths.includes("wans.ethernet.tracker.targets[0]"), paths.join());
    assert.ok(p.issues.some((i: { plugin?: string }) => i.plugin === "wan.ethernet"));
    assert.equal(snapshot(), before);
  });

  it("POST /config/validate is a dry run that returns the issues only", async () => {
    const before = snapshot();
    const ok = await (await r.req("POST", "/api/v1/config/validate", { body: r.kernel.config.doc })).json();
    assert.deepEqual(ok, { valid: true, issues: [] });
    const bad = await (await r.req("POST", "/api/v1/config/validate", { body: { wans: {} } })).json();
    assert.equal(bad.valid, false);
    assert.ok(bad.issues.some((i: { path: string }) => i.path === "mode"));
    assert.equal(snapshot(), before);
  });

  it("a config that fails to apply is 409, rolled back: the old one still runs", async () => {
    const before = snapshot();
    const plan = JSON.stringify(r.kernel.plan);
    const res = await r.req("PUT", "/api/v1/wans/lab", { body: { type: "wan.testonly", device: "lab0", failStart: true } });
    const p = await problem(res, 409, "E_CONFIG_APPLY");
    assert.match(p.detail, /refused to start/);
    assert.equal(snapshot(), before);
    assert.equal(JSON.stringify(r.kernel.plan), plan);
    assert.equal(r.kernel.status().wans.length, 4);
  });

  it("a store that cannot write is 503 and changes nothing", async () => {
    const before = snapshot();
    r.store.failNextSave = true;
    await problem(await r.req("PATCH", "/api/v1/mode", { body: { forcedRefresh: true } }), 503, "E_STORE");
    assert.equal(snapshot(), before);
  });

  it("PUT /wans/{name} creates (201) or replaces; DELETE removes; unknown is 404", async () => {
    const created = await r.req("PUT", "/api/v1/wans/lab", { body: { type: "wan.testonly", device: "lab0", marker: "x" } });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get("location"), "/api/v1/wans/lab");
    const got = await (await r.req("GET", "/api/v1/wans/lab")).json();
    assert.equal(got.config.marker, "x");
    assert.equal(got.status.device, "lab0");
    assert.equal((await r.req("PUT", "/api/v1/wans/lab", { body: { type: "wan.testonly", device: "lab1" } })).status, 200);
    assert.equal((await r.req("PATCH", "/api/v1/wans/lab", { body: { priority: 9 } })).status, 200);
    const list = await (await r.req("GET", "/api/v1/wans")).json();
    assert.deepEqual(list.wans.map((w: { name: string }) => w.name), ["ethernet", "repeater", "tethering", "cellular", "lab"]);
    assert.equal((await r.req("DELETE", "/api/v1/wans/lab")).status, 200);
    await problem(await r.req("GET", "/api/v1/wans/lab"), 404, "E_NOT_FOUND");
    await problem(await r.req("DELETE", "/api/v1/wans/lab"), 404, "E_NOT_FOUND");
    await problem(await r.req("PATCH", "/api/v1/wans/lab", { body: { priority: 2 } }), 404, "E_NOT_FOUND");
    await problem(await r.req("GET", "/api/v1/wans/BAD%20NAME"), 404, "E_NOT_FOUND");
    await problem(await r.req("GET", "/api/v1/plugins/wan.nope"), 404, "E_PLUGIN_NOT_FOUND");
  });

  it("actions force a WAN down, up, and back to automatic", async () => {
    const down = await (await r.req("POST", "/api/v1/wans/ethernet/actions/down")).json();
    assert.equal(down.state, "down");
    assert.equal(down.override, "down");
    assert.equal(r.kernel.plan.carriers[0]?.wan, "repeater");
    const up = await (await r.req("POST", "/api/v1/wans/cellular/actions/up")).json();
    assert.equal(up.override, "up");
    const auto = await (await r.req("POST", "/api/v1/wans/ethernet/actions/auto")).json();
    assert.equal(auto.override, undefined);
    await r.req("POST", "/api/v1/wans/cellular/actions/auto");
    await problem(await r.req("POST", "/api/v1/wans/ethernet/actions/explode"), 404, "E_NOT_FOUND");
    await problem(await r.req("POST", "/api/v1/wans/nowhere/actions/down"), 404, "E_NOT_FOUND");
  });

  it("mode settings: GET, PATCH (Forced Refresh Streams), PUT to switch modes", async () => {
    const m = await (await r.req("GET", "/api/v1/mode")).json();
    assert.equal(m.effective.type, "mode.failover");
    assert.equal((await r.req("PATCH", "/api/v1/mode", { body: { forcedRefresh: true } })).status, 200);
    assert.equal((await (await r.req("GET", "/api/v1/mode")).json()).config.forcedRefresh, true);
    assert.equal((await r.req("PUT", "/api/v1/mode", { body: { type: "mode.load-balance" } })).status, 200);
    assert.equal(r.kernel.effective?.mode.type, "mode.load-balance");
    await problem(await r.req("PUT", "/api/v1/mode", { body: { type: "mode.nope" } }), 400, "E_CONFIG_INVALID");
  });

  it("405 with Allow, 413, 415 and 400 for malformed bodies", async () => {
    const res = await r.req("DELETE", "/api/v1/status");
    await problem(res, 405, "E_METHOD");
    assert.equal(res.headers.get("allow"), "GET, HEAD");
    const big = JSON.stringify({ pad: "x".repeat(70 * 1024) });
    await problem(await r.req("PUT", "/api/v1/config", { raw: big, headers: { "content-type": "application/json" } }), 413, "E_BODY_TOO_LARGE");
    await problem(await r.req("PUT", "/api/v1/config", { raw: "mode=x", headers: { "content-type": "text/plain" } }), 415, "E_MEDIA_TYPE");
    await problem(await r.req("PUT", "/api/v1/config", { raw: "{nope", headers: { "content-type": "application/json" } }), 400, "E_BAD_JSON");
    await problem(await r.req("PUT", "/api/v1/config", { raw: "", headers: { "content-type": "application/json" } }), 400, "E_BAD_BODY");
    await problem(await r.req("PUT", "/api/v1/config", { body: [1, 2] }), 400, "E_CONFIG_INVALID");
  });
});
