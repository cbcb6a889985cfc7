/**
 * The launcher (`src/launch/`) the README's way: `deno run --allow-read --allow-env
 * --allow-run=<deno> src/launch/main.ts`, on the sim world. By default it bundles the daemon
 * (`src/launch/bundle.ts`) and runs the bundle with derived permissions; `--sources` runs
 * `src/main.ts`. Each way serves the panel, `/docs`, the API and a plugin folder, and the
 * bundle's start-up chunks import no `node:` module.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { buildBundle, bundleArgs, bundleDir, bundleEntry, esbuildBinary } from "../src/launch/bundle.ts";
import { checkPlugin, checkServes, CLEAN_STOP, type DaemonProcess, freePort, minimalEnv, PLUGIN, runInherited, startDaemon } from "./release/daemon-process.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const DENO = join(ROOT, "node_modules", "deno", "deno");
const TOKEN = `launch-${process.pid}`;

/** The specifiers a chunk imports when it is evaluated (not its import() calls). */
function staticImports(code: string): string[] {
  const out: string[] = [];
  for (const m of code.matchAll(/(?:^|[;}\s])(?:import|export)\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+)["']/g)) out.push(m[1]);
  return out;
}

/** The daemon the launcher started: the one child of the launcher, by its command line. */
async function childArgs(parent: number): Promise<string[]> {
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== parent) continue;
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter(Boolean);
  }
  return [];
}

describe("the launcher's Deno bundle", () => {
  let dir = "";
  const root = () => dir;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mwt-launch-"));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("lives under DENO_DIR when it is set (the service's cache), else in node_modules/.cache", () => {
    assert.equal(bundleDir("/opt/multiwan", "/var/cache/multiwan"), "/var/cache/multiwan/multiwan-daemon");
    assert.equal(bundleDir("/opt/multiwan", undefined), "/opt/multiwan/node_modules/.cache/multiwan-daemon");
    assert.equal(bundleDir("/opt/multiwan", ""), "/opt/multiwan/node_modules/.cache/multiwan-daemon");
    const args = bundleArgs("/opt/multiwan", "/out");
    for (const flag of ["--splitting", "--minify", "--keep-names", "--outdir=/out"]) assert.ok(args.includes(flag), flag);
    assert.ok(!args.some((a) => a.startsWith("--sourcemap")), "a source map would be loaded at start");
  });

  it("loads no node: module at start: the Node adapter and the other node: users are chunks loaded on demand", async () => {
    const out = await buildBundle(ROOT, join(dir, "bundle"), runInherited);
    const seen = new Set<string>();
    const queue = ["main.js"];
    const found: string[] = [];
    while (queue.length > 0) {
      const f = queue.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      const code = await readFile(join(out, f), "utf8");
      // Static imports, and the host adapter src/host/index.ts always loads on Deno.
      const adapter = [...code.matchAll(/import\(\s*["']\.\/(deno-[\w-]+\.js)["']\s*\)/g)].map((m) => `./${m[1]}`);
      for (const spec of [...staticImports(code), ...adapter]) {
        if (spec.startsWith("node:")) found.push(`${f} imports ${spec}`);
        else if (spec.startsWith("./")) queue.push(spec.slice(2));
      }
    }
    assert.ok(seen.size >= 2, `main.js imports its shared chunks: ${[...seen].join(", ")}`);
    assert.ok([...seen].some((f) => f.startsWith("deno-")), `the Deno host adapter is among them: ${[...seen].join(", ")}`);
    assert.deepEqual(found, []);
    // The check can fail: other chunks of the same bundle do import node: modules.
    const all = (await readdir(out)).filter((f) => f.endsWith(".js") && !seen.has(f));
    const lazy = (await Promise.all(all.map(async (f) => staticImports(await readFile(join(out, f), "utf8"))))).flat();
    assert.ok(lazy.some((s) => s.startsWith("node:")), "some chunk loaded on demand imports a node: module");
  });

  it("builds into a folder named by its content, reuses it, and keeps the newest three", async () => {
    const dir = join(root(), "builds");
    const runs: string[][] = [];
    const run = (cmd: string, args: string[]) => {
      runs.push(args);
      return runInherited(cmd, args);
    };
    const first = await buildBundle(ROOT, dir, run);
    assert.match(first, /\/builds\/[0-9a-f]{16}$/);
    assert.ok((await readdir(first)).includes("main.js"));
    // Older builds (a daemon may still run one) and a dead launcher's temporary folder.
    const past = Date.now() / 1000 - 3600;
    for (const [i, name] of ["0000000000000001", "0000000000000002", "0000000000000003", ".build-99999"].entries()) {
      await mkdir(join(dir, name), { recursive: true });
      await writeFile(join(dir, name, "main.js"), "");
      await utimes(join(dir, name), past + i, past + i);
    }
    const again = await buildBundle(ROOT, dir, run);
    assert.equal(again, first, "the same code gives the same folder");
    assert.equal(runs.length, 2);
    assert.deepEqual((await readdir(dir)).sort(), [first.slice(-16), "0000000000000002", "0000000000000003"].sort());
    await assert.rejects(buildBundle(ROOT, dir, () => Promise.resolve(2)), /exit code 2/);
    assert.ok(!(await readdir(dir)).some((n) => n.startsWith(".build-")), "a failed build leaves no temporary folder");
  });

  for (const way of ["bundle", "sources"] as const) {
    it(`runs the daemon from its ${way} with derived permissions: panel, docs, API, a plugin folder, a clean stop`, async () => {
      const state = join(dir, `state-${way}`);
      const plugins = join(dir, `plugins-${way}`);
      await mkdir(join(plugins, "wan-bundletest"), { recursive: true });
      await writeFile(join(plugins, "wan-bundletest", "index.js"), PLUGIN);
      const cache = join(dir, `cache-${way}`);
      const port = await freePort();
      const d: DaemonProcess = await startDaemon(DENO, [
        "run", "--no-prompt", "--allow-read", "--allow-env", `--allow-run=${DENO},${esbuildBinary(ROOT)}`,
        `--allow-write=${bundleDir(ROOT, cache)}`, join(ROOT, "src", "launch", "main.ts"),
        "--state-dir", state, "--listen", `127.0.0.1:${port}`, "--no-scenario", "--plugins", plugins,
        ...(way === "sources" ? ["--sources"] : []),
      ], { cwd: ROOT, env: minimalEnv({ MULTIWAN_ADMIN_TOKEN: TOKEN, DENO_DIR: cache, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" }), readyMs: 60_000 });
      try {
        await checkServes(d, TOKEN);
        await checkPlugin(d, TOKEN);
        const login = await fetch(`${d.url}/api/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ password: "not-the-password" }),
        });
        await login.body?.cancel();
        assert.equal(login.status, 401);
        const args = await childArgs(d.pid);
        const reads = args.find((a) => a.startsWith("--allow-read="))?.split("=")[1].split(",") ?? [];
        if (way === "bundle") {
          const builds = await readdir(bundleDir(ROOT, cache));
          assert.equal(builds.length, 1, builds.join(" "));
          const entry = bundleEntry(ROOT, join(bundleDir(ROOT, cache), builds[0]));
          assert.ok(args.includes(entry.main), `the daemon runs the bundle: ${args.join(" ")}`);
          assert.ok(args.join(" ").includes(entry.flags.join(" ")), args.join(" "));
          assert.ok(!reads.includes(join(ROOT, "src")) && !reads.includes(join(ROOT, "node_modules")), `no read of the code: ${reads}`);
        } else {
          assert.ok(args.includes(join(ROOT, "src", "main.ts")), `the daemon runs its sources: ${args.join(" ")}`);
          assert.ok(!args.includes("--sources"), "the launcher's own flag is not passed on");
        }
        assert.ok(!args.includes("-A") && !args.includes("--allow-all"), args.join(" "));
        assert.ok(args.some((a) => a.startsWith("--allow-read=")), args.join(" "));
      } finally {
        const how = await d.stop();
        assert.ok(CLEAN_STOP.includes(how), `stopped with ${how}:\n${d.output()}`);
      }
    });
  }
});
