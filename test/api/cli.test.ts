/**
 * The CLI's commands and exit codes, and the README's "API and CLI" examples, run as
 * written (sh, curl and the CLI) against a real server on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { run } from "../../src/cli/main.ts";
import { type Server, serve } from "../../src/serve.ts";
import { ADMIN, type ApiRig, makeApiRig } from "./rig.ts";

const ROOT = resolve(new URL(".", import.meta.url).pathname, "../..");

function sh(script: string, env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((ok) => {
    execFile("/bin/sh", ["-ec", script], { env, timeout: 90_000, maxBuffer: 1 << 22 }, (err, out, errOut) => {
      ok({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: String(out), err: String(errOut) });
    });
  });
}

describe("CLI and README examples", () => {
  let r: ApiRig;
  let server: Server;
  let url: string;
  let dir: string;
  before(async () => {
    r = await makeApiRig();
    server = await serve(r.api.fetch, 0, "127.0.0.1");
    url = `http://127.0.0.1:${server.port}`;
    dir = await mkdtemp(join(tmpdir(), "mwan-cli-"));
    await writeFile(join(dir, "multiwan"), `#!/bin/sh\nexec node --import tsx ${ROOT}/src/cli/main.ts "$@"\n`);
    await chmod(join(dir, "multiwan"), 0o755);
  });
  after(async () => {
    r.api.close();
    await server.close();
    await r.close();
    await rm(dir, { recursive: true, force: true });
  });

  const cli = async (args: string[], opts: { token?: string; stdin?: string } = {}) => {
    let out = "";
    let err = "";
    const code = await run(args, {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env: { MULTIWAN_URL: url, MULTIWAN_TOKEN: opts.token ?? ADMIN },
      stdin: () => Promise.resolve(opts.stdin ?? ""),
    });
    return { code, out, err };
  };

  it("commands print JSON with --json and exit with codes that mean something", async () => {
    const st = await cli(["status", "--json"]);
    assert.equal(st.code, 0);
    assert.equal(JSON.parse(st.out).wans.length, 4);
    assert.match((await cli(["status"])).out, /ethernet/);
    assert.equal((await cli(["wan", "down", "nowhere"])).code, 4);
    assert.equal((await cli(["status"], { token: "wrong" })).code, 3);
    assert.equal((await cli(["config", "validate", "-"], { stdin: '{"wans":{}}' })).code, 6);
    assert.equal((await cli(["config", "patch", "-", "--if-match", "999"], { stdin: '{"mode":{"forcedRefresh":true}}' })).code, 5);
    assert.equal((await cli(["frobnicate"])).code, 2);
    assert.equal((await run(["status"], { out() {}, err() {}, env: { MULTIWAN_URL: "http://127.0.0.1:1" }, stdin: () => Promise.resolve("") })), 7);
    const created = await cli(["token", "create", "ro", "--role", "read", "--json"]);
    const tok = JSON.parse(created.out);
    assert.equal((await cli(["wan", "down", "ethernet"], { token: tok.token })).code, 3);
    assert.equal((await cli(["token", "revoke", tok.id])).code, 0);
    const hash = await cli(["hash-password"], { stdin: "a long password\n" });
    assert.match(hash.out, /^scrypt\$/);
  });

  it("the README's API and CLI examples run as written", async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## API and CLI"));
    const blocks = [...section.matchAll(/```(sh|json)\n([\s\S]*?)```/g)];
    assert.ok(blocks.length >= 3);
    const env = {
      PATH: `${dir}:${process.env.PATH}`,
      HOME: dir,
      MULTIWAN_ADMIN_TOKEN: ADMIN,
      MULTIWAN_URL: url,
    };
    for (const [, lang, body] of blocks.filter((b) => b[1] === "json")) {
      assert.equal(lang, "json");
      const merged = { ...(r.kernel.config.doc as object), ...JSON.parse(body) };
      const res = await r.req("POST", "/api/v1/config/validate", { body: merged });
      assert.deepEqual(await res.json(), { valid: true, issues: [] });
    }
    // The sh blocks run in one shell, in order, as a reader pastes them.
    const script = blocks.filter((b) => b[1] === "sh").map((b) => b[2]).join("\n")
      .replace("export MULTIWAN_URL=http://127.0.0.1:8080", `export MULTIWAN_URL=${url}`);
    const res = await sh(script, env);
    assert.equal(res.code, 0, `${script}\n--- stderr:\n${res.err}`);
    assert.match(res.out, /multiwan_wan_state/);
    assert.match(res.out, /applied: revision \d+/);
    assert.ok(r.kernel.revision > 1);
  });
});
