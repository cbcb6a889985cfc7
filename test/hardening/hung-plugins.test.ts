/**
 * A plugin call that never settles must not wedge the kernel: every call is bounded, the
 * daemon boots, failover runs while a config apply waits on a slow plugin, and a hung
 * stop is abandoned after its bound. All on the sim world with a fake clock.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as v from "valibot";
import { ApplyError } from "../../src/errors.ts";
import { Kernel } from "../../src/kernel.ts";
import { silentLogger } from "../../src/log.ts";
import type { ModePlugin } from "../../src/plugin.ts";
import { PLUGIN_LIMITS } from "../../src/runtime/bounded.ts";
import { advance, fourWans, makeRig, until } from "../helpers.ts";
import { newFaultLog } from "./faulty.ts";
import { pluginsWith, settlesWithin, track, withFaulty } from "./rig.ts";

function errorsOf(kernel: Kernel): { code: string; instance: string; message: string }[] {
  const out: { code: string; instance: string; message: string }[] = [];
  kernel.events.on((e) => e.type === "plugin.error" && out.push(e.data));
  return out;
}

function wan(kernel: Kernel, name: string) {
  const w = kernel.status().wans.find((x) => x.name === name);
  assert.ok(w, `WAN ${name} is in status`);
  return w;
}

describe("bounds", () => {
  it("are documented in one place and keep failover fast", () => {
    assert.deepEqual(Object.keys(PLUGIN_LIMITS).sort(), ["closeMs", "createMs", "inspectMs", "startMs", "stopMs", "watchMs"]);
    for (const ms of Object.values(PLUGIN_LIMITS)) assert.ok(ms > 0 && ms <= 10_000);
  });
});

describe("boot with a hung WAN plugin", () => {
  it("finishes when create never settles; the WAN is down with the real reason, the rest runs", async () => {
    const log = newFaultLog();
    const rig = makeRig({ config: withFaulty("create-hang"), plugins: pluginsWith(log) });
    const errors = errorsOf(rig.kernel);
    assert.ok(await settlesWithin(rig.clock, rig.kernel.boot(), PLUGIN_LIMITS.createMs + 1_000), "boot finishes");
    await advance(rig.clock, 500);
    const t = wan(rig.kernel, "tethering");
    assert.equal(t.state, "down");
    assert.match(t.reason, /create did not finish within 5000 ms/);
    assert.ok(errors.some((e) => e.code === "E_PLUGIN_TIMEOUT" && e.instance === "wans.tethering"));
    assert.equal(log.signals.get("tethering")?.aborted, true, "the abandoned instance's signal fired");
    assert.equal(wan(rig.kernel, "ethernet").state, "up");
    assert.equal(rig.kernel.status().plan.carriers[0].wan, "ethernet");
    await rig.kernel.shutdown({ cleanup: true });
  });

  it("finishes when inspect never settles; the WAN shows the timeout, not 'up' or 'missing'", async () => {
    const rig = makeRig({ config: withFaulty("inspect-hang", { top: true }), plugins: pluginsWith(newFaultLog()) });
    assert.ok(await settlesWithin(rig.clock, rig.kernel.boot(), PLUGIN_LIMITS.inspectMs + 1_000), "boot finishes");
    await advance(rig.clock, 500);
    const t = wan(rig.kernel, "tethering");
    assert.equal(t.state, "down");
    assert.equal(t.reason, "inspect timed out after 3 s");
    assert.equal(rig.kernel.status().plan.carriers[0].wan, "ethernet", "the faulty top-priority WAN does not carry");
    await rig.kernel.shutdown({ cleanup: true });
  });

  it("an inspect that throws shows its message", async () => {
    const rig = makeRig({ config: withFaulty("inspect-throw", { top: true }), plugins: pluginsWith(newFaultLog()) });
    await rig.kernel.boot();
    await advance(rig.clock, 500);
    const t = wan(rig.kernel, "tethering");
    assert.equal(t.state, "down");
    assert.equal(t.reason, "inspect failed: modem answered AT+ERROR");
    await rig.kernel.shutdown({ cleanup: true });
  });
});

describe("boot with a hung mode plugin", () => {
  const hangingMode = {
    id: "mode.hang",
    version: "0.0.1",
    kernel: "^1.0.0",
    title: "Hangs (tests)",
    description: "create() never settles.",
    schema: v.strictObject({}),
    create: () => new Promise<never>(() => {}),
  } satisfies ModePlugin;

  it("falls back to the last good config and says why", async () => {
    const rig = makeRig({ config: fourWans({ type: "mode.hang" }), plugins: [...pluginsWith(newFaultLog()), hangingMode] });
    rig.store.lastGood = { doc: fourWans(), revision: 4 };
    const boot = rig.kernel.boot();
    assert.ok(await settlesWithin(rig.clock, boot, PLUGIN_LIMITS.createMs + 1_000), "boot finishes");
    const r = await boot;
    assert.equal(r.source, "last-good");
    assert.equal(r.revision, 4);
    assert.deepEqual(r.problems, ["store: could not start: mode (mode.hang): create did not finish within 5000 ms"]);
    await advance(rig.clock, 500);
    assert.equal(rig.kernel.status().mode.type, "mode.failover");
    assert.equal(rig.kernel.status().plan.carriers[0].wan, "ethernet");
    await rig.kernel.shutdown({ cleanup: true });
  });
});

describe("a WAN whose inspect starts hanging at run time", () => {
  it("goes down with the reason, the plan moves, and it comes back when inspect answers again", async () => {
    const log = newFaultLog();
    const rig = makeRig({ config: withFaulty("none", { top: true }), plugins: pluginsWith(log) });
    await rig.kernel.boot();
    await advance(rig.clock, 1_000);
    assert.equal(rig.platform.dataplane.plan.carriers[0].wan, "tethering");
    const hung = () => log.calls.filter((c) => c === "inspect-hang tethering").length;
    log.later.set("tethering", "inspect-hang");
    await until(rig.clock, () => rig.platform.dataplane.plan.carriers[0].wan === "ethernet", 20_000, 50);
    assert.equal(wan(rig.kernel, "tethering").reason, "inspect timed out after 3 s");
    await advance(rig.clock, 30_000, 100);
    assert.equal(wan(rig.kernel, "tethering").state, "down");
    assert.ok(hung() <= 2, `a hung inspect is waited on, not called every 5 s (${hung()} calls in 30 s)`);
    log.later.delete("tethering");
    await until(rig.clock, () => rig.platform.dataplane.plan.carriers[0].wan === "tethering", 60_000, 100);
    await rig.kernel.shutdown({ cleanup: true });
  });
});

describe("failover while a config apply waits on a slow plugin", () => {
  async function booted() {
    const log = newFaultLog();
    const rig = makeRig({ config: fourWans(), plugins: pluginsWith(log) });
    await rig.kernel.boot();
    await advance(rig.clock, 1_000);
    assert.equal(rig.platform.dataplane.plan.carriers[0].wan, "ethernet");
    return { rig, log };
  }

  for (const fault of ["create-hang", "start-hang"] as const) {
    it(`${fault}: carrier loss moves the plan before the apply gives up, then the apply rolls back`, async () => {
      const { rig, log } = await booted();
      const apply = track(rig.kernel.applyConfig(withFaulty(fault)));
      await advance(rig.clock, 200);
      rig.platform.world.set("eth1", { carrier: false });
      await until(rig.clock, () => rig.platform.dataplane.plan.carriers[0]?.wan === "repeater", 20_000, 10);
      assert.equal(apply.settled, false, "failover did not wait for the apply");
      assert.ok(await settlesWithin(rig.clock, apply.promise, 20_000));
      await assert.rejects(apply.promise, (e: unknown) => {
        assert.ok(e instanceof ApplyError);
        assert.match(e.message, fault === "create-hang" ? /create did not finish within 5000 ms/ : /start did not finish within 10000 ms/);
        return true;
      });
      assert.equal(log.signals.get("tethering")?.aborted, true, "the timed-out instance's signal fired");
      assert.equal(rig.kernel.revision, 1);
      assert.equal(rig.kernel.status().wans[2].type, "wan.tethering");
      assert.equal(rig.platform.dataplane.plan.carriers[0].wan, "repeater");
      await rig.kernel.shutdown({ cleanup: true });
    });
  }

  it("operator actions are not queued behind a slow apply", async () => {
    const { rig } = await booted();
    const apply = track(rig.kernel.applyConfig(withFaulty("start-hang")));
    await advance(rig.clock, 200);
    assert.ok(await settlesWithin(rig.clock, rig.kernel.setOverride("ethernet", "down"), 100));
    assert.equal(rig.platform.dataplane.plan.carriers[0].wan, "repeater");
    assert.equal(apply.settled, false);
    await settlesWithin(rig.clock, apply.promise, 20_000);
    await rig.kernel.shutdown({ cleanup: true });
  });

  it("a change applied while a WAN went down uses the latest state", async () => {
    const { rig } = await booted();
    const doc = withFaulty("none");
    const apply = rig.kernel.applyConfig(doc);
    rig.platform.world.set("eth1", { carrier: false });
    await settlesWithin(rig.clock, apply, 2_000);
    assert.deepEqual(await apply, { revision: 2, changed: true });
    await advance(rig.clock, 500);
    assert.equal(rig.platform.dataplane.plan.carriers[0].wan, "repeater");
    assert.equal(wan(rig.kernel, "tethering").type, "wan.faulty");
    await rig.kernel.shutdown({ cleanup: true });
  });
});

describe("a stop that never settles", () => {
  it("removing the WAN returns within the stop bound; writes, actions and failover still work", async () => {
    const log = newFaultLog();
    const rig = makeRig({ config: withFaulty("stop-hang"), plugins: pluginsWith(log) });
    const errors = errorsOf(rig.kernel);
    await rig.kernel.boot();
    await advance(rig.clock, 1_000);
    const removed = rig.kernel.applyConfig(fourWansWithout("tethering"));
    assert.ok(await settlesWithin(rig.clock, removed, PLUGIN_LIMITS.stopMs + 1_000), "the removal returns");
    assert.deepEqual(await removed, { revision: 2, changed: true });
    assert.equal(log.signals.get("tethering")?.aborted, true);
    assert.ok(errors.some((e) => e.code === "E_PLUGIN_TIMEOUT" && /stop did not finish within 5000 ms/.test(e.message)));
    const doc = fourWansWithout("tethering");
    doc.wans.cellular.priority = 7;
    assert.ok(await settlesWithin(rig.clock, rig.kernel.applyConfig(doc), 100), "the next write is not stuck");
    assert.ok(await settlesWithin(rig.clock, rig.kernel.setOverride("repeater", "down"), 100));
    rig.platform.world.set("eth1", { carrier: false });
    await until(rig.clock, () => rig.platform.dataplane.plan.carriers[0]?.wan === "cellular", 2_000, 10);
    assert.ok(await settlesWithin(rig.clock, rig.kernel.shutdown({ cleanup: true }), PLUGIN_LIMITS.stopMs + 1_000));
  });

  it("shutdown is bounded too", async () => {
    const rig = makeRig({ config: withFaulty("stop-hang"), plugins: pluginsWith(newFaultLog()) });
    await rig.kernel.boot();
    assert.ok(await settlesWithin(rig.clock, rig.kernel.shutdown({ cleanup: true }), PLUGIN_LIMITS.stopMs + 1_000));
  });

  it("a tracker session whose close never settles does not hold up a change of the WAN", async () => {
    const log = newFaultLog();
    const rig = makeRig({ config: withFaulty("none", { tracker: "close-hang" }), plugins: pluginsWith(log) });
    const errors = errorsOf(rig.kernel);
    await rig.kernel.boot();
    await advance(rig.clock, 1_000);
    const changed = rig.kernel.applyConfig(withFaulty("none", { tracker: "close-hang", targets: ["198.19.0.3"] }));
    assert.ok(await settlesWithin(rig.clock, changed, PLUGIN_LIMITS.closeMs + 1_000));
    assert.equal((await changed).revision, 2);
    assert.ok(log.calls.includes("close tethering.tracker"));
    assert.ok(errors.some((e) => /close did not finish within/.test(e.message)));
    assert.ok(await settlesWithin(rig.clock, rig.kernel.shutdown({ cleanup: true }), PLUGIN_LIMITS.closeMs + 1_000));
  });
});

describe("a plugin timer that throws", () => {
  it("is reported as the plugin's error; the kernel and the plugin carry on", async () => {
    const rig = makeRig({ config: withFaulty("none", { tracker: "timer-throw" }), plugins: pluginsWith(newFaultLog()) });
    const errors = errorsOf(rig.kernel);
    await rig.kernel.boot();
    await advance(rig.clock, 5_000, 100);
    assert.ok(errors.some((e) => e.instance === "wans.tethering.tracker" && e.message === "tick exploded"));
    assert.equal(wan(rig.kernel, "tethering").state, "up", "its results still count");
    await rig.kernel.shutdown({ cleanup: true });
  });
});

describe("limits", () => {
  it("can be shortened per kernel", async () => {
    const rig = makeRig({ config: fourWans(), plugins: pluginsWith(newFaultLog()) });
    const kernel = new Kernel({
      registry: rig.registry,
      platform: rig.platform,
      store: rig.store,
      clock: rig.clock,
      log: silentLogger,
      pluginLogger: () => silentLogger,
      limits: { startMs: 700 },
    });
    await kernel.boot();
    const apply = kernel.applyConfig(withFaulty("start-hang"));
    assert.ok(await settlesWithin(rig.clock, apply, 2_000));
    await assert.rejects(apply, /start did not finish within 700 ms/);
    await kernel.shutdown({ cleanup: true });
  });
});

function fourWansWithout(name: string) {
  const doc = fourWans();
  delete (doc.wans as Record<string, unknown>)[name];
  return doc;
}
