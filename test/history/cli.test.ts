/**
 * The CLI's history commands against a real server on 127.0.0.1: revisions (author "via
 * cli", the peer address), show, diff, rollback with a stale --if-match (exit 5) and a good
 * one, export to a file and import it back.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { run } from "../../src/cli/main.ts";
import { type Server, serve } from "../../src/serve.ts";
import { hashPassword } from "../../web/auth/password.ts";
import { ADMIN, type ApiRig, makeApiRig } from "../api/rig.ts";
import { fourWans } from "../helpers.ts";

describe("multiwan config revisions|show|diff|rollback|export|import", () => {
  let r: ApiRig;
  let server: Server;
  let url: string;
  let dir: string;
  before(async () => {
    const doc = { ...fourWans(), api: { passwordHash: await hashPassword("correct horse") } };
    r = await makeApiRig({ config: doc });
    server = await serve(r.api.fetch, 0, "127.0.0.1");
    url = `http://127.0.0.1:${server.port}`;
    dir = await mkdtemp(join(tmpdir(), "mwan-history-cli-"));
  });
  after(async () => {
    r.api.close();
    await server.close();
    await r.close();
    await rm(dir, { recursive: true, force: true });
  });

  const cli = async (args: string[], stdin = "") => {
    let out = "";
    let err = "";
    const code = await run(args, {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env: { MULTIWAN_URL: url, MULTIWAN_TOKEN: ADMIN },
      stdin: () => Promise.resolve(stdin),
    });
    return { code, out, err };
  };

  it("lists revisions with the author (via cli) and the peer address; show and diff redact secrets", async () => {
    assert.equal((await cli(["config", "patch", "-"], '{"wans": {"cellular": {"priority": 9}}}')).code, 0);
    const list = await cli(["config", "revisions", "--json"]);
    assert.equal(list.code, 0, list.err);
    const top = JSON.parse(list.out).revisions[0];
    assert.deepEqual([top.revision, top.author, top.remote, top.summary], [2, "token:MULTIWAN_ADMIN_TOKEN via cli", "127.0.0.1", "wans.cellular.priority changed"]);
    const human = await cli(["config", "revisions"]);
    assert.match(human.out, /^2\t\S+\ttoken:MULTIWAN_ADMIN_TOKEN via cli\t127\.0\.0\.1\twans\.cellular\.priority changed\n1\t/);
    const shown = await cli(["config", "show", "1"]);
    assert.equal(JSON.parse(shown.out).api.passwordHash, "<redacted>");
    const diff = await cli(["config", "diff", "1", "2"]);
    assert.equal(diff.out, "replace /wans/cellular/priority 9\n");
    assert.deepEqual(JSON.parse((await cli(["config", "diff", "1", "2", "--json"])).out), [{ op: "replace", path: "/wans/cellular/priority", value: 9 }]);
    assert.equal((await cli(["config", "diff", "1"])).code, 2, "usage");
    assert.equal((await cli(["config", "show", "77"])).code, 4, "not found");
    const confirm = await cli(["config", "confirm"]);
    assert.equal(confirm.code, 5, "nothing waits for confirmation: 409");
    assert.match(confirm.err, /E_NOTHING_TO_CONFIRM/);
  });

  it("rollback with a stale --if-match exits 5 and changes nothing; with the current one it applies", async () => {
    const stale = await cli(["config", "rollback", "1", "--if-match", "1"]);
    assert.equal(stale.code, 5, stale.err);
    assert.equal(r.kernel.revision, 2);
    const ok = await cli(["config", "rollback", "1", "--if-match", "2"]);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(ok.out, "rolled back to 1: revision 3\n");
    assert.equal(r.kernel.effective?.wans.cellular.priority, 4);
    assert.equal(JSON.parse((await cli(["config", "revisions", "--json"])).out).revisions[0].summary, "rollback to 1");
  });

  it("export > file, then import FILE restores it with its secrets", async () => {
    const exported = await cli(["config", "export"]);
    assert.equal(exported.code, 0);
    assert.match(exported.out, /"passwordHash": "scrypt\$/);
    const file = join(dir, "backup.json");
    await writeFile(file, exported.out);
    const saved = r.kernel.config.doc;
    assert.equal((await cli(["config", "patch", "-"], '{"routing": {"lastResort": "main"}}')).code, 0);
    const imp = await cli(["config", "import", file]);
    assert.equal(imp.code, 0, imp.err);
    assert.equal(imp.out, "imported: revision 5\n");
    assert.deepEqual(r.kernel.config.doc, saved);
    const bad = join(dir, "bad.json");
    await writeFile(bad, JSON.stringify({ ...fourWans(), wans: { x: { type: "wan.nope" } } }));
    assert.equal((await cli(["config", "import", bad])).code, 6);
    assert.equal(r.kernel.revision, 5);
  });
});
