/**
 * Bad plugins (test/fixtures/plugins-bad, copied outside the project): each fails to load
 * with an error naming its folder and plugin, the daemon keeps running, configs that do
 * not use them keep working, and a config that uses one is refused naming it. Plugins
 * that load but throw or hang in create are contained when a config uses them.
 */
import { strict as assert } from "node:assert";
import { readdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ApplyError, ConfigError } from "../../src/errors.ts";
import { describeFailure, PluginLoader } from "../../src/loader/index.ts";
import { Registry } from "../../src/registry.ts";
import * as sdk from "../../src/sdk/index.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { advance, TARGETS } from "../helpers.ts";
import { BAD, copyOut, makeLoaderRig, removeDir } from "./rig.ts";

const folders = (await readdir(BAD, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => join(BAD, e.name));
const dir = await copyOut(folders);
await rename(join(dir, "syntax-error/index.js.fixture"), join(dir, "syntax-error/index.js"));

const ethernet = { type: "wan.ethernet", device: "eth1", tracker: { type: "tracker.ping", targets: TARGETS } };
const good = { mode: { type: "mode.failover" }, wans: { ethernet } };
const rig = await makeLoaderRig([dir], good, { timeoutMs: 300, limits: { createMs: 1000, startMs: 1000, stopMs: 1000 } });
after(async () => {
  await rig.close();
  await removeDir(dir);
});

/** What each folder must fail with: code, plugin id (if the definition got that far), and words of the reason. */
const expected: Record<string, { code: string; id?: string; says: RegExp }> = {
  "not-a-plugin": { code: "E_PLUGIN_NO_ENTRY", says: /not a plugin folder: no package.json main, index.ts/ },
  "syntax-error": { code: "E_PLUGIN_IMPORT", says: /importing .*syntax-error\/index.js failed: .*/ },
  "throws-on-import": { code: "E_PLUGIN_IMPORT", says: /cannot find \/dev\/magic at import time/ },
  "slow-import": { code: "E_PLUGIN_IMPORT", says: /the import did not finish within 300 ms/ },
  "wrong-kind": { code: "E_PLUGIN_KIND", id: "filter.ads", says: /the kind "filter" is not one of tracker, wan, mode/ },
  "missing-create": { code: "E_PLUGIN_INVALID", id: "wan.nocreate", says: /create is missing or not a function/ },
  "accepts-anything": { code: "E_PLUGIN_SCHEMA", id: "tracker.anything", says: /schema accepts anything at options/ },
  "no-json-schema": { code: "E_PLUGIN_SCHEMA", id: "mode.dates", says: /cannot be turned into JSON Schema: .*"date" schema/ },
  "newer-kernel": { code: "E_PLUGIN_API", id: "wan.future", says: /needs kernel API \^2\.0\.0, this kernel provides 1\.0\.0/ },
  "shadows-builtin": { code: "E_PLUGIN_DUPLICATE", id: "wan.ethernet", says: /already taken by a built-in plugin/ },
  "exports-nothing": { code: "E_PLUGIN_EMPTY", says: /exports no plugin definition/ },
  "setup-throws": { code: "E_PLUGIN_SETUP", says: /setup\(sdk\) failed: setup needs a licence key/ },
};

describe("bad plugin folders", () => {
  it("each fails with its own code and reason; the failure names its folder and plugin", () => {
    const failures = rig.registry.failures();
    for (const [name, want] of Object.entries(expected)) {
      const f = failures.find((x) => x.folder === join(dir, name));
      assert.ok(f, `${name}: no failure recorded`);
      assert.equal(f.error.code, want.code, name);
      assert.equal(f.id, want.id, name);
      assert.match(f.error.message, want.says, name);
      const line = describeFailure(f);
      assert.ok(line.includes(join(dir, name)) && line.includes(want.id ?? "a plugin"), line);
    }
    assert.equal(failures.length, Object.keys(expected).length, failures.map(describeFailure).join("\n"));
  });

  it("the good ones next to them load; the built-ins are intact (not shadowed)", () => {
    assert.ok(rig.registry.has("wan.create-throws") && rig.registry.has("wan.create-hangs"));
    assert.equal(rig.registry.get("wan.ethernet").version, "1.0.0");
    assert.equal(rig.registry.originOf("wan.ethernet"), undefined);
  });

  it("the daemon runs the config that does not use them", () => {
    assert.equal(rig.kernel.status().wans[0]?.name, "ethernet");
    assert.equal(rig.kernel.revision, 1);
  });

  it("/api/v1/plugins lists each failure as {id?, folder, error: {code, message}}", async () => {
    const body = await (await rig.req("GET", "/api/v1/plugins")).json() as { plugins: { id: string }[]; failed: Record<string, unknown>[] };
    const nocreate = body.failed.find((f) => f.id === "wan.nocreate");
    assert.deepEqual(nocreate, {
      id: "wan.nocreate",
      folder: join(dir, "missing-create"),
      error: { code: "E_PLUGIN_INVALID", message: "create is missing or not a function" },
    });
    assert.ok(body.failed.some((f) => f.folder === join(dir, "not-a-plugin") && !("id" in f)));
    assert.ok(!body.plugins.some((p) => p.id === "wan.nocreate"));
  });

  it("a config that uses a failed plugin is refused naming it, the folder and why", async () => {
    const doc = { ...good, wans: { ethernet, modem: { type: "wan.nocreate", device: "wwan0" } } };
    await assert.rejects(rig.kernel.applyConfig(doc), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const issue = err.issues.find((i) => i.path === "wans.modem.type");
      assert.equal(issue?.message, `wan.nocreate failed to load from ${join(dir, "missing-create")}: create is missing or not a function`);
      return true;
    });
    const res = await rig.req("PUT", "/api/v1/config", { ...good, mode: { type: "mode.dates", since: "x" } });
    assert.equal(res.status >= 400 && res.status < 500, true);
    assert.match(await res.text(), /mode\.dates failed to load from .*no-json-schema: schema cannot be turned into JSON Schema/);
    assert.equal(rig.kernel.revision, 1, "nothing changed");
  });

  it("a config using a type nobody ever offered still gets the usual message", () => {
    const issues = rig.kernel.validate({ ...good, wans: { x: { type: "wan.nothing", device: "eth1" } } });
    assert.match(issues.find((i) => i.path === "wans.x.type")?.message ?? "", /^Unknown type "wan.nothing"/);
  });
});

describe("plugins that fail when used", () => {
  const modem = (type: string) => ({ ...good, wans: { ethernet, modem: { type, device: "wwan0" } } });

  it("create throws: the config is refused with the reason, the running one stays", async () => {
    await assert.rejects(rig.kernel.applyConfig(modem("wan.create-throws")), (err: unknown) => {
      assert.ok(err instanceof ApplyError);
      assert.match(err.message, /wan\.create-throws.*no such modem/);
      return true;
    });
    assert.deepEqual(rig.kernel.status().wans.map((w) => w.name), ["ethernet"]);
  });

  it("create never resolves: the apply gives up at the create bound, the running config stays", async () => {
    const applying = rig.kernel.applyConfig(modem("wan.create-hangs"));
    const settled = applying.then(() => "applied", (err: unknown) => err);
    await advance(rig.clock, 1500, 50);
    const err = await settled;
    assert.ok(err instanceof ApplyError, String(err));
    assert.match(err.message, /wan\.create-hangs.*create did not finish within 1000 ms/);
    assert.deepEqual(rig.kernel.status().wans.map((w) => w.name), ["ethernet"]);
    assert.equal(rig.kernel.revision, 1);
  });
});

describe("loading again", () => {
  it("a folder is loaded once; a directory that cannot be read is reported once", async () => {
    const registry = new Registry();
    registry.registerAll(builtinPlugins);
    const loader = new PluginLoader(registry, { sdk });
    const first = await loader.load([join(dir, "create-throws"), "/nonexistent/multiwan-plugins"]);
    assert.deepEqual(first.loaded.map((l) => l.id), ["wan.create-throws"]);
    assert.equal(first.failed[0]?.error.code, "E_PLUGIN_DIR");
    const second = await loader.load([join(dir, "create-throws"), "/nonexistent/multiwan-plugins"]);
    assert.deepEqual(second, { loaded: [], failed: [] });
  });
});
