/**
 * The browser panel's files: `web/panel/dist/index.html` at `/` and its hashed files at
 * `/assets/*`, read once and kept in memory (gzipped once when a client accepts it), with a
 * strict Content-Security-Policy. When the panel has not been built, `/` says how to build it.
 * The files come from `asset-source.ts`: on disk in the source tree, embedded in the release bundle.
 * @module
 */
import type { Context, Hono } from "hono";
import { diskAssets, subAssets, webAssets } from "./asset-source.ts";
import { HttpError } from "./problem.ts";
import type { ApiEnv } from "./router.ts";

/** The policy of every panel page: nothing but our own origin, no inline script or style markup. */
export const PANEL_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Headers every panel HTML page carries (on top of the app's nosniff and referrer policy). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": PANEL_CSP,
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), usb=(), serial=()",
};

const IMMUTABLE = "public, max-age=31536000, immutable";

const TYPES: Readonly<Record<string, string>> = {
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  html: "text/html; charset=utf-8",
  json: "application/json",
  map: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  webp: "image/webp",
  woff2: "font/woff2",
  txt: "text/plain; charset=utf-8",
};
const COMPRESSIBLE = new Set(["js", "mjs", "css", "html", "json", "map", "svg", "txt"]);

/** A file held in memory, with its gzip form when that is worth it. */
export interface Held {
  readonly body: Uint8Array;
  readonly gz?: Uint8Array;
  readonly type: string;
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>multiwan: panel not built</title></head>` +
  `<body><h1>The panel is not built</h1><p>Run <code>npm run build:web</code> (or <code>npm install</code>), then reload.` +
  ` The API works meanwhile: <a href="/docs">/docs</a>.</p></body></html>`;

export interface StaticOptions {
  /** The built panel, read from disk; default `web/panel/dist/` (embedded in the release bundle). */
  readonly dir?: string;
}

/** gzip compresses with the web's CompressionStream (no `node:zlib`, which costs Deno ~1 MB resident). */
async function gzip(body: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([body as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** hold keeps a file in memory with its content type, gzipped once when that pays. */
export async function hold(name: string, body: Uint8Array): Promise<Held> {
  const ext = name.slice(name.lastIndexOf(".") + 1).toLowerCase();
  const gz = COMPRESSIBLE.has(ext) && body.byteLength > 512 ? await gzip(body) : undefined;
  return { body, type: TYPES[ext] ?? "application/octet-stream", gz: gz && gz.byteLength < body.byteLength ? gz : undefined };
}

/** acceptsGzip reads Accept-Encoding (a `gzip;q=0` refuses). */
export function acceptsGzip(header: string | undefined): boolean {
  for (const part of (header ?? "").toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";");
    if (name.trim() !== "gzip" && name.trim() !== "*") continue;
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
    return q === undefined || Number(q) > 0;
  }
  return false;
}

/** send answers with a held file, gzipped when the client accepts it. */
export function send(c: Context<ApiEnv>, f: Held, headers: Record<string, string>): Response {
  const gzip = f.gz !== undefined && acceptsGzip(c.req.header("accept-encoding"));
  const body = gzip ? f.gz! : f.body;
  return c.body(body as Uint8Array<ArrayBuffer>, 200, {
    ...headers,
    "content-type": f.type,
    "content-length": String(body.byteLength),
    ...(f.gz ? { vary: "accept-encoding" } : {}),
    ...(gzip ? { "content-encoding": "gzip" } : {}),
  });
}

/** mountPanel adds `GET /` and `GET /assets/:file` to the app. */
export function mountPanel(app: Hono<ApiEnv>, opts: StaticOptions = {}): void {
  const files = opts.dir !== undefined ? diskAssets(opts.dir) : subAssets(webAssets, "panel/dist");
  const assets = new Map<string, Held>();
  let index: { held: Held; mtimeMs: number } | undefined;

  // index.html is re-read when the build rewrites it (one stat per page load); assets are hashed, so never.
  const loadIndex = async (): Promise<Held | undefined> => {
    const mtimeMs = await files.stamp("index.html");
    if (mtimeMs === undefined) return undefined;
    if (index?.mtimeMs !== mtimeMs) {
      const body = await files.read("index.html");
      if (!body) return undefined;
      index = { held: await hold("index.html", body), mtimeMs };
    }
    return index.held;
  };

  app.get("/", async (c) => {
    const page = await loadIndex();
    if (!page) return c.html(NOT_BUILT, 503, { ...PAGE_HEADERS, "retry-after": "10" });
    return send(c, page, { ...PAGE_HEADERS, "cache-control": "no-store" });
  });

  app.get("/assets/:file", async (c) => {
    const name = c.req.param("file");
    let f = assets.get(name);
    if (!f) {
      if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/.test(name) || name.includes("..")) throw notFound();
      const body = await files.read(`assets/${name}`);
      if (!body) throw notFound();
      f = await hold(name, body);
      assets.set(name, f);
    }
    return send(c, f, { "cache-control": IMMUTABLE, "x-content-type-options": "nosniff" });
  });
}

const notFound = () => new HttpError(404, "E_NOT_FOUND", "No such resource");
