/**
 * Runs the REAL daemon (`src/main.ts --dataplane linux`) inside the testbed's router
 * namespace, with an HTTP server on the internet side and flow clients on the LAN and on
 * the router. Used by the scenario tests and by bench/linux.
 *
 * The daemon is spawned with Node + tsx by default (also when the tests run on Deno), or
 * with Deno and the explicit permission flags of `start:linux` (`runtime: "deno"`), from the
 * bundle the launcher runs (`src/launch/bundle.ts`; MWT_DENO_SOURCES=1 runs `src/main.ts`).
 * @module
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundle, bundleEntry } from "../../src/launch/bundle.ts";
import { runInherited } from "../release/daemon-process.ts";
import { DENO_RUN_FLAGS, V8_FLAGS } from "../../src/launch/v8.ts";
import { CHILD_ENV, createRunner } from "../../src/platform/linux/run.ts";
import { FlowDriver, type FlowAnswer } from "./flow-driver.ts";
import { createTestbed, SERVER, SERVER6, SERVER_PORT, type Testbed, type TestUplink, waitReady } from "./testbed.ts";

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DENO = join(ROOT, "node_modules/deno/deno");
const host = createRunner();

/**
 * Extra flags for a Node daemon from MWT_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p" to
 * profile a bench), for a Deno one from MWT_DENO_FLAGS (e.g. "--v8-flags=--max-semi-space-size=1").
 */
function extraFlags(runtime: "node" | "deno"): string[] {
  return (process.env[runtime === "node" ? "MWT_NODE_FLAGS" : "MWT_DENO_FLAGS"] ?? "").split(/\s+/).filter(Boolean);
}

/** Tools the scenarios need besides node. */
export const SCENARIO_TOOLS = ["ip", "nft", "conntrack", "ping", "curl"] as const;

/** Why the scenarios cannot run here, or undefined. */
export async function scenarioPrerequisite(): Promise<string | undefined> {
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "not root";
  for (const tool of SCENARIO_TOOLS) {
    try {
      await host.run([tool, tool === "ip" ? "-V" : tool === "ping" ? "-V" : "--version"], { timeoutMs: 5000 });
    } catch {
      return `${tool} missing`;
    }
  }
  return undefined;
}


export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The parts of GET /api/v1/status the scenarios read. */
export interface Status {
  readonly plan: { readonly carriers: readonly { wan: string; weight: number }[]; readonly lastResort: string; readonly summary: string };
  readonly dataplane: { readonly name: string; readonly error?: string };
  readonly wans: readonly { name: string; state: string; reason: string; phase: string; present: boolean; carrier: boolean; flows: number; probesSent: number }[];
  readonly failovers: number;
}

export interface Bed {
  readonly bed: Testbed;
  readonly lan: FlowDriver;
  readonly onRouter: FlowDriver;
  /** One new connection from the LAN; the uplink name, or an Error-ish answer. */
  connect(timeoutMs?: number): Promise<{ uplink?: string; error?: string }>;
  /** One new connection from the router itself. */
  routerConnect(timeoutMs?: number): Promise<{ uplink?: string; error?: string }>;
  uplink(name: string): TestUplink;
  /** Carrier of the uplink: the ISP side of the veth goes down/up. */
  setCarrier(name: string, up: boolean): Promise<void>;
  destroy(): Promise<void>;
}

function answer(bed: Testbed, a: FlowAnswer): { uplink?: string; error?: string } {
  if (!a.ok) return { error: a.error ?? "failed" };
  const uplink = bed.uplinkOf(a.source ?? "");
  return uplink ? { uplink } : { error: `unknown source ${a.source}` };
}

/** makeBed builds a testbed with the echo server and the two flow clients. */
export async function makeBed(): Promise<Bed> {
  const bed = await createTestbed();
  let lan: FlowDriver | undefined;
  let onRouter: FlowDriver | undefined;
  const destroy = async () => {
    lan?.close();
    onRouter?.close();
    await bed.destroy();
  };
  try {
    const server = bed.start(bed.internet, here("./http-echo-server.ts"), [`${SERVER},${SERVER6}`, String(SERVER_PORT)]);
    await waitReady(server);
    lan = new FlowDriver(bed.start(bed.lan, here("./flow-client.ts")));
    onRouter = new FlowDriver(bed.start(bed.router, here("./flow-client.ts")));
    await Promise.all([lan.ready(), onRouter.ready()]);
  } catch (err) {
    await destroy();
    throw err;
  }
  const l = lan, r = onRouter;
  const target = { host: SERVER, port: SERVER_PORT };
  const uplink = (name: string): TestUplink => {
    const u = bed.uplinks.find((x) => x.name === name);
    if (!u) throw new Error(`no uplink ${name}`);
    return u;
  };
  return {
    bed, lan: l, onRouter: r, destroy,
    connect: async (timeoutMs = 1500) => answer(bed, await l.request({ op: "connect", ...target, timeoutMs })),
    routerConnect: async (timeoutMs = 1500) => answer(bed, await r.request({ op: "connect", ...target, timeoutMs })),
    uplink,
    setCarrier: (name, up) => bed.setCarrier(name, up),
  };
}

const TYPES: Record<string, string> = {
  ethernet: "wan.ethernet", repeater: "wan.repeater", tethering: "wan.tethering", cellular: "wan.cellular",
};

export interface WanOptions {
  readonly priority?: number;
  readonly weight?: number;
  readonly tracker?: Record<string, unknown>;
  readonly health?: Record<string, unknown>;
  readonly nat?: boolean;
}

/** wanEntry is the config entry of a testbed uplink (static gateway, ping tracker by default). */
export function wanEntry(u: TestUplink, o: WanOptions = {}): Record<string, unknown> {
  return {
    type: TYPES[u.name] ?? "wan.ethernet",
    device: u.device,
    gateway: u.gateway,
    priority: o.priority ?? u.k,
    weight: o.weight ?? 1,
    nat: o.nat ?? true,
    tracker: o.tracker ?? { type: "tracker.ping", targets: [SERVER] },
    ...(o.health ? { health: o.health } : {}),
  };
}

/** configFor builds a whole document: `wans` name → options, failover by default, LAN bypassed. */
export function configFor(
  bed: Testbed,
  wans: Record<string, WanOptions>,
  mode: Record<string, unknown> = { type: "mode.failover" },
  routing: Record<string, unknown> = {},
): Record<string, unknown> {
  const entries: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(wans)) {
    const u = bed.uplinks.find((x) => x.name === name);
    if (!u) throw new Error(`no uplink ${name}`);
    entries[name] = wanEntry(u, o);
  }
  return { mode, wans: entries, routing: { bypass: ["198.18.100.0/24"], ...routing } };
}

/**
 * The Deno permission flags of `npm run start:linux`, for a state dir and a listen address;
 * `probeHosts` are the host:port of tracker.httping URLs (outbound HTTP probes need them).
 */
export function denoLinuxFlags(stateDir: string, listen: string, probeHosts: readonly string[] = []): string[] {
  return [
    ...DENO_RUN_FLAGS,
    "--no-prompt",
    "--allow-run=ip,nft,conntrack,ping,iw,mmcli",
    `--allow-read=${stateDir},${join(ROOT, "web")}`,
    `--allow-write=${stateDir}`,
    `--allow-net=${[listen, ...probeHosts].join(",")}`,
    "--allow-env=MULTIWAN_ADMIN_TOKEN,MULTIWAN_ADMIN_PASSWORD,NODE_V8_COVERAGE",
  ];
}

/**
 * What tracker.httping needs in --allow-net: every URL's host:port, and the address of each
 * uplink it probes from (any port: the probe binds a port from 61000–61999).
 */
export function httpingHosts(config: Record<string, unknown>, bed?: Testbed): string[] {
  const out = new Set<string>();
  type W = { device?: string; tracker?: { type?: string; urls?: string[] } };
  for (const w of Object.values((config.wans ?? {}) as Record<string, W>)) {
    if (w.tracker?.type !== "tracker.httping") continue;
    for (const u of w.tracker.urls ?? []) {
      const url = new URL(u);
      out.add(`${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`);
    }
    const up = bed?.uplinks.find((x) => x.device === w.device);
    if (up) out.add(up.address.split("/")[0]);
  }
  return [...out];
}

export interface Daemon {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly dir: string;
  readonly port: number;
  readonly token: string;
  /** Everything the daemon printed so far. */
  output(): string;
  status(): Promise<Status>;
  /** Polls status until `pred` holds; throws with the last status after `timeoutMs`. */
  waitFor(pred: (s: Status) => boolean, timeoutMs: number, what: string): Promise<Status>;
  /** Sends a signal and waits for the exit; resolves the exit code (or signal name). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string | null>;
}

export interface DaemonOptions {
  /** Default: node, or deno when MWT_DAEMON_RUNTIME=deno. */
  readonly runtime?: "node" | "deno";
  /** Reuse a state dir (restart after SIGKILL); otherwise a fresh temporary one. */
  readonly dir?: string;
  readonly port?: number;
  /** Wait until every WAN has left "unknown" (default true). */
  readonly waitSettled?: boolean;
}

let bundled: Promise<string> | undefined;

/**
 * denoBundle is the launcher's Deno bundle of the daemon, made by its own buildBundle
 * (src/launch/bundle.ts) once per process under a temporary folder removed at exit.
 */
export function denoBundle(): Promise<string> {
  bundled ??= (async () => {
    const out = await mkdtemp(join(tmpdir(), "mwt-bundle-"));
    process.once("exit", () => rmSync(out, { recursive: true, force: true }));
    return await buildBundle(ROOT, out, runInherited);
  })();
  return bundled;
}

/** startDaemon writes the config and runs the daemon in the router namespace until its API answers. */
export async function startDaemon(bed: Testbed, config: Record<string, unknown>, o: DaemonOptions = {}): Promise<Daemon> {
  const dir = o.dir ?? await mkdtemp(join(tmpdir(), "mwt-daemon-"));
  const configFile = join(dir, "config.json");
  await writeFile(configFile, JSON.stringify(config, null, 2));
  // Below the ephemeral range (32768+), so a client socket in the namespace never holds it.
  const port = o.port ?? 10_000 + Math.floor(Math.random() * 20_000);
  const token = randomBytes(24).toString("base64url");
  const listen = `127.0.0.1:${port}`;
  const args = ["--dataplane", "linux", "--config", configFile, "--state-dir", dir, "--listen", listen];
  // MWT_DAEMON_MAIN runs another entry, e.g. the release bundle (then Node needs no tsx).
  const runtime = o.runtime ?? (process.env.MWT_DAEMON_RUNTIME === "deno" ? "deno" : "node");
  // On Deno, as the launcher runs it: its bundle, unless MWT_DENO_SOURCES=1.
  const fromBundle = runtime === "deno" && !process.env.MWT_DAEMON_MAIN && process.env.MWT_DENO_SOURCES !== "1";
  const entry = fromBundle ? bundleEntry(ROOT, await denoBundle()) : { main: process.env.MWT_DAEMON_MAIN ?? join(ROOT, "src/main.ts"), flags: [] };
  const main = entry.main;
  const viaTsx = main.endsWith(".ts") ? ["--import", "tsx"] : [];
  const rt = runtime === "deno"
    ? [DENO, "run", ...extraFlags("deno"), ...denoLinuxFlags(dir, listen, httpingHosts(config, bed)), main, ...entry.flags]
    : ["Deno" in globalThis ? "node" : process.execPath, ...V8_FLAGS, ...extraFlags("node"), ...viaTsx, main];
  const argv = ["ip", "netns", "exec", bed.router, ...rt, ...args];
  const denoDir = join(ROOT, "node_modules/.deno");
  if (runtime === "deno") {
    // As the launcher does: the code is analysed into the cache first, not by the daemon.
    await new Promise<void>((done, fail) =>
      execFile(rt[0], ["cache", "--quiet", main], { cwd: ROOT, env: { ...CHILD_ENV, HOME: dir, DENO_DIR: denoDir } }, (err) => (err ? fail(err) : done()))
    );
  }
  const child = spawn(argv[0], argv.slice(1), {
    cwd: ROOT,
    env: { ...CHILD_ENV, MULTIWAN_ADMIN_TOKEN: token, HOME: dir, DENO_DIR: denoDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<number | string | null>((resolve) => child.once("exit", (c, s) => resolve(c ?? s)));
  const status = async (): Promise<Status> => {
    const r = await host.run([
      "ip", "netns", "exec", bed.router, "curl", "-sS", "-m", "2", "-H", `Authorization: Bearer ${token}`,
      `http://${listen}/api/v1/status`,
    ], { timeoutMs: 5000 });
    return JSON.parse(r.stdout) as Status;
  };
  const d: Daemon = {
    child, pid: child.pid ?? -1, dir, port, token,
    output: () => out,
    status,
    async waitFor(pred, timeoutMs, what) {
      const end = Date.now() + timeoutMs;
      let last: Status | undefined;
      let lastErr: unknown;
      while (Date.now() < end) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`daemon exited while waiting for ${what}:\n${out}`);
        try {
          last = await status();
          if (pred(last)) return last;
        } catch (err) {
          lastErr = err;
        }
        await sleep(50);
      }
      throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(brief(last))} ${last ? "" : String(lastErr)}\n--- daemon output ---\n${out.slice(-3000)}`);
    },
    async stop(signal = "SIGTERM", timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode;
      child.kill(signal);
      const t = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(t);
      }
    },
  };
  try {
    await d.waitFor(() => true, 30_000, "the API");
    if (o.waitSettled !== false) {
      await d.waitFor((s) => s.wans.every((w) => w.state !== "unknown"), 20_000, "every WAN to leave unknown");
    }
  } catch (err) {
    await d.stop("SIGKILL");
    throw err;
  }
  return d;
}

/** A short view of a status for messages. */
export function brief(s: Status | undefined): unknown {
  if (!s) return undefined;
  return {
    carriers: s.plan.carriers.map((c) => `${c.wan}:${c.weight}`).join(","),
    error: s.dataplane.error,
    wans: s.wans.map((w) => `${w.name}=${w.state}/${w.phase} (${w.reason})`),
  };
}

/** carriers returns the names of the uplinks carrying new connections. */
export function carriers(s: Status): string[] {
  return s.plan.carriers.map((c) => c.wan);
}

export function stateOf(s: Status, wan: string): string | undefined {
  return s.wans.find((w) => w.name === wan)?.state;
}

/** Stops the daemon (SIGTERM, then SIGKILL) and removes its state dir. */
export async function disposeDaemon(d: Daemon | undefined): Promise<void> {
  if (!d) return;
  await d.stop("SIGTERM").catch(() => {});
  await rm(d.dir, { recursive: true, force: true }).catch(() => {});
}

/** What multiwan left in the router namespace: its nft table, its rules, its routing tables. */
export async function leftovers(bed: Testbed, rulePriority = 2000, tableBase = 100): Promise<{ table: boolean; rules: string[]; routes: string[] }> {
  const run = createRunner({ netns: bed.router });
  const tables = await run.run(["nft", "list", "tables"]);
  const rules = (await run.run(["ip", "-4", "rule", "show"])).stdout.split("\n")
    .filter((l) => {
      const p = Number(l.split(":")[0]);
      return p >= rulePriority && p < rulePriority + 100;
    });
  const routes = (await run.run(["ip", "-4", "route", "show", "table", "all"])).stdout.split("\n")
    .filter((l) => {
      const m = / table (\d+)/.exec(l);
      return !!m && Number(m[1]) > tableBase && Number(m[1]) <= tableBase + 60;
    });
  return { table: tables.stdout.includes("table inet multiwan"), rules, routes };
}
