/**
 * The composition root: the only file that knows the built-in plugins, the platforms and
 * the web app. Flags: --config FILE, --dataplane sim|linux, --listen HOST:PORT,
 * --state-dir DIR, --plugins DIR (repeatable), --web-dir DIR.
 * @module
 */
import { builtinPlugins } from "../plugins/builtin.ts";
import { apiSection } from "../web/api-schemas.ts";
import { useWebDir } from "../web/asset-source.ts";
import { redact } from "../web/config-ops.ts";
import { startApi } from "../web/app.ts";
import { foreignListen, netGranted } from "../web/listen-guard.ts";
import type { SimControl } from "../web/sim-control.ts";
import { systemClock } from "./clock.ts";
import { FileConfigStore } from "./config/store.ts";
import { parseOptions } from "./args.ts";
import { host, join } from "./host/index.ts";
import { messageOf } from "./errors.ts";
import { hooksSection, startHooks } from "./hooks/index.ts";
import { Kernel } from "./kernel.ts";
import { configuredListen, followConfig, Listeners, revertListen } from "./listeners.ts";
import { missingPermissions } from "./launch/check.ts";
import { DAEMON_OPTIONS } from "./launch/permissions.ts";
import { bootPluginDirs } from "./loader/boot.ts";
import { PluginLoader, pluginDirsOf, pluginsSection } from "./loader/index.ts";
import { addLogSecrets, logger, secretStrings, setupLogging, stopLogging } from "./log.ts";
import type { Platform } from "./platform.ts";
import { Registry } from "./registry.ts";
import * as sdk from "./sdk/index.ts";
import { serve } from "./serve.ts";

const USAGE = `Usage: multiwan [--dataplane sim|linux] [--listen HOST:PORT] [--config FILE] [--state-dir DIR]

  --dataplane sim|linux  sim (default): a simulated world with four uplinks, no packet leaves
                         the machine. linux: nftables, policy routing and real probes.
  --listen HOST:PORT     where the API and panel listen, fixed (default: the config's api.listen,
                         else 127.0.0.1:8080; never an uplink unless named). Without it the
                         listeners follow api.listen at run time: confirm a change within
                         history.confirmS (60 s) or it is reverted
  --config FILE          the config document (default STATE_DIR/config.json)
  --state-dir DIR        where state is kept (default ./state)
  --plugins DIR          load third-party plugins from DIR (a plugin folder or a folder of
                         them); repeatable; the config's plugins.dirs adds more
  --web-dir DIR          serve the panel and /docs from DIR (default: the web/ folder beside
                         the code; the launcher names it when it runs its Deno bundle)
  --no-scenario          sim only: do not start the preset "demo" at boot (every 80 s the
                         Ethernet uplink fails silently, recovers, loses its cable, recovers);
                         POST /api/v1/sim/presets/demo/start plays it later
`;

export interface Listen {
  readonly host: string;
  readonly port: number;
}

/** parseListen reads HOST:PORT (IPv6 in brackets). */
export function parseListen(text: string): Listen {
  const m = /^(\[[0-9a-fA-F:]+\]|[0-9.]+|localhost):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new TypeError(`--listen must be HOST:PORT, e.g. 127.0.0.1:8080, not ${text}`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

const DEFAULT_LISTEN: Listen = { host: "127.0.0.1", port: 8080 };

/** listenText writes a Listen back as HOST:PORT (IPv6 in brackets). */
export function listenText(l: Listen): string {
  return `${l.host.includes(":") ? `[${l.host}]` : l.host}:${l.port}`;
}

export interface Flags {
  readonly dataplane: "sim" | "linux";
  /** From --listen; when absent the config's `api.listen`, else 127.0.0.1:8080. */
  readonly listen?: readonly Listen[];
  readonly config?: string;
  readonly stateDir: string;
  /** Plugin directories from --plugins (repeatable); absent when none. */
  readonly plugins?: readonly string[];
  /** Sim only: replay the demo's fault cycle on the Ethernet uplink. */
  readonly scenario: boolean;
  /** From --web-dir: where the panel and /docs files are. */
  readonly webDir?: string;
}

/** parseFlags reads the command line; throws a usage message on bad input. */
export function parseFlags(argv: string[]): Flags | "help" {
  const { values } = parseOptions(argv, DAEMON_OPTIONS, true);
  // Strict parsing: each string option holds a string, each multiple one a list of strings.
  const text = (name: string) => values[name] as string | undefined;
  if (values.help) return "help";
  const dataplane = text("dataplane") ?? "sim";
  if (dataplane !== "sim" && dataplane !== "linux") {
    throw new TypeError(`--dataplane must be sim or linux, not ${dataplane}`);
  }
  const plugins = (values.plugins ?? []) as string[];
  const listen = text("listen");
  return {
    dataplane,
    listen: listen === undefined ? undefined : [parseListen(listen)],
    config: text("config"),
    stateDir: text("state-dir") ?? "./state",
    ...(plugins.length > 0 ? { plugins } : {}),
    scenario: dataplane === "sim" && !values["no-scenario"],
    ...(text("web-dir") !== undefined ? { webDir: text("web-dir") } : {}),
  };
}

async function makePlatform(
  flags: Flags,
): Promise<{ platform: Platform; defaultConfig?: unknown; start?: () => void; sim?: SimControl }> {
  if (flags.dataplane === "linux") {
    const { createLinuxPlatform } = await import("./platform/linux/index.ts");
    return { platform: createLinuxPlatform({ log: logger("platform", "linux") }) };
  }
  const { createSimPlatform, SimLanClient } = await import("./platform/sim/index.ts");
  const { demoConfig, demoUplinks } = await import("./platform/sim/demo.ts");
  const platform = createSimPlatform({ clock: systemClock, uplinks: demoUplinks, seed: Date.now() });
  const client = new SimLanClient(platform.dataplane, platform.world, systemClock, { perSecond: 4 });
  const { SimController } = await import("./platform/sim/control.ts");
  const { simPresets } = await import("./platform/sim/presets.ts");
  const say = (text: string) => logger("sim").info("preset: {text}", { text });
  const sim = new SimController({ world: platform.world, client, clock: systemClock, presets: simPresets, say });
  const start = () => {
    client.start();
    if (flags.scenario) sim.startPreset("demo");
  };
  return { platform, defaultConfig: demoConfig, start, sim };
}

/** main runs the daemon until SIGTERM/SIGINT. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  if (flags === "help") {
    console.log(USAGE);
    return;
  }
  await setupLogging({ level: "info" });
  if (flags.webDir !== undefined) useWebDir(flags.webDir);
  const log = logger("kernel");
  // A plugin's floating promise that rejects must not end the daemon (the kernel bounds and
  // contains every call it makes; this catches what a plugin starts on its own).
  host.onUnhandledRejection((reason) => log.error("unhandled rejection: {e}", { e: messageOf(reason) }));
  await host.mkdir(flags.stateDir);
  const registry = new Registry();
  registry.registerAll(builtinPlugins);
  const store = new FileConfigStore(flags.config ?? join(flags.stateDir, "config.json"), {
    historyDir: join(flags.stateDir, "history"),
  });
  const loader = new PluginLoader(registry, { sdk, log: logger("kernel", "loader") });
  await loader.load(await bootPluginDirs(store, flags.plugins ?? []));
  const { platform, defaultConfig, start, sim } = await makePlatform(flags);
  const kernel: Kernel = new Kernel({
    registry,
    platform,
    store,
    defaultConfig,
    stateDir: flags.stateDir, // data cap counts: STATE_DIR/usage.json
    sections: { api: apiSection, hooks: hooksSection, plugins: pluginsSection },
    beforeValidate: async (doc) => {
      await loader.load(pluginDirsOf(doc));
      addLogSecrets(secretStrings(doc, redact(kernel, doc)));
    },
    // A new api.listen address the router lacks would cut the API off: refused.
    // Without --listen the listeners follow api.listen at run time: they need the permission now.
    preApply: (doc) => [
      ...missingPermissions(doc),
      ...foreignListen(doc, kernel.config.doc, { granted: flags.listen === undefined ? netGranted : undefined }),
    ],
    onLogSettings: (s) =>
      setupLogging({ level: s.level, categories: s.categories, file: s.file, syslog: s.syslog, runDir: flags.stateDir }),
  });
  // No log shows a secret: the admin credentials and the config's writeOnly values (stored, last good, each write).
  addLogSecrets(["MULTIWAN_ADMIN_TOKEN", "MULTIWAN_ADMIN_PASSWORD"].flatMap((k) => host.env(k) ?? []));
  for (const s of [await store.load().catch(() => undefined), await store.loadLastGood().catch(() => undefined)]) {
    if (s) addLogSecrets(secretStrings(s.doc, redact(kernel, s.doc)));
  }
  const boot = await kernel.boot();
  if (boot.source !== "store") {
    const loud = boot.problems.length > 0 ? console.error : console.log;
    loud(`multiwan: running the ${boot.source} config (revision ${boot.revision})` +
      (boot.problems.length ? `, because:\n  ${boot.problems.join("\n  ")}` : ""));
  }
  start?.();
  const hooks = startHooks(kernel);
  // The listeners follow api.listen, confirm-or-revert (src/listeners.ts), unless --listen fixes them.
  const listeners = new Listeners({
    bind: async (addr) => {
      const l = parseListen(addr);
      const server = await serve(api.fetch, l.port, l.host);
      const where = l.host.includes(":") ? `[${l.host}]` : l.host;
      console.log(`multiwan: ${flags.dataplane} dataplane, panel and API at http://${where}:${server.port}/`);
      return server;
    },
    clock: systemClock,
    log: logger("api"),
    revert: (previous, why) => revertListen(kernel, previous, why),
  });
  const fixed = flags.listen !== undefined;
  const api = await startApi(kernel, {
    stateDir: flags.stateDir,
    extraMetrics: () => hooks.metrics(),
    sim,
    listeners: fixed ? undefined : listeners,
  });
  const configured = configuredListen(kernel.effective);
  await listeners.start(flags.listen?.map(listenText) ?? configured ?? [listenText(DEFAULT_LISTEN)], configured);
  if (!fixed) followConfig(kernel, listeners, [listenText(DEFAULT_LISTEN)]);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("{signal}: stopping", { signal });
    api.close();
    sim?.close();
    hooks.close();
    await listeners.close();
    await kernel.shutdown({ cleanup: true }).catch((err) => log.error("shutdown: {e}", { e: messageOf(err) }));
    await stopLogging();
    host.exit(0);
  };
  host.onSignal("SIGTERM", () => void stop("SIGTERM"));
  host.onSignal("SIGINT", () => void stop("SIGINT"));
}

if (host.isMain(import.meta.url)) {
  main([...host.args]).catch((err) => {
    console.error(`multiwan: ${messageOf(err)}`);
    host.exit(1);
  });
}
