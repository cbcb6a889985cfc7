/**
 * The launcher: reads the daemon's flags and config (and its last good copy), derives the
 * Deno permissions, bundles the daemon (`./bundle.ts`) and runs `deno run <V8 flags>
 * <permissions> <bundle>/main.js --web-dir web <args>` with stdio inherited, forwarding
 * SIGINT/SIGTERM/SIGHUP and the exit code. With `--sources`, or when bundling fails, it runs
 * `src/main.ts` instead. `permissions` (or `--print-permissions`) prints the derivation for
 * audit. Never `-A`.
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { host } from "../host/index.ts";
import { buildBundle, bundleDir, bundleEntry, SOURCES_FLAG } from "./bundle.ts";
import { configPathOf, flagsOf, type Need, needsFor, parseLaunchFlags } from "./permissions.ts";
import { DENO_RUN_FLAGS } from "./v8.ts";

/** The project folder (where src/, plugins/, web/ and node_modules/ are). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** readConfigs reads the config and its last good copy; unreadable ones are skipped with a note. */
export async function readConfigs(path: string, warn: (text: string) => void): Promise<unknown[]> {
  const docs: unknown[] = [];
  for (const p of [path, `${path}.last-good`]) {
    let text: string;
    try {
      text = await host.readText(p);
    } catch (err) {
      if ((err as { code?: string }).code !== "ENOENT") warn(`cannot read ${p}: ${(err as Error).message}`);
      continue;
    }
    try {
      docs.push(JSON.parse(text));
    } catch {
      warn(`${p} is not valid JSON; its permissions are not derived`);
    }
  }
  return docs;
}

/** auditText renders the flags, then each value and where it comes from. */
export function auditText(needs: readonly Need[], entry = "src/main.ts"): string {
  const flags = flagsOf(needs);
  const why = new Map<string, Set<string>>();
  for (const n of needs) {
    const key = `--allow-${n.kind}=${n.value}`;
    why.set(key, (why.get(key) ?? new Set()).add(n.from));
  }
  const lines = [...why.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, from]) => `#   ${k}  <- ${[...from].join(", ")}`);
  return `deno run ${[...DENO_RUN_FLAGS, ...flags].join(" \\\n  ")} \\\n  ${entry}\n#\n# why:\n${lines.join("\n")}\n`;
}

type DenoApi = {
  execPath(): string;
  cwd(): string;
  Command: new (cmd: string, o: { args: string[]; stdin: "inherit"; stdout: "inherit"; stderr: "inherit" }) => {
    spawn(): { kill(signal: string): void; status: Promise<{ code: number; signal: string | null }> };
  };
  addSignalListener(signal: string, fn: () => void): void;
  removeSignalListener(signal: string, fn: () => void): void;
};
const denoApi = () => (globalThis as { Deno?: DenoApi }).Deno;

function denoBinary(): string {
  const deno = denoApi();
  return deno ? deno.execPath() : join(ROOT, "node_modules", "deno", "deno");
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const EXIT_OF_SIGNAL: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * runInherited runs a command with stdio inherited, forwards SIGINT/SIGTERM/SIGHUP to it and
 * resolves with its exit code. Deno.Command on Deno (its node:child_process reports a child
 * that exits 0 on SIGTERM as killed, and Node's modules would cost the launcher, which stays
 * resident beside the daemon, ~10 MB), node:child_process on Node.
 */
export async function runInherited(cmd: string, args: readonly string[], o: { onSignal?: (signal: string) => void } = {}): Promise<number> {
  const deno = denoApi();
  if (deno) {
    const child = new deno.Command(cmd, { args: [...args], stdin: "inherit", stdout: "inherit", stderr: "inherit" }).spawn();
    const handlers = SIGNALS.map((s) => [s, () => {
      o.onSignal?.(s);
      child.kill(s);
    }] as const);
    for (const [s, h] of handlers) deno.addSignalListener(s, h);
    return child.status.then((st) => {
      for (const [s, h] of handlers) deno.removeSignalListener(s, h);
      return st.signal ? EXIT_OF_SIGNAL[st.signal] ?? 1 : st.code;
    });
  }
  const { spawn } = await import("node:child_process");
  const child = spawn(cmd, [...args], { stdio: "inherit" });
  const handlers = SIGNALS.map((s) => [s, () => {
    o.onSignal?.(s);
    child.kill(s);
  }] as const);
  for (const [s, h] of handlers) process.on(s, h);
  return new Promise<number>((done) => {
    child.on("error", (err) => {
      console.error(`multiwan: cannot start ${cmd}: ${err.message}`);
      done(1);
    });
    child.on("exit", (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      done(code ?? (signal ? EXIT_OF_SIGNAL[signal] ?? 1 : 1));
    });
  });
}

/** launch runs the daemon (or prints its permissions); resolves with the exit code. */
export async function launch(argv: readonly string[], o: { cwd?: string } = {}): Promise<number> {
  const cwd = o.cwd ?? denoApi()?.cwd() ?? process.cwd();
  const print = argv[0] === "permissions" || argv.includes("--print-permissions");
  const args = argv.filter((a, i) => a !== "--print-permissions" && !(i === 0 && a === "permissions"));
  const fromSources = args.includes(SOURCES_FLAG);
  const daemonArgs = args.filter((a) => a !== SOURCES_FLAG);
  const flags = parseLaunchFlags(args);
  const docs = await readConfigs(configPathOf(flags, cwd), (t) => console.error(`multiwan: ${t}`));
  const dir = bundleDir(ROOT, host.env("DENO_DIR"));
  // From the bundle the daemon reads no code of its own: modules load without --allow-read.
  const needsOf = (bundled: boolean, extra: readonly string[]) => needsFor([...extra, ...daemonArgs], docs, { cwd, root: ROOT, bundled });
  if (print) {
    const entry = bundleEntry(ROOT, join(dir, "<build>"));
    const text = fromSources
      ? auditText(needsOf(false, []))
      : auditText(needsOf(true, entry.flags), `${entry.main} ${entry.flags.join(" ")}`);
    console.log(text.replace(/\n$/, ""));
    return 0;
  }
  if (args.includes("--help") || args.includes("-h")) {
    console.log("The launcher runs the daemon on Deno with permissions derived from its flags and config;");
    console.log("`permissions` or --print-permissions prints them. It bundles the daemon first (esbuild, into");
    console.log(`${dir}); ${SOURCES_FLAG} runs it from its sources. The daemon's own flags follow.\n`);
  }
  let stopped: string | undefined;
  const onSignal = (signal: string) => (stopped = signal);
  let main = join(ROOT, "src", "main.ts");
  let extra: string[] = [];
  let bundled = false;
  if (!fromSources) {
    try {
      ({ main, flags: extra } = bundleEntry(ROOT, await buildBundle(ROOT, dir, (cmd, a) => runInherited(cmd, a, { onSignal }))));
      bundled = true;
    } catch (err) {
      if (!stopped) console.error(`multiwan: the daemon could not be bundled into ${dir} (${(err as Error).message}); running it from its sources`);
    }
    if (stopped) return EXIT_OF_SIGNAL[stopped] ?? 1; // told to stop before the daemon started
  }
  // Analyse the code in a process of its own, so the daemon starts from a warm cache: one
  // that parses its module graph itself keeps the parser's memory (Deno, 4 uplinks x 3
  // targets: from the sources 66 MB idle after a first start, 58 MB after the next; from the
  // bundle 62.4 and 56.3). ~30 ms when nothing changed.
  const cached = await runInherited(denoBinary(), ["cache", "--quiet", main], { onSignal });
  if (stopped) return EXIT_OF_SIGNAL[stopped] ?? 1;
  if (cached !== 0) console.error("multiwan: `deno cache` failed; the daemon analyses its code itself");
  const needs = needsOf(bundled, extra);
  return await runInherited(denoBinary(), ["run", ...DENO_RUN_FLAGS, ...flagsOf(needs), main, ...extra, ...daemonArgs]);
}
