/**
 * The host port for the runtime this runs on: {@link denoHost} on Deno, {@link nodeHost} on
 * Node, each loaded only there (see `types.ts` for why Deno does not use Node's modules).
 * @module
 */
import type { Host } from "./types.ts";

export type { Child, ChildExit, DirEntry, FileInfo, Host, SpawnOptions } from "./types.ts";

const onDeno = typeof (globalThis as { Deno?: unknown }).Deno === "object";

/** The host the daemon runs on. */
export const host: Host = onDeno ? (await import("./deno.ts")).denoHost : (await import("./node.ts")).nodeHost;
