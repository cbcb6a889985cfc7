/**
 * Memory of the daemon under API load and after it (no root: the simulated world, the demo
 * scenario off). Starts the daemon, reads its RSS idle, then sends 10,000 `GET /api/v1/status`
 * (10 connections) while 50 event streams are open (7 read tokens, 8 streams per credential
 * at most), closes the streams, and reads the RSS right after and every 10 s for a minute.
 * The goal: ≤ 100 MB after the load on Node, back within 10 MB of idle a minute later.
 *
 * Run: node --import tsx bench/linux/memory.bench.ts [node|deno|deno-sources|bundle|deno-bundle] [requests=10000] [streams=50]
 * (`deno` runs what the launcher runs, its esbuild bundle; `deno-sources` src/main.ts; `bundle` runs
 * dist/multiwan.mjs from `npm run build` on Node, `deno-bundle` on Deno, or the file MEM_BUNDLE names;
 * V8 flags: the daemon's own, or MEM_NODE_FLAGS.)
 * @module
 */
import { execFileSync, spawn } from "node:child_process";
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundle, bundleEntry } from "../../src/launch/bundle.ts";
import { runInherited } from "../../test/release/daemon-process.ts";
import { DENO_V8_FLAGS, V8_FLAGS } from "../../src/launch/v8.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const runtime = process.argv[2] ?? "node";
const total = Number(process.argv[3] ?? 10_000);
const nStreams = Number(process.argv[4] ?? 50);
const TOKEN = "bench-memory-admin-token";
const port = 20_000 + Math.floor(Math.random() * 10_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const rssMb = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, agent: false, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => (text += d)).on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const dir = await mkdtemp(join(tmpdir(), "mwt-mem-"));
/** V8 flags (Node; Deno through --v8-flags): the daemon's own (src/launch/v8.ts) unless MEM_NODE_FLAGS says others ("" for none). */
const nodeFlags = process.env.MEM_NODE_FLAGS !== undefined
  ? process.env.MEM_NODE_FLAGS.split(" ").filter(Boolean)
  : [...(runtime.startsWith("deno") ? DENO_V8_FLAGS : V8_FLAGS)];
const args = ["--no-scenario", "--listen", `127.0.0.1:${port}`, "--state-dir", dir];
const bundle = process.env.MEM_BUNDLE ?? join(root, "dist/multiwan.mjs");
// As the launcher does: `deno` runs the daemon's esbuild bundle, `deno-sources` the sources;
// either is analysed into Deno's cache by a process of its own first.
let denoEntry = [join(root, "src/main.ts")];
if (runtime === "deno") {
  const entry = bundleEntry(root, await buildBundle(root, join(dir, "bundle"), runInherited));
  denoEntry = [entry.main, ...entry.flags];
} else if (runtime === "deno-bundle") denoEntry = [bundle];
if (runtime === "deno" || runtime === "deno-sources") {
  execFileSync(join(root, "node_modules/deno/deno"), ["cache", "--quiet", denoEntry[0]], { cwd: root, stdio: "inherit" });
}
const argv = runtime.startsWith("deno")
  ? [join(root, "node_modules/deno/deno"), "run", "--no-prompt", "--allow-all", "--no-code-cache", ...(nodeFlags.length ? [`--v8-flags=${nodeFlags.join(",")}`] : []),
    ...denoEntry, ...args]
  : runtime === "bundle"
  ? [process.execPath, ...nodeFlags, bundle, ...args]
  : [process.execPath, ...nodeFlags, "--import", "tsx", join(root, "src/main.ts"), ...args];
const child = spawn(argv[0], argv.slice(1), { cwd: root, env: { ...process.env, MULTIWAN_ADMIN_TOKEN: TOKEN }, stdio: ["ignore", "ignore", "inherit"] });
const streams: { destroy(): void }[] = [];
try {
  for (let i = 0; i < 100; i++) {
    if (await call("GET", "/api/v1/status", TOKEN).then((r) => r.status === 200, () => false)) break;
    await sleep(200);
  }
  await sleep(15_000);
  const idle = await rssMb(child.pid!);
  // Read tokens for the streams (8 per credential at most).
  const tokens: string[] = [];
  for (let i = 0; i * 8 < nStreams; i++) {
    const r = await call("POST", "/api/v1/tokens", TOKEN, { name: `mem-${i}`, role: "read" });
    tokens.push((JSON.parse(r.text) as { token: string }).token);
  }
  let events = 0;
  for (let i = 0; i < nStreams; i++) {
    const req = request({ host: "127.0.0.1", port, path: "/api/v1/events", agent: false, headers: { authorization: `Bearer ${tokens[Math.floor(i / 8)]}`, accept: "text/event-stream" } }, (res) => {
      res.on("data", () => events++);
    });
    req.on("error", () => {});
    req.end();
    streams.push(req);
  }
  const t0 = performance.now();
  let done = 0;
  let errors = 0;
  const worker = async () => {
    while (done < total) {
      done++;
      const r = await call("GET", "/api/v1/status", TOKEN).catch(() => ({ status: 0, text: "" }));
      if (r.status !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  const secs = (performance.now() - t0) / 1000;
  const loaded = await rssMb(child.pid!);
  for (const s of streams.splice(0)) s.destroy();
  const after: number[] = [];
  for (let i = 0; i < 6; i++) {
    await sleep(10_000);
    after.push(await rssMb(child.pid!));
  }
  console.log(`${runtime}${nodeFlags.length ? ` ${nodeFlags.join(" ")}` : ""}: RSS idle ${idle.toFixed(1)} MB; after ${total} status requests (${(total / secs).toFixed(0)}/s, ${errors} errors) with ${nStreams} event streams open ` +
    `(${events} chunks) ${loaded.toFixed(1)} MB; after closing, every 10 s: ${after.map((x) => x.toFixed(1)).join(", ")} MB ` +
    `(a minute later ${(after[5] - idle).toFixed(1)} MB above idle); load average ${loadavg()[0].toFixed(2)}`);
} finally {
  for (const s of streams) s.destroy();
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  await rm(dir, { recursive: true, force: true });
}
