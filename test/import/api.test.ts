/**
 * The import over the API (`POST /api/v1/config/import/mwan3`: admin only, body checked,
 * nothing applied) and on the command line (`multiwan import mwan3`, offline).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { run } from "../../src/cli/main.ts";
import { importMwan3 } from "../../src/import/mwan3.ts";
import { type ApiRig, makeApiRig } from "../api/rig.ts";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const PATH = "/api/v1/config/import/mwan3";

async function problem(res: Response, status: number, code: string) {
  assert.equal(res.status, status);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const p = await res.json();
  assert.equal(p.code, code);
  return p;
}

describe("import over the API", () => {
  let r: ApiRig;
  let reader: string;
  before(async () => {
    r = await makeApiRig();
    reader = (await r.auth.createToken("reader", "read")).token;
  });
  after(() => r.close());

  it("converts, validates with the running schema and applies nothing", async () => {
    const before = JSON.stringify(r.kernel.config);
    const files = { mwan3: fixture("mwan3-failover"), network: fixture("network-failover"), wireless: fixture("wireless-failover") };
    const res = await r.req("POST", PATH, { body: files });
    assert.equal(res.status, 200);
    const body = await res.json();
    const expected = importMwan3(files);
    assert.deepEqual(body.config, expected.config);
    assert.deepEqual(body.warnings, expected.warnings);
    assert.equal(body.warnings.length, 14);
    assert.deepEqual(body.warnings[0], { section: "mwan3.globals", option: "logging", message: "per-rule logging is not carried over (multiwan logs its own decisions)" });
    assert.equal(body.valid, true);
    assert.deepEqual(body.issues, []);
    assert.equal(JSON.stringify(r.kernel.config), before, "the running config is unchanged");
  });

  it("the result can be PUT as it is", async () => {
    const res = await r.req("POST", PATH, { body: { mwan3: fixture("mwan3-default"), network: fixture("network-default") } });
    const { config } = await res.json();
    const put = await r.req("PUT", "/api/v1/config", { body: config });
    assert.equal(put.status, 200, await put.clone().text());
    assert.deepEqual(Object.keys((r.kernel.config.doc as { wans: object }).wans), ["wan", "wanb"]);
  });

  it("needs an admin credential: 401 without one, 403 with a read token", async () => {
    await problem(await r.req("POST", PATH, { body: { mwan3: "config interface 'wan'\n" }, token: false }), 401, "E_UNAUTHORIZED");
    await problem(await r.req("POST", PATH, { body: { mwan3: "config interface 'wan'\n" }, token: reader }), 403, "E_FORBIDDEN");
  });

  it("an invalid body is a 400 naming the field; a UCI error names the file and line", async () => {
    const missing = await problem(await r.req("POST", PATH, { body: { network: "" } }), 400, "E_BAD_BODY");
    assert.equal(missing.issues[0].path, "mwan3");
    const extra = await problem(await r.req("POST", PATH, { body: { mwan3: "config x y\n", firewall: "" } }), 400, "E_BAD_BODY");
    assert.equal(extra.issues[0].path, "firewall");
    await problem(await r.req("POST", PATH, { body: { mwan3: 42 } }), 400, "E_BAD_BODY");
    await problem(await r.req("POST", PATH, { body: ["config"] }), 400, "E_BAD_BODY");
    await problem(await r.req("POST", PATH, { raw: "{not json", headers: { "content-type": "application/json" } }), 400, "E_BAD_JSON");
    await problem(await r.req("POST", PATH, { raw: "config x", headers: { "content-type": "text/plain" } }), 415, "E_MEDIA_TYPE");
    const uci = await problem(await r.req("POST", PATH, { body: { mwan3: "config interface 'wan'\n", wireless: "\nlist x y\n" } }), 400, "E_UCI_SYNTAX");
    assert.equal(uci.detail, "wireless:2: list before the first config section");
  });

  it("takes up to 256 KiB", async () => {
    const comment = `# ${"x".repeat(1000)}\n`;
    const big = "config interface 'wan'\n\toption enabled '1'\n" + comment.repeat(200);
    const ok = await r.req("POST", PATH, { body: { mwan3: big } });
    assert.equal(ok.status, 200);
    await problem(await r.req("POST", PATH, { body: { mwan3: big + comment.repeat(70) } }), 413, "E_BODY_TOO_LARGE");
  });
});

describe("multiwan import mwan3", () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "mwan-import-"))));
  after(() => rm(dir, { recursive: true, force: true }));

  const cli = async (...argv: string[]) => {
    let out = "";
    let err = "";
    const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t), env: {}, stdin: () => Promise.resolve("") });
    return { code, out, err };
  };

  it("prints the document on stdout and the warnings on stderr; exit 0", async () => {
    const f = (n: string) => new URL(`./fixtures/${n}`, import.meta.url).pathname;
    const r = await cli("import", "mwan3", f("mwan3-default"), "--network", f("network-default"));
    assert.equal(r.code, 0, r.err);
    const expected = importMwan3({ mwan3: fixture("mwan3-default"), network: fixture("network-default") });
    assert.deepEqual(JSON.parse(r.out), expected.config);
    const lines = r.err.trimEnd().split("\n");
    assert.equal(lines.length, 8);
    assert.equal(lines[0], "warning: mwan3.wan6.family: multiwan routes IPv4 only, so this IPv6 interface is not imported; its IPv4 twin wan is");
    assert.equal(lines[2], "warning: mwan3.wan_only: used by no rule (no effect in mwan3); not carried over");
  });

  it("exit 6 on a UCI error, 1 on a missing file, 2 without a file", async () => {
    const bad = join(dir, "mwan3");
    await writeFile(bad, "config interface 'wan'\n\toption enabled 1 2\n");
    const r = await cli("import", "mwan3", bad);
    assert.equal(r.code, 6);
    assert.equal(r.out, "");
    assert.equal(r.err, "multiwan: mwan3:2: too many arguments\n");
    assert.equal((await cli("import", "mwan3", join(dir, "absent"))).code, 1);
    assert.equal((await cli("import", "mwan3")).code, 2);
  });
});
