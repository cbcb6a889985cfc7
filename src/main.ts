/**
 * The composition root: the only file that knows the built-in plugins, the platforms and
 * the web app. Flags: --config FILE, --dataplane sim|linux, --listen HOST:PORT,
 * --state-dir DIR.
 * @module
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { builtinPlugins } from "../plugins/builtin.ts";
import { createApp } from "../web/app.ts";
import { systemClock } from "./clock.ts";
import { FileConfigStore } from "./config/store.ts";
import { messageOf } from "./errors.ts";
import { Kernel } from "./kernel.ts";
import { logger, setupLogging, stopLogging } from "./log.ts";
import type { Platform } from "./platform.ts";
import { Registry } from "./registry.ts";
import { serve } from "./serve.ts";

const USAGE = `Usage: multiwan [--dataplane sim|linux] [--listen HOST:PORT] [--config FILE] [--state-dir DIR]

  --dataplane sim|linux  sim (default): a simulated world with four uplinks, no packet leaves
                         the machine. linux: nftables, policy routing and real probes.
  --listen HOST:PORT     where the API and panel listen (default 127.0.0.1:8080)
  --config FILE          the config document (default STATE_DIR/config.json)
  --state-dir DIR        where state is kept (default ./state)
`;

export interface Flags {
  readonly dataplane: "sim" | "linux";
  readonly host: string;
  readonly port: number;
  readonly config?: string;
  readonly stateDir: string;
}

/** parseFlags reads the command line; throws a usage message on bad input. */
export function parseFlags(argv: string[]): Flags | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      dataplane: { type: "string", default: "sim" },
      listen: { type: "string", default: "127.0.0.1:8080" },
      config: { type: "string" },
      "state-dir": { type: "string", default: "./state" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  if (values.dataplane !== "sim" && values.dataplane !== "linux") {
    throw new TypeError(`--dataplane must be sim or linux, not ${values.dataplane}`);
  }
  const m = /^(\[[0-9a-fA-F:]+\]|[0-9.]+|localhost):(\d{1,5})$/.exec(values.listen);
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new TypeError(`--listen must be HOST:PORT, e.g. 127.0.0.1:8080, not ${values.listen}`);
  return {
    dataplane: values.dataplane,
    host: m[1].replace(/^\[|\]$/g, ""),
    port,
    config: values.config,
    stateDir: values["state-dir"],
  };
}

async function makePlatform(flags: Flags): Promise<{ platform: Platform; defaultConfig?: unknown; start?: () => void }> {
  if (flags.dataplane === "linux") {
    const { createLinuxPlatform } = await import("./platform/linux/index.ts");
    return { platform: createLinuxPlatform({ log: logger("platform", "linux") }) };
  }
  const { createSimPlatform, SimLanClient } = await import("./platform/sim/index.ts");
  const { demoConfig, demoUplinks } = await import("./platform/sim/demo.ts");
  const platform = createSimPlatform({ clock: systemClock, uplinks: demoUplinks, seed: Date.now() });
  const client = new SimLanClient(platform.dataplane, platform.world, systemClock, { perSecond: 4 });
  return { platform, defaultConfig: demoConfig, start: () => client.start() };
}

/** main runs the daemon until SIGTERM/SIGINT. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  if (flags === "help") {
    console.log(USAGE);
    return;
  }
  await setupLogging({ level: "info" });
  const log = logger("kernel");
  await mkdir(flags.stateDir, { recursive: true });
  const registry = new Registry();
  registry.registerAll(builtinPlugins);
  const { platform, defaultConfig, start } = await makePlatform(flags);
  const kernel = new Kernel({
    registry,
    platform,
    store: new FileConfigStore(flags.config ?? join(flags.stateDir, "config.json")),
    defaultConfig,
    onLogSettings: (s) => setupLogging({ level: s.level, categories: s.categories, file: s.file }),
  });
  const boot = await kernel.boot();
  if (boot.source !== "store") {
    const loud = boot.problems.length > 0 ? console.error : console.log;
    loud(`multiwan: running the ${boot.source} config (revision ${boot.revision})` +
      (boot.problems.length ? `, because:\n  ${boot.problems.join("\n  ")}` : ""));
  }
  start?.();
  const server = await serve(createApp(kernel).fetch, flags.port, flags.host);
  const where = flags.host.includes(":") ? `[${flags.host}]` : flags.host;
  console.log(`multiwan: ${flags.dataplane} dataplane, panel and API at http://${where}:${server.port}/`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("{signal}: stopping", { signal });
    await server.close().catch(() => {});
    await kernel.shutdown({ cleanup: true }).catch((err) => log.error("shutdown: {e}", { e: messageOf(err) }));
    await stopLogging();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

const isMain = (import.meta as { main?: boolean }).main ??
  (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, "/")));
if (isMain) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`multiwan: ${messageOf(err)}`);
    process.exit(1);
  });
}
