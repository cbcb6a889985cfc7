/**
 * Credential writes under concurrency: parallel token creates and revokes leave a valid
 * `auth.json` holding every change, and a damaged file falls back to its last good copy.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tempNameFor, writeFileAtomic } from "../../src/config/store.ts";
import { AuthStore } from "../../web/auth/store.ts";

describe("credential store under parallel writes", () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "mw-auth-"))));
  after(() => rm(dir, { recursive: true, force: true }));

  it("`tempNameFor()` never repeats a name within one process", () => {
    const names = new Set(Array.from({ length: 1000 }, () => tempNameFor(join(dir, "x.json"))));
    assert.equal(names.size, 1000);
  });

  it("parallel `writeFileAtomic()` calls to one file leave one whole document and no temp files", async () => {
    const path = join(dir, "same.json");
    const docs = Array.from({ length: 40 }, (_, i) => JSON.stringify({ i, filler: "x".repeat(2000 + i) }));
    await Promise.all(docs.map((d) => writeFileAtomic(path, d)));
    const text = await readFile(path, "utf8");
    assert.ok(docs.includes(text), "the file is one of the written documents");
    const left = (await readdir(dir)).filter((n) => n.endsWith(".tmp"));
    assert.deepEqual(left, []);
  });

  it("rounds of parallel creates and revokes: every change is on disk and the file parses", async () => {
    const path = join(dir, "auth.json");
    const store = new AuthStore({ path });
    await store.load();
    await store.setPassword("correct horse battery");
    let expected = new Set<string>();
    for (let round = 0; round < 8; round++) {
      const victims = [...expected].slice(0, 3);
      const results = await Promise.allSettled([
        ...Array.from({ length: 3 }, (_, i) => store.createToken(`r${round}-${i}`, i % 2 ? "read" : "admin")),
        ...victims.map((id) => store.revokeToken(id)),
      ]);
      for (const r of results) assert.equal(r.status, "fulfilled", r.status === "rejected" ? String(r.reason) : "");
      for (const id of victims) expected.delete(id);
      for (const r of results.slice(0, 3)) {
        expected.add((r as PromiseFulfilledResult<{ id: string }>).value.id);
      }
      const reloaded = new AuthStore({ path });
      const report = await reloaded.load();
      assert.equal(report.source, "file");
      assert.deepEqual(new Set(reloaded.listTokens().map((t) => t.id)), expected, `round ${round}`);
      assert.ok(reloaded.hasPassword);
      JSON.parse(await readFile(path, "utf8"));
    }
    expected = new Set(store.listTokens().map((t) => t.id));
    assert.equal(expected.size, 3 * 8 - 3 * 7);
  });

  it("a damaged `auth.json` falls back to the last good copy, says why, and repairs the file", async () => {
    const path = join(dir, "auth2.json");
    const store = new AuthStore({ path });
    await store.load();
    const t = await store.createToken("keeper", "read");
    await writeFile(path, '{"tokens": []}\n}garbage');
    const again = new AuthStore({ path });
    const report = await again.load();
    assert.equal(report.source, "last-good");
    assert.match(report.problems.join(" "), /auth2\.json: not valid JSON/);
    assert.ok(await again.verifyToken(t.token), "the token from the last good copy still works");
    JSON.parse(await readFile(path, "utf8"));
  });

  it("a save that fails changes nothing: an error is never answered for a change that took effect", async () => {
    const store = new AuthStore({ path: join(dir, "missing-folder", "auth.json") });
    await store.load();
    await assert.rejects(store.createToken("ghost", "admin"));
    assert.deepEqual(store.listTokens(), []);
    const next = await store.createToken("after", "read").catch(() => undefined);
    assert.equal(next, undefined, "the folder is still missing");
  });

  it("refuses to start with no credentials when both copies are damaged", async () => {
    const path = join(dir, "auth3.json");
    await writeFile(path, "{");
    await writeFile(`${path}.last-good`, "[1]");
    await assert.rejects(new AuthStore({ path }).load(), /Cannot read the credentials: .*not valid JSON.*not a JSON object/);
  });
});
