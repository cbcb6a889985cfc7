/**
 * `wan.cellular`: a mobile modem. Metered by default. Signal and operator come from
 * `mmcli` (ModemManager) when installed; data used from the interface counters.
 * @module
 */
import * as v from "valibot";
import type { WanPlugin } from "../../../src/index.ts";
import { deviceField, gatewayField, inspectDevice } from "../_shared/device.ts";
import { ToolCache } from "../_shared/tool-cache.ts";

export const cellularSchema = v.strictObject({
  device: deviceField("wwan0"),
  gateway: gatewayField,
  modem: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^(any|\d{1,3}|\/org\/freedesktop\/ModemManager1\/Modem\/\d{1,3})$/, "any, an index or a modem path"),
      v.title("Modem"),
      v.description("ModemManager modem to read signal and operator from."),
    ),
    "any",
  ),
});

/** parseMmcli reads signal quality (%) and operator from `mmcli -m X -J`. */
export function parseMmcli(text: string): { signalPct: number | null; operator: string | null; technology: string | null } {
  try {
    const m = JSON.parse(text)?.modem;
    const q = Number(m?.generic?.["signal-quality"]?.value);
    const op = m?.["3gpp"]?.["operator-name"];
    const tech = m?.generic?.["access-technologies"]?.[0];
    return {
      signalPct: Number.isFinite(q) ? q : null,
      operator: typeof op === "string" && op !== "--" ? op : null,
      technology: typeof tech === "string" ? tech : null,
    };
  } catch {
    return { signalPct: null, operator: null, technology: null };
  }
}

export const cellularWan = {
  id: "wan.cellular",
  version: "1.0.0",
  kernel: "^1.0.0",
  title: "Cellular",
  description: "A mobile modem (LTE/5G). Metered by default: traffic leaves it as soon as a better uplink is back.",
  schema: cellularSchema,
  wanDefaults: { metered: true },
  statusFields: [
    { key: "signalPct", title: "Signal", unit: "%" },
    { key: "operator", title: "Operator" },
    { key: "technology", title: "Technology" },
    { key: "dataUsedBytes", title: "Data used", unit: "B" },
  ],
  create(ctx, config) {
    const mmcli = new ToolCache(ctx, ["mmcli", "-m", config.modem, "-J"]);
    return {
      device: config.device,
      async inspect() {
        const link = await inspectDevice(ctx, config.device, config.gateway);
        const text = await mmcli.read(link);
        const modem = text === undefined ? { signalPct: null, operator: null, technology: null } : parseMmcli(text);
        const base = { ...link, details: { ...link.details, ...modem } as Record<string, string | number | boolean | null> };
        const used = Number(base.details.rxBytes ?? 0) + Number(base.details.txBytes ?? 0);
        return { ...base, details: { ...base.details, dataUsedBytes: used } };
      },
    };
  },
} satisfies WanPlugin<typeof cellularSchema>;
