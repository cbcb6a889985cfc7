/**
 * The daemon as the launcher runs it on Deno: a bundle of `src/main.ts` that the project's
 * esbuild (`node_modules/esbuild/bin/esbuild`, a native executable) makes before each start,
 * split into chunks that load on first use (the Node adapter, the Linux dataplane, the mwan3
 * importer...), minified, without source maps: 0.12-0.18 s per start, and then `deno cache`
 * analyses it (0.09 s when it changed, 0.01 s when not).
 *
 * Why: from its sources, Deno keeps each module's TypeScript emit in memory with an inline
 * source map, and all of valibot, hono and LogTape whether used or not. Measured on the sim
 * world after a restart and a panel login, the same daemon holds 61.8-62.3 MB from its
 * sources, 58.0-58.2 MB from an unminified bundle and 56.8-57.4 MB from this one (with
 * linked source maps 61.2-61.3: Deno loads them at start). Analysed by the daemon itself
 * rather than by `deno cache` first, a new bundle costs 6 MB more (sim world, first start:
 * 60.9-61.1 against 54.7-55.0 MB). `--sources` runs the sources
 * instead, for readable stack traces; so does the launcher when esbuild is missing.
 *
 * Not `deno bundle`: it downloads its own esbuild from the npm registry on first use, and a
 * router that starts without an uplink has no registry.
 *
 * Each build gets a folder of its own, named by its content: esbuild writes into a temporary
 * folder that is then renamed, so a daemon never sees a half-written chunk, and a running one
 * keeps the chunks it has not loaded yet (a new build or a second launcher leaves its folder
 * alone). The newest {@link KEEP_BUILDS} are kept. The launcher needs --allow-write for the
 * folder; without it, it runs the sources.
 * @module
 */
import { host } from "../host/index.ts";
import { join } from "../host/path.ts";

/** How many builds are kept (the current one and the newest others, for daemons still running them). */
export const KEEP_BUILDS = 3;
/** A temporary build folder older than this was left by a launcher that died. */
const STALE_TMP_MS = 10 * 60_000;

/** The launcher's own flag that runs the daemon from its sources (never passed to the daemon). */
export const SOURCES_FLAG = "--sources";

/** esbuildBinary is the project's esbuild executable (the launcher needs --allow-run for it). */
export function esbuildBinary(root: string): string {
  return join(root, "node_modules", "esbuild", "bin", "esbuild");
}

/**
 * bundleDir is where the bundle is kept: under DENO_DIR when it is set (the systemd unit sets
 * it to its cache directory, the only place beside the state that the service may write),
 * else in node_modules/.cache of the project.
 */
export function bundleDir(root: string, denoDir: string | undefined): string {
  return denoDir ? join(denoDir, "multiwan-daemon") : join(root, "node_modules", ".cache", "multiwan-daemon");
}

/** bundleArgs is the esbuild command line (after the executable) that writes `outDir`. */
export function bundleArgs(root: string, outDir: string): string[] {
  return [
    join(root, "src", "main.ts"),
    "--bundle", "--splitting", "--format=esm", "--platform=neutral", "--target=esnext",
    "--minify", "--keep-names", "--external:node:*",
    "--main-fields=module,main", "--conditions=deno,import,default",
    "--log-level=warning", `--outdir=${outDir}`,
  ];
}

/** bundleEntry is the file to run in `outDir`, and the daemon flag that finds the web files. */
export function bundleEntry(root: string, outDir: string): { main: string; flags: string[] } {
  return { main: join(outDir, "main.js"), flags: ["--web-dir", join(root, "web")] };
}

async function exists(path: string): Promise<boolean> {
  return await host.stat(path).then(() => true, () => false);
}

/** removeFlat removes a folder of files (a build has no subfolders); a missing one is fine. */
async function removeFlat(dir: string): Promise<void> {
  let entries;
  try {
    entries = await host.readDir(dir);
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return;
    throw err;
  }
  for (const e of entries) await host.remove(join(dir, e.name));
  await host.remove(dir);
}

/** contentKey names a build by its files' names and bytes (SHA-256, 16 hex digits). */
async function contentKey(dir: string): Promise<string> {
  const names = (await host.readDir(dir)).map((e) => e.name).sort();
  const parts: BlobPart[] = [];
  for (const name of names) parts.push(`${name}\0`, await host.readBytes(join(dir, name)) as Uint8Array<ArrayBuffer>, "\0");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await new Blob(parts).arrayBuffer()));
  return Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** prune keeps `current` and the newest others up to {@link KEEP_BUILDS}, and drops dead temporary folders. */
async function prune(dir: string, current: string, now: number): Promise<void> {
  const builds: { path: string; mtimeMs: number }[] = [];
  for (const e of await host.readDir(dir)) {
    if (!e.isDirectory) continue;
    const path = join(dir, e.name);
    const info = await host.stat(path).catch(() => undefined);
    if (!info) continue;
    if (e.name.startsWith(".build-")) {
      if (now - info.mtimeMs > STALE_TMP_MS) await removeFlat(path).catch(() => undefined);
    } else if (path !== current) builds.push({ path, mtimeMs: info.mtimeMs });
  }
  builds.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of builds.slice(KEEP_BUILDS - 1)) await removeFlat(old.path).catch(() => undefined);
}

/**
 * buildBundle runs esbuild (through `run`, which resolves its exit code) into a temporary
 * folder under `dir`, renames it to its content's name (or drops it when that build exists
 * already) and prunes old builds. Resolves the build's folder; throws when something fails.
 */
export async function buildBundle(
  root: string,
  dir: string,
  run: (cmd: string, args: string[]) => Promise<number>,
): Promise<string> {
  const tmp = join(dir, `.build-${host.pid}`);
  await removeFlat(tmp);
  const code = await run(esbuildBinary(root), bundleArgs(root, tmp));
  if (code !== 0) {
    await removeFlat(tmp).catch(() => undefined);
    throw new Error(`esbuild ended with exit code ${code}`);
  }
  const build = join(dir, await contentKey(tmp));
  if (await exists(build)) await removeFlat(tmp);
  else {
    try {
      await host.rename(tmp, build);
    } catch (err) {
      if (!(await exists(build))) throw err; // another launcher made the same build meanwhile
      await removeFlat(tmp);
    }
  }
  await prune(dir, build, Date.now());
  return build;
}
