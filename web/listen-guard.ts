/**
 * A write must not cut the API off: a new `api.listen` address the router does not have
 * (not loopback, not a wildcard, not on any interface) is refused, naming the addresses it
 * does have. On Deno, reading the interfaces needs `--allow-sys=networkInterfaces` (the
 * launcher grants it); without it every new address is refused, with that reason.
 * @module
 */
import type { FieldIssue } from "../src/errors.ts";
import { host } from "../src/host/index.ts";
import { denoQuery } from "../src/launch/check.ts";
import { configuredListen } from "../src/listeners.ts";

/** listenOf reads `api.listen` (HOST:PORT strings) from a document; [] when absent. */
export function listenOf(doc: unknown): string[] {
  return configuredListen(doc) ?? [];
}

/** hostOf takes the host of HOST:PORT, without IPv6 brackets. */
export function hostOf(listen: string): string {
  return listen.replace(/:\d{1,5}$/, "").replace(/^\[|\]$/g, "");
}

/** Always present on a router: loopback and the wildcards. */
function alwaysThere(host: string): boolean {
  return host === "localhost" || host === "0.0.0.0" || host === "::" || host === "::1" || /^127\./.test(host);
}

/** netGranted tells whether this process may listen on HOST:PORT: always on Node, Deno's permission otherwise. */
export function netGranted(listen: string): boolean {
  const query = denoQuery();
  if (!query) return true;
  try {
    return query({ name: "net", host: listen }).state === "granted";
  } catch {
    return false;
  }
}

/** routerAddresses lists this machine's addresses; throws when the runtime may not read them. */
export function routerAddresses(): string[] {
  return host.interfaceAddresses().map((a) => a.replace(/%.*$/, ""));
}

/** Where foreignListen looks: the router's addresses, and (Deno) whether the process may listen there. */
export interface ListenChecks {
  readonly addresses?: () => string[];
  /** false: the running process lacks the permission to listen on HOST:PORT (the daemon binds at run time). */
  readonly granted?: (listen: string) => boolean;
}

/**
 * foreignListen returns an issue per `api.listen` entry of `doc` that is new (not in
 * `running`) and names an address the router does not have, or one the process may not
 * listen on.
 */
export function foreignListen(doc: unknown, running: unknown, o: ListenChecks = {}): FieldIssue[] {
  const before = new Set(listenOf(running));
  const added = listenOf(doc).map((l, i) => ({ l, i })).filter(({ l }) => !before.has(l));
  const fresh = added.filter(({ l }) => !alwaysThere(hostOf(l)));
  const issues: FieldIssue[] = [];
  if (fresh.length > 0) {
    let have: Set<string> | undefined;
    let why = "";
    try {
      have = new Set((o.addresses ?? routerAddresses)().map((a) => a.toLowerCase()));
    } catch (err) {
      why = `cannot read the router's addresses (${(err as Error).message.slice(0, 120)}); on Deno the daemon ` +
        "needs --allow-sys=networkInterfaces, which the launcher grants";
    }
    for (const { l, i } of fresh) {
      if (!have) issues.push({ path: `api.listen[${i}]`, message: `${l} refused: ${why}` });
      else if (!have.has(hostOf(l).toLowerCase())) {
        issues.push({
          path: `api.listen[${i}]`,
          message: `${hostOf(l)} is not an address of this router, so the API would be unreachable there ` +
            `(its addresses: ${[...have].sort().join(", ") || "none"}; loopback and 0.0.0.0/:: are always accepted)`,
        });
      }
    }
  }
  for (const { l, i } of added) {
    if (!o.granted || o.granted(l) || issues.some((x) => x.path === `api.listen[${i}]`)) continue;
    issues.push({
      path: `api.listen[${i}]`,
      message: `Needs --allow-net=${l}, which the running daemon lacks; save the change in the config file and restart ` +
        "through the launcher (npm start or multiwan daemon), which derives the permissions from the config",
    });
  }
  return issues;
}
