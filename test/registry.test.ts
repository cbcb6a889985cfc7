import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as v from "valibot";
import { Registry } from "../src/registry.ts";
import { satisfies } from "../src/semver.ts";
import type { AnyPlugin } from "../src/plugin.ts";
import { DuplicatePluginError, InvalidPluginError, PluginApiMismatchError, PluginNotFoundError } from "../src/errors.ts";
import { builtinPlugins } from "../plugins/builtin.ts";

const plugin = (over: Partial<AnyPlugin> = {}): AnyPlugin => ({
  id: "wan.test",
  version: "1.0.0",
  kernel: "^1.0.0",
  title: "Test",
  description: "A test WAN",
  schema: v.strictObject({ device: v.string() }),
  create: () => ({ device: "x", inspect: () => Promise.reject(new Error("unused")) }),
  ...over,
} as AnyPlugin);

describe("Registry", () => {
  it("registers the nine built-ins and lists them sorted by kind", () => {
    const r = new Registry();
    r.registerAll(builtinPlugins);
    assert.deepEqual(r.list("tracker").map((p) => p.id), ["tracker.httping", "tracker.link", "tracker.ping"]);
    assert.deepEqual(r.list("wan").map((p) => p.id), ["wan.cellular", "wan.ethernet", "wan.repeater", "wan.tethering"]);
    assert.deepEqual(r.list("mode").map((p) => p.id), ["mode.failover", "mode.load-balance"]);
    assert.equal(r.list().length, 9);
  });

  it("refuses a duplicate id, naming the plugin", () => {
    const r = new Registry();
    r.register(plugin());
    assert.throws(() => r.register(plugin()), (e: unknown) => {
      assert.ok(e instanceof DuplicatePluginError);
      assert.equal(e.code, "E_PLUGIN_DUPLICATE");
      assert.equal(e.plugin, "wan.test");
      return true;
    });
  });

  it("refuses malformed ids", () => {
    const r = new Registry();
    for (const id of ["test", "wan.", "router.x", "wan.Test", "wan.a b", "kernel.x", "wan.1x"]) {
      assert.throws(() => r.register(plugin({ id: id as AnyPlugin["id"] })), InvalidPluginError, id);
    }
  });

  it("refuses a kernel API range this kernel does not satisfy", () => {
    const r = new Registry("1.4.0");
    assert.throws(() => r.register(plugin({ kernel: "^2.0.0" })), (e: unknown) => {
      assert.ok(e instanceof PluginApiMismatchError);
      assert.equal(e.code, "E_PLUGIN_API");
      assert.match(e.message, /wan\.test needs kernel API \^2\.0\.0, this kernel provides 1\.4\.0/);
      return true;
    });
    r.register(plugin({ kernel: ">=1.2.0 <2.0.0" }));
    assert.ok(r.has("wan.test"));
  });

  it("refuses a bad version, a bad range, a missing factory, a non-object schema, kernel-owned keys", () => {
    const r = new Registry();
    assert.throws(() => r.register(plugin({ version: "one" })), /not semver/);
    assert.throws(() => r.register(plugin({ kernel: "banana" })), /not a semver range/);
    assert.throws(() => r.register(plugin({ create: undefined as never })), /create is not a function/);
    assert.throws(() => r.register(plugin({ schema: v.string() as never })), /valibot object schema/);
    assert.throws(
      () => r.register(plugin({ schema: v.strictObject({ priority: v.number() }) })),
      /kernel-owned keys: priority/,
    );
    assert.equal(r.list().length, 0, "nothing half-registered");
  });

  it("get() of an unknown id throws PluginNotFoundError", () => {
    assert.throws(() => new Registry().get("wan.nope"), PluginNotFoundError);
  });
});

describe("satisfies", () => {
  it("handles caret, tilde, comparators, alternatives and x-ranges", () => {
    const yes: [string, string][] = [["1.0.0", "^1.0.0"], ["1.9.3", "^1.2.0"], ["1.2.9", "~1.2.0"], ["1.5.0", ">=1.0.0 <2.0.0"],
      ["2.1.0", "^1.0.0 || ^2.0.0"], ["1.7.0", "1.x"], ["0.3.1", "^0.3.0"]];
    const no: [string, string][] = [["2.0.0", "^1.0.0"], ["1.1.0", "^1.2.0"], ["1.3.0", "~1.2.0"], ["2.0.0", ">=1.0.0 <2.0.0"],
      ["0.4.0", "^0.3.0"], ["1.0.0", "2.x"]];
    for (const [ver, range] of yes) assert.ok(satisfies(ver, range), `${ver} in ${range}`);
    for (const [ver, range] of no) assert.ok(!satisfies(ver, range), `${ver} not in ${range}`);
  });
});
