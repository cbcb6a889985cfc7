/**
 * `wan.ethernet`: a wired uplink.
 * @module
 */
import * as v from "valibot";
import type { WanPlugin } from "../../../src/index.ts";
import { deviceField, gatewayField, inspectDevice } from "../_shared/device.ts";

export const ethernetSchema = v.strictObject({ device: deviceField("eth1"), gateway: gatewayField });

export const ethernetWan = {
  id: "wan.ethernet",
  version: "1.0.0",
  kernel: "^1.0.0",
  title: "Ethernet",
  description: "A cable to a modem or an upstream router.",
  schema: ethernetSchema,
  statusFields: [{ key: "operstate", title: "Link" }, { key: "rxBytes", title: "Received", unit: "B" }, {
    key: "txBytes",
    title: "Sent",
    unit: "B",
  }],
  create(ctx, config) {
    return { device: config.device, inspect: () => inspectDevice(ctx, config.device, config.gateway) };
  },
} satisfies WanPlugin<typeof ethernetSchema>;
