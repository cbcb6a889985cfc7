import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as v from "valibot";
import { PluginStartError, PluginTimeoutError } from "../src/errors.ts";
import { EventBus } from "../src/events.ts";
import { silentLogger } from "../src/log.ts";
import type { AnyPlugin, ModeInstance, ModePlugin, TrackerPlugin } from "../src/plugin.ts";
import { startInstance } from "../src/runtime/lifecycle.ts";
import { builtinPlugins } from "../plugins/builtin.ts";
import { advance, fourWans, makeRig } from "./helpers.ts";

const where = { plugin: "wan.test", instance: "wans.x", log: silentLogger };

describe("lifecycle", () => {
  it("a start that never finishes times out, and stop is still called", async () => {
    let stopped = 0;
    const instance = { start: () => new Promise<void>(() => {}), stop: () => void stopped++ as unknown as Promise<void> };
    await assert.rejects(startInstance(instance, where, 30), (e: unknown) => {
      assert.ok(e instanceof PluginTimeoutError);
      assert.equal(e.code, "E_PLUGIN_TIMEOUT");
      assert.match(e.message, /wans\.x \(wan\.test\): start did not finish within 30 ms/);
      return true;
    });
    assert.equal(stopped, 1);
  });

  it("a failed start is wrapped with the plugin and instance, and stop tolerates it", async () => {
    let stopped = 0;
    const instance = {
      start: () => Promise.reject(new Error("no modem")),
      stop: () => {
        stopped++;
        return Promise.reject(new Error("stop failed too"));
      },
    };
    await assert.rejects(startInstance(instance, where), (e: unknown) => {
      assert.ok(e instanceof PluginStartError);
      assert.equal(e.message, "wans.x (wan.test): start failed: no modem");
      return true;
    });
    assert.equal(stopped, 1);
  });
});

describe("failing plugins are contained at run time", () => {
  it("a mode that throws keeps the plan in force and reports a plugin error", async () => {
    let explode = false;
    const base = builtinPlugins.find((p) => p.id === "mode.failover") as ModePlugin;
    const moody = {
      ...base,
      id: "mode.moody",
      schema: v.strictObject({}),
      create(ctx, _config) {
        const inner = base.create(ctx, { forcedRefresh: false, refreshMetered: true }) as ModeInstance;
        return {
          decide(input) {
            if (explode) throw new Error("division by zero");
            return inner.decide(input);
          },
        };
      },
    } satisfies ModePlugin;
    const rig = makeRig({ config: fourWans({ type: "mode.moody" }), plugins: [...builtinPlugins, moody] });
    const errors: string[] = [];
    rig.kernel.events.on((e) => e.type === "plugin.error" && errors.push(`${e.data.plugin}: ${e.data.message}`));
    await rig.kernel.boot();
    await advance(rig.clock, 500);
    explode = true;
    rig.platform.world.set("eth1", { carrier: false });
    await advance(rig.clock, 100);
    assert.deepEqual(errors, ["mode.moody: division by zero"]);
    assert.equal(rig.platform.dataplane.plan.carriers[0].wan, "ethernet", "the last good plan stays");
    explode = false;
    rig.platform.world.set("wlan0", { latencyMs: 21 });
    await rig.kernel.replan();
    assert.equal(rig.platform.dataplane.plan.carriers[0].wan, "repeater", "recovers at the next decision");
    await rig.kernel.shutdown({ cleanup: true });
  });

  it("a tracker that throws when watching is reported; the WAN goes down, the others carry on", async () => {
    const broken = {
      id: "tracker.broken",
      version: "1.0.0",
      kernel: "^1.0.0",
      title: "Broken",
      description: "Throws",
      schema: v.strictObject({ intervalMs: v.optional(v.number(), 1000) }),
      create: () => ({
        targets: ["198.19.0.9"],
        watch() {
          throw new Error("socket exploded");
        },
      }),
    } satisfies TrackerPlugin;
    const doc = fourWans();
    (doc.wans.ethernet as Record<string, unknown>).tracker = { type: "tracker.broken" };
    const rig = makeRig({ config: doc, plugins: [...builtinPlugins, broken] as AnyPlugin[] });
    const errors: string[] = [];
    rig.kernel.events.on((e) => e.type === "plugin.error" && errors.push(e.data.message));
    await rig.kernel.boot();
    await advance(rig.clock, 12_000, 100);
    assert.match(errors[0], /socket exploded/);
    const s = rig.kernel.status();
    assert.equal(s.wans[0].state, "down");
    assert.equal(s.wans[0].reason, "tracker reports nothing");
    assert.equal(s.plan.carriers[0].wan, "repeater");
    await rig.kernel.shutdown({ cleanup: true });
  });
});

describe("EventBus", () => {
  it("delivers in order, survives a throwing listener and resumes from an id", () => {
    const bus = new EventBus({ capacity: 3, now: () => 42 });
    const got: number[] = [];
    bus.on(() => {
      throw new Error("bad listener");
    });
    const off = bus.on((e) => got.push(e.id));
    for (let i = 1; i <= 5; i++) bus.emit("config.changed", { revision: i });
    off();
    bus.emit("config.changed", { revision: 6 });
    assert.deepEqual(got, [1, 2, 3, 4, 5]);
    assert.deepEqual(bus.since(4).events.map((e) => e.id), [5, 6]);
    assert.equal(bus.since(4).complete, true);
    assert.equal(bus.since(1).complete, false, "events 2 and 3 were dropped from the buffer");
    assert.equal(bus.lastId, 6);
  });
});
