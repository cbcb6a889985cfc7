/**
 * Entry point of the launcher (`npm start`, `deno task start`, `multiwan daemon`): runs
 * the daemon with derived Deno permissions, or prints them with `permissions`.
 * @module
 */
import process from "node:process";
import { launch } from "./launch.ts";

launch(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`multiwan: ${(err as Error).message}`);
    process.exit(1);
  },
);
