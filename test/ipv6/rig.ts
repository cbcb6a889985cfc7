/**
 * Dual-stack test rig: the four sim uplinks of test/helpers.ts, each with an IPv6 address in
 * 2001:2::/48, and configs whose WANs carry both families with targets of both.
 */
import { FakeClock } from "../../src/clock.ts";
import { MemoryConfigStore } from "../../src/config/store.ts";
import { Kernel } from "../../src/kernel.ts";
import { silentLogger } from "../../src/log.ts";
import { createSimPlatform, type SimUplinkSpec } from "../../src/platform/sim/index.ts";
import { Registry } from "../../src/registry.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { type Rig, TARGETS, UPLINKS } from "../helpers.ts";

/** The helpers' uplinks, dual stack: uplink k has 2001:2:0:k::2/64 via 2001:2:0:k::1. */
export const DUAL_UPLINKS: readonly SimUplinkSpec[] = UPLINKS.map((u, i) => ({
  ...u,
  address6: `2001:2:0:${i + 1}::2/64`,
  gateway6: `2001:2:0:${i + 1}::1`,
}));

export const TARGETS6 = ["2001:2:ff::1", "2001:2:ff::2", "2001:2:ff::3"];

/** Four WANs by priority; `family` for all of them, targets of the families they carry. */
export function dualWans(mode: Record<string, unknown> = { type: "mode.failover" }, family = "both") {
  const targets = family === "both" ? [...TARGETS, ...TARGETS6] : family === "ipv6" ? TARGETS6 : TARGETS;
  const tracker = { type: "tracker.ping", targets };
  const wan = (type: string, device: string, priority: number) => ({ type, device, priority, family, tracker });
  return {
    mode,
    wans: {
      ethernet: wan("wan.ethernet", "eth1", 1),
      repeater: wan("wan.repeater", "wlan0", 2),
      tethering: wan("wan.tethering", "usb0", 3),
      cellular: { ...wan("wan.cellular", "wwan0", 4), nat6: true },
    },
  };
}

/** makeDualRig builds (but does not boot) a kernel over the dual-stack sim world. */
export function makeDualRig(config: unknown, seed = 7): Rig {
  const clock = new FakeClock(1_000_000);
  const platform = createSimPlatform({ clock, uplinks: DUAL_UPLINKS, seed });
  const store = new MemoryConfigStore();
  store.current = { doc: config, revision: 1 };
  const registry = new Registry();
  registry.registerAll(builtinPlugins);
  const kernel = new Kernel({ registry, platform, store, clock, log: silentLogger, pluginLogger: () => silentLogger });
  return { clock, platform, store, kernel, registry };
}
