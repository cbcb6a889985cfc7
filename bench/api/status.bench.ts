/**
 * GET /api/v1/status under 50 concurrent connections (autocannon, in a separate Node
 * process so the server under test keeps its cores), and the lateness of the kernel's
 * probe timers meanwhile. Runs on the runtime that starts it:
 *   node --import tsx bench/api/status.bench.ts      ./node_modules/deno/deno run -A bench/api/status.bench.ts
 * Flags: --duration S (default 10), --connections N (default 50).
 * @module
 */
import { execFile } from "node:child_process";
import process from "node:process";
import { parseArgs } from "node:util";
import { type Clock, systemClock } from "../../src/clock.ts";
import { MemoryConfigStore } from "../../src/config/store.ts";
import { hooksSection } from "../../src/hooks/index.ts";
import { Kernel } from "../../src/kernel.ts";
import { silentLogger } from "../../src/log.ts";
import { createSimPlatform } from "../../src/platform/sim/index.ts";
import { demoConfig, demoUplinks } from "../../src/platform/sim/demo.ts";
import { Registry } from "../../src/registry.ts";
import { serve } from "../../src/serve.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { apiSection } from "../../web/api-schemas.ts";
import { createApp } from "../../web/app.ts";
import { AuthStore } from "../../web/auth/store.ts";

const { values } = parseArgs({ options: { duration: { type: "string", default: "10" }, connections: { type: "string", default: "50" } } });
const TOKEN = "bench-admin-token-0123456789";

/** A system clock that records how late each timer fires (the probe scheduler's jitter). */
function measuringClock(): Clock & { lateness: number[] } {
  const lateness: number[] = [];
  return {
    lateness,
    now: systemClock.now,
    setTimeout(fn, ms) {
      const due = performance.now() + ms;
      return systemClock.setTimeout(() => {
        lateness.push(performance.now() - due);
        fn();
      }, ms);
    },
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const clock = measuringClock();
const platform = createSimPlatform({ clock, uplinks: demoUplinks, seed: 1 });
const registry = new Registry();
registry.registerAll(builtinPlugins);
const store = new MemoryConfigStore();
const fast = structuredClone(demoConfig) as { wans: Record<string, { tracker: Record<string, unknown> }> };
for (const w of Object.values(fast.wans)) w.tracker.intervalMs = 500; // busy probing: 4 WANs × 3 targets
store.current = { doc: fast, revision: 1 };
const kernel = new Kernel({
  registry, platform, store, clock, sections: { api: apiSection, hooks: hooksSection }, log: silentLogger, pluginLogger: () => silentLogger,
});
await kernel.boot();
const api = createApp(kernel, { store: new AuthStore({ adminToken: TOKEN }), log: silentLogger });
const server = await serve(api.fetch, 0, "127.0.0.1");
const url = `http://127.0.0.1:${server.port}/api/v1/status`;

await new Promise((r) => setTimeout(r, 3000));
const idle = clock.lateness.splice(0);

const cannon = new URL("../../node_modules/autocannon/autocannon.js", import.meta.url).pathname;
const result = await new Promise<string>((resolve, reject) => {
  execFile("node", [cannon, "-c", values.connections, "-d", values.duration, "-j", "-H", `authorization=Bearer ${TOKEN}`, url], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    maxBuffer: 1 << 24,
  }, (err, out) => (err ? reject(err) : resolve(out)));
});
const loaded = clock.lateness.splice(0);
const r = JSON.parse(result);
const runtime = (globalThis as { Deno?: { version: { deno: string } } }).Deno ? `deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}` : `node ${process.version}`;
console.log(JSON.stringify({
  runtime,
  connections: Number(values.connections),
  durationS: Number(values.duration),
  requestsPerSec: Math.round(r.requests.average),
  latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
  non2xx: r.non2xx,
  errors: r.errors,
  probeTimerLatenessMs: {
    idle: { n: idle.length, p50: +pct(idle, 50).toFixed(2), p99: +pct(idle, 99).toFixed(2) },
    underLoad: { n: loaded.length, p50: +pct(loaded, 50).toFixed(2), p99: +pct(loaded, 99).toFixed(2), max: +pct(loaded, 100).toFixed(2) },
  },
}, null, 2));
api.close();
await server.close();
await kernel.shutdown({ cleanup: false });
process.exit(0);
