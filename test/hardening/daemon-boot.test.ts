/**
 * The daemon's API comes up whatever a plugin does: `src/main.ts` on the sim world with a
 * stored config whose third-party WAN plugins hang in create and in inspect (and leave a
 * rejected promise nobody handles) still listens, shows both WANs down with the real
 * reason, and stops on SIGTERM. Real clock: this takes the create bound (5 s) and more.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { demoConfig } from "../../src/platform/sim/demo.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const FIXTURE = join(ROOT, "test", "hardening", "fixtures");
const TOKEN = "hardening-boot-token-0123456789";

interface WanLine {
  name: string;
  state: string;
  reason: string;
}

describe("the daemon with hung third-party WAN plugins in its stored config", () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "mw-hung-boot-"))));
  after(() => rm(dir, { recursive: true, force: true }));

  it("boots, serves the API with the real reasons, and stops on SIGTERM", async () => {
    const doc = structuredClone(demoConfig) as { wans: Record<string, Record<string, unknown>> };
    doc.wans.tethering = { ...doc.wans.tethering, type: "wan.hang-inspect", device: "usb0" };
    doc.wans.cellular = { type: "wan.hang-create", device: "wwan0", priority: 4, tracker: doc.wans.cellular.tracker };
    await writeFile(join(dir, "config.json"), JSON.stringify({ revision: 3, ...doc }));
    const child = spawn("node", [
      "--import",
      "tsx",
      "src/main.ts",
      "--dataplane",
      "sim",
      "--no-scenario",
      "--state-dir",
      dir,
      "--plugins",
      FIXTURE,
      "--listen",
      "127.0.0.1:0",
    ], { cwd: ROOT, env: { ...process.env, MULTIWAN_ADMIN_TOKEN: TOKEN }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (b) => (output += b));
    child.stderr.on("data", (b) => (output += b));
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    try {
      let url: string | undefined;
      for (let i = 0; i < 300 && !url; i++) {
        await new Promise((r) => setTimeout(r, 100));
        url = /API at (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1];
        assert.equal(child.exitCode, null, `the daemon exited:\n${output}`);
      }
      assert.ok(url, `the daemon never listened:\n${output}`);
      const res = await fetch(`${url}/api/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 200);
      const status = (await res.json()) as { revision: number; wans: WanLine[] };
      assert.equal(status.revision, 3, "the stored config runs, not a fallback");
      const by = new Map(status.wans.map((w) => [w.name, w]));
      assert.equal(by.get("tethering")?.state, "down");
      assert.equal(by.get("tethering")?.reason, "inspect timed out after 3 s");
      assert.equal(by.get("cellular")?.state, "down");
      assert.match(by.get("cellular")?.reason ?? "", /create did not finish within 5000 ms/);
      assert.match(output, /unhandled rejection: floating rejection from a plugin/);
    } finally {
      child.kill("SIGTERM");
    }
    const code = await exited;
    // Deno's node:child_process reports a child that exits 0 on SIGTERM as killed (code null).
    if (code !== null || typeof (globalThis as { Deno?: unknown }).Deno === "undefined") assert.equal(code, 0, output);
    assert.match(output, /tethering unknown → down: inspect timed out after 3 s/);
  });
});
