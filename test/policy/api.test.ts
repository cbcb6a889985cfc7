/** Policies through the kernel and the API: each policy's carriers and the rule warnings in the status, warnings in the validate answer. */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { type ApiRig, makeApiRig } from "../api/rig.ts";
import { fourWans } from "../helpers.ts";

const doc = () => ({
  ...fourWans(),
  policies: {
    kids: { mode: { type: "mode.failover" }, wans: ["repeater"] },
    office: { mode: { type: "mode.load-balance", sticky: { by: "src-dst", timeoutS: 300 } }, wans: [{ name: "ethernet", priority: 1 }, { name: "tethering", priority: 1 }] },
  },
  rules: [
    { name: "kids", match: { src: "198.18.100.3" }, policy: "kids" },
    { name: "office", match: { src: "198.18.100.16/28" }, policy: "office" },
    { name: "kids web", match: { src: "198.18.100.3", proto: "tcp", dport: 443 }, policy: "office" },
  ],
});

describe("policies in the status and the API", () => {
  let r: ApiRig;
  before(async () => {
    r = await makeApiRig({ config: doc() });
  });
  after(async () => {
    await r?.close();
  });

  it("the status shows each policy's carriers, sticky settings, the rule count and warnings", async () => {
    const s = await (await r.req("GET", "/api/v1/status")).json();
    assert.deepEqual(s.plan.policies.kids.carriers.map((c: { wan: string }) => c.wan), ["repeater"]);
    assert.deepEqual(s.plan.policies.office.carriers.map((c: { wan: string }) => c.wan), ["ethernet", "tethering"]);
    assert.deepEqual(s.plan.policies.office.sticky, { by: "src-dst", timeoutS: 300 });
    assert.equal(s.plan.rules, 3);
    assert.equal(s.plan.ruleWarnings.length, 1);
    assert.equal(s.plan.ruleWarnings[0].path, "rules[2]");
    assert.match(s.plan.ruleWarnings[0].message, /kids web never matches/);
  });

  it("the sim dataplane routes by the running rules", () => {
    const dp = r.platform.dataplane;
    const kids = dp.connect({ src: "198.18.100.3", dst: "198.19.0.1", proto: "tcp", dport: 80 });
    assert.ok(kids.ok && kids.flow.uplink === "repeater");
    const other = dp.connect({ src: "198.18.100.2", dst: "198.19.0.1", proto: "tcp", dport: 80 });
    assert.ok(other.ok && other.flow.uplink === "ethernet");
  });

  it("validate answers warnings beside the issues, and none for a clean document", async () => {
    const res = await (await r.req("POST", "/api/v1/config/validate", { body: doc() })).json();
    assert.equal(res.valid, true);
    assert.deepEqual(res.issues, []);
    assert.deepEqual(res.warnings.map((w: { path: string }) => w.path), ["rules[2]"]);
    const clean = doc();
    clean.rules.pop();
    assert.deepEqual(await (await r.req("POST", "/api/v1/config/validate", { body: clean })).json(), { valid: true, issues: [] });
    const bad = doc();
    (bad.policies.kids.wans as string[]).push("satellite");
    const refused = await (await r.req("POST", "/api/v1/config/validate", { body: bad })).json();
    assert.equal(refused.valid, false);
    assert.deepEqual(refused.issues.map((i: { path: string }) => i.path), ["policies.kids.wans[1]"]);
  });
});
