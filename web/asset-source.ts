/**
 * Where the web app's own files come from (the built panel, the `/docs` page): in the
 * source tree, files under `web/` read from disk (or under `--web-dir`); in the release bundle (`npm run build`),
 * a map embedded at build time (`scripts/build-release.ts` defines `globalThis.__multiwanAssets`
 * as a constant, so nothing is read from disk and no `--allow-read` is needed for them).
 * @module
 */
import { host, pathOfUrl } from "../src/host/index.ts";

/** A read-only set of files addressed by relative path (`panel/dist/index.html`). */
export interface AssetSource {
  /** read gives the file's bytes, or undefined when there is no such file. */
  read(path: string): Promise<Uint8Array | undefined>;
  /** stamp changes when the file changes (its mtime on disk); undefined when absent. */
  stamp(path: string): Promise<number | undefined>;
}

/** Embedded files: `t:` + UTF-8 text or `b:` + base64, by path under `web/`. */
export type EmbeddedAssets = Readonly<Record<string, string>>;

/** diskAssets reads files under a folder. */
export function diskAssets(dir: string): AssetSource {
  const base = dir.endsWith("/") ? dir : `${dir}/`;
  return {
    read: (path) => host.readBytes(base + path).catch(() => undefined),
    stamp: (path) => host.stat(base + path).then((s) => (s.isFile ? s.mtimeMs : undefined), () => undefined),
  };
}

/** embeddedAssets serves a build-time map; each file is decoded once, on first read. */
export function embeddedAssets(files: EmbeddedAssets): AssetSource {
  const decoded = new Map<string, Uint8Array>();
  const has = (path: string) => Object.hasOwn(files, path);
  return {
    read(path) {
      if (!has(path)) return Promise.resolve(undefined);
      let body = decoded.get(path);
      if (!body) {
        const v = files[path];
        body = v.startsWith("b:") ? Uint8Array.from(atob(v.slice(2)), (ch) => ch.charCodeAt(0)) : new TextEncoder().encode(v.slice(2));
        decoded.set(path, body);
      }
      return Promise.resolve(body);
    },
    stamp: (path) => Promise.resolve(has(path) ? 0 : undefined),
  };
}

const embedded = (globalThis as { __multiwanAssets?: EmbeddedAssets }).__multiwanAssets;

let current: AssetSource = embedded !== undefined
  ? embeddedAssets(embedded)
  : diskAssets(pathOfUrl(new URL("./", import.meta.url)));

/**
 * webAssets are the files under `web/`: embedded in the release bundle, else on disk beside
 * this module, or in the folder {@link useWebDir} names.
 */
export const webAssets: AssetSource = { read: (path) => current.read(path), stamp: (path) => current.stamp(path) };

/**
 * useWebDir serves the files from `dir` (the daemon's `--web-dir`): the launcher runs a Deno
 * bundle built outside the source tree, where "beside this module" is the bundle's folder.
 */
export function useWebDir(dir: string): void {
  current = diskAssets(dir);
}

/** subAssets narrows a source to a folder inside it. */
export function subAssets(source: AssetSource, prefix: string): AssetSource {
  const p = prefix.endsWith("/") ? prefix : `${prefix}/`;
  return { read: (path) => source.read(p + path), stamp: (path) => source.stamp(p + path) };
}
