/**
 * The demo router: four uplinks like the product page's example (Ethernet priority 1,
 * Repeater 2, Tethering 3, Cellular 4), in failover mode, probing simulated targets in
 * 198.18.0.0/15. Every uplink also has an IPv6 address in 2001:2::/48 (used by WANs whose
 * family is ipv6 or both). Nothing is sent anywhere.
 * @module
 */
import type { SimUplinkSpec } from "./world.ts";

export const demoUplinks: readonly SimUplinkSpec[] = [
  { device: "eth1", address: "198.18.1.2/30", gateway: "198.18.1.1", address6: "2001:2:0:1::2/64", gateway6: "2001:2:0:1::1", latencyMs: 8, jitterMs: 1 },
  { device: "wlan0", address: "198.18.2.2/30", gateway: "198.18.2.1", address6: "2001:2:0:2::2/64", gateway6: "2001:2:0:2::1", latencyMs: 25, jitterMs: 6, ssid: "CoffeeShop", signalDbm: -61 },
  { device: "usb0", address: "198.18.3.2/30", gateway: "198.18.3.1", address6: "2001:2:0:3::2/64", gateway6: "2001:2:0:3::1", latencyMs: 45, jitterMs: 10 },
  { device: "wwan0", address: "198.18.4.2/30", gateway: "198.18.4.1", address6: "2001:2:0:4::2/64", gateway6: "2001:2:0:4::1", latencyMs: 60, jitterMs: 15, signalPct: 72, operator: "SimTel" },
];

const targets = ["198.19.0.1", "198.19.0.2", "198.19.0.3"];

export const demoConfig = {
  mode: { type: "mode.failover", forcedRefresh: false },
  routing: { lastResort: "unreachable" },
  wans: {
    ethernet: { type: "wan.ethernet", label: "Ethernet", device: "eth1", priority: 1, tracker: { type: "tracker.ping", targets } },
    repeater: {
      type: "wan.repeater",
      label: "Repeater",
      device: "wlan0",
      priority: 2,
      tracker: { type: "tracker.ping", targets },
    },
    tethering: {
      type: "wan.tethering",
      label: "Tethering",
      device: "usb0",
      priority: 3,
      tracker: { type: "tracker.ping", targets },
    },
    cellular: {
      type: "wan.cellular",
      label: "Cellular",
      device: "wwan0",
      priority: 4,
      tracker: { type: "tracker.ping", targets },
    },
  },
};
