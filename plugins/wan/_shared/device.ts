/**
 * Shared by WAN types: the device and gateway fields, and the base inspection every type
 * starts from.
 * @module
 */
import * as v from "valibot";
import type { PluginContext, WanInspection } from "../../../src/index.ts";

export const deviceField = (example: string) =>
  v.pipe(
    v.string(),
    // What Linux's dev_valid_name() accepts, narrowed: 1 to 15 characters, no "/", ":" or
    // whitespace, and not "." or "..".
    v.regex(/^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,15}$/, "A network device name: letters, digits, _ . -, at most 15, not . or .."),
    v.title("Device"),
    v.description(`Kernel network device, e.g. ${example}.`),
  );

export const gatewayField = v.optional(
  v.pipe(
    v.string(),
    v.ipv4("Expected an IPv4 address"),
    v.title("Gateway"),
    v.description("Next hop; empty: learned from the routing table (DHCP)."),
  ),
);

/**
 * inspectDevice reads presence, carrier, addresses and gateways (IPv6 ones when the uplink has
 * them); `gateway` overrides the learned IPv4 one.
 */
export async function inspectDevice(
  ctx: PluginContext,
  device: string,
  gateway: string | undefined,
  details: Record<string, string | number | boolean | null> = {},
): Promise<WanInspection> {
  const info = await ctx.platform.links.get(device);
  return {
    device,
    present: info.present,
    carrier: info.present && info.carrier,
    address: info.address,
    gateway: gateway ?? info.gateway,
    ...(info.address6 ? { address6: info.address6 } : {}),
    ...(info.gateway6 ? { gateway6: info.gateway6 } : {}),
    details: { operstate: info.operstate, rxBytes: info.rxBytes, txBytes: info.txBytes, ...details },
  };
}

/** runTool runs an optional tool; `undefined` when it is missing or fails (status shows "unknown"). */
export async function runTool(ctx: PluginContext, argv: string[]): Promise<string | undefined> {
  try {
    const r = await ctx.platform.exec.run(argv, { timeoutMs: 2000 });
    return r && r.code === 0 ? r.stdout : undefined;
  } catch {
    return undefined;
  }
}
