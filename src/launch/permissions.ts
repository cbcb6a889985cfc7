/**
 * Least privilege that follows the configuration: the Deno permission flags the daemon
 * needs, derived from its command-line flags and its config document. Pure functions; the
 * launcher (`launch.ts`) and the running daemon's pre-apply check (`check.ts`) share them.
 * @module
 */
import { type OptionSpec, parseOptions } from "../args.ts";
import { dirname, isAbsolute, join, resolveFrom as resolve } from "../host/path.ts";

/** The Linux tools the linux dataplane and WAN plugins run. */
export const LINUX_TOOLS = ["ip", "nft", "conntrack", "ping", "iw", "mmcli"] as const;
/**
 * What the linux dataplane reads outside the state dir, granted by --allow-read. None: it reads
 * link state and counters from /sys/class/net and /proc/net, but Deno 2.9.6 refuses those under
 * any --allow-read ("Requires all access", i.e. --allow-all), so a grant there would be a promise
 * it does not keep. Without --allow-all the daemon reads counters through one long-lived
 * `ip -s -json -batch -` process instead (src/platform/linux/links.ts).
 */
export const LINUX_READS: readonly string[] = [];
/** The environment variables the daemon reads; Deno's node:child_process also asks for NODE_V8_COVERAGE. */
export const DAEMON_ENV = ["MULTIWAN_ADMIN_TOKEN", "MULTIWAN_ADMIN_PASSWORD"] as const;
const CHILD_ENV = ["NODE_V8_COVERAGE", "PATH"] as const;
const DEFAULT_LISTEN = "127.0.0.1:8080";

/** The daemon flags that decide permissions (others are passed through untouched). */
export interface LaunchFlags {
  readonly dataplane: "sim" | "linux";
  readonly listen?: string;
  readonly config?: string;
  readonly stateDir: string;
  readonly plugins: readonly string[];
  /** From --web-dir: the panel and /docs files. */
  readonly webDir?: string;
}

/** One permission the daemon needs, and the flag or config path it comes from. */
export interface Need {
  readonly kind: "net" | "read" | "write" | "run" | "env" | "sys";
  readonly value: string;
  /** `--listen`, `hooks.webhooks[0].url`...: where the need comes from, for messages. */
  readonly from: string;
}

/** The daemon's command-line options (`src/main.ts` reads them strictly, the launcher leniently). */
export const DAEMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  dataplane: { type: "string" },
  listen: { type: "string" },
  config: { type: "string" },
  "state-dir": { type: "string" },
  plugins: { type: "string", multiple: true },
  "web-dir": { type: "string" },
  "no-scenario": { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/** parseLaunchFlags reads the daemon's flags leniently: unknown flags are the daemon's business. */
export function parseLaunchFlags(argv: readonly string[]): LaunchFlags {
  const { values } = parseOptions(argv, DAEMON_OPTIONS, false);
  const str = (x: unknown) => (typeof x === "string" ? x : undefined);
  return {
    dataplane: values.dataplane === "linux" ? "linux" : "sim",
    listen: str(values.listen),
    config: str(values.config),
    stateDir: str(values["state-dir"]) ?? "./state",
    plugins: (Array.isArray(values.plugins) ? values.plugins : []).filter((p): p is string => typeof p === "string"),
    webDir: str(values["web-dir"]),
  };
}

type Json = Record<string, unknown>;
const obj = (x: unknown): Json => (x && typeof x === "object" && !Array.isArray(x) ? x as Json : {});
const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);

/** hostPort gives `host:port` of an http(s) URL (default ports filled in); undefined when not a URL. */
export function hostPort(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return undefined;
  return `${u.hostname}:${u.port || (u.protocol === "https:" ? "443" : "80")}`;
}

/** configNeeds lists what a config document asks for; `cwd` resolves relative paths. */
export function configNeeds(doc: unknown, cwd: string): Need[] {
  const needs: Need[] = [];
  const d = obj(doc);
  const hooks = obj(d.hooks);
  list(hooks.scripts).forEach((s, i) => {
    const argv0 = list(obj(s).argv)[0];
    if (typeof argv0 === "string" && argv0 !== "") needs.push({ kind: "run", value: argv0, from: `hooks.scripts[${i}].argv[0]` });
  });
  if (list(hooks.scripts).length > 0) for (const e of CHILD_ENV) needs.push({ kind: "env", value: e, from: "hooks.scripts" });
  list(hooks.webhooks).forEach((w, i) => {
    const url = obj(w).url;
    const hp = typeof url === "string" ? hostPort(url) : undefined;
    if (hp) needs.push({ kind: "net", value: hp, from: `hooks.webhooks[${i}].url` });
  });
  for (const [name, wan] of Object.entries(obj(d.wans))) {
    const tracker = obj(obj(wan).tracker);
    list(tracker.urls).forEach((u, i) => {
      const hp = typeof u === "string" ? hostPort(u) : undefined;
      if (hp) needs.push({ kind: "net", value: hp, from: `wans.${name}.tracker.urls[${i}]` });
    });
  }
  const file = obj(d.log).file;
  if (typeof file === "string" && file !== "") {
    const dir = dirname(resolve(cwd, file));
    needs.push({ kind: "read", value: dir, from: "log.file" }, { kind: "write", value: dir, from: "log.file" });
  }
  list(obj(d.plugins).dirs).forEach((p, i) => {
    if (typeof p === "string" && p !== "") needs.push({ kind: "read", value: resolve(cwd, p), from: `plugins.dirs[${i}]` });
  });
  list(obj(d.api).listen).forEach((l, i) => {
    if (typeof l === "string") needs.push({ kind: "net", value: l, from: `api.listen[${i}]` });
  });
  return needs;
}

/**
 * flagNeeds lists what the command line asks for: the source tree (read; not when the daemon
 * runs from its bundle), the state dir and
 * the config file (read and write; the atomic writer's temp file sits beside the config),
 * plugin folders, the listen address, and on linux the tools and /sys paths.
 */
export function flagNeeds(flags: LaunchFlags, o: { cwd: string; root: string; configDoc?: unknown; bundled?: boolean }): Need[] {
  const needs: Need[] = [];
  // From the launcher's bundle (src/launch/bundle.ts) the daemon reads no code of its own:
  // Deno loads modules without --allow-read; its web files come with --web-dir.
  const code = o.bundled ? [] : ["src", "plugins", "web", "node_modules", "package.json", "deno.json", "tsconfig.json"];
  for (const part of code) needs.push({ kind: "read", value: join(o.root, part), from: "the daemon's code" });
  const stateDir = resolve(o.cwd, flags.stateDir);
  needs.push({ kind: "read", value: stateDir, from: "--state-dir" }, { kind: "write", value: stateDir, from: "--state-dir" });
  if (flags.config !== undefined) {
    const configDir = dirname(resolve(o.cwd, flags.config));
    needs.push({ kind: "read", value: configDir, from: "--config" }, { kind: "write", value: configDir, from: "--config" });
  }
  flags.plugins.forEach((p) => needs.push({ kind: "read", value: resolve(o.cwd, p), from: "--plugins" }));
  if (flags.webDir !== undefined) needs.push({ kind: "read", value: resolve(o.cwd, flags.webDir), from: "--web-dir" });
  // --listen wins over api.listen; without either the daemon listens on the default.
  const configured = list(obj(obj(o.configDoc).api).listen).filter((l) => typeof l === "string");
  if (flags.listen !== undefined) needs.push({ kind: "net", value: flags.listen, from: "--listen" });
  else if (configured.length === 0) needs.push({ kind: "net", value: DEFAULT_LISTEN, from: "the default listen address" });
  for (const e of DAEMON_ENV) needs.push({ kind: "env", value: e, from: "the daemon" });
  // The API refuses an api.listen address the router lacks; it reads the interfaces' addresses.
  needs.push({ kind: "sys", value: "networkInterfaces", from: "the api.listen guard" });
  if (flags.dataplane === "linux") {
    for (const t of LINUX_TOOLS) needs.push({ kind: "run", value: t, from: "--dataplane linux" });
    for (const p of LINUX_READS) needs.push({ kind: "read", value: p, from: "--dataplane linux" });
    for (const e of CHILD_ENV) needs.push({ kind: "env", value: e, from: "--dataplane linux" });
  }
  return needs;
}

/** flagsOf groups needs into Deno flags, each list sorted and without repeats; never `-A`. */
export function flagsOf(needs: readonly Need[]): string[] {
  const out = ["--no-prompt"];
  for (const kind of ["read", "write", "net", "run", "env", "sys"] as const) {
    const values = [...new Set(needs.filter((n) => n.kind === kind).map((n) => n.value))].sort();
    if (values.length > 0) out.push(`--allow-${kind}=${values.join(",")}`);
  }
  return out;
}

/**
 * needsFor lists every need of the daemon given its command line and the config documents
 * it may boot with (the stored one and its last good copy).
 */
export function needsFor(argv: readonly string[], configDocs: readonly unknown[], o: { cwd: string; root: string; bundled?: boolean }): Need[] {
  const flags = parseLaunchFlags(argv);
  const needs: Need[] = [];
  for (const doc of configDocs.length > 0 ? configDocs : [undefined]) {
    needs.push(...flagNeeds(flags, { ...o, configDoc: doc }));
    if (doc === undefined) continue;
    // With --listen the config's addresses are not used.
    needs.push(...configNeeds(doc, o.cwd).filter((n) => flags.listen === undefined || !n.from.startsWith("api.listen")));
  }
  return needs;
}

/**
 * denoPermissions is the whole derivation: the flags for `deno run` given the daemon's
 * command line and its config document (undefined when there is none yet).
 */
export function denoPermissions(argv: readonly string[], configDoc: unknown, o: { cwd: string; root: string; bundled?: boolean }): string[] {
  return flagsOf(needsFor(argv, configDoc === undefined ? [] : [configDoc], o));
}

/** configPathOf is where the daemon will read its config. */
export function configPathOf(flags: LaunchFlags, cwd: string): string {
  const p = flags.config ?? join(flags.stateDir, "config.json");
  return isAbsolute(p) ? p : resolve(cwd, p);
}
