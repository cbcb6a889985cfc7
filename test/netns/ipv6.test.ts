/**
 * IPv6 dual stack through the real Linux dataplane in the namespace testbed: ip6 marks,
 * `ip -6` rules and per-uplink IPv6 tables with the gateway a router advertisement left,
 * NAT66 only where `nat6` (ISP 2 routes the LAN prefix instead), per-family conntrack
 * flushes, IPv6 probes bound to an uplink, and a clean removal. Needs root plus ip, nft and
 * conntrack; otherwise it says so loudly and skips.
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type Carrier, diffPlans, EMPTY_PLAN, type PlanUplink, type RoutingPlan } from "../../src/plan.ts";
import type { EchoResult } from "../../src/platform.ts";
import { LinuxDataplane } from "../../src/platform/linux/dataplane.ts";
import { LinuxLinks, parseSnmp6 } from "../../src/platform/linux/links.ts";
import { LinuxProbes } from "../../src/platform/linux/probes.ts";
import { createRunner, hostOf } from "../../src/platform/linux/run.ts";
import { FlowDriver } from "./flow-driver.ts";
import { TEST_SETTINGS } from "./linux-harness.ts";
import {
  createTestbed, LAN6_CLIENT, missingPrerequisite, SERVER, SERVER6, SERVER_PORT, type Testbed, type TestUplink, waitReady,
} from "./testbed.ts";

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const missing = await missingPrerequisite();
if (missing) console.warn(`\n*** skipped: needs root and nft, ip, conntrack (${missing}) ***\n`);

describe("IPv6 device counters (/proc/net/dev_snmp6)", () => {
  it("parses a device's IPv6 packets and bytes, and refuses other text", () => {
    const text = "ifIndex\t3\nIp6InReceives   \t12\nIp6InOctets\t3400\nIp6OutRequests\t7\nIp6OutOctets\t900\n";
    assert.deepEqual(parseSnmp6(text), { rxPackets: 12, txPackets: 7, rxBytes: 3400, txBytes: 900 });
    assert.equal(parseSnmp6("Inter-|   Receive\n lo: 1 2 3"), undefined);
  });
});

/** A dual-stack plan uplink; NAT66 towards the ISPs that masquerade, none where the prefix is routed. */
function dual(u: TestUplink, extra: Partial<PlanUplink> = {}): PlanUplink {
  return {
    name: u.name, device: u.device, gateway: u.gateway, address: u.address, nat: true, index: u.k, ready: true,
    families: ["ipv4", "ipv6"], address6: u.address6, nat6: !u.routed6, ...extra,
  };
}

describe("IPv6 dual stack (linux dataplane, netns)", { skip: missing ? `needs root and nft, ip, conntrack: ${missing}` : undefined }, () => {
  let bed: Testbed;
  let lan: FlowDriver;
  let onRouter: FlowDriver;
  let dp: LinuxDataplane;
  let current: RoutingPlan = EMPTY_PLAN;
  const router = () => createRunner({ netns: bed.router });

  const plan = (carriers: readonly Carrier[], carriers6: readonly Carrier[] | undefined, over: Record<string, Partial<PlanUplink>> = {}): RoutingPlan => {
    const uplinks: Record<string, PlanUplink> = {};
    for (const u of bed.uplinks) uplinks[u.name] = dual(u, over[u.name]);
    return { uplinks, carriers, carriers6, lastResort: "unreachable", flush: [], summary: "ipv6 test" };
  };
  const apply = async (next: RoutingPlan) => {
    await dp.apply(next, diffPlans(current, next));
    current = next;
  };
  /** One new connection from the LAN to the server's address of one family: the uplink (or "failed: …"). */
  const connect = async (host: string, from = lan) => {
    const a = await from.request({ op: "connect", host, port: SERVER_PORT, timeoutMs: 1500 });
    if (!a.ok) return `failed: ${a.error}`;
    return bed.uplinkOf(a.source ?? "") ?? `unknown ${a.source}`;
  };
  const source6 = async () => (await lan.request({ op: "connect", host: SERVER6, port: SERVER_PORT, timeoutMs: 1500 })).source;
  const w = (wan: string, weight = 1): Carrier => ({ wan, weight });

  before(async () => {
    bed = await createTestbed();
    const server = bed.start(bed.internet, here("./http-echo-server.ts"), [`${SERVER},${SERVER6}`, String(SERVER_PORT)]);
    await waitReady(server);
    lan = new FlowDriver(bed.start(bed.lan, here("./flow-client.ts")));
    onRouter = new FlowDriver(bed.start(bed.router, here("./flow-client.ts")));
    await Promise.all([lan.ready(), onRouter.ready()]);
    dp = new LinuxDataplane(router());
    await dp.init(TEST_SETTINGS);
  });
  after(async () => {
    try {
      await dp?.close({ cleanup: true });
    } finally {
      lan?.close();
      onRouter?.close();
      await bed?.destroy();
    }
  });

  it("routes IPv4 and IPv6 clients by their own carriers at the same time", async () => {
    await apply(plan([w("ethernet")], [w("tethering")]));
    const [v4, v6, v4b, v6b] = await Promise.all([connect(SERVER), connect(SERVER6), connect(SERVER), connect(SERVER6)]);
    assert.deepEqual([v4, v6, v4b, v6b], ["ethernet", "tethering", "ethernet", "tethering"]);
    await apply(plan([w("cellular")], [w("ethernet")]));
    assert.deepEqual(await Promise.all([connect(SERVER), connect(SERVER6)]), ["cellular", "ethernet"]);
  });

  it("NAT66 only where the uplink says nat6; the routed prefix keeps the client's own address", async () => {
    await apply(plan([w("ethernet")], [w("repeater")]));
    assert.equal(await source6(), LAN6_CLIENT, "the delegated prefix is routed: no NAT");
    await apply(plan([w("ethernet")], [w("ethernet")]));
    assert.equal(await source6(), bed.uplinks[0].publicAddress6, "NAT66 at the router, then the ISP's masquerade");
    // Without NAT66 the ISP that handed out one network drops the LAN's source (BCP 38).
    await apply(plan([w("ethernet")], [w("ethernet")], { ethernet: { nat6: false } }));
    assert.match(await connect(SERVER6), /^failed/);
    await apply(plan([w("ethernet")], [w("ethernet")]));
    assert.equal(await connect(SERVER6), "ethernet");
  });

  it("splits new IPv6 connections by weight", async () => {
    await apply(plan([w("ethernet")], [w("ethernet"), w("tethering")]));
    const counts = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const n = await connect(SERVER6);
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort(), ["ethernet", "tethering"], JSON.stringify([...counts]));
    assert.ok((counts.get("ethernet") ?? 0) >= 8 && (counts.get("tethering") ?? 0) >= 8, JSON.stringify([...counts]));
  });

  it("flushes IPv6 flows of an uplink without touching its IPv4 flows; flows() counts both", async () => {
    await apply(plan([w("ethernet")], [w("ethernet")]));
    const f4 = "v4long", f6 = "v6long";
    assert.equal((await lan.request({ op: "open", flow: f4, host: SERVER, port: SERVER_PORT, timeoutMs: 1500 })).ok, true);
    assert.equal((await lan.request({ op: "open", flow: f6, host: SERVER6, port: SERVER_PORT, timeoutMs: 1500 })).ok, true);
    const ask = async (flow: string) => {
      const a = await lan.request({ op: "ask", flow, timeoutMs: 1500 });
      return a.ok ? bed.uplinkOf(a.source ?? "") : undefined;
    };
    assert.deepEqual([await ask(f4), await ask(f6)], ["ethernet", "ethernet"]);
    assert.ok((await dp.flows()).ethernet.flows >= 2, "both families' flows are counted");
    await apply(plan([w("ethernet")], [w("tethering")]));
    const n = await dp.flush(["ethernet"], "ipv6");
    assert.ok(n >= 1, `flushed ${n}`);
    assert.equal(await ask(f4), "ethernet", "the IPv4 flow keeps its uplink");
    assert.notEqual(await ask(f6), "ethernet", "the IPv6 flow left ethernet");
    assert.equal(await connect(SERVER6), "tethering");
    await lan.request({ op: "close", flow: f4 });
    await lan.request({ op: "close", flow: f6 });
  });

  it("applies the last resort to IPv6 when no uplink carries it", async () => {
    await apply(plan([w("ethernet")], []));
    assert.match(await connect(SERVER6), /^failed/);
    assert.equal(await connect(SERVER), "ethernet");
  });

  it("uses the plan's gateway6 or the one the advertisement left, per uplink table", async () => {
    await apply(plan([w("ethernet")], [w("cellular")], { cellular: { gateway6: "2001:2:0:4::1" } }));
    const r = router();
    const t1 = (await r.run(["ip", "-6", "route", "show", "table", String(TEST_SETTINGS.tableBase + 1)])).stdout;
    const t4 = (await r.run(["ip", "-6", "route", "show", "table", String(TEST_SETTINGS.tableBase + 4)])).stdout;
    assert.match(t1, /default via fe80::1 dev eth1/);
    assert.match(t4, /default via 2001:2:0:4::1 dev wwan0/);
    assert.equal(await connect(SERVER6), "cellular");
  });

  it("pins IPv6 echo probes to their uplink: ping -6 with the uplink's mark", async () => {
    await apply(plan([w("ethernet")], [w("ethernet")]));
    const probes = new LinuxProbes(router(), () => TEST_SETTINGS);
    try {
      const up = bed.uplinks[2]; // tethering: not a carrier
      const results: EchoResult[] = [];
      const s = probes.echo({
        binding: { wan: up.name, device: up.device, address: up.address, address6: hostOf(up.address6), index: up.k } as never,
        target: SERVER6, intervalMs: 50, timeoutMs: 300, size: 16,
      }, (r) => results.push(r));
      const deadline = Date.now() + 5000;
      while (!results.some((r) => r.ok) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(results.some((r) => r.ok), JSON.stringify(results.slice(-3)));
      // Silence tethering's ISP: the IPv6 echoes through it are lost although ethernet carries.
      await bed.setLoss(up.name, 100);
      const mark = results.length;
      await new Promise((r) => setTimeout(r, 700));
      const later = results.slice(mark + 1);
      await bed.setLoss(up.name, 0);
      await s.close();
      assert.ok(later.length > 0 && later.every((r) => !r.ok), JSON.stringify(later.slice(0, 3)));
    } finally {
      await probes.close();
    }
  });

  it("router sockets are balanced over IPv6 too and take the uplink's source", async () => {
    await apply(plan([w("ethernet")], [w("repeater")]));
    assert.equal(await connect(SERVER6, onRouter), "repeater");
  });

  it("links report the global IPv6 address and the IPv6 default gateway of a device", async () => {
    const links = new LinuxLinks(router());
    try {
      const up = bed.uplinks[1];
      const info = await links.get(up.device) as { address?: string; address6?: string; gateway6?: string };
      assert.equal(info.address, up.address);
      assert.equal(info.address6, up.address6);
      assert.equal(info.gateway6, up.gateway6);
      const lan0 = await links.get("lan0") as { address6?: string; gateway6?: string };
      assert.equal(lan0.address6, "2001:2:0:100::1/64");
      assert.equal(lan0.gateway6, undefined, "no default route on the LAN device");
    } finally {
      links.close();
    }
  });

  it("links inside the router namespace (sysfs path) count the device's IPv6 traffic apart", async () => {
    await apply(plan([w("ethernet")], [w("ethernet")]));
    const mod = (f: string) => JSON.stringify(fileURLToPath(new URL(f, import.meta.url)));
    const code = `const { LinuxLinks } = await import(${mod("../../src/platform/linux/links.ts")});
      const { createRunner } = await import(${mod("../../src/platform/linux/run.ts")});
      const l = new LinuxLinks(createRunner()); const a = await l.get("eth1");
      const b = await new Promise((r) => setTimeout(() => r(l.get("eth1")), 400)); l.close();
      console.log(JSON.stringify([a, b]));`;
    const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
    const argv = isDeno ? [process.execPath, "eval", code] : [process.execPath, "--import", "tsx", "--input-type=module", "-e", code];
    const ready = bed.exec(bed.router, argv);
    await new Promise((r) => setTimeout(r, isDeno ? 300 : 900)); // the first read happened
    for (let i = 0; i < 5; i++) assert.equal(await connect(SERVER6), "ethernet");
    type L = { address6?: string; gateway6?: string; rxPackets: number; ipv6?: { rxPackets: number; txPackets: number } };
    const [first, second] = JSON.parse((await ready).trim().split("\n").pop() ?? "[]") as L[];
    assert.equal(first.address6, bed.uplinks[0].address6);
    assert.equal(first.gateway6, "fe80::1");
    assert.ok(first.ipv6 && second.ipv6, JSON.stringify(first));
    assert.ok(second.ipv6.rxPackets >= first.ipv6.rxPackets && second.ipv6.rxPackets <= second.rxPackets);
  });

  it("close({cleanup}) leaves no ip -6 rule, route or table behind", async () => {
    await apply(plan([w("ethernet")], [w("ethernet"), w("repeater")]));
    const r = router();
    const P = TEST_SETTINGS.rulePriority;
    const ours = async () => {
      const rules = JSON.parse((await r.run(["ip", "-6", "-json", "rule", "show"])).stdout || "[]") as { priority: number }[];
      return rules.filter((x) => x.priority >= P && x.priority <= P + 99).length;
    };
    const routes = async () => {
      let n = 0;
      for (const u of bed.uplinks) n += (await r.run(["ip", "-6", "route", "show", "table", String(TEST_SETTINGS.tableBase + u.k)])).stdout.trim().length;
      return n;
    };
    assert.ok(await ours() > 0 && await routes() > 0, "installed first");
    await dp.close({ cleanup: true });
    assert.equal(await ours(), 0);
    assert.equal(await routes(), 0);
    assert.equal((await r.run(["nft", "list", "tables"])).stdout.includes("multiwan"), false);
    // The main table's RA-like default routes are untouched.
    assert.equal((await r.run(["ip", "-6", "route", "show", "default"])).stdout.trim().split("\n").length, 4);
  });
});
