/**
 * The host port for the runtime this runs on: {@link denoHost} on Deno, {@link nodeHost} on
 * Node, each loaded only there (see `types.ts` for why Deno does not use Node's modules).
 * @module
 */
import { isAbsolute, relativeFrom, resolveFrom } from "./path.ts";
import type { Host } from "./types.ts";

export type { Child, ChildExit, DirEntry, FileInfo, Host, SpawnOptions, Usage } from "./types.ts";
export { basename, dirname, fileUrl, isAbsolute, join, pathOfUrl } from "./path.ts";

const onDeno = typeof (globalThis as { Deno?: unknown }).Deno === "object";

/** The host the daemon runs on. */
export const host: Host = onDeno ? (await import("./deno.ts")).denoHost : (await import("./node.ts")).nodeHost;

/** resolve makes an absolute path from the parts, against the working folder when none is absolute. */
export function resolve(...parts: string[]): string {
  return resolveFrom(parts.some(isAbsolute) ? "/" : host.cwd(), ...parts);
}

/** relative gives the path from `from` to `to`. */
export function relative(from: string, to: string): string {
  return relativeFrom(isAbsolute(from) && isAbsolute(to) ? "/" : host.cwd(), from, to);
}
