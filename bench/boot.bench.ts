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
 * Run: node --import tsx bench/boot.bench.ts [trials=5] [node|deno ...]
 * (default both runtimes; the daemon runs from the source tree as the harness starts it).
 * @module
 */
import { loadavg } from "node:os";
import process from "node:process";
import {
  configFor,
  type Daemon,
  disposeDaemon,
  leftovers,
  makeBed,
  scenarioPrerequisite,
  startDaemon,
} from "../test/netns/daemon-harness.ts";

const trials = Number(process.argv[2] ?? 5);
const runtimes = (process.argv.slice(3).length > 0 ? process.argv.slice(3) : ["node", "deno"]) as ("node" | "deno")[];
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

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (xs: number[]) => `${pct(xs, 50).toFixed(0).padStart(6)} ${Math.max(...xs).toFixed(0).padStart(6)}`;

const bed = await makeBed();
try {
  const config = configFor(bed.bed, { ethernet: {}, repeater: {}, tethering: {}, cellular: {} });
  console.log(`boot.bench: ${trials} trials per runtime, 4 uplinks, load ${loadavg()[0].toFixed(2)} (2 cores)`);
  console.log("runtime  milestone                          p50 ms  max ms");
  for (const runtime of runtimes) {
    const m: Record<string, number[]> = { table: [], api: [], plan: [], routed: [], clean: [], exit: [] };
    for (let i = 0; i < trials; i++) {
      if ((await leftovers(bed.bed)).table) throw new Error("a multiwan table is left from before");
      const t0 = performance.now();
      let daemon: Daemon | undefined;
      try {
        const table = pollUntil(t0, async () => (await leftovers(bed.bed)).table, 60_000, "the nft table");
        daemon = await startDaemon(bed.bed, config, { runtime, waitSettled: false });
        m.api.push(performance.now() - t0);
        m.table.push(await table);
        const d = daemon;
        m.plan.push(await pollUntil(t0, async () => (await d.status()).plan.carriers.length > 0, 60_000, "a carrier"));
        m.routed.push(await pollUntil(t0, async () => (await bed.connect(300)).uplink !== undefined, 60_000, "a routed LAN connection"));
        const t1 = performance.now();
        const exited = d.stop("SIGTERM").then(() => performance.now() - t1);
        m.clean.push(await pollUntil(t1, async () => {
          const l = await leftovers(bed.bed);
          return !l.table && l.rules.length === 0 && l.routes.length === 0;
        }, 30_000, "a clean namespace"));
        m.exit.push(await exited);
      } finally {
        await disposeDaemon(daemon);
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
    for (const [label, xs] of rows) console.log(`${runtime.padEnd(8)} ${label.padEnd(34)} ${fmt(xs)}`);
  }
} finally {
  await bed.destroy();
}
