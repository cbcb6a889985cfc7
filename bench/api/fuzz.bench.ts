/**
 * A fuzz run of the whole API on the in-process app with files on disk (config store and
 * credential store in a temp folder), fast-check over methods, paths, headers and bodies
 * with a fixed seed. Counts answers 5xx, crashes (a request that throws, an unhandled
 * rejection), and rejected requests that changed `config.json` or `auth.json`; at the end
 * both files must parse and the config must validate.
 *   node --import tsx bench/api/fuzz.bench.ts [--runs N] [--seed S]
 *   ./node_modules/deno/deno run --allow-read --allow-write --allow-env --allow-sys bench/api/fuzz.bench.ts
 * Exit code 1 when any count is not 0.
 * @module
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import fc from "fast-check";
import { FakeClock } from "../../src/clock.ts";
import { deserialise, FileConfigStore } from "../../src/config/store.ts";
import { structureIssues } from "../../src/config/structure.ts";
import { hooksSection } from "../../src/hooks/index.ts";
import { Kernel } from "../../src/kernel.ts";
import { silentLogger } from "../../src/log.ts";
import { createSimPlatform } from "../../src/platform/sim/index.ts";
import { demoConfig, demoUplinks } from "../../src/platform/sim/demo.ts";
import { Registry } from "../../src/registry.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { apiSection } from "../../web/api-schemas.ts";
import { createApp } from "../../web/app.ts";
import { AuthStore } from "../../web/auth/store.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5000" }, seed: { type: "string", default: "20261128" } } });
const RUNS = Number(values.runs);
const SEED = Number(values.seed);
const ADMIN = "fuzz-admin-token-0123456789";

const dir = await mkdtemp(join(tmpdir(), "mw-fuzz-"));
const configPath = join(dir, "config.json");
const authPath = join(dir, "auth.json");
const clock = new FakeClock(1_000_000);
const store = new FileConfigStore(configPath);
const initial = {
  ...structuredClone(demoConfig),
  hooks: {
    scripts: [{ name: "notify", argv: ["/bin/true", "--key=fuzz-secret"] }],
    webhooks: [{ name: "chat", url: "http://198.18.9.9:8000/hook?token=fuzz-secret" }],
  },
};
await store.save({ doc: initial, revision: 1 });
const registry = new Registry();
registry.registerAll(builtinPlugins);
const kernel = new Kernel({
  registry,
  platform: createSimPlatform({ clock, uplinks: demoUplinks, seed: 5 }),
  store,
  clock,
  sections: { api: apiSection, hooks: hooksSection },
  log: silentLogger,
  pluginLogger: () => silentLogger,
});
await kernel.boot();
const auth = new AuthStore({ path: authPath, adminToken: ADMIN });
await auth.load();
await auth.setPassword("correct horse battery");
const READ = (await auth.createToken("reader", "read")).token;
const api = createApp(kernel, { store: auth, log: silentLogger, loginsPerMinute: 1_000_000 });

let unhandled = 0;
process.on("unhandledRejection", () => unhandled++);

// --- what the fuzzer sends ---------------------------------------------------------------
const RESERVED = ["constructor", "prototype", "__proto__"];
const segment = fc.oneof(
  fc.constantFrom("ethernet", "cellular", "nope", "constructor", "__proto__", "prototype", "..", "%2e%2e", "%00", "%ZZ", "a".repeat(300)),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);
const path = fc.oneof(
  fc.constantFrom(
    "/api/v1/config", "/api/v1/config?effective=1", "/api/v1/config/validate", "/api/v1/mode", "/api/v1/wans", "/api/v1/status",
    "/api/v1/tokens", "/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/auth/whoami", "/api/v1/auth/password",
    "/api/v1/openapi.json", "/api/v1/plugins", "/metrics", "/api/v1/events", "/", "/docs",
  ),
  segment.map((s) => `/api/v1/wans/${s}`),
  fc.tuple(segment, fc.constantFrom("down", "up", "auto", "x")).map(([s, a]) => `/api/v1/wans/${s}/actions/${a}`),
  segment.map((s) => `/api/v1/tokens/${s}`),
  fc.array(segment, { maxLength: 4 }).map((xs) => `/api/v1/${xs.join("/")}`),
);
const METHODS = ["GET", "PUT", "PATCH", "POST", "DELETE", "HEAD", "OPTIONS"] as const;
const param = fc.oneof(fc.constantFrom("ethernet", "cellular", "lab", "down", "up", "auto", "eth1", "demo"), segment);
/** Mostly the route table's own method and path (parameters filled), sometimes anything. */
const target = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom(...api.routes), param, param).map(([r, a, b]) => {
      let i = 0;
      return [r.method as string, r.path.replace(/:[a-z]+/g, () => (i++ === 0 ? a : b))] as const;
    }),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...METHODS), path) },
);
const json = fc.jsonValue({ maxDepth: 4 });
const nested = fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.boolean()).map(([d, arrays]) =>
  arrays ? "[".repeat(d) + "]".repeat(d) : '{"a":'.repeat(d) + "1" + "}".repeat(d)
);
const reservedIn = fc.tuple(fc.constantFrom(...RESERVED), fc.constantFrom("wans", "log", "hooks", "mode", "api")).map(([k, where]) =>
  `{"${where}": {"${k}": {"type": "wan.ethernet", "device": "eth9"}}}`
);
const plausible = fc.oneof(
  fc.record({ mode: fc.record({ forcedRefresh: fc.boolean() }) }),
  fc.record({ priority: fc.integer({ min: 0, max: 120 }), weight: fc.integer({ min: 0, max: 2000 }) }),
  fc.record({ type: fc.constantFrom("wan.ethernet", "wan.cellular"), device: fc.constantFrom("eth1", ".", "..", "eth/0", "x".repeat(16)), priority: fc.integer({ min: 1, max: 99 }) }),
  fc.record({ name: fc.string({ maxLength: 70 }), role: fc.constantFrom("read", "admin", "root") }),
  fc.record({ password: fc.string({ maxLength: 20 }) }),
  fc.record({ hooks: fc.record({ webhooks: fc.array(fc.record({ name: fc.constantFrom("a", "b"), url: fc.constantFrom("<redacted>", "http://198.18.9.9/x", "ftp://x") }), { maxLength: 2 }) }) }),
);
const body = fc.oneof(
  plausible.map((x) => JSON.stringify(x)),
  json.map((x) => JSON.stringify(x)),
  fc.string({ maxLength: 200 }),
  nested,
  reservedIn,
  fc.integer({ min: 200, max: 1200 }).map((kib) => JSON.stringify({ label: "x".repeat(kib * 1024) })),
  fc.constant(""),
);
const weighted = <T>(common: T[], rare: T[]) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...common) }, { weight: 1, arbitrary: fc.constantFrom(...rare) });
const headers = fc.record({
  authorization: weighted([`Bearer ${ADMIN}`, `Bearer ${ADMIN}`, `Bearer ${READ}`], ["Bearer mwt_AAAAAAAA_" + "A".repeat(43), "Basic x", "", "none"]),
  "content-type": weighted(["application/json", "application/merge-patch+json"], ["text/plain", "", "application/json; charset=utf-8"]),
  "if-match": fc.constantFrom("", "*", '"1"', 'W/"2"', '"999"', "garbage"),
  cookie: fc.constantFrom("", "mw_session=" + "a".repeat(43), "=;;=", "mw_session=%ZZ"),
  "x-csrf-token": fc.constantFrom("", "x"),
  "last-event-id": fc.constantFrom("", "0", "-1", "abc", "99999999999999999999"),
}, { requiredKeys: ["authorization", "content-type"] });

// --- the run ------------------------------------------------------------------------------
const counts = { requests: 0, status5xx: 0, crashes: 0, rejectedChangedConfig: 0, rejectedChangedAuth: 0, accepted: 0 };
const statuses = new Map<number, number>();
const examples: string[] = [];
const started = performance.now();
await fc.assert(
  fc.asyncProperty(target, headers, body, async ([method, p], h, b) => {
    const hdrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(h)) if (v !== "" && v !== "none") hdrs[k] = v;
    const configBefore = await readFile(configPath, "utf8");
    const authBefore = await readFile(authPath, "utf8");
    counts.requests++;
    let res: Response;
    try {
      res = await api.app.request(p, { method, headers: hdrs, body: method === "GET" || method === "HEAD" ? undefined : b });
      await res.body?.cancel().catch(() => {}); // ends event streams at once
    } catch (err) {
      counts.crashes++;
      if (examples.length < 5) examples.push(`crash ${method} ${p}: ${(err as Error).message}`);
      return;
    }
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500) {
      counts.status5xx++;
      if (examples.length < 5) examples.push(`${res.status} ${method} ${p} ${b.slice(0, 80)}`);
    }
    if (res.status >= 400) {
      if ((await readFile(configPath, "utf8")) !== configBefore) counts.rejectedChangedConfig++;
      if ((await readFile(authPath, "utf8")) !== authBefore) counts.rejectedChangedAuth++;
    } else if (method !== "GET" && method !== "HEAD") counts.accepted++;
  }),
  { numRuns: RUNS, seed: SEED },
);
const elapsedS = (performance.now() - started) / 1000;
await new Promise((r) => setTimeout(r, 50));

// --- the files afterwards -----------------------------------------------------------------
let configValid = false;
let authValid = false;
try {
  const stored = deserialise(await readFile(configPath, "utf8"), configPath);
  configValid = kernel.validate(stored.doc).length === 0 && structureIssues(stored.doc).length === 0;
} catch { /* stays false */ }
try {
  authValid = (await new AuthStore({ path: authPath }).load()).source === "file";
} catch { /* stays false */ }
api.close();
await kernel.shutdown({ cleanup: false });
await rm(dir, { recursive: true, force: true });

const runtime = typeof (globalThis as { Deno?: unknown }).Deno === "undefined" ? `node ${process.version}` : "deno";
console.log(`API fuzz (${runtime}): ${RUNS} runs, seed ${SEED}, ${elapsedS.toFixed(1)} s (${(RUNS / elapsedS).toFixed(0)} req/s)`);
console.log(`  answers 5xx: ${counts.status5xx}   crashes: ${counts.crashes + unhandled}   accepted writes: ${counts.accepted}`);
console.log(`  rejected requests that changed config.json: ${counts.rejectedChangedConfig}, auth.json: ${counts.rejectedChangedAuth}`);
console.log(`  files valid at the end: config.json ${configValid}, auth.json ${authValid}`);
console.log(`  statuses: ${[...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(" ")}`);
for (const e of examples) console.log(`  e.g. ${e}`);
const bad = counts.status5xx + counts.crashes + unhandled + counts.rejectedChangedConfig + counts.rejectedChangedAuth;
process.exit(bad === 0 && configValid && authValid ? 0 : 1);
