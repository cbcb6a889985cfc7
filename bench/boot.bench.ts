/**
 * Boot and shutdown of the real daemon on the Linux dataplane, in the namespace testbed
 * (root, nft, ip, conntrack, ping, curl; otherwise it prints "skipped: needs …"): four
 * uplinks (ethernet, repeater, tethering, cellular) with ping trackers, failover.
 *
 * Start-to-routing, from the spawn of `ip netns exec … <runtime> src/main.ts --dataplane
 * linux` (what the service does) to each milestone: the nftables table exists (`table`), the
 * API answers (`api`), the plan has a carrier (`plan`), and a new LAN connection goes out
 * through the carrier (`routed`: the figure). Shutdown-to-clean, from SIGTERM until the
 * `inet multiwan` table, the ip rules at 2000–2099 and the routes of tables 101–160 are all
 * gone (`clean`), and until the process has exited (`exit`). Milestones are polled every
 * ~10 ms (each poll runs ip/nft/curl, a few ms), so figures are upper bounds within ~30 ms.
 *
 * Run: node --import tsx bench/boot.bench.ts [trials=5] [node|deno|bundle-node|bundle-deno ...]
 * (default all four: the source tree on node+tsx and on deno as the netns harness starts it,
 * and the release bundle `dist/multiwan.mjs` from `npm run build` on node and on deno with
 * the linux permission line, when it has been built).
 * @module
 */
import { spawn } from "node:child_process";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { CHILD_ENV, createRunner } from "../src/platform/linux/run.ts";
import {
  configFor,
  type Daemon,
  denoLinuxFlags,
  disposeDaemon,
  leftovers,
  makeBed,
  ROOT,
  scenarioPrerequisite,
  startDaemon,
  type Status,
} from "../test/netns/daemon-harness.ts";
import type { Testbed } from "../test/netns/testbed.ts";

type Runtime = "node" | "deno" | "bundle-node" | "bundle-deno";
const trials = Number(process.argv[2] ?? 5);
const BUNDLE = join(ROOT, "dist", "multiwan.mjs");
const hasBundle = await access(BUNDLE).then(() => true, () => false);
const runtimes = (process.argv.slice(3).length > 0
  ? process.argv.slice(3)
  : ["node", "deno", ...(hasBundle ? ["bundle-node", "bundle-deno"] : [])]) as Runtime[];
if (!hasBundle) console.log("note: no dist/multiwan.mjs (npm run build): the bundle is not measured");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const missing = await scenarioPrerequisite();
if (missing) {
  console.log(`skipped: needs root and ip, nft, conntrack, ping, curl (${missing})`);
  process.exit(0);
}

/** pollUntil runs `check` every ~10 ms until it holds; resolves the ms since `t0`. */
async function pollUntil(t0: number, check: () => Promise<boolean>, limitMs: number, what: string): Promise<number> {
  while (performance.now() - t0 < limitMs) {
    if (await check().catch(() => false)) return performance.now() - t0;
    await sleep(10);
  }
  throw new Error(`${what} not reached within ${limitMs} ms`);
}

/** Daemon is what a trial needs of a running daemon. */
type Running = { status(): Promise<Status>; stop(): Promise<unknown>; dispose(): Promise<void> };

/** startBundle runs dist/multiwan.mjs in the router namespace (node, or deno with the linux permission line). */
async function startBundle(bed: Testbed, config: Record<string, unknown>, runtime: "node" | "deno"): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), "mwt-boot-"));
  await writeFile(join(dir, "config.json"), JSON.stringify(config));
  const port = 10_000 + Math.floor(Math.random() * 20_000);
  const listen = `127.0.0.1:${port}`;
  const token = `boot-${process.pid}`;
  const rt = runtime === "deno" ? [join(ROOT, "node_modules/deno/deno"), "run", ...denoLinuxFlags(dir, listen), BUNDLE] : ["node", BUNDLE];
  const args = ["--dataplane", "linux", "--state-dir", dir, "--listen", listen];
  const child = spawn("ip", ["netns", "exec", bed.router, ...rt, ...args], {
    env: { ...CHILD_ENV, MULTIWAN_ADMIN_TOKEN: token, HOME: dir, DENO_DIR: join(ROOT, "node_modules/.deno") },
    stdio: ["ignore", "ignore", "ignore"],
  });
  const exited = new Promise((done) => child.once("exit", done));
  const run = createRunner({ netns: bed.router });
  return {
    status: async () => JSON.parse((await run.run(["curl", "-sS", "-m", "2", "-H", `Authorization: Bearer ${token}`, `http://${listen}/api/v1/status`])).stdout),
    stop: () => {
      child.kill("SIGTERM");
      return exited;
    },
    dispose: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function start(bed: Testbed, config: Record<string, unknown>, runtime: Runtime): Promise<Running> {
  if (runtime === "bundle-node" || runtime === "bundle-deno") return await startBundle(bed, config, runtime === "bundle-node" ? "node" : "deno");
  let d: Daemon | undefined;
  try {
    d = await startDaemon(bed, config, { runtime, waitSettled: false });
  } catch (err) {
    await disposeDaemon(d);
    throw err;
  }
  const daemon = d;
  return { status: () => daemon.status(), stop: () => daemon.stop("SIGTERM"), dispose: () => disposeDaemon(daemon) };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (xs: number[]) => `${pct(xs, 50).toFixed(0).padStart(6)} ${Math.max(...xs).toFixed(0).padStart(6)}`;

const bed = await makeBed();
try {
  const config = configFor(bed.bed, { ethernet: {}, repeater: {}, tethering: {}, cellular: {} });
  console.log(`boot.bench: ${trials} trials per runtime, 4 uplinks, load ${loadavg()[0].toFixed(2)} (2 cores)`);
  console.log("runtime      milestone                          p50 ms  max ms");
  for (const runtime of runtimes) {
    const m: Record<string, number[]> = { table: [], api: [], plan: [], routed: [], clean: [], exit: [] };
    for (let i = 0; i < trials; i++) {
      if ((await leftovers(bed.bed)).table) throw new Error("a multiwan table is left from before");
      const t0 = performance.now();
      let daemon: Running | undefined;
      try {
        const table = pollUntil(t0, async () => (await leftovers(bed.bed)).table, 60_000, "the nft table");
        daemon = await start(bed.bed, config, runtime);
        const d = daemon;
        m.api.push(await pollUntil(t0, async () => typeof (await d.status()).plan === "object", 60_000, "the API"));
        m.table.push(await table);
        m.plan.push(await pollUntil(t0, async () => (await d.status()).plan.carriers.length > 0, 60_000, "a carrier"));
        m.routed.push(await pollUntil(t0, async () => (await bed.connect(300)).uplink !== undefined, 60_000, "a routed LAN connection"));
        const t1 = performance.now();
        const exited = d.stop().then(() => performance.now() - t1);
        m.clean.push(await pollUntil(t1, async () => {
          const l = await leftovers(bed.bed);
          return !l.table && l.rules.length === 0 && l.routes.length === 0;
        }, 30_000, "a clean namespace"));
        m.exit.push(await exited);
      } finally {
        await daemon?.dispose();
      }
    }
    const rows: [string, number[]][] = [
      ["start → nft table", m.table],
      ["start → API answers", m.api],
      ["start → plan has a carrier", m.plan],
      ["start → LAN connection routed", m.routed],
      ["SIGTERM → table/rules/routes gone", m.clean],
      ["SIGTERM → process exited", m.exit],
    ];
    for (const [label, xs] of rows) console.log(`${runtime.padEnd(12)} ${label.padEnd(34)} ${fmt(xs)}`);
  }
} finally {
  await bed.destroy();
}
