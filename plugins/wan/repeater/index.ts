/**
 * `wan.repeater`: the router as a Wi-Fi client of another network. SSID and signal come
 * from `iw` when it is installed; otherwise they are unknown.
 * @module
 */
import * as v from "valibot";
import type { WanPlugin } from "../../../src/index.ts";
import { deviceField, gatewayField, inspectDevice } from "../_shared/device.ts";
import { ToolCache } from "../_shared/tool-cache.ts";

export const repeaterSchema = v.strictObject({
  device: deviceField("wlan0"),
  gateway: gatewayField,
  ssid: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(32),
      v.title("Expected SSID"),
      v.description("When set, being associated to another network counts as down."),
    ),
  ),
});

/** parseIwLink reads SSID and signal (dBm) from `iw dev X link`. */
export function parseIwLink(text: string): { ssid: string | null; signalDbm: number | null } {
  if (/^Not connected/m.test(text)) return { ssid: null, signalDbm: null };
  const ssid = /^\s*SSID:\s*(.*)$/m.exec(text)?.[1] ?? null;
  const signal = /^\s*signal:\s*(-?\d+)\s*dBm/m.exec(text)?.[1];
  return { ssid, signalDbm: signal === undefined ? null : Number(signal) };
}

export const repeaterWan = {
  id: "wan.repeater",
  version: "1.0.0",
  kernel: "^1.0.0",
  title: "Repeater",
  description: "Wi-Fi client of another network (a hotspot, the neighbour's shop).",
  schema: repeaterSchema,
  statusFields: [{ key: "ssid", title: "SSID" }, { key: "signalDbm", title: "Signal", unit: "dBm" }],
  create(ctx, config) {
    const iw = new ToolCache(ctx, ["iw", "dev", config.device, "link"]);
    return {
      device: config.device,
      async inspect() {
        const link = await inspectDevice(ctx, config.device, config.gateway);
        const text = await iw.read(link);
        const wifi = text === undefined ? { ssid: null, signalDbm: null } : parseIwLink(text);
        const base = { ...link, details: { ...link.details, ...wifi } };
        const wrongNetwork = config.ssid !== undefined && wifi.ssid !== null && wifi.ssid !== config.ssid;
        return wrongNetwork ? { ...base, carrier: false } : base;
      },
    };
  },
} satisfies WanPlugin<typeof repeaterSchema>;
