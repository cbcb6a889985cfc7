/**
 * IPv6 dual stack through the real Linux dataplane in the namespace testbed: ip6 marks,
 * `ip -6` rules and per-uplink IPv6 tables with the gateway a router advertisement left,
 * NAT66 only where `nat6` (ISP 2 routes the LAN prefix instead), per-family conntrack
 * flushes, IPv6 probes bound to an uplink, and a clean removal; then the REAL daemon with
 * dual-stack WANs: IPv6 failover (silent and carrier), an IPv6-only outage, the IPv6
 * load-balance split with IPv4 clients at the same time, and SIGTERM cleanup. Needs root plus
 * ip, nft, conntrack (and ping, curl for the daemon); otherwise it says so loudly and skips.
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
import { type Bed, configFor, type Daemon, disposeDaemon, makeBed, scenarioPrerequisite, startDaemon, type WanOptions } from "./daemon-harness.ts";
import { FlowDriver } from "./flow-driver.ts";
import { TEST_SETTINGS } from "./linux-harness.ts";
import {
  createTestbed, LAN6_CLIENT, missingPrerequisite, SERVER, SERVER6, SERVER_PORT, type Testbed, type TestUplink, waitReady,
} from "./testbed.ts";

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const missing = await missingPrerequisite();
if (missing) console.warn(`\n*** skipped: needs root and nft, ip, conntrack (${missing}) ***\n`);

describe("IPv6 device counters (/proc/net/dev_snmp6)", () => {
  it("parses a device's IPv6 packets (less link-local control) and bytes, and refuses other text", () => {
    const text = "ifIndex\t3\nIp6InReceives   \t12\nIp6InOctets\t3400\nIp6OutRequests\t7\nIp6OutOctets\t900\n" +
      "Icmp6InNeighborAdvertisements\t2\nIcmp6InRouterAdvertisements\t1\nIcmp6OutNeighborSolicits\t3\nIcmp6InEchoReplies\t4\n" +
      "Ip6OutForwDatagrams\t20\n";
    // Neighbour discovery and router advertisements are not traffic; echo replies and forwarded packets are.
    assert.deepEqual(parseSnmp6(text), {
      ipv6: { rxPackets: 9, txPackets: 24, rxBytes: 3400, txBytes: 900 },
      control: { rxPackets: 3, txPackets: 3 },
    });
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

const daemonMissing = missing ?? await scenarioPrerequisite();

/** The parts of the status these cases read (dual stack). */
interface Status6 {
  readonly plan: { readonly carriers: readonly { wan: string }[]; readonly carriers6?: readonly { wan: string }[] };
  readonly wans: readonly { name: string; state: string; reason: string; families?: Record<string, { state: string; reason: string }> }[];
}

describe("IPv6 with the real daemon (netns)", { skip: daemonMissing ? `needs root and nft, ip, conntrack, ping, curl: ${daemonMissing}` : undefined }, () => {
  let b: Bed;
  let d: Daemon | undefined;
  const log = (msg: string) => console.log(`# ${msg}`);
  const c6 = (s: Status6) => (s.plan.carriers6 ?? []).map((c) => c.wan).join(",");
  const c4 = (s: Status6) => s.plan.carriers.map((c) => c.wan).join(",");
  const dual = (o: WanOptions = {}): WanOptions => ({ tracker: { type: "tracker.ping", targets: [SERVER, SERVER6] }, ...o });
  /** A config whose WANs carry both families (NAT66 where the ISP does not route the LAN prefix). */
  const config = (wans: Record<string, WanOptions>, mode: Record<string, unknown> = { type: "mode.failover" }) => {
    const doc = configFor(b.bed, Object.fromEntries(Object.entries(wans).map(([n, o]) => [n, dual(o)])), mode);
    for (const [name, entry] of Object.entries(doc.wans as Record<string, Record<string, unknown>>)) {
      const u = b.uplink(name);
      Object.assign(entry, { family: "both", nat6: !u.routed6 });
    }
    return doc;
  };
  const connect6 = async (timeoutMs = 1500) => {
    const a = await b.lan.request({ op: "connect", host: SERVER6, port: SERVER_PORT, timeoutMs });
    return a.ok ? (b.bed.uplinkOf(a.source ?? "") ?? `unknown ${a.source}`) : `failed: ${a.error}`;
  };
  const firstVia6 = async (wan: string, t0: number, limitMs: number) => {
    let last = "";
    while (performance.now() - t0 < limitMs) {
      last = await connect6(300);
      if (last === wan) return performance.now() - t0;
    }
    throw new Error(`no IPv6 connection via ${wan} within ${limitMs} ms (last: ${last})`);
  };
  const waitFor = (pred: (s: Status6) => boolean, ms: number, what: string) =>
    d!.waitFor((s) => pred(s as unknown as Status6), ms, what) as unknown as Promise<Status6>;
  /** Waits for `pred` while a LAN client opens IPv6 connections (the traffic an idle uplink's suspicion needs). */
  const waitWith6 = async (pred: (s: Status6) => boolean, ms: number, what: string) => {
    let on = true;
    const loop = (async () => {
      while (on) {
        await connect6(300);
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
    try {
      return await waitFor(pred, ms, what);
    } finally {
      on = false;
      await loop;
    }
  };
  const reset = async () => {
    await disposeDaemon(d);
    d = undefined;
    for (const u of b.bed.uplinks) {
      await b.bed.setLoss(u.name, 0);
      await b.setCarrier(u.name, true);
    }
  };
  const twoUp = async () => {
    d = await startDaemon(b.bed, config({ ethernet: { priority: 1 }, repeater: { priority: 2 } }));
    await waitFor((s) => c4(s) === "ethernet" && c6(s) === "ethernet", 10_000, "ethernet carrying both families");
    assert.equal(await connect6(), "ethernet");
    assert.equal((await b.connect()).uplink, "ethernet");
  };

  before(async () => {
    b = await makeBed();
  });
  after(async () => {
    await reset().catch(() => {});
    await b?.destroy();
  });

  it("silent upstream outage on the primary → new IPv6 connections go out the backup", async () => {
    try {
      await twoUp();
      const t0 = performance.now();
      await b.bed.setLoss("ethernet", 100);
      const ms = await firstVia6("repeater", t0, 5000);
      log(`IPv6 silent outage: first new IPv6 connection via the backup after ${ms.toFixed(0)} ms`);
      const s = await waitFor((x) => c6(x) === "repeater", 5000, "repeater carrying IPv6");
      assert.equal(s.wans.find((w) => w.name === "ethernet")?.families?.ipv6?.state, "down");
      assert.equal(await connect6(), "repeater", "the routed prefix: the server sees the LAN client itself");
    } finally {
      await reset();
    }
  });

  it("an IPv6-only outage moves IPv6 and leaves IPv4 on the primary", async () => {
    try {
      await twoUp();
      await b.bed.setLoss("ethernet", 100, "ipv6");
      const t0 = performance.now();
      const s = await waitWith6((x) => c6(x) === "repeater", 8000, "IPv6 on the repeater");
      log(`IPv6-only outage: IPv6 moved after ${(performance.now() - t0).toFixed(0)} ms`);
      assert.equal(c4(s), "ethernet", "IPv4 keeps its carrier");
      const eth = s.wans.find((w) => w.name === "ethernet");
      assert.equal(eth?.families?.ipv4?.state, "up");
      assert.match(eth?.reason ?? "", /IPv6/);
      assert.equal(await connect6(), "repeater");
      assert.equal((await b.connect()).uplink, "ethernet");
    } finally {
      await reset();
    }
  });

  it("carrier loss on the primary → IPv6 goes out the backup", async () => {
    try {
      await twoUp();
      const t0 = performance.now();
      await b.setCarrier("ethernet", false);
      const ms = await firstVia6("repeater", t0, 3000);
      log(`IPv6 carrier loss: first new IPv6 connection via the backup after ${ms.toFixed(0)} ms`);
      await b.setCarrier("ethernet", true);
      await waitWith6((x) => c6(x) === "ethernet", 15_000, "IPv6 back on ethernet");
      await firstVia6("ethernet", performance.now(), 3000);
    } finally {
      await reset();
    }
  });

  it("load balance splits IPv6 and IPv4 clients at the same time (NAT66 on one uplink, a routed prefix on the other)", async () => {
    try {
      d = await startDaemon(b.bed, config({ ethernet: { priority: 1, weight: 1 }, repeater: { priority: 1, weight: 1 } }, { type: "mode.load-balance" }));
      await waitFor((s) => s.plan.carriers.length === 2 && (s.plan.carriers6 ?? []).length === 2, 10_000, "both carrying both families");
      const v4 = new Map<string, number>(), v6 = new Map<string, number>();
      const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
      for (let i = 0; i < 10; i++) {
        const got = await Promise.all(Array.from({ length: 10 }, (_, j) => j % 2 ? connect6(3000) : b.connect(3000).then((a) => a.uplink ?? `failed: ${a.error}`)));
        got.forEach((g, j) => add(j % 2 ? v6 : v4, g));
      }
      log(`mixed clients: IPv4 ${JSON.stringify([...v4])}, IPv6 ${JSON.stringify([...v6])}`);
      for (const m of [v4, v6]) {
        assert.deepEqual([...m.keys()].sort(), ["ethernet", "repeater"], JSON.stringify([...m]));
        assert.ok((m.get("ethernet") ?? 0) >= 10 && (m.get("repeater") ?? 0) >= 10, JSON.stringify([...m]));
      }
      // The routed prefix keeps the client's address; NAT66 shows the ISP's.
      const seen = new Set<string>();
      for (let i = 0; i < 20 && seen.size < 2; i++) {
        seen.add((await b.lan.request({ op: "connect", host: SERVER6, port: SERVER_PORT, timeoutMs: 1500 })).source ?? "");
      }
      assert.deepEqual([...seen].sort(), [b.uplink("ethernet").publicAddress6, LAN6_CLIENT].sort());
    } finally {
      await reset();
    }
  });

  it("HTTP probes over IPv6 (bound to the uplink's IPv6 address) judge IPv6: both up, then an IPv6-only outage moves IPv6", async () => {
    try {
      const tracker = { type: "tracker.httping", urls: [`http://${SERVER}/`, `http://[${SERVER6}]/`] };
      d = await startDaemon(b.bed, config({ ethernet: { priority: 1, tracker }, repeater: { priority: 2, tracker } }));
      const s = await waitFor((x) => c6(x) === "ethernet" && x.wans.every((w) => w.families?.ipv6?.state === "up"), 15_000, "IPv6 up by HTTP");
      assert.equal(c4(s), "ethernet");
      await b.bed.setLoss("ethernet", 100, "ipv6");
      const moved = await waitWith6((x) => c6(x) === "repeater", 15_000, "IPv6 on the repeater (httping)");
      assert.equal(c4(moved), "ethernet", "IPv4 keeps its carrier");
      assert.equal(moved.wans.find((w) => w.name === "ethernet")?.families?.ipv6?.state, "down");
      assert.equal(await connect6(), "repeater");
    } finally {
      await reset();
    }
  });

  it("SIGTERM leaves no ip -6 rule or route of multiwan", async () => {
    try {
      await twoUp();
      const r = createRunner({ netns: b.bed.router });
      const ours = async () => {
        const rules = (await r.run(["ip", "-6", "rule", "show"])).stdout.split("\n").filter((l) => {
          const p = Number(l.split(":")[0]);
          return p >= 2000 && p < 2100;
        });
        const routes = (await r.run(["ip", "-6", "route", "show", "table", "all"])).stdout.split("\n").filter((l) => {
          const m = / table (\d+)/.exec(l);
          return !!m && Number(m[1]) > 100 && Number(m[1]) <= 160;
        });
        return [...rules, ...routes];
      };
      assert.ok((await ours()).length > 0, "the daemon installed IPv6 rules and routes");
      assert.ok([0, "SIGTERM"].includes(await d!.stop("SIGTERM") as number), "stopped"); // Deno's child_process reports the signal
      assert.deepEqual(await ours(), []);
      assert.equal((await r.run(["ip", "-6", "route", "show", "default"])).stdout.trim().split("\n").length, 4, "the RA routes stay");
    } finally {
      await reset();
    }
  });
});
