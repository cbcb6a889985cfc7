/**
 * The V8 settings the daemon runs with.
 * - `--max-semi-space-size=2` on Deno, `=4` on Node: a young generation of small semi-spaces
 *   instead of V8's 16 MB. Under API load the young generation grew to its maximum and stayed
 *   resident (Deno: 77 MB idle became 117 MB after 10,000 requests with 50 event streams);
 *   with 2 MB, 92 MB, and more requests per second: the garbage of a request dies young. On
 *   Node (release bundle) 2 MB promoted in-flight requests to the old generation, which then
 *   peaked at 98-116 MB (4 runs); with 4 MB it peaks at 90.2-91.4 MB (3 runs) for 1 MB more
 *   idle RSS (67.1 MB in the namespace testbed). `--optimize-for-size` got the peak to 77-85
 *   MB, but its more frequent full collections put the carrier-loss failover p95 above 20 ms
 *   in 3 runs of 4 (26-43 ms, against 10-17 ms without it): not used.
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

/** V8 flags for the daemon on Node. */
export const V8_FLAGS: readonly string[] = ["--max-semi-space-size=4"];

/** V8 flags for the daemon on Deno. */
export const DENO_V8_FLAGS: readonly string[] = ["--max-semi-space-size=2", "--lite-mode"];

/** The same as one `deno run` flag. */
export const DENO_V8_FLAG = `--v8-flags=${DENO_V8_FLAGS.join(",")}`;

/** The `deno run` flags for memory: the V8 flags and no code cache. */
export const DENO_RUN_FLAGS: readonly string[] = [DENO_V8_FLAG, "--no-code-cache"];
