/**
 * Builds the release artifact: one ESM file (`dist/multiwan.mjs`) holding the daemon, its
 * dependencies, the built panel (`web/panel/dist/`) and the `/docs` page (`web/docs/`), that
 * runs with `node dist/multiwan.mjs` (Node 20+) or `deno run <permissions> dist/multiwan.mjs`
 * and needs no `node_modules`. The web files are embedded as a build-time constant read by
 * `web/asset-source.ts`. The panel must be built first (`npm run build:web`; `npm run build`
 * does both). Run: `node --import tsx scripts/build-release.ts [--out FILE]`; also runs on Deno.
 * @module
 */
import { build } from "esbuild";
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** The project folder. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The folders under `web/` whose files are embedded. */
export const EMBEDDED_DIRS = ["panel/dist", "docs"] as const;

/** Modules that must never end up in the bundle (build tools, other entry points). */
const FORBIDDEN = [
  /node_modules\/(esbuild|tsx|typescript|deno|playwright-core|tinybench|fast-check|autocannon|preact|uplot)\//,
  /^src\/cli\/main\.ts$/,
  /^src\/launch\/(main|launch)\.ts$/,
  /^web\/panel\//,
  /^scripts\//,
];

export interface ReleaseBuild {
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** The embedded web files, by path under `web/`. */
  readonly assets: readonly string[];
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...await walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** embedWeb reads the web files into the map `web/asset-source.ts` expects (`t:` text, `b:` base64). */
export async function embedWeb(webDir = join(ROOT, "web")): Promise<Record<string, string>> {
  const index = join(webDir, "panel", "dist", "index.html");
  if (!(await stat(index).catch(() => undefined))?.isFile()) {
    throw new Error(`${relative(process.cwd(), index)} is missing: build the panel first (npm run build:web)`);
  }
  const files: Record<string, string> = {};
  const strict = new TextDecoder("utf-8", { fatal: true });
  for (const sub of EMBEDDED_DIRS) {
    for (const file of await walk(join(webDir, sub))) {
      const body = await readFile(file);
      let text: string | undefined;
      try {
        text = strict.decode(body);
      } catch {
        text = undefined;
      }
      files[relative(webDir, file).split("\\").join("/")] = text !== undefined ? `t:${text}` : `b:${body.toString("base64")}`;
    }
  }
  return files;
}

/** buildRelease bundles `src/main.ts` with the embedded web files into `out`. */
export async function buildRelease(opts: { out?: string; quiet?: boolean } = {}): Promise<ReleaseBuild> {
  const out = opts.out ?? join(ROOT, "dist", "multiwan.mjs");
  const assets = await embedWeb();
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, "src", "main.ts")],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: ["node20", "deno2"],
    minify: true,
    // Error classes name themselves with new.target.name.
    keepNames: true,
    legalComments: "eof",
    metafile: true,
    logLevel: "warning",
    define: { "globalThis.__multiwanAssets": JSON.stringify(assets) },
    // For the deno2 target esbuild would turn import() into require() and drop the node:
    // prefix: a plugin folder's import(fileUrl) failed in the bundle on both runtimes, and the
    // modules loaded on first use needed a require() shim. Both runtimes have import() and node:.
    supported: { "dynamic-import": true, "node-colon-prefix-import": true, "node-colon-prefix-require": true },
    banner: { js: "// multiwan release bundle: node multiwan.mjs, or deno run <permissions> multiwan.mjs (see README)" },
  });
  const inputs = Object.keys(result.metafile.inputs);
  const bad = inputs.filter((p) => FORBIDDEN.some((re) => re.test(p)));
  if (bad.length > 0) throw new Error(`the bundle must not contain: ${bad.join(", ")}`);
  const body = await readFile(out);
  const built = { file: out, bytes: body.byteLength, gzipBytes: gzipSync(body, { level: 9 }).byteLength, assets: Object.keys(assets) };
  if (!opts.quiet) {
    console.log(`release: ${relative(process.cwd(), out)}: ${(built.bytes / 1024).toFixed(0)} KB, ` +
      `${(built.gzipBytes / 1024).toFixed(0)} KB gzip, ${inputs.length} modules, ${built.assets.length} web files embedded`);
  }
  return built;
}

const isMain = (import.meta as { main?: boolean }).main ??
  (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]);
if (isMain) {
  const i = process.argv.indexOf("--out");
  buildRelease({ out: i > 0 ? process.argv[i + 1] : undefined }).catch((err) => {
    console.error(`build: ${(err as Error).message}`);
    process.exit(1);
  });
}
