/**
 * The nine built-in plugins, in one list for the composition root.
 * @module
 */
import type { AnyPlugin } from "../src/index.ts";
import { failoverMode } from "./mode/failover/index.ts";
import { loadBalanceMode } from "./mode/load-balance/index.ts";
import { httpingTracker } from "./tracker/httping/index.ts";
import { linkTracker } from "./tracker/link/index.ts";
import { pingTracker } from "./tracker/ping/index.ts";
import { cellularWan } from "./wan/cellular/index.ts";
import { ethernetWan } from "./wan/ethernet/index.ts";
import { repeaterWan } from "./wan/repeater/index.ts";
import { tetheringWan } from "./wan/tethering/index.ts";

export const builtinPlugins: readonly AnyPlugin[] = [
  pingTracker,
  httpingTracker,
  linkTracker,
  ethernetWan,
  repeaterWan,
  tetheringWan,
  cellularWan,
  failoverMode,
  loadBalanceMode,
];
