/**
 * Where an mwan3 interface's uplink lives: its Linux device and our WAN type, read from
 * OpenWrt's `network` (netifd interfaces, `config device` bridges) and `wireless` (Wi-Fi
 * client sections) files. Names say nothing reliable about the medium; the protocol and
 * the device do.
 * @module
 */
import { IPV4, SectionReader, type Warnings } from "./reader.ts";
import { sectionNamed, type UciFile, type UciSection } from "./uci.ts";

export type WanType = "wan.ethernet" | "wan.repeater" | "wan.tethering" | "wan.cellular";

/** The uplink found for one interface. */
export interface Uplink {
  readonly type: WanType;
  readonly device: string;
  /** Static next hop (proto static `gateway`), when IPv4. */
  readonly gateway?: string;
  /** False when netifd or the wireless config turns it off, or the interface does not exist. */
  readonly enabled: boolean;
}

export interface NetworkFiles {
  readonly network?: UciFile;
  readonly wireless?: UciFile;
}

const DEVICE = /^[A-Za-z0-9_.-]{1,15}$/;
const CELLULAR = new Set(["qmi", "mbim", "ncm", "3g", "modemmanager", "wwan", "directip"]);
const PPP = new Set(["pppoe", "pppoa", "pptp", "ppp", "l2tp"]);
const PLAIN = new Set(["static", "dhcp", "dhcpv6", "none"]);

/** A `wan` logical interface name, made usable as a device name when nothing better is known. */
function placeholder(iface: string): string {
  const d = iface.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 15);
  return d === "" ? "eth1" : d;
}

function interfaceSection(net: UciFile, iface: string): UciSection | undefined {
  return sectionNamed(net, iface, "interface");
}

/** l3Device gives the netdev of a plain-protocol interface (following `@other`), or undefined. */
function l3Device(net: UciFile, iface: string, seen: Set<string>): string | undefined {
  const s = interfaceSection(net, iface);
  if (!s || seen.has(iface)) return undefined;
  seen.add(iface);
  const proto = s.options.get("proto")?.values.at(-1) ?? "none";
  if (PPP.has(proto)) return `${proto}-${iface}`;
  if (proto === "3g") return `3g-${iface}`;
  if (s.options.get("type")?.values.at(-1) === "bridge") return `br-${iface}`;
  const dev = (s.options.get("device") ?? s.options.get("ifname"))?.values[0]?.split(/\s+/)[0];
  if (dev?.startsWith("@")) return l3Device(net, dev.slice(1), seen);
  return dev;
}

/** resolveUplink finds the device and type of the mwan3 interface `iface`; `at` is the mwan3 section. */
export function resolveUplink(iface: string, files: NetworkFiles, at: SectionReader, warnings: Warnings): Uplink {
  const net = files.network;
  if (!net) {
    const device = placeholder(iface);
    at.warn(null, `no network file: device assumed ${JSON.stringify(device)}, type Ethernet; check both (pass the network file)`);
    return { type: "wan.ethernet", device, enabled: true };
  }
  const section = interfaceSection(net, iface);
  if (!section) {
    const device = placeholder(iface);
    at.warn(null, `no interface ${iface} in the network file, so mwan3 left it inert; imported disabled, device assumed ${JSON.stringify(device)}`);
    return { type: "wan.ethernet", device, enabled: false };
  }
  const r = new SectionReader(net, section, warnings);
  let enabled = true;
  if (r.bool("disabled") === true) {
    r.warn("disabled", "netifd ignores this interface; the WAN is imported disabled");
    enabled = false;
  }
  if (r.str("auto") !== undefined && r.bool("auto") === false) {
    r.warn("auto", "not brought up at boot; multiwan still tracks the device whenever it is present");
  }
  const proto = r.str("proto") ?? "none";
  const gw = r.str("gateway");
  const gateway = proto === "static" && gw !== undefined && IPV4.test(gw) ? gw : undefined;
  const found = byProto(iface, proto, net, files.wireless, r, warnings);
  if (!DEVICE.test(found.device)) {
    const device = placeholder(iface);
    r.warn(null, `${JSON.stringify(found.device)} is not a network device name; assumed ${JSON.stringify(device)}`);
    return { ...found, device, gateway, enabled: enabled && found.enabled };
  }
  return { ...found, gateway, enabled: enabled && found.enabled };
}

function byProto(
  iface: string,
  proto: string,
  net: UciFile,
  wireless: UciFile | undefined,
  r: SectionReader,
  warnings: Warnings,
): { type: WanType; device: string; enabled: boolean } {
  if (CELLULAR.has(proto)) {
    if (proto === "3g") return { type: "wan.cellular", device: `3g-${iface}`, enabled: true };
    const ifname = proto === "ncm" ? r.str("ifname") : undefined;
    if (ifname && DEVICE.test(ifname)) return { type: "wan.cellular", device: ifname, enabled: true };
    r.warn("proto", `the ${proto} modem's network device is found when it connects; assumed "wwan0", check with \`ip link\``);
    return { type: "wan.cellular", device: "wwan0", enabled: true };
  }
  const device = l3Device(net, iface, new Set());
  if (PPP.has(proto)) return { type: "wan.ethernet", device: device ?? `${proto}-${iface}`, enabled: true };
  const sta = wirelessClient(iface, wireless, warnings);
  if (sta) return sta;
  if (!PLAIN.has(proto)) {
    r.warn("proto", `protocol ${proto} has no matching WAN type; imported as Ethernet on ${JSON.stringify(device ?? iface)}`);
    return { type: "wan.ethernet", device: device ?? placeholder(iface), enabled: true };
  }
  if (device === undefined) {
    r.warn(null, 'no device and no Wi-Fi client for this interface; device assumed "phy0-sta0" (a Wi-Fi client?), check it');
    return { type: "wan.repeater", device: "phy0-sta0", enabled: true };
  }
  if (/^(usb|rndis)\d*$/.test(device)) return { type: "wan.tethering", device, enabled: true };
  return { type: "wan.ethernet", device, enabled: true };
}

/** wirelessClient finds a `wifi-iface` in mode `sta` attached to `iface`. */
function wirelessClient(
  iface: string,
  wireless: UciFile | undefined,
  warnings: Warnings,
): { type: WanType; device: string; enabled: boolean } | undefined {
  if (!wireless) return undefined;
  const section = wireless.sections.find((s) =>
    s.type === "wifi-iface" &&
    s.options.get("mode")?.values.at(-1) === "sta" &&
    (s.options.get("network")?.values ?? []).flatMap((v) => v.split(/\s+/)).includes(iface)
  );
  if (!section) return undefined;
  const r = new SectionReader(wireless, section, warnings);
  let enabled = true;
  if (r.bool("disabled") === true) {
    r.warn("disabled", "this Wi-Fi client is off; the WAN is imported disabled");
    enabled = false;
  }
  const radioName = r.str("device");
  const radio = radioName === undefined ? undefined : sectionNamed(wireless, radioName, "wifi-device");
  if (radio) {
    const rr = new SectionReader(wireless, radio, warnings);
    if (rr.bool("disabled") === true) {
      rr.warn("disabled", `the radio of ${iface}'s Wi-Fi client is off; the WAN is imported disabled`);
      enabled = false;
    }
  }
  const ifname = r.str("ifname");
  if (ifname && DEVICE.test(ifname)) return { type: "wan.repeater", device: ifname, enabled };
  const n = /^radio(\d+)$/.exec(radioName ?? "")?.[1] ?? "0";
  const device = `phy${n}-sta0`;
  r.warn("ifname", `the Wi-Fi client's device is created at run time; assumed ${JSON.stringify(device)} (older releases: wlan${n}), check with \`ip link\``);
  return { type: "wan.repeater", device, enabled };
}

/** sameUplink tells whether two interfaces sit on the same device (an IPv6 twin of an IPv4 WAN). */
export function sameUplink(net: UciFile | undefined, a: string, b: string): boolean {
  if (!net) return false;
  const da = l3Device(net, a, new Set());
  return da !== undefined && da === l3Device(net, b, new Set());
}
