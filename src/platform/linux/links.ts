/**
 * Network devices: state and counters from /sys/class/net (no fork), addresses and gateways
 * of both families from `ip -json` (cached while the monitor runs; the IPv6 default route is
 * read only for devices with a global IPv6 address), change events from ONE long-lived
 * `ip -o monitor link address route` (iproute2 6.1 ignores -json for monitor).
 * Where sysfs is not readable (a test namespace via runner.netns; Deno without --allow-all)
 * the counters come from ONE long-lived `ip -s -json -batch -` (ip-batch.ts): still no fork
 * per read. Only if that cannot run is `ip -s -json link show` started per read.
 * @module
 */
import { type Child, host } from "../../host/index.ts";
import type { LinkEvent, LinkInfo, Links } from "../../platform.ts";
import type { LogFn } from "./dataplane.ts";
import { IpBatch, type IpLink, parseLinks } from "./ip-batch.ts";
import { checkDevice, lineSplitter, type Runner } from "./run.ts";

/** The device a monitor line is about, if any. */
export function monitorDevice(line: string): string | undefined {
  const m = /^(?:Deleted )?\d+: ([^:@\s]+)[@:\s]/.exec(line) ?? /\bdev (\S+)/.exec(line);
  return m?.[1];
}

/** A `ip -o monitor link` line ("3: eth1: <FLAGS> ..."), as opposed to address and route lines. */
export function isLinkLine(line: string): boolean {
  return /^(?:Deleted )?\d+: [^:\s]+(?:@\S+)?: </.test(line);
}

/** What a link line says of the device: present, carrier (LOWER_UP and not NO-CARRIER) and operstate. */
export function linkLineState(line: string): { present: boolean; carrier: boolean; operstate: string } | undefined {
  if (!isLinkLine(line)) return undefined;
  if (line.startsWith("Deleted ")) return { present: false, carrier: false, operstate: "absent" };
  const flags = /: <([^>]*)>/.exec(line)?.[1].split(",") ?? [];
  const state = / state (\S+)/.exec(line)?.[1];
  return { present: true, carrier: flags.includes("LOWER_UP") && !flags.includes("NO-CARRIER"), operstate: (state ?? "unknown").toLowerCase() };
}

interface L3 {
  address?: string;
  gateway?: string;
  address6?: string;
  gateway6?: string;
}

type AddrInfo = { family?: string; local?: string; prefixlen?: number; scope?: string; tentative?: boolean; deprecated?: boolean; dadfailed?: boolean };

/** The first usable global IPv6 address (not tentative, deprecated or failed DAD) with its prefix. */
export function globalAddress6(infos: readonly AddrInfo[]): string | undefined {
  const ok = infos.filter((x) => x.family === "inet6" && x.local && x.scope === "global" && !x.tentative && !x.dadfailed);
  const best = ok.find((x) => !x.deprecated) ?? ok[0];
  return best ? `${best.local}/${best.prefixlen}` : undefined;
}

/** Deno without --allow-all refuses every read under /sys and /proc ("Requires all access"). */
export class SysfsDenied extends Error {}

/** Reads one sysfs attribute synchronously: tens of microseconds, far cheaper than a thread-pool round trip each. */
function sys(dev: string, file: string): string | undefined {
  try {
    return host.readTextSync(`/sys/class/net/${dev}/${file}`).trim();
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e?.name === "NotCapable" || e?.name === "PermissionDenied" || /Requires (all|read) access/.test(e?.message ?? "")) {
      throw new SysfsDenied(e.message);
    }
    return undefined;
  }
}

function fromIp(dev: string, j: IpLink | undefined): LinkInfo {
  if (!j) return absent(dev);
  const flags = j.flags ?? [];
  return {
    device: dev, present: true, operstate: (j.operstate ?? "unknown").toLowerCase(),
    carrier: flags.includes("LOWER_UP") && !flags.includes("NO-CARRIER"),
    rxBytes: j.stats64?.rx.bytes ?? 0, txBytes: j.stats64?.tx.bytes ?? 0,
    rxPackets: j.stats64?.rx.packets ?? 0, txPackets: j.stats64?.tx.packets ?? 0,
  };
}

/** How long one `ip` reading answers every device's get() (the non-sysfs paths). */
export const IP_LINK_TTL_MS = 40;
/** Failed starts of the ip batch process after which reads fork `ip` each time. */
export const BATCH_GIVE_UP = 3;

export class LinuxLinks implements Links {
  #runner: Runner;
  #log: LogFn;
  #listeners = new Set<(ev: LinkEvent) => void>();
  #monitor?: Child;
  #cache = new Map<string, L3>();
  #backoffMs = 500;
  #timer?: ReturnType<typeof setTimeout>;
  #closed = false;

  #batch: IpBatch;
  #batchGaveUp = false;
  /** Presence/operstate/carrier per device, valid until the monitor reports an event for it. */
  #state = new Map<string, { present: boolean; operstate: string; carrier: boolean }>();
  #dev?: { at: number; map: Map<string, Counters> };
  /** The last IPv6 counters per device and the totals they were read at. */
  #six = new Map<string, { rx: number; tx: number; value: Snmp6 | undefined }>();

  constructor(runner: Runner, log: LogFn = () => {}) {
    this.#runner = runner;
    this.#log = log;
    this.#sysfs = !runner.netns;
    this.#batch = new IpBatch(runner, log);
  }

  /** How counters are read now: "sysfs", "ip-batch" (one long-lived process) or "ip-fork" (a process per read). */
  get counterSource(): "sysfs" | "ip-batch" | "ip-fork" {
    return this.#sysfs ? "sysfs" : this.#batchGaveUp ? "ip-fork" : "ip-batch";
  }

  /** How many `ip` batch processes were started (0 on the sysfs path). */
  get batchStarts(): number {
    return this.#batch.starts;
  }

  /** sysfs is readable (false in a test namespace, and on Deno without --allow-all). */
  #sysfs: boolean;
  #all?: { at: number; links: Promise<Map<string, IpLink>> };
  /** The devices of the last completed `ip -s -json link show`. */
  #lastLinks?: Map<string, IpLink>;
  /** Link-line state not yet returned by get() (the fork path only). */
  #said = new Map<string, { present: boolean; carrier: boolean; operstate: string }>();

  async get(device: string): Promise<LinkInfo> {
    const dev = checkDevice(device);
    let base: LinkInfo | undefined;
    if (this.#sysfs) {
      try {
        base = this.#viaSys(dev);
      } catch (err) {
        if (!(err instanceof SysfsDenied)) throw err;
        this.#sysfs = false;
        this.#log("info", "sysfs is not readable (Deno allows /sys only with --allow-all); reading counters from one long-lived `ip -s -json -batch -`", { why: err.message });
      }
    }
    base ??= await this.#viaIpAll(dev);
    if (!base.present) return base;
    const l3 = await this.#l3(dev);
    // IPv6-only counters of devices with a global IPv6 address: one small /proc read, no fork
    // (sysfs path only; in a test namespace or without the read permission they stay unknown).
    const six = this.#sysfs && l3.address6 ? this.#snmp6(dev, base) : undefined;
    const info: LinkInfo = { ...base, ...l3, ...(six ? { ipv6: six.ipv6, linkControl: six.control } : {}) };
    return info;
  }

  /**
   * The device's IPv6 counters, read again only when its totals moved since the last read: the
   * totals include every IPv6 packet, so unchanged totals mean unchanged IPv6 counters (an idle
   * uplink is read twice a second, and this read was a fifth of the daemon's idle CPU).
   */
  #snmp6(dev: string, totals: LinkInfo): Snmp6 | undefined {
    const last = this.#six.get(dev);
    if (last && last.rx === totals.rxPackets && last.tx === totals.txPackets) return last.value;
    const value = snmp6(dev);
    this.#six.set(dev, { rx: totals.rxPackets, tx: totals.txPackets, value });
    return value;
  }

  #viaSys(dev: string): LinkInfo {
    // Presence, operstate and carrier change only with a link event: while the monitor runs
    // they are read once per event, not at every counter poll.
    let state = this.#monitor ? this.#state.get(dev) : undefined;
    if (!state) {
      const operstate = sys(dev, "operstate");
      state = { operstate: operstate ?? "absent", carrier: operstate !== undefined && sys(dev, "carrier") === "1", present: operstate !== undefined };
      if (this.#monitor) this.#state.set(dev, state);
    }
    if (!state.present) return absent(dev);
    const c = this.#procNetDev().get(dev);
    const num = (f: string) => Number(sys(dev, `statistics/${f}`) ?? 0);
    return {
      device: dev, present: true, operstate: state.operstate, carrier: state.carrier,
      rxBytes: c?.rxBytes ?? num("rx_bytes"), txBytes: c?.txBytes ?? num("tx_bytes"),
      rxPackets: c?.rxPackets ?? num("rx_packets"), txPackets: c?.txPackets ?? num("tx_packets"),
    };
  }

  /** Every device's counters from ONE read of /proc/net/dev, shared by the reads of IP_LINK_TTL_MS. */
  #procNetDev(): Map<string, Counters> {
    const now = performance.now();
    if (this.#dev && now - this.#dev.at <= IP_LINK_TTL_MS) return this.#dev.map;
    let map: Map<string, Counters>;
    try {
      map = parseProcNetDev(host.readTextSync("/proc/net/dev"));
    } catch (err) {
      const e = err as Error;
      if (e?.name === "NotCapable" || e?.name === "PermissionDenied") throw new SysfsDenied(e.message);
      map = new Map();
    }
    this.#dev = { at: now, map };
    return map;
  }

  /** One `ip -s -json link show` for all devices, shared by the get() calls of IP_LINK_TTL_MS. */
  async #viaIpAll(dev: string): Promise<LinkInfo> {
    // The read a link event triggers needs no fork: the monitor line said presence, carrier and
    // operstate (and it is the newest news); the counters are those of the last read.
    const said = this.#said.get(dev);
    if (said) {
      this.#said.delete(dev);
      if (!said.present) return absent(dev);
      const j = this.#lastLinks?.get(dev);
      if (j) return { ...fromIp(dev, j), ...said };
    }
    const now = performance.now();
    if (!this.#all || now - this.#all.at > IP_LINK_TTL_MS) {
      const links = this.#readAll().then((map) => {
        this.#lastLinks = map;
        return map;
      });
      this.#all = { at: now, links };
      links.catch(() => {
        if (this.#all?.links === links) this.#all = undefined;
      });
    }
    return fromIp(dev, (await this.#all.links).get(dev));
  }

  /** All devices from the batch process; after it failed to run BATCH_GIVE_UP times, one fork per read. */
  async #readAll(): Promise<Map<string, IpLink>> {
    if (!this.#batchGaveUp) {
      try {
        return await this.#batch.links();
      } catch (err) {
        if (this.#batch.failures < BATCH_GIVE_UP) throw err;
        this.#batchGaveUp = true;
        this.#batch.close();
        this.#log("warning", "the ip batch process keeps failing; reading counters with one `ip -s -json link show` per read", { why: (err as Error).message });
      }
    }
    return parseLinks((await this.#runner.run(["ip", "-s", "-json", "link", "show"])).stdout);
  }

  async #l3(dev: string): Promise<L3> {
    const hit = this.#monitor ? this.#cache.get(dev) : undefined;
    if (hit) return hit;
    // Addresses of both families in one read; the IPv6 default route only where there is a global IPv6 address.
    const [a, g] = await Promise.all([
      this.#runner.run(["ip", "-json", "addr", "show", "dev", dev], { okCodes: [0, 1] }),
      this.#runner.run(["ip", "-4", "-json", "route", "show", "default", "dev", dev], { okCodes: [0, 1] }),
    ]);
    const addrs = a.code === 0 ? (JSON.parse(a.stdout || "[]") as { addr_info?: AddrInfo[] }[]) : [];
    const info = addrs[0]?.addr_info?.find((x) => x.family === "inet" && x.local);
    const routes = g.code === 0 ? (JSON.parse(g.stdout || "[]") as { gateway?: string }[]) : [];
    const address6 = globalAddress6(addrs[0]?.addr_info ?? []);
    let gateway6: string | undefined;
    if (address6) {
      const g6 = await this.#runner.run(["ip", "-6", "-json", "route", "show", "default", "dev", dev], { okCodes: [0, 1] });
      const r6 = g6.code === 0 ? (JSON.parse(g6.stdout || "[]") as { gateway?: string; metric?: number }[]) : [];
      gateway6 = r6.filter((x) => x.gateway).sort((x, y) => (x.metric ?? 0) - (y.metric ?? 0))[0]?.gateway;
    }
    const l3: L3 = {
      address: info ? `${info.local}/${info.prefixlen}` : undefined, gateway: routes.find((x) => x.gateway)?.gateway,
      ...(address6 ? { address6 } : {}), ...(gateway6 ? { gateway6 } : {}),
    };
    this.#cache.set(dev, l3);
    return l3;
  }

  watch(listener: (ev: LinkEvent) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#monitor && !this.#timer) this.#startMonitor();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stopMonitor();
    };
  }

  #startMonitor(): void {
    this.#timer = undefined;
    if (this.#closed || this.#listeners.size === 0) return;
    const onLine = (line: string) => {
      const dev = monitorDevice(line);
      if (!dev) return;
      this.#backoffMs = 500;
      this.#all = undefined; // later reads fetch the state after this event
      this.#state.delete(dev);
      const said = linkLineState(line);
      if (said && !this.#sysfs) this.#said.set(dev, said); // the inspection the event triggers reads it from the line
      // A carrier change (a link line) keeps the address and gateway: no fork on the failover path.
      // Address and route lines, and a vanished device, invalidate them.
      if (!isLinkLine(line) || line.startsWith("Deleted ")) this.#cache.delete(dev);
      const ev = { device: dev, at: Date.now() };
      for (const l of this.#listeners) {
        try {
          l(ev);
        } catch { /* a listener's failure is its own */ }
      }
    };
    const child = this.#runner.spawn(["ip", "-o", "monitor", "link", "address", "route"], { onStdout: lineSplitter(onLine) });
    this.#monitor = child;
    this.#cache.clear();
    this.#state.clear(); // events were missed while no monitor ran
    void child.closed.then(({ code, signal }) => {
      if (this.#monitor !== child) return;
      this.#monitor = undefined;
      this.#cache.clear();
      if (this.#closed || this.#listeners.size === 0) return;
      this.#log("warning", "ip monitor stopped; restarting", { code: code ?? signal });
      this.#timer = setTimeout(() => this.#startMonitor(), this.#backoffMs);
      this.#backoffMs = Math.min(this.#backoffMs * 2, 30_000);
    });
  }

  #stopMonitor(): void {
    this.#state.clear();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const m = this.#monitor;
    this.#monitor = undefined;
    m?.kill("SIGTERM");
    this.#cache.clear();
  }

  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    this.#stopMonitor();
    this.#batch.close();
  }
}

type Counters = { rxBytes: number; rxPackets: number; txBytes: number; txPackets: number };

/** What /proc/net/dev_snmp6/<dev> says: IPv6 traffic less link-local control, and that control. */
export interface Snmp6 {
  readonly ipv6: Counters;
  readonly control: { readonly rxPackets: number; readonly txPackets: number };
}

/** parseSnmp6 reads /proc/net/dev_snmp6/<dev>: the device's IPv6 packets (less link-local control) and bytes in and out. */
export function parseSnmp6(text: string): Snmp6 | undefined {
  const v = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [k, n] = line.trim().split(/\s+/);
    if (k && n !== undefined && Number.isFinite(Number(n))) v.set(k, Number(n));
  }
  if (!v.has("Ip6InReceives")) return undefined;
  // Link-local control (neighbour discovery, router advertisements, MLD) keeps flowing while the
  // uplink's upstream is silent: it is not evidence that traffic arrives, so it is not counted.
  const control = (dir: "In" | "Out") => LINK_CONTROL.reduce((n, k) => n + (v.get(`Icmp6${dir}${k}`) ?? 0), 0);
  const controlIn = control("In");
  const controlOut = control("Out");
  return {
    ipv6: {
      rxPackets: Math.max(0, (v.get("Ip6InReceives") ?? 0) - controlIn),
      // Forwarded packets (a router's LAN traffic) are counted apart from the router's own.
      txPackets: Math.max(0, (v.get("Ip6OutRequests") ?? 0) + (v.get("Ip6OutForwDatagrams") ?? 0) - controlOut),
      rxBytes: v.get("Ip6InOctets") ?? 0, txBytes: v.get("Ip6OutOctets") ?? 0,
    },
    control: { rxPackets: controlIn, txPackets: controlOut },
  };
}

const LINK_CONTROL = [
  "RouterSolicits", "RouterAdvertisements", "NeighborSolicits", "NeighborAdvertisements", "Redirects",
  "GroupMembQueries", "GroupMembResponses", "GroupMembReductions", "MLDv2Reports",
];

function snmp6(dev: string): Snmp6 | undefined {
  try {
    return parseSnmp6(host.readTextSync(`/proc/net/dev_snmp6/${dev}`));
  } catch {
    return undefined; // IPv6 disabled on the device, or not readable: unknown
  }
}

/** parseProcNetDev reads /proc/net/dev: per device, receive bytes, packets ... then transmit bytes, packets .... */
export function parseProcNetDev(text: string): Map<string, Counters> {
  const map = new Map<string, Counters>();
  for (const line of text.split("\n").slice(2)) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const f = line.slice(i + 1).trim().split(/\s+/).map(Number);
    if (f.length < 10 || f.some((x) => !Number.isFinite(x))) continue;
    map.set(line.slice(0, i).trim(), { rxBytes: f[0], rxPackets: f[1], txBytes: f[8], txPackets: f[9] });
  }
  return map;
}

function absent(device: string): LinkInfo {
  return { device, present: false, carrier: false, operstate: "absent", rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 };
}
