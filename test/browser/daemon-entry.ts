/**
 * The daemon for the browser tests: `src/main.ts` with the test-only WAN type registered
 * next to the built-in plugins (until the daemon's `--plugins DIR` flag can load it).
 * Run: `node --import tsx test/browser/daemon-entry.ts --no-scenario --listen … --state-dir …`.
 * @module
 */
import process from "node:process";
import { main } from "../../src/main.ts";
import { Registry } from "../../src/registry.ts";
import { testonlyWan } from "../fixtures/plugins/wan-testonly/index.ts";

const registerAll = Registry.prototype.registerAll;
Registry.prototype.registerAll = function (this: Registry, plugins: Parameters<typeof registerAll>[0]) {
  const list = [...plugins];
  if (!list.some((p) => p.id === testonlyWan.id)) list.push(testonlyWan);
  return registerAll.call(this, list);
};

main(process.argv.slice(2)).catch((err) => {
  console.error(`multiwan (browser tests): ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
