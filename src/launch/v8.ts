/**
 * The V8 settings the daemon runs with.
 * - `--max-semi-space-size=2` (both runtimes): a young generation of 2 MB semi-spaces instead
 *   of V8's 16 MB. Under API load the young generation grew to its maximum and stayed
 *   resident (Deno: 77 MB idle became 117 MB after 10,000 requests with 50 event streams);
 *   with 2 MB, 92 MB, and more requests per second: the garbage of a request dies young.
 * - `--optimize-for-size` (Node only): V8 grows its old generation in smaller steps and
 *   collects sooner. The release bundle after 10,000 requests with 50 event streams open:
 *   98-116 MB (4 runs) became 77-85 MB (3 runs), the same idle RSS and idle CPU, about 15 %
 *   fewer requests per second in that test. Deno has `--lite-mode` instead (this flag did
 *   not lower its idle RSS).
 * - `--lite-mode` (Deno only): no optimizing compiler, feedback allocated lazily. The
 *   daemon's hot paths are small and mostly wait on the kernel; measured on Deno with 4
 *   uplinks x 3 targets: idle RSS 71 -> 66 MB at the same idle CPU (0.50 % of a core), API
 *   throughput unchanged. It also turns WebAssembly off: Deno's fetch, HTTP and crypto are
 *   native and do not mind, but Node's fetch (undici) parses HTTP with WebAssembly, so Node
 *   does without it (the release bundle test fails if a daemon logs an unhandled rejection).
 * - `--no-code-cache` (a `deno run` flag): Deno keeps compiled code in an SQLite cache that it
 *   maps into the process; without it the daemon compiles its sources at start (about 70 ms
 *   more, once) and its RSS is 3.5 MB smaller (sim world: 65.6 -> 62.1 MB).
 * `bench/linux/memory.bench.ts` and `bench/linux/idle.bench.ts` measure them (MEM_NODE_FLAGS,
 * MWT_DENO_FLAGS, MWT_NODE_FLAGS override).
 * @module
 */

const YOUNG = "--max-semi-space-size=2";

/** V8 flags for the daemon on Node. */
export const V8_FLAGS: readonly string[] = [YOUNG, "--optimize-for-size"];

/** V8 flags for the daemon on Deno. */
export const DENO_V8_FLAGS: readonly string[] = [YOUNG, "--lite-mode"];

/** The same as one `deno run` flag. */
export const DENO_V8_FLAG = `--v8-flags=${DENO_V8_FLAGS.join(",")}`;

/** The `deno run` flags for memory: the V8 flags and no code cache. */
export const DENO_RUN_FLAGS: readonly string[] = [DENO_V8_FLAG, "--no-code-cache"];
