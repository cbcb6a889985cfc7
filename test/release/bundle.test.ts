/**
 * The release artifact: `scripts/build-release.ts` builds `multiwan.mjs` into a temp folder;
 * the file is copied alone into an empty folder (no node_modules anywhere above it) and run
 * on the sim world, with node and with deno under the permission line the README documents
 * (no read access outside its state dir: the panel and /docs come from the bundle). Each run
 * serves the panel at `/`, its assets and `/docs`, answers `/api/v1/status` with a token
 * (and 401 without), loads a plugin folder given with --plugins, then stops cleanly on SIGTERM. On node it also turns syslog on through
 * the API (a unix stream socket in the test) and receives the RFC 5424 line of a failover.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { access, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { buildPanel } from "../../web/panel/build.ts";
import { buildRelease, ROOT } from "../../scripts/build-release.ts";
import { DENO_RUN_FLAGS, V8_FLAGS } from "../../src/launch/v8.ts";
import { checkPlugin, checkServes, CLEAN_STOP, type DaemonProcess, freePort, minimalEnv, PLUGIN, startDaemon } from "./daemon-process.ts";

const TOKEN = `release-${process.pid}`;
const DENO = join(ROOT, "node_modules", "deno", "deno");

const nodeWorks = await new Promise<boolean>((done) => execFile("node", ["--version"], (err) => done(!err)));

/** The documented Deno permission line for the bundle on the sim world. */
function denoArgs(stateDir: string, listen: string, pluginDir: string): string[] {
  return [
    "run",
    ...DENO_RUN_FLAGS,
    "--no-prompt",
    `--allow-net=${listen}`,
    `--allow-read=${stateDir},${pluginDir}`,
    `--allow-write=${stateDir}`,
    "--allow-env=MULTIWAN_ADMIN_TOKEN,MULTIWAN_ADMIN_PASSWORD",
    "multiwan.mjs",
  ];
}

async function exists(p: string): Promise<boolean> {
  return await access(p).then(() => true, () => false);
}

/** checkSyslog turns syslog on through the API (a unix stream socket) and sees an RFC 5424 line of a failover. */
async function checkSyslog(d: DaemonProcess, sock: string): Promise<void> {
  let text = "";
  const server = createServer((c) => c.on("data", (x: Buffer) => void (text += x.toString())));
  await new Promise<void>((done) => server.listen(sock, done));
  try {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const patch = await fetch(`${d.url}/api/v1/config`, {
      method: "PATCH",
      headers: { ...auth, "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ log: { syslog: { socket: sock, transport: "stream" } } }),
    });
    assert.equal(patch.status, 200, await patch.text());
    const down = await fetch(`${d.url}/api/v1/wans/ethernet/actions/down`, { method: "POST", headers: auth });
    await down.body?.cancel();
    for (let i = 0; i < 200 && !/\n/.test(text); i++) await new Promise((r) => setTimeout(r, 25));
    assert.match(text, /^<30>1 \S+ \S+ multiwan \d+ kernel \[multiwan@32473 summary="[^"]*"\] plan: ethernet is down/m, text || d.output());
  } finally {
    server.close();
  }
}

describe("release bundle", () => {
  let dir = "";
  let run = "";
  let plugins = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "multiwan-release-"));
    if (!(await exists(join(ROOT, "web", "panel", "dist", "index.html")))) await buildPanel({ quiet: true });
    const built = await buildRelease({ out: join(dir, "build", "multiwan.mjs"), quiet: true });
    assert.ok(built.assets.includes("panel/dist/index.html") && built.assets.includes("docs/docs.html"), built.assets.join(", "));
    run = join(dir, "run");
    await mkdir(run);
    await copyFile(built.file, join(run, "multiwan.mjs"));
    plugins = join(dir, "plugins");
    await mkdir(join(plugins, "wan-bundletest"), { recursive: true });
    await writeFile(join(plugins, "wan-bundletest", "package.json"), JSON.stringify({ type: "module", main: "index.js" }));
    await writeFile(join(plugins, "wan-bundletest", "index.js"), PLUGIN);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("is one file, with no node_modules next to it or above it", async () => {
    assert.deepEqual(await readdir(run), ["multiwan.mjs"]);
    for (let d = run; d !== dirname(d); d = dirname(d)) assert.equal(await exists(join(d, "node_modules")), false, d);
  });

  it("runs with node: panel, /docs and /api/v1/status with a token", { skip: nodeWorks ? false : "needs node on PATH" }, async () => {
    const port = await freePort();
    const state = join(run, "state-node");
    const d = await startDaemon("node", [...V8_FLAGS, "multiwan.mjs", "--listen", `127.0.0.1:${port}`, "--state-dir", state, "--plugins", plugins], {
      cwd: run,
      env: minimalEnv({ MULTIWAN_ADMIN_TOKEN: TOKEN }),
    });
    try {
      await checkServes(d, TOKEN);
      await checkPlugin(d, TOKEN);
      await checkSyslog(d, join(run, "syslog-node.sock"));
      // With the daemon's V8 flags nothing fails on the side (Node's fetch needs WebAssembly).
      assert.doesNotMatch(d.output(), /unhandled rejection|WebAssembly/);
    } finally {
      assert.ok(CLEAN_STOP.includes(await d.stop()), d.output());
    }
  });

  it("runs with deno under the documented permissions (nothing readable but its state dir)", async () => {
    const port = await freePort();
    const listen = `127.0.0.1:${port}`;
    const state = join(run, "state-deno");
    await mkdir(state);
    const d = await startDaemon(DENO, [...denoArgs(state, listen, plugins), "--listen", listen, "--state-dir", state, "--plugins", plugins], {
      cwd: run,
      env: minimalEnv({ MULTIWAN_ADMIN_TOKEN: TOKEN, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" }),
    });
    try {
      await checkServes(d, TOKEN);
      await checkPlugin(d, TOKEN);
      assert.doesNotMatch(d.output(), /unhandled rejection|WebAssembly/);
    } finally {
      assert.ok(CLEAN_STOP.includes(await d.stop()), d.output());
    }
  });
});
