/**
 * Builds the router panel: bundles `web/panel/src/main.tsx` (Preact, uPlot) with esbuild into
 * hashed, minified files under `web/panel/dist/assets/` and writes `dist/index.html` naming them.
 * No inline script or style (the CSP forbids both), no external URL.
 * Run: `node --import tsx web/panel/build.ts` (or `npm run build:web`); also runs on Deno.
 * @module
 */
import { build } from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");

/** The built files, relative to dist, and their sizes. */
export interface PanelBuild {
  readonly js: string;
  readonly css: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

/** buildPanel bundles the panel into `web/panel/dist/`. */
export async function buildPanel(opts: { quiet?: boolean } = {}): Promise<PanelBuild> {
  await rm(dist, { recursive: true, force: true });
  await mkdir(join(dist, "assets"), { recursive: true });
  const result = await build({
    absWorkingDir: here,
    entryPoints: { panel: join(here, "src/main.tsx") },
    outdir: join(dist, "assets"),
    entryNames: "[name]-[hash]",
    assetNames: "[name]-[hash]",
    bundle: true,
    minify: true,
    format: "esm",
    target: ["es2020", "chrome100", "firefox100", "safari15"],
    jsx: "automatic",
    jsxImportSource: "preact",
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
    write: true,
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => relative(dist, join(here, p)));
  const js = outputs.find((p) => p.endsWith(".js"));
  const css = outputs.find((p) => p.endsWith(".css"));
  if (!js || !css) throw new Error(`esbuild gave no JS or CSS: ${outputs.join(", ")}`);
  const template = await readFile(join(here, "index.html"), "utf8");
  const html = template
    .replace("<!--css-->", `<link rel="stylesheet" href="/${css}">`)
    .replace("<!--js-->", `<script type="module" src="/${js}"></script>`);
  await writeFile(join(dist, "index.html"), html);
  let bytes = 0;
  let gzipBytes = 0;
  for (const f of [js, css]) {
    const body = await readFile(join(dist, f));
    bytes += body.length;
    gzipBytes += gzipSync(body, { level: 9 }).length;
  }
  if (!opts.quiet) {
    console.log(`panel: ${basename(js)} + ${basename(css)}: ${(bytes / 1024).toFixed(1)} KB, ` +
      `${(gzipBytes / 1024).toFixed(1)} KB gzip → ${relative(process.cwd(), dist)}/`);
  }
  return { js, css, bytes, gzipBytes };
}

const isMain = (import.meta as { main?: boolean }).main ??
  (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]);
if (isMain) {
  buildPanel().catch((err) => {
    console.error(`panel build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
