/**
 * Config history on disk and in memory: one file per revision written atomically, pruning
 * beyond N, an older lineage dropped, durability across instances, leftovers swept; the
 * kernel records each applied revision (and the booted one) and honours `history.keep`;
 * the JSON Patch diff and the summary.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { FakeClock } from "../../src/clock.ts";
import { FileHistory, jsonDiff, MemoryHistory, type PatchOp, pointerParts, summarise } from "../../src/config/history.ts";
import { FileConfigStore, MemoryConfigStore } from "../../src/config/store.ts";
import { Kernel } from "../../src/kernel.ts";
import { silentLogger } from "../../src/log.ts";
import { createSimPlatform } from "../../src/platform/sim/index.ts";
import { Registry } from "../../src/registry.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { fourWans, UPLINKS } from "../helpers.ts";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "mwan-history-"));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const rec = (revision: number, doc: unknown = { n: revision }) => ({
  revision,
  at: new Date(1_700_000_000_000 + revision).toISOString(),
  author: "token:ops",
  remote: "198.18.0.9",
  summary: `change ${revision}`,
  doc,
});

/** applyPatch is a minimal RFC 6902 applier (add/remove/replace) to check jsonDiff's output. */
function applyPatch(doc: unknown, ops: readonly PatchOp[]): unknown {
  let out = structuredClone(doc);
  for (const op of ops) {
    const parts = pointerParts(op.path);
    if (parts.length === 0) {
      out = op.op === "remove" ? undefined : structuredClone(op.value);
      continue;
    }
    let parent = out as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) parent = parent[p] as Record<string, unknown>;
    const last = parts[parts.length - 1];
    if (op.op === "remove") {
      assert.ok(Object.hasOwn(parent, last), `remove of a missing ${op.path}`);
      delete parent[last];
    } else {
      if (op.op === "replace") assert.ok(Object.hasOwn(parent, last), `replace of a missing ${op.path}`);
      if (op.op === "add") assert.ok(!Object.hasOwn(parent, last), `add over an existing ${op.path}`);
      parent[last] = structuredClone(op.value);
    }
  }
  return out;
}

describe("FileHistory", () => {
  it("keeps the newest N revisions, one 0600 file each, and reads them back from a new instance", async () => {
    const dir = join(await tempDir(), "history");
    const h = new FileHistory(dir);
    for (let r = 1; r <= 25; r++) await h.record(rec(r), 20);
    const names = (await readdir(dir)).sort((a, b) => parseInt(a) - parseInt(b));
    assert.equal(names.length, 20);
    assert.equal(names[0], "6.json");
    assert.equal(names[19], "25.json");
    assert.equal((await stat(join(dir, "25.json"))).mode & 0o777, 0o600);
    const again = new FileHistory(dir);
    const list = await again.list();
    assert.deepEqual(list.map((e) => e.revision), Array.from({ length: 20 }, (_, i) => 25 - i));
    assert.deepEqual(list[0], { revision: 25, at: rec(25).at, author: "token:ops", remote: "198.18.0.9", summary: "change 25" });
    assert.deepEqual((await again.get(7))?.doc, { n: 7 });
    assert.equal(await again.get(5), undefined, "pruned");
    // A smaller N prunes at the next write.
    await again.record(rec(26), 3);
    assert.deepEqual((await again.list()).map((e) => e.revision), [26, 25, 24]);
  });

  it("a revision numbered below the kept ones (a new lineage) drops the higher ones", async () => {
    const h = new FileHistory(join(await tempDir(), "h"));
    for (const r of [8, 9, 10]) await h.record(rec(r), 20);
    await h.record(rec(2, { fresh: true }), 20);
    assert.deepEqual((await h.list()).map((e) => e.revision), [2]);
    const m = new MemoryHistory();
    for (const r of [8, 9, 10]) await m.record(rec(r), 20);
    await m.record(rec(2), 20);
    assert.deepEqual((await m.list()).map((e) => e.revision), [2]);
  });

  it("a torn or foreign file is never half a document; a killed writer's temp file is swept", async () => {
    const dir = join(await tempDir(), "h");
    const h = new FileHistory(dir);
    await h.record(rec(1), 20);
    await h.record(rec(2), 20);
    await writeFile(join(dir, "2.json"), '{"revision": 2, "at": "x", "doc": {"n"');
    await writeFile(join(dir, "3.json"), JSON.stringify(rec(4)));
    await writeFile(join(dir, ".1.json.123.1.abcdef.tmp"), "partial");
    assert.deepEqual((await h.list()).map((e) => e.revision), [1]);
    assert.equal(await h.get(2), undefined);
    assert.equal(await h.get(3), undefined, "a file whose revision does not match its name");
    assert.ok(!(await readdir(dir)).some((n) => n.endsWith(".tmp")));
  });

  it("FileConfigStore keeps its history beside the file unless told where", async () => {
    const dir = await tempDir();
    const store = new FileConfigStore(join(dir, "config.json"));
    assert.equal((store.history as FileHistory).dir, join(dir, "history"));
    const other = new FileConfigStore(join(dir, "etc", "config.json"), { historyDir: join(dir, "state", "history") });
    assert.equal((other.history as FileHistory).dir, join(dir, "state", "history"));
  });
});

describe("the kernel records revisions", () => {
  async function kernelWith(store: MemoryConfigStore | FileConfigStore) {
    const clock = new FakeClock(1_764_300_000_000);
    const registry = new Registry();
    registry.registerAll(builtinPlugins);
    const platform = createSimPlatform({ clock, uplinks: UPLINKS, seed: 3 });
    const kernel = new Kernel({ registry, platform, store, clock, log: silentLogger, pluginLogger: () => silentLogger });
    await kernel.boot();
    return kernel;
  }

  it("the booted revision, then each applied one with author, remote and a summary of paths; history.keep prunes", async () => {
    const dir = await tempDir();
    const store = new FileConfigStore(join(dir, "config.json"));
    await store.save({ doc: fourWans(), revision: 4 });
    const kernel = await kernelWith(store);
    try {
      const doc = fourWans();
      doc.wans.cellular.priority = 7;
      const r = await kernel.applyConfig(doc, { change: { author: "token:ops", remote: "198.18.0.9" } });
      assert.equal(r.revision, 5);
      const list = await kernel.history!.list();
      assert.deepEqual(list.map((e) => [e.revision, e.author, e.summary]), [
        [5, "token:ops", "wans.cellular.priority changed"],
        [4, "boot", "found at boot"],
      ]);
      assert.equal(list[0].remote, "198.18.0.9");
      assert.equal(list[0].at, new Date(1_764_300_000_000).toISOString());
      const onDisk = JSON.parse(await readFile(join(dir, "history", "5.json"), "utf8"));
      assert.deepEqual(onDisk.doc, doc);
      // keep 2 in the config itself: the next writes prune to two.
      await kernel.applyConfig({ ...doc, history: { keep: 2 } }, { change: { author: "session:admin" } });
      await kernel.applyConfig({ ...doc, history: { keep: 2 }, routing: { lastResort: "blackhole" } }, { change: { author: "session:admin" } });
      assert.deepEqual((await kernel.history!.list()).map((e) => e.revision), [7, 6]);
      assert.deepEqual(await readdir(join(dir, "history")).then((n) => n.sort()), ["6.json", "7.json"]);
      // An unchanged write records nothing.
      await kernel.applyConfig({ ...doc, history: { keep: 2 }, routing: { lastResort: "blackhole" } });
      assert.equal((await kernel.history!.list())[0].revision, 7);
    } finally {
      await kernel.shutdown({ cleanup: false });
    }
  });

  it("an invalid history.keep is refused like any invalid field; a failed write records nothing", async () => {
    const store = new MemoryConfigStore();
    store.current = { doc: fourWans(), revision: 1 };
    const kernel = await kernelWith(store);
    try {
      await assert.rejects(kernel.applyConfig({ ...fourWans(), history: { keep: 0 } }), (e: Error & { issues?: { path: string }[] }) => {
        assert.equal(e.issues?.[0]?.path, "history.keep");
        return true;
      });
      store.failNextSave = true;
      await assert.rejects(kernel.applyConfig({ ...fourWans(), routing: { lastResort: "main" } }));
      assert.deepEqual((await kernel.history!.list()).map((e) => e.revision), [1]);
    } finally {
      await kernel.shutdown({ cleanup: false });
    }
  });
});

describe("jsonDiff and summarise", () => {
  it("gives an RFC 6902 patch that turns a into b (escaped pointers, arrays whole)", () => {
    const a = { mode: { type: "mode.failover" }, wans: { "a/b": { priority: 1, "x~y": true }, gone: {} }, list: [1, 2] };
    const b = { mode: { type: "mode.failover", forcedRefresh: true }, wans: { "a/b": { priority: 3 } }, list: [2, 1] };
    const ops = jsonDiff(a, b);
    assert.deepEqual(ops, [
      { op: "add", path: "/mode/forcedRefresh", value: true },
      { op: "remove", path: "/wans/gone" },
      { op: "remove", path: "/wans/a~1b/x~0y" },
      { op: "replace", path: "/wans/a~1b/priority", value: 3 },
      { op: "replace", path: "/list", value: [2, 1] },
    ]);
    assert.deepEqual(applyPatch(a, ops), b);
    assert.deepEqual(jsonDiff(b, b), []);
    assert.deepEqual(applyPatch(b, jsonDiff(b, a)), a);
  });

  it("summarise names paths, never values, and counts the rest", () => {
    const a = { api: { passwordHash: "scrypt$secret" }, wans: { lte: { priority: 1 } } };
    const b = { api: { passwordHash: "scrypt$other" }, wans: { lte: { priority: 2 }, wifi: {} } };
    const s = summarise(a, b);
    assert.equal(s, "api.passwordHash changed, wans.lte.priority changed, wans.wifi added");
    assert.ok(!s.includes("scrypt"));
    assert.equal(summarise(a, b, 1), "api.passwordHash changed and 2 more");
    assert.equal(summarise(a, a), "no change");
  });
});
