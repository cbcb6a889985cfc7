/**
 * The API reference at `/docs`: our own small renderer of `/api/v1/openapi.json`
 * (`web/docs/docs.{html,js,css}`, plain files, no dependency, nothing from another host),
 * read once (from disk, or embedded in the release bundle) and kept in memory. It lists every
 * operation with its parameters, bodies, schemas and examples, and sends "try it" requests with the session or a token.
 * @module
 */
import { webAssets } from "./asset-source.ts";
import { type Held, hold } from "./static.ts";

/** The files of the docs page, by name. */
export const DOCS_FILES = ["docs.html", "docs.js", "docs.css"] as const;
export type DocsFile = typeof DOCS_FILES[number];

const held = new Map<DocsFile, Promise<Held>>();

/** docsFile reads one of the page's files the first time it is asked for. */
export function docsFile(name: DocsFile): Promise<Held> {
  let f = held.get(name);
  if (!f) {
    f = webAssets.read(`docs/${name}`).then((body) => {
      if (!body) throw new Error(`web/docs/${name} is missing`);
      return hold(name, body);
    });
    f.catch(() => held.delete(name));
    held.set(name, f);
  }
  return f;
}
