/**
 * A write must not cut the API off: a new `api.listen` address the router does not have
 * (not loopback, not a wildcard, not on any interface) is refused, naming the addresses it
 * does have. On Deno, reading the interfaces needs `--allow-sys=networkInterfaces` (the
 * launcher grants it); without it every new address is refused, with that reason.
 * @module
 */
import { networkInterfaces } from "node:os";
import type { FieldIssue } from "../src/errors.ts";

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => !!x && typeof x === "object" && !Array.isArray(x);

/** listenOf reads `api.listen` (HOST:PORT strings) from a document. */
export function listenOf(doc: unknown): string[] {
  const api = isObject(doc) ? doc.api : undefined;
  const list = isObject(api) ? api.listen : undefined;
  return Array.isArray(list) ? list.filter((x): x is string => typeof x === "string") : [];
}

/** hostOf takes the host of HOST:PORT, without IPv6 brackets. */
export function hostOf(listen: string): string {
  return listen.replace(/:\d{1,5}$/, "").replace(/^\[|\]$/g, "");
}

/** Always present on a router: loopback and the wildcards. */
function alwaysThere(host: string): boolean {
  return host === "localhost" || host === "0.0.0.0" || host === "::" || host === "::1" || /^127\./.test(host);
}

/** routerAddresses lists this machine's addresses; throws when the runtime may not read them. */
export function routerAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address.replace(/%.*$/, "")));
}

/**
 * foreignListen returns an issue per `api.listen` entry of `doc` that is new (not in
 * `running`) and names an address the router does not have.
 */
export function foreignListen(doc: unknown, running: unknown, addresses: () => string[] = routerAddresses): FieldIssue[] {
  const before = new Set(listenOf(running));
  const fresh = listenOf(doc).map((l, i) => ({ l, i })).filter(({ l }) => !before.has(l) && !alwaysThere(hostOf(l)));
  if (fresh.length === 0) return [];
  let mine: string[];
  try {
    mine = addresses();
  } catch (err) {
    const why = `cannot read the router's addresses (${(err as Error).message.slice(0, 120)}); on Deno the daemon ` +
      "needs --allow-sys=networkInterfaces, which the launcher grants";
    return fresh.map(({ l, i }) => ({ path: `api.listen[${i}]`, message: `${l} refused: ${why}` }));
  }
  const have = new Set(mine.map((a) => a.toLowerCase()));
  return fresh.filter(({ l }) => !have.has(hostOf(l).toLowerCase())).map(({ l, i }) => ({
    path: `api.listen[${i}]`,
    message: `${hostOf(l)} is not an address of this router, so the API would be unreachable there ` +
      `(its addresses: ${[...have].sort().join(", ") || "none"}; loopback and 0.0.0.0/:: are always accepted)`,
  }));
}
