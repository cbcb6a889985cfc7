/**
 * Start-up: the plugin directories come from `--plugins` and from the stored config and its
 * last good copy; a stored config that uses a plugin that failed to load falls back, and the
 * reason names the plugin and its folder.
 */
import { strict as assert } from "node:assert";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { FakeClock } from "../../src/clock.ts";
import { MemoryConfigStore } from "../../src/config/store.ts";
import { Kernel } from "../../src/kernel.ts";
import { bootPluginDirs } from "../../src/loader/boot.ts";
import { PluginLoader, pluginsSection } from "../../src/loader/index.ts";
import { silentLogger } from "../../src/log.ts";
import { parseFlags } from "../../src/main.ts";
import { createSimPlatform } from "../../src/platform/sim/index.ts";
import { Registry } from "../../src/registry.ts";
import * as sdk from "../../src/sdk/index.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { TARGETS, UPLINKS } from "../helpers.ts";
import { BAD, copyOut, removeDir } from "./rig.ts";

const dir = await copyOut([join(BAD, "missing-create")]);
after(() => removeDir(dir));

describe("plugin directories at start", () => {
  it("--plugins is repeatable and absent when not given", () => {
    const f = parseFlags(["--plugins", "a", "--plugins", "/b"]);
    assert.deepEqual(f !== "help" && f.plugins, ["a", "/b"]);
    assert.equal((parseFlags([]) as { plugins?: unknown }).plugins, undefined);
  });

  it("flags (made absolute), then the stored config's and the last good copy's, once each", async () => {
    const store = new MemoryConfigStore();
    store.current = { doc: { plugins: { dirs: ["/srv/p1", "/srv/p2"] } }, revision: 3 };
    store.lastGood = { doc: { plugins: { dirs: ["/srv/p2", "/srv/old"] } }, revision: 2 };
    assert.deepEqual(await bootPluginDirs(store, ["rel", "/srv/p1"]), [resolve("rel"), "/srv/p1", "/srv/p2", "/srv/old"]);
  });

  it("a document that is not valid yet still gives what it can", async () => {
    const store = new MemoryConfigStore();
    store.current = { doc: { plugins: { dirs: ["/ok", 7, "relative"] } }, revision: 1 };
    assert.deepEqual(await bootPluginDirs(store, []), ["/ok"]);
  });

  it("a stored config using a plugin that failed falls back to the last good one, saying why", async () => {
    const registry = new Registry();
    registry.registerAll(builtinPlugins);
    const store = new MemoryConfigStore();
    const good = { mode: { type: "mode.failover" }, wans: { ethernet: { type: "wan.ethernet", device: "eth1", tracker: { type: "tracker.ping", targets: TARGETS } } } };
    store.current = { doc: { ...good, plugins: { dirs: [dir] }, wans: { ...good.wans, lab: { type: "wan.nocreate", device: "wwan0" } } }, revision: 2 };
    store.lastGood = { doc: good, revision: 1 };
    await new PluginLoader(registry, { sdk }).load(await bootPluginDirs(store, []));
    const clock = new FakeClock(0);
    const kernel = new Kernel({
      registry, store, clock, platform: createSimPlatform({ clock, uplinks: UPLINKS }),
      sections: { plugins: pluginsSection }, log: silentLogger, pluginLogger: () => silentLogger,
    });
    const boot = await kernel.boot();
    try {
      assert.equal(boot.source, "last-good");
      assert.match(boot.problems[0], new RegExp(`wans\\.lab\\.type: wan\\.nocreate failed to load from ${dir}/missing-create: create is missing`));
      assert.deepEqual(kernel.status().wans.map((w) => w.name), ["ethernet"]);
    } finally {
      await kernel.shutdown({ cleanup: false });
    }
  });
});
