/**
 * The launcher end to end, as `npm start -- --listen 127.0.0.1:PORT` runs it: the daemon
 * starts on Deno with derived permissions on a free loopback port, answers, and stops on
 * SIGTERM with exit code 0. Also `permissions` prints the flags for audit.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DENO = join(ROOT, "node_modules", "deno", "deno");

/** The `start` script's argv with `deno` resolved, as npm would run it. */
function startArgv(): string[] {
  const script: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.start;
  const argv = script.split(/\s+/);
  assert.equal(argv[0], "deno");
  return [DENO, ...argv.slice(1)];
}

/** A free loopback port below the ephemeral range. */
async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    const ok = await new Promise<boolean>((done) => {
      const s = createServer();
      s.once("error", () => done(false));
      s.listen(port, "127.0.0.1", () => s.close(() => done(true)));
    });
    if (ok) return port;
  }
  throw new Error("no free port");
}

describe("the launcher", { skip: existsSync(DENO) ? false : "skipped: needs node_modules/deno/deno" }, () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "mw-launch-"))));
  after(() => rm(dir, { recursive: true, force: true }));

  it("`permissions` prints the derived flags and never -A", () => {
    const [cmd, ...args] = startArgv();
    const r = spawnSync(cmd, [...args, "permissions", "--listen", "127.0.0.1:9000", "--state-dir", dir], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /--allow-net=127\.0\.0\.1:9000 /);
    assert.match(r.stdout, new RegExp(`--allow-write=${dir.replace(/[.]/g, "\\.")} `));
    assert.doesNotMatch(r.stdout, /(^|\s)(-A|--allow-all)(\s|$)/);
    assert.match(r.stdout, /<- --listen/);
  });

  it("starts the daemon with --listen on a free port, serves, and stops on SIGTERM with 0", async () => {
    const port = await freePort();
    const [cmd, ...args] = startArgv();
    const child = spawn(cmd, [...args, "--listen", `127.0.0.1:${port}`, "--state-dir", dir, "--no-scenario"], {
      cwd: ROOT,
      env: { ...process.env, MULTIWAN_ADMIN_TOKEN: "launcher-test-token-1234" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (b) => (output += b));
    child.stderr.on("data", (b) => (output += b));
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    try {
      let status = 0;
      for (let i = 0; i < 150 && status === 0; i++) {
        await new Promise((r) => setTimeout(r, 200));
        status = await fetch(`http://127.0.0.1:${port}/api/v1/status`, { headers: { authorization: "Bearer launcher-test-token-1234" } })
          .then(async (res) => (await res.body?.cancel(), res.status), () => 0);
      }
      assert.equal(status, 200, output);
      const root = await fetch(`http://127.0.0.1:${port}/`);
      await root.body?.cancel();
      assert.ok([200, 503].includes(root.status), `GET / ${root.status}`); // 503: the panel is not built
      // A change needing a permission this daemon lacks is refused, naming it (nothing is sent).
      const patch = await fetch(`http://127.0.0.1:${port}/api/v1/config`, {
        method: "PATCH",
        headers: { authorization: "Bearer launcher-test-token-1234", "content-type": "application/merge-patch+json" },
        body: JSON.stringify({ hooks: { webhooks: [{ name: "x", url: "http://198.18.6.6:9/hook" }] } }),
      });
      const problem = await patch.json();
      assert.equal(patch.status, 400, JSON.stringify(problem));
      assert.equal(problem.issues[0].path, "hooks.webhooks[0].url");
      assert.match(problem.issues[0].message, /--allow-net=198\.18\.6\.6:9, which the running daemon lacks/);
      assert.doesNotMatch(output, /Requires .* access/);
    } finally {
      child.kill("SIGTERM");
    }
    const code = await exited;
    // Deno's node:child_process reports a child that exits 0 on SIGTERM as killed (code null).
    if (code !== null || typeof (globalThis as { Deno?: unknown }).Deno === "undefined") assert.equal(code, 0, output);
    assert.match(output, /SIGTERM: stopping/);
  });
});
