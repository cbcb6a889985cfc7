/**
 * A child that could not start, for both adapters: already closed, with the reason.
 * @module
 */
import type { Child, ChildExit } from "./types.ts";

/** unstarted reports `err` (its `code`, e.g. ENOENT, and message) as the child's end. */
export function unstarted(err: unknown): Child {
  const e = err as { code?: unknown; message?: string };
  const error = { code: typeof e.code === "string" ? e.code : undefined, message: e.message ?? String(err) };
  const closed = Promise.resolve<ChildExit>({ code: null, signal: null, error });
  return { pid: undefined, running: false, write() {}, end() {}, kill() {}, closed, abortOutput() {}, ref() {}, unref() {} };
}
