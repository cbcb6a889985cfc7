import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as v from "valibot";
import { ApplyError, ConfigError, RevisionConflictError, StoreError } from "../src/errors.ts";
import type { AnyPlugin, WanPlugin } from "../src/plugin.ts";
import { ethernetWan } from "../plugins/wan/ethernet/index.ts";
import { builtinPlugins } from "../plugins/builtin.ts";
import { advance, fourWans, makeRig, settle } from "./helpers.ts";

/** A WAN type whose start fails when its device is "broken". */
const flakyWan = {
  ...ethernetWan,
  id: "wan.flaky",
  title: "Flaky",
  schema: v.strictObject({ device: v.string() }),
  create(ctx, config) {
    const inner = ethernetWan.create(ctx, { device: config.device as string, gateway: undefined });
    return {
      ...inner,
      start: () => config.device === "broken" ? Promise.reject(new Error("modem busy")) : Promise.resolve(),
    };
  },
} satisfies WanPlugin;

const plugins: AnyPlugin[] = [...builtinPlugins, flakyWan];

describe("Kernel boot", () => {
  it("runs the stored document", async () => {
    const rig = makeRig({ config: fourWans() });
    const r = await rig.kernel.boot();
    assert.deepEqual(r, { source: "store", revision: 1, problems: [] });
    await advance(rig.clock, 500);
    const s = rig.kernel.status();
    assert.equal(s.wans.length, 4);
    assert.deepEqual(s.wans.map((w) => w.state), ["up", "up", "up", "up"]);
    assert.deepEqual(s.plan.carriers, [{ wan: "ethernet", weight: 1 }]);
    await rig.kernel.shutdown({ cleanup: true });
  });

  it("an invalid stored document falls back to the last good one and says why", async () => {
    const rig = makeRig({ config: { wans: 3 } });
    rig.store.lastGood = { doc: fourWans(), revision: 6 };
    const r = await rig.kernel.boot();
    assert.equal(r.source, "last-good");
    assert.equal(r.revision, 6);
    assert.match(r.problems[0], /^store: mode: .*; wans: /);
    assert.equal(rig.kernel.status().wans.length, 4);
    await rig.kernel.shutdown({ cleanup: true });
  });

  it("with nothing valid stored, the default runs and is saved", async () => {
    const rig = makeRig();
    const k = new (rig.kernel.constructor as typeof import("../src/kernel.ts").Kernel)({
      registry: rig.registry,
      platform: rig.platform,
      store: rig.store,
      clock: rig.clock,
      defaultConfig: fourWans(),
      log: { debug() {}, info() {}, warn() {}, error() {} },
      pluginLogger: () => ({ debug() {}, info() {}, warn() {}, error() {} }),
    });
    assert.equal((await k.boot()).source, "default");
    assert.deepEqual(rig.store.current?.doc, fourWans());
    await k.shutdown({ cleanup: true });
  });

  it("with nothing at all, boot fails with a ConfigError", async () => {
    await assert.rejects(makeRig().kernel.boot(), ConfigError);
  });

  it("a WAN whose plugin fails to start is contained: reported, the rest runs", async () => {
    const doc = fourWans();
    (doc.wans as Record<string, unknown>).spare = { type: "wan.flaky", device: "broken", priority: 9 };
    const rig = makeRig({ config: doc, plugins });
    const errors: string[] = [];
    rig.kernel.events.on((e) => e.type === "plugin.error" && errors.push(e.data.message));
    await rig.kernel.boot();
    await advance(rig.clock, 500);
    const spare = rig.kernel.status().wans.find((w) => w.name === "spare")!;
    assert.equal(spare.state, "down");
    assert.match(spare.reason, /plugin failed: .*modem busy/);
    assert.match(errors.join(), /modem busy/);
    assert.equal(rig.kernel.status().plan.carriers[0].wan, "ethernet");
    await rig.kernel.shutdown({ cleanup: true });
  });
});

describe("Kernel.applyConfig", () => {
  async function booted() {
    const rig = makeRig({ config: fourWans(), plugins });
    await rig.kernel.boot();
    await advance(rig.clock, 500);
    return rig;
  }

  it("applies a valid change, bumps the revision, stores it and keeps health", async () => {
    const rig = await booted();
    const since = rig.kernel.status().wans[1].since;
    const doc = fourWans();
    doc.wans.repeater.priority = 1;
    doc.wans.ethernet.priority = 2;
    const r = await rig.kernel.applyConfig(doc, { expectRevision: 1 });
    assert.deepEqual(r, { revision: 2, changed: true });
    assert.equal(rig.store.current?.revision, 2);
    assert.equal(rig.store.lastGood?.revision, 2);
    const s = rig.kernel.status();
    assert.equal(s.plan.carriers[0].wan, "repeater");
    assert.equal(s.wans[1].since, since, "a priority change does not restart the WAN");
    assert.equal(s.wans[1].state, "up");
    await rig.kernel.shutdown({ cleanup: true });
  });

  it("an unchanged document is a no-op", async () => {
    const rig = await booted();
    assert.deepEqual(await rig.kernel.applyConfig(fourWans()), { revision: 1, changed: false });
    await rig.kernel.shutdown({ cleanup: true });
  });

  it("an invalid document changes nothing", async () => {
    const rig = await booted();
    const before = JSON.stringify(rig.store.current);
    await assert.rejects(rig.kernel.applyConfig({ ...fourWans(), mode: { type: "mode.nope" } }), ConfigError);
    assert.equal(JSON.stringify(rig.store.current), before);
    assert.equal(rig.kernel.revision, 1);
    await rig.kernel.shutdown({ cleanup: true });
  });

  it("a stale revision is a conflict", async () => {
    const rig = await booted();
    await assert.rejects(rig.kernel.applyConfig(fourWans(), { expectRevision: 0 }), RevisionConflictError);
    await rig.kernel.shutdown({ cleanup: true });
  });

  it("a plugin that fails to start rolls the change back: old config runs, store untouched", async () => {
    const rig = await booted();
    const before = JSON.stringify(rig.store.current);
    const doc = fourWans();
    (doc.wans as Record<string, unknown>).spare = { type: "wan.flaky", device: "broken" };
    doc.wans.ethernet.priority = 5;
    await assert.rejects(rig.kernel.applyConfig(doc), (e: unknown) => {
      assert.ok(e instanceof ApplyError);
      assert.match((e as Error).message, /previous one is still running.*modem busy/);
      return true;
    });
    assert.equal(JSON.stringify(rig.store.current), before);
    const s = rig.kernel.status();
    assert.equal(s.wans.length, 4);
    assert.equal(s.plan.carriers[0].wan, "ethernet");
    assert.equal(s.revision, 1);
    await rig.kernel.shutdown({ cleanup: true });
  });

  it("a failing dataplane rolls back to the previous plan", async () => {
    const rig = await booted();
    const dp = rig.platform.dataplane;
    const apply = dp.apply.bind(dp);
    let fail = true;
    dp.apply = (plan, diff) => fail ? Promise.reject(new Error("nft: syntax error")) : apply(plan, diff);
    const doc = fourWans();
    doc.wans.ethernet.priority = 9;
    await assert.rejects(rig.kernel.applyConfig(doc), /nft: syntax error/);
    fail = false;
    await settle();
    assert.equal(rig.kernel.revision, 1);
    assert.equal(dp.plan.carriers[0].wan, "ethernet");
    assert.equal(rig.kernel.status().wans[0].priority, 1);
    await rig.kernel.shutdown({ cleanup: true });
  });

  it("a store that cannot write rolls back", async () => {
    const rig = await booted();
    rig.store.failNextSave = true;
    const doc = fourWans();
    doc.wans.ethernet.priority = 9;
    await assert.rejects(rig.kernel.applyConfig(doc), StoreError);
    assert.equal(rig.kernel.revision, 1);
    assert.equal(rig.kernel.status().wans[0].priority, 1);
    await rig.kernel.shutdown({ cleanup: true });
  });

  it("removing a WAN stops it; the others keep running", async () => {
    const rig = await booted();
    const doc = fourWans();
    delete (doc.wans as Record<string, unknown>).tethering;
    await rig.kernel.applyConfig(doc);
    assert.deepEqual(rig.kernel.status().wans.map((w) => w.name), ["ethernet", "repeater", "cellular"]);
    await rig.kernel.shutdown({ cleanup: true });
  });
});

describe("Kernel overrides and events", () => {
  it("forcing the primary down moves new connections and publishes events", async () => {
    const rig = makeRig({ config: fourWans() });
    await rig.kernel.boot();
    await advance(rig.clock, 500);
    const seen: string[] = [];
    rig.kernel.events.on((e) => seen.push(e.type === "wan.state" ? `${e.data.wan}:${e.data.to}` : e.type));
    await rig.kernel.setOverride("ethernet", "down");
    assert.equal(rig.platform.dataplane.plan.carriers[0].wan, "repeater");
    assert.deepEqual(seen, ["ethernet:down", "plan.changed"]);
    assert.equal(rig.kernel.status().wans[0].override, "down");
    await rig.kernel.setOverride("ethernet", undefined);
    assert.equal(rig.platform.dataplane.plan.carriers[0].wan, "ethernet");
    await assert.rejects(rig.kernel.setOverride("nope", "up"), /WAN nope does not exist/);
    await rig.kernel.shutdown({ cleanup: true });
  });
});

describe("Kernel after a failed apply", () => {
  it("re-applies the whole plan at the next decision, even when the plan itself did not change", async () => {
    const rig = makeRig({ config: fourWans() });
    await rig.kernel.boot();
    await advance(rig.clock, 500);
    const dp = rig.platform.dataplane;
    const apply = dp.apply.bind(dp);
    const seen: string[] = [];
    let fail = true;
    dp.apply = (plan, diff) => {
      seen.push(`${plan.carriers.map((c) => c.wan)} +${diff.added.length}`);
      return fail ? Promise.reject(new Error("nft: table busy")) : apply(plan, diff);
    };
    await rig.kernel.setOverride("ethernet", "down");
    assert.equal(rig.kernel.status().dataplane.error, "nft: table busy");
    await rig.kernel.setOverride("ethernet", undefined);
    fail = false;
    await advance(rig.clock, 5_100, 100);
    assert.deepEqual(seen.slice(-1), ["ethernet +4"], "the retry re-applies every uplink, not an empty diff");
    assert.equal(rig.kernel.status().dataplane.error, undefined);
    await rig.kernel.shutdown({ cleanup: true });
  });
});
