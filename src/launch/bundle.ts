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
 * The folder is a cache: a changed build leaves the chunks of the last one beside it (a few
 * KB each), and the folder may be deleted at any time.
 * @module
 */
import { join } from "../host/path.ts";

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
