/**
 * Entry point of the launcher (`npm start`, `deno task start`, `multiwan daemon`): runs
 * the daemon with derived Deno permissions, or prints them with `permissions`.
 * @module
 */
import { launch } from "./launch.ts";

/** Deno's own: the launcher stays resident beside the daemon, and Node's `process` costs it ~4 MB there. */
const deno = (globalThis as { Deno?: { args: string[]; exit(code: number): never } }).Deno;
const exit = (code: number): never => (deno ? deno.exit(code) : process.exit(code));

launch(deno ? deno.args : process.argv.slice(2)).then(
  (code) => exit(code),
  (err) => {
    console.error(`multiwan: ${(err as Error).message}`);
    exit(1);
  },
);
