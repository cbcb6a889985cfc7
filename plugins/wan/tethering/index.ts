/**
 * `wan.tethering`: a USB phone sharing its connection. The device appears and vanishes
 * with the cable; a vanished device is down and is picked up again when it returns.
 * @module
 */
import * as v from "valibot";
import type { WanPlugin } from "../../../src/index.ts";
import { deviceField, gatewayField, inspectDevice } from "../_shared/device.ts";

export const tetheringSchema = v.strictObject({ device: deviceField("usb0"), gateway: gatewayField });

export const tetheringWan = {
  id: "wan.tethering",
  version: "1.0.0",
  kernel: "^1.0.0",
  title: "Tethering",
  description: "A phone on USB sharing its mobile connection.",
  schema: tetheringSchema,
  statusFields: [{ key: "attached", title: "Phone attached" }],
  create(ctx, config) {
    return {
      device: config.device,
      async inspect() {
        const base = await inspectDevice(ctx, config.device, config.gateway);
        return { ...base, details: { ...base.details, attached: base.present } };
      },
    };
  },
} satisfies WanPlugin<typeof tetheringSchema>;
