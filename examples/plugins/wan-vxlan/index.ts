/**
 * `wan.vxlan`: an uplink through a VXLAN tunnel to a remote endpoint (a box at another
 * site, a VPS, a second modem across the LAN). multiwan creates the device at start,
 * gives it its address and removes it at stop; health comes from the WAN's tracker.
 * A device that already exists is adopted as it is and left in place at stop.
 *
 * Loaded from its folder: `setup(sdk)` receives multiwan/sdk (no node_modules needed).
 * @module
 */
import type { Sdk } from "multiwan/sdk";

const DEVICE = /^[A-Za-z0-9_.-]{1,15}$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/(3[0-2]|[12]?\d)$/;

export function setup({ v, defineWan, ui, PluginError }: Sdk) {
  const schema = v.strictObject({
    device: v.pipe(v.string(), v.regex(DEVICE, "A device name: letters, digits, _ . -, at most 15"), v.title("Tunnel device"),
      v.description("The VXLAN device multiwan creates, e.g. vx42.")),
    vni: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(16_777_215), v.title("VNI"),
      v.description("VXLAN network identifier; both ends use the same.")),
    underlay: v.pipe(v.string(), v.regex(DEVICE, "A device name"), v.title("Underlay device"),
      v.description("The device the tunnel's UDP packets leave through, e.g. eth1.")),
    local: v.pipe(v.string(), v.ipv4(), v.title("Local endpoint"), v.description("This router's address on the underlay.")),
    remote: v.pipe(v.string(), v.ipv4(), v.title("Remote endpoint"), v.description("The far end's underlay address.")),
    address: v.pipe(v.string(), v.regex(CIDR, "An address with prefix, e.g. 198.18.51.2/30"), v.title("Tunnel address"),
      v.description("This end's address inside the tunnel, with prefix.")),
    gateway: v.pipe(v.string(), v.ipv4(), v.title("Gateway"), v.description("The far end's address inside the tunnel.")),
    port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65_535), v.title("UDP port"), ui({ advanced: true })), 4789),
    mtu: v.optional(v.pipe(v.number(), v.integer(), v.minValue(576), v.maxValue(9000), v.title("MTU"), ui({ advanced: true, unit: "B" })), 1450),
  });

  return defineWan({
    id: "wan.vxlan",
    version: "1.0.0",
    kernel: "^1.0.0",
    title: "VXLAN tunnel",
    description: "An uplink through a VXLAN tunnel to a remote endpoint; multiwan creates and removes the device.",
    schema,
    statusFields: [{ key: "vni", title: "VNI" }, { key: "remote", title: "Remote endpoint" }, { key: "owned", title: "Created by multiwan" }],
    create(ctx, c) {
      let owned = false;
      const ip = async (...args: string[]) => {
        const r = await ctx.platform.exec.run(["ip", ...args], { timeoutMs: 5000 });
        if (!r) throw new PluginError("E_VXLAN_NO_IP", "the ip tool is not installed");
        if (r.code !== 0) throw new PluginError("E_VXLAN_IP", `ip ${args.join(" ")}: ${r.stderr.trim()}`);
      };
      return {
        device: c.device,
        async start() {
          if ((await ctx.platform.links.get(c.device)).present) {
            ctx.log.info("{device} exists: adopted as it is", { device: c.device });
            return;
          }
          await ip("link", "add", c.device, "type", "vxlan", "id", String(c.vni), "local", c.local, "remote", c.remote,
            "dev", c.underlay, "dstport", String(c.port));
          owned = true;
          await ip("link", "set", c.device, "mtu", String(c.mtu));
          await ip("addr", "add", c.address, "dev", c.device);
          await ip("link", "set", c.device, "up");
        },
        async stop() {
          if (!owned) return;
          owned = false;
          await ip("link", "del", c.device);
        },
        async inspect() {
          const l = await ctx.platform.links.get(c.device);
          return {
            device: c.device,
            present: l.present,
            carrier: l.present && l.carrier,
            address: l.address,
            gateway: c.gateway,
            details: { vni: c.vni, remote: c.remote, owned },
          };
        },
      };
    },
  });
}
