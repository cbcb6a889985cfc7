import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { after, describe, it } from "node:test";
import { FileConfigStore } from "../src/config/store.ts";
import { StoreError } from "../src/errors.ts";

const dirs: string[] = [];
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), "multiwan-store-"));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** The argv that runs a TypeScript file on the runtime running this test. */
export function tsArgv(file: string, args: string[]): [string, string[]] {
  const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
  return isDeno
    ? [process.execPath, ["run", "--allow-read", "--allow-write", "--allow-env", file, ...args]]
    : [process.execPath, ["--import", "tsx", file, ...args]];
}

describe("FileConfigStore", () => {
  it("round-trips a document with its revision and keeps the last good copy apart", async () => {
    const store = new FileConfigStore(join(await tempDir(), "config.json"));
    assert.equal(await store.load(), undefined);
    await store.save({ doc: { mode: { type: "mode.failover" } }, revision: 4 });
    await store.saveLastGood({ doc: { a: 1 }, revision: 3 });
    assert.deepEqual(await store.load(), { doc: { mode: { type: "mode.failover" } }, revision: 4 });
    assert.deepEqual(await store.loadLastGood(), { doc: { a: 1 }, revision: 3 });
    const text = await readFile(store.location, "utf8");
    assert.match(text, /^\{\n {2}"revision": 4,/);
  });

  it("a file that is not JSON is a StoreError naming the file", async () => {
    const path = join(await tempDir(), "config.json");
    await writeFile(path, "{ nope");
    await assert.rejects(new FileConfigStore(path).load(), (e: unknown) => {
      assert.ok(e instanceof StoreError);
      assert.match((e as Error).message, /config\.json is not valid JSON/);
      return true;
    });
  });

  it("a writer killed mid-write leaves the old or the new document, never a mix", async () => {
    const dir = await tempDir();
    const path = join(dir, "config.json");
    const seen = new Set<string>();
    for (let round = 0; round < 8; round++) {
      const [cmd, args] = tsArgv(fileURLToPath(new URL("./atomic-writer.ts", import.meta.url)), [path, "A", "B"]);
      const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once("data", () => resolve());
        child.once("exit", (code) => reject(new Error(`writer exited early (${code})`)));
      });
      await new Promise((r) => setTimeout(r, 30 + round * 17));
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      const text = await readFile(path, "utf8");
      const doc = JSON.parse(text);
      assert.ok(doc.tag === "A" || doc.tag === "B", "a whole document");
      assert.equal(doc.filler.length, 2_000_000, "never truncated");
      seen.add(doc.tag);
    }
    assert.ok(seen.size >= 1);
    const leftovers = (await readdir(dir)).filter((f) => f.endsWith(".tmp"));
    assert.ok(leftovers.length >= 1, "at least one kill landed mid-write (a temp file was left)");
    assert.ok(leftovers.length <= 8, "at most one temp file per killed writer");
    await new FileConfigStore(path).load();
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith(".tmp")), [], "load() sweeps stale temp files");
  });
});
