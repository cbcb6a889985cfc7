/**
 * The contract kit (`multiwan/sdk/testing`) over the nine built-in plugins: they pass it
 * as a third party's would.
 */
import { describe } from "node:test";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { testPlugin } from "../../src/sdk/testing.ts";

const configs: Record<string, Record<string, unknown>> = {
  "tracker.ping": { targets: ["198.19.0.1", "198.19.0.2"] },
  "tracker.httping": { urls: ["http://198.19.0.1/"] },
  "tracker.link": {},
  "wan.ethernet": { device: "eth1" },
  "wan.repeater": { device: "wlan0" },
  "wan.tethering": { device: "usb0" },
  "wan.cellular": { device: "wwan0" },
  "mode.failover": {},
  "mode.load-balance": {},
};

for (const plugin of builtinPlugins) {
  describe(`kit: ${plugin.id}`, () => testPlugin(plugin, { config: configs[plugin.id] ?? {} }));
}
