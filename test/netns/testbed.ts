/**
 * A throw-away network of namespaces for root-only tests. Addresses come only from
 * 198.18.0.0/15 and 2001:2::/48 (RFC 5180); nothing is added to the init namespace (devices
 * are created with `ip -n`, peers moved straight into their namespace).
 *
 *   lan (198.18.100.2) ── lan0 ─ router ─ eth1  ── isp1 ──┐
 *                                        ├ wlan0 ── isp2 ──┤ internet: 198.19.0.1 (HTTP echo of the source)
 *                                        ├ usb0  ── isp3 ──┤ ISP k NATs to 198.19.k.1
 *                                        └ wwan0 ── isp4 ──┘
 * Router side of uplink k: 198.18.k.2/24, gateway 198.18.k.1.
 *
 * Dual stack: uplink k is also 2001:2:0:k::2/64 on the router; its ISP answers as fe80::1
 * (and 2001:2:0:k::1). The router's IPv6 default routes are static and look as a router
 * advertisement would leave them: `default via fe80::1 dev <uplink> proto ra`, one per uplink,
 * metric 1024 + k (no RA daemon runs). The LAN is 2001:2:0:100::/64 (client ::2, router ::1).
 * The internet answers on 2001:2:ff::1 (HTTP echo) and 2001:2:ff::2–4 (ping). ISP 2
 * (repeater) routes the LAN prefix as a delegated prefix (no NAT anywhere: the server sees
 * the client's own address); the other ISPs hand out one network, drop other sources (BCP 38)
 * and masquerade to 2001:2:f:k::1, so the router must NAT66 towards them (`nat6`). DAD is off (accept_dad=0,
 * nodad) so addresses are usable at once.
 * @module
 */
import { existsSync } from "node:fs";
import { type ChildProcess, spawn } from "node:child_process";
import { CHILD_ENV, createRunner, hostOf, type Runner } from "../../src/platform/linux/run.ts";

export const NS_PREFIX = "mwt-";
export const SERVER = "198.19.0.1";
export const SERVER_PORT = 80;
/** More addresses of the internet namespace that answer ping (tracker targets). */
export const EXTRA_TARGETS: readonly string[] = ["198.19.0.2", "198.19.0.3", "198.19.0.4"];
/** The internet server's IPv6 address (HTTP echo and ping). */
export const SERVER6 = "2001:2:ff::1";
/** More IPv6 addresses of the internet namespace that answer ping. */
export const EXTRA_TARGETS6: readonly string[] = ["2001:2:ff::2", "2001:2:ff::3", "2001:2:ff::4"];
/** The LAN's IPv6 prefix (delegated by ISP 2) and the LAN client's address in it. */
export const LAN6_PREFIX = "2001:2:0:100::/64";
export const LAN6_CLIENT = "2001:2:0:100::2";
/** The uplink whose ISP routes the LAN prefix (no NAT66 needed there). */
export const ROUTED6_UPLINK = "repeater";
const host = createRunner();

export interface TestUplink {
  readonly name: string;
  readonly device: string;
  readonly ns: string;
  readonly k: number;
  readonly address: string;
  readonly gateway: string;
  /** The source address the internet server sees for this uplink. */
  readonly publicAddress: string;
  /** Router side IPv6 address with prefix, e.g. 2001:2:0:1::2/64. */
  readonly address6: string;
  /** The ISP's link-local address, the IPv6 default gateway (as a router advertisement leaves it). */
  readonly gateway6: string;
  /** The IPv6 source the server sees for NATed traffic through this uplink (its ISP's masquerade, or the router's own address where the ISP routes). */
  readonly publicAddress6: string;
  /** Whether this ISP routes the LAN prefix (else it masquerades and the router needs NAT66). */
  readonly routed6: boolean;
}

export interface Testbed {
  readonly id: string;
  readonly router: string;
  readonly lan: string;
  readonly internet: string;
  readonly uplinks: readonly TestUplink[];
  /** Runs a command in a namespace of the bed. */
  exec(ns: string, argv: readonly string[], stdin?: string): Promise<string>;
  /** Starts a long-lived script (TypeScript, same runtime as the test) inside a namespace. */
  start(ns: string, script: string, args?: readonly string[]): ChildProcess;
  /** Drops `pct` % of forwarded packets at the uplink's ISP (0 = none, 100 = silent failure); of one family when given. */
  setLoss(uplink: string, pct: number, family?: "ipv4" | "ipv6"): Promise<void>;
  /** Carrier of the uplink: its ISP's side of the link goes down or up (routes of the ISP put back). */
  setCarrier(uplink: string, up: boolean): Promise<void>;
  /** Maps a public (server-seen) address, IPv4 or IPv6, to the uplink name. */
  uplinkOf(publicAddress: string): string | undefined;
  destroy(): Promise<void>;
}

/** Why root tests cannot run here, or undefined when they can. */
export async function missingPrerequisite(): Promise<string | undefined> {
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "not root";
  for (const tool of [["ip", "-V"], ["nft", "--version"], ["conntrack", "--version"]]) {
    try {
      await host.run(tool, { timeoutMs: 5000 });
    } catch {
      return `${tool[0]} missing`;
    }
  }
  return undefined;
}

/** Command line running `script` with the runtime running this test (Node + tsx or Deno). */
export function runtimeArgv(script: string, args: readonly string[] = []): string[] {
  const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
  return isDeno ? [process.execPath, "run", "--allow-all", script, ...args] : [process.execPath, "--import", "tsx", script, ...args];
}

/** Deletes namespaces of earlier runs whose process is gone (the pid is in the name). */
export async function cleanupStale(): Promise<string[]> {
  const { stdout } = await host.run(["ip", "netns", "list"]);
  const removed: string[] = [];
  for (const line of stdout.split("\n")) {
    const name = line.split(" ")[0];
    const m = /^mwt-(\d+)-[a-z0-9]+-/.exec(name);
    if (!m || existsSync(`/proc/${m[1]}`)) continue;
    await removeNamespace(name);
    removed.push(name);
  }
  return removed;
}

async function removeNamespace(name: string): Promise<void> {
  const pids = await host.run(["ip", "netns", "pids", name], { okCodes: [0, 1, 255] });
  for (const p of pids.stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(p), "SIGKILL");
    } catch { /* already gone */ }
  }
  await host.run(["ip", "netns", "del", name], { okCodes: [0, 1, 255] });
}

const NAMES = [["ethernet", "eth1"], ["repeater", "wlan0"], ["tethering", "usb0"], ["cellular", "wwan0"]] as const;

/** createTestbed builds the namespaces; on any failure it removes what it built. */
export async function createTestbed(): Promise<Testbed> {
  await cleanupStale();
  const id = `${NS_PREFIX}${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const router = `${id}-r`, lan = `${id}-lan`, internet = `${id}-net`;
  const created: string[] = [];
  const children = new Set<ChildProcess>();
  const ip = (ns: string, ...a: string[]) => host.run(["ip", "-n", ns, ...a]);
  const exec = async (ns: string, argv: readonly string[], stdin?: string) =>
    (await host.run(["ip", "netns", "exec", ns, ...argv], { stdin })).stdout;
  const uplinks: TestUplink[] = NAMES.map(([name, device], i) => ({
    name, device, k: i + 1, ns: `${id}-isp${i + 1}`,
    address: `198.18.${i + 1}.2/24`, gateway: `198.18.${i + 1}.1`, publicAddress: `198.19.${i + 1}.1`,
    address6: `2001:2:0:${i + 1}::2/64`, gateway6: "fe80::1", routed6: name === ROUTED6_UPLINK,
    publicAddress6: name === ROUTED6_UPLINK ? `2001:2:0:${i + 1}::2` : `2001:2:f:${i + 1}::1`,
  }));
  const destroy = async () => {
    for (const c of children) c.kill("SIGKILL");
    children.clear();
    for (const ns of created.reverse()) await removeNamespace(ns);
    created.length = 0;
  };
  try {
    for (const ns of [router, lan, internet, ...uplinks.map((u) => u.ns)]) {
      await host.run(["ip", "netns", "add", ns]);
      created.push(ns);
      await ip(ns, "link", "set", "lo", "up");
      await exec(ns, ["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"]);
      await exec(ns, [
        "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
        "net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0",
        // An ISP's side going down and up (a carrier fault) keeps its IPv6 addresses, as IPv4's stay.
        "net.ipv6.conf.all.keep_addr_on_down=1", "net.ipv6.conf.default.keep_addr_on_down=1",
      ]);
    }
    const ip6 = (ns: string, addr: string, dev: string) => ip(ns, "-6", "addr", "add", addr, "dev", dev, "nodad");
    await ip(internet, "addr", "add", `${SERVER}/32`, "dev", "lo");
    for (const t of EXTRA_TARGETS) await ip(internet, "addr", "add", `${t}/32`, "dev", "lo");
    for (const t of [SERVER6, ...EXTRA_TARGETS6]) await ip6(internet, `${t}/128`, "lo");
    await ip(router, "link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns", lan);
    await ip(router, "addr", "add", "198.18.100.1/24", "dev", "lan0");
    await ip(router, "link", "set", "lan0", "up");
    await ip(lan, "addr", "add", "198.18.100.2/24", "dev", "eth0");
    await ip(lan, "link", "set", "eth0", "up");
    await ip(lan, "route", "add", "default", "via", "198.18.100.1");
    await ip6(router, "2001:2:0:100::1/64", "lan0");
    await ip6(lan, `${LAN6_CLIENT}/64`, "eth0");
    await ip(lan, "-6", "route", "add", "default", "via", "2001:2:0:100::1");
    for (const u of uplinks) {
      await ip(router, "link", "add", u.device, "type", "veth", "peer", "name", "cpe0", "netns", u.ns);
      await ip(router, "addr", "add", u.address, "dev", u.device);
      await ip(router, "link", "set", u.device, "up");
      await ip(u.ns, "addr", "add", `${u.gateway}/24`, "dev", "cpe0");
      await ip(u.ns, "link", "set", "cpe0", "up");
      await ip(u.ns, "link", "add", "up0", "type", "veth", "peer", "name", `isp${u.k}`, "netns", internet);
      await ip(u.ns, "addr", "add", `${u.publicAddress}/24`, "dev", "up0");
      await ip(u.ns, "link", "set", "up0", "up");
      await ip(internet, "addr", "add", `198.19.${u.k}.254/24`, "dev", `isp${u.k}`);
      await ip(internet, "link", "set", `isp${u.k}`, "up");
      await ip(u.ns, "route", "add", "default", "via", `198.19.${u.k}.254`);
      await exec(u.ns, ["nft", "-f", "-"], [
        "table ip isp {",
        "  chain post { type nat hook postrouting priority srcnat; oifname \"up0\" masquerade; }",
        "  chain fault { type filter hook forward priority 0; }",
        "}",
        "table ip6 isp6 {",
        ...(u.routed6 ? [] : ["  chain post { type nat hook postrouting priority srcnat; oifname \"up0\" masquerade; }"]),
        // BCP 38: the ISP forwards only sources it handed out (its uplink network, the delegated prefix).
        `  chain bcp38 { type filter hook forward priority -10; iifname "cpe0" ip6 saddr != { 2001:2:0:${u.k}::/64${u.routed6 ? `, ${LAN6_PREFIX}` : ""} } drop; }`,
        "  chain fault { type filter hook forward priority 0; }",
        "}",
      ].join("\n"));
      // IPv6: the uplink network, the ISP's link-local gateway, the ISP's side to the internet.
      await ip6(router, u.address6, u.device);
      await ip6(u.ns, `2001:2:0:${u.k}::1/64`, "cpe0");
      await ip6(u.ns, "fe80::1/64", "cpe0");
      await ip6(u.ns, `2001:2:f:${u.k}::1/64`, "up0");
      await ip6(internet, `2001:2:f:${u.k}::fe/64`, `isp${u.k}`);
      await ip(u.ns, "-6", "route", "add", "default", "via", `2001:2:f:${u.k}::fe`);
      if (u.routed6) {
        // The delegated prefix: the ISP routes it to the router, the internet routes it (and the
        // router's own uplink network) to the ISP.
        await ip(u.ns, "-6", "route", "add", LAN6_PREFIX, "via", hostOf(u.address6));
        await ip(internet, "-6", "route", "add", LAN6_PREFIX, "via", `2001:2:f:${u.k}::1`);
        await ip(internet, "-6", "route", "add", `2001:2:0:${u.k}::/64`, "via", `2001:2:f:${u.k}::1`);
      }
      // What a router advertisement from this ISP would leave on the router.
      await ip(router, "-6", "route", "add", "default", "via", u.gateway6, "dev", u.device, "proto", "ra", "metric", String(1024 + u.k));
    }
    // The system default route (what DHCP on the ethernet uplink would install).
    await ip(router, "route", "add", "default", "via", uplinks[0].gateway, "dev", uplinks[0].device);
  } catch (err) {
    await destroy();
    throw err;
  }
  const bed: Testbed = {
    id, router, lan, internet, uplinks, exec, destroy,
    start(ns, script, args = []) {
      const argv = ["ip", "netns", "exec", ns, ...runtimeArgv(script, args)];
      const child = spawn(argv[0], argv.slice(1), { env: { ...CHILD_ENV }, stdio: ["pipe", "pipe", "inherit"], cwd: process.cwd() });
      children.add(child);
      child.on("exit", () => children.delete(child));
      return child;
    },
    async setLoss(name, pct, family) {
      const u = uplinks.find((x) => x.name === name);
      if (!u) throw new Error(`no uplink ${name}`);
      const rule = pct >= 100 ? "drop" : pct > 0 ? `numgen random mod 100 < ${Math.round(pct)} drop` : "";
      await exec(u.ns, ["nft", "-f", "-"], [
        "flush chain ip isp fault", "flush chain ip6 isp6 fault",
        ...(rule && family !== "ipv6" ? [`add rule ip isp fault ${rule}`] : []),
        ...(rule && family !== "ipv4" ? [`add rule ip6 isp6 fault ${rule}`] : []),
      ].join("\n") + "\n");
    },
    async setCarrier(name, up) {
      const u = uplinks.find((x) => x.name === name);
      if (!u) throw new Error(`no uplink ${name}`);
      await ip(u.ns, "link", "set", "cpe0", up ? "up" : "down");
      if (!up) return;
      // The link-local gateway address (not kept over a down, unlike the global ones) and the
      // delegated prefix's route left with the link: the ISP puts them back.
      await ip(u.ns, "-6", "addr", "replace", `${u.gateway6}/64`, "dev", "cpe0", "nodad");
      if (u.routed6) await ip(u.ns, "-6", "route", "replace", LAN6_PREFIX, "via", hostOf(u.address6), "dev", "cpe0");
    },
    uplinkOf(addr) {
      const a = addr.toLowerCase();
      if (a.startsWith(LAN6_PREFIX.split("::")[0] + ":")) return ROUTED6_UPLINK;
      return uplinks.find((u) => u.publicAddress === a || u.publicAddress6 === a)?.name;
    },
  };
  return bed;
}

/** A runner whose commands run inside the bed's router namespace. */
export function routerRunner(bed: Testbed): Runner {
  return createRunner({ netns: bed.router });
}

/** Waits for a child to print "ready". */
export function waitReady(child: import("node:child_process").ChildProcess, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("server not ready")), timeoutMs);
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once("exit", (c) => reject(new Error(`server exited ${c}`)));
  });
}
