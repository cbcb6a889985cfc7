/**
 * Preloaded into the daemon by `sse-fanout.bench.ts` (`deno run --preload` or
 * `node --import`): records how late every timer of 1 ms or more fires (the probe
 * scheduler's jitter, as bench/api/status.bench.ts measures it in-process) and, on SIGUSR2,
 * prints `LATENESS {"n":…,"p50":…,"p99":…,"max":…}` to stderr and starts over.
 * Benchmark use only: it changes nothing else.
 * @module
 */
import process from "node:process";

let lateness: number[] = [];
const original = globalThis.setTimeout;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const delay = Number(ms ?? 0);
  if (typeof fn !== "function" || !(delay >= 1)) return original(fn, ms, ...args);
  const due = performance.now() + delay;
  return original(() => {
    lateness.push(performance.now() - due);
    fn(...args);
  }, delay);
}) as typeof globalThis.setTimeout;

process.on("SIGUSR2", () => {
  const xs = lateness;
  lateness = [];
  const r = (x: number) => Math.round(x * 100) / 100;
  console.error(`LATENESS ${JSON.stringify({ n: xs.length, p50: r(pct(xs, 50)), p99: r(pct(xs, 99)), max: r(pct(xs, 100)) })}`);
});
