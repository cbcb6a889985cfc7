/**
 * The three example plugins, copied to a temp folder outside the project (no
 * node_modules) and loaded from there as the daemon does: they register, pass the
 * contract kit, appear in /api/v1/plugins and OpenAPI, and run in a config.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { FakeClock } from "../../src/clock.ts";
import { silentLogger } from "../../src/log.ts";
import type { AnyPlugin, ModeInstance, TargetResult, TrackerInstance } from "../../src/plugin.ts";
import { KIT_UPLINKS, testPlugin } from "../../src/sdk/testing.ts";
import { advance, TARGETS } from "../helpers.ts";
import { startDnsResponder } from "./dns-responder.ts";
import { copyOut, EXAMPLES, makeLoaderRig, removeDir, VXLAN_UPLINK } from "./rig.ts";

const dir = await copyOut(["wan-vxlan", "tracker-dns", "mode-lowest-latency"].map((f) => join(EXAMPLES, f)));
const dns = await startDnsResponder("127.0.0.1");

// The tunnel (8 ms in the sim) comes first, so it wins while no latency is known; ethernet (5 ms) once measured.
const config = {
  mode: { type: "mode.lowest-latency", marginMs: 1, marginPct: 0 },
  wans: {
    tunnel: {
      type: "wan.vxlan", device: "vx42", vni: 42, underlay: "eth1", local: "198.18.1.2", remote: "198.18.1.1",
      address: "198.18.51.2/30", gateway: "198.18.51.1", tracker: { type: "tracker.ping", targets: TARGETS },
    },
    ethernet: { type: "wan.ethernet", device: "eth1", tracker: { type: "tracker.ping", targets: TARGETS } },
  },
};
const rig = await makeLoaderRig([dir], config);
after(async () => {
  await rig.close();
  await dns.close();
  await removeDir(dir);
});

const plugin = (id: string) => rig.registry.get(id) as AnyPlugin;

describe("example plugins loaded from a folder outside the project", () => {
  it("all three register, nothing fails, each names its folder", () => {
    assert.deepEqual(rig.registry.failures(), []);
    for (const [id, folder] of [["wan.vxlan", "wan-vxlan"], ["tracker.dns", "tracker-dns"], ["mode.lowest-latency", "mode-lowest-latency"]]) {
      assert.equal(rig.registry.originOf(id), join(dir, folder));
    }
  });

  it("/api/v1/plugins lists them with their JSON Schemas (titles, UI hints)", async () => {
    const body = await (await rig.req("GET", "/api/v1/plugins")).json() as {
      plugins: { id: string; title: string; schema: { properties: Record<string, Record<string, unknown>> } }[];
      failed: unknown[];
    };
    const vx = body.plugins.find((p) => p.id === "wan.vxlan");
    assert.equal(vx?.title, "VXLAN tunnel");
    assert.equal(vx?.schema.properties.vni.title, "VNI");
    assert.deepEqual(vx?.schema.properties.mtu["x-ui"], { advanced: true, unit: "B" });
    assert.ok(body.plugins.some((p) => p.id === "tracker.dns") && body.plugins.some((p) => p.id === "mode.lowest-latency"));
    assert.deepEqual(body.failed, []);
    assert.equal((await rig.req("GET", "/api/v1/plugins/tracker.dns")).status, 200);
  });

  it("the OpenAPI document's config schema offers the new types", async () => {
    const text = await (await rig.req("GET", "/api/v1/openapi.json")).text();
    for (const id of ["wan.vxlan", "tracker.dns", "mode.lowest-latency"]) assert.ok(text.includes(`"const":"${id}"`), id);
  });

  it("a config using them runs: the tunnel WAN is inspected, the mode ranks by measured latency", async () => {
    const st = rig.kernel.status();
    const tunnel = st.wans.find((w) => w.name === "tunnel");
    assert.equal(tunnel?.type, "wan.vxlan");
    assert.equal(tunnel?.device, "vx42");
    await advance(rig.clock, 30_000, 100);
    assert.deepEqual(rig.kernel.plan.carriers.map((c) => c.wan), ["ethernet"]);
    assert.match(rig.kernel.plan.summary, /^ethernet carries new connections \(\d+ ms\)$/);
  });
});

describe("mode.lowest-latency hysteresis", () => {
  const wan = (name: string, latencyMs?: number) => ({ name, priority: 1, weight: 1, state: "up" as const, metered: false, latencyMs });
  const decide = async (marginMs: number, marginPct: number, a: number, b: number, current: string) => {
    const ctx = { instance: "mode", log: silentLogger, clock: new FakeClock(0), platform: rig.platform, signal: new AbortController().signal };
    const mode = await plugin("mode.lowest-latency").create(ctx, { marginMs, marginPct }) as ModeInstance;
    const previous = { carriers: [{ wan: current, weight: 1 }], refresh: [], summary: "" };
    return mode.decide({ wans: [wan("a", a), wan("b", b)], previous }).carriers[0].wan;
  };

  it("keeps the uplink in force unless the other is faster by both margins", async () => {
    assert.equal(await decide(10, 20, 40, 35, "a"), "a", "5 ms faster: within 10 ms");
    assert.equal(await decide(10, 20, 40, 25, "a"), "b", "15 ms and 37 % faster");
    assert.equal(await decide(10, 50, 40, 25, "a"), "a", "37 % is within 50 %");
    assert.equal(await decide(10, 20, 25, 40, "b"), "a", "the current one got slow");
  });
});

describe("tracker.dns on loopback", () => {
  const ask = async (rcode: number | undefined, port = dns.port) => {
    dns.rcode = rcode;
    const clock = new FakeClock(0);
    const ctx = { instance: "t", log: silentLogger, clock, platform: rig.platform, signal: new AbortController().signal };
    const t = await plugin("tracker.dns").create(ctx, { targets: ["127.0.0.1"], name: "example.com", port, intervalMs: 1000, timeoutMs: 300 }) as TrackerInstance;
    const got = await new Promise<TargetResult>((resolve) => {
      const s = t.watch({ wan: "t", device: "lo", address: "127.0.0.1", index: 1 }, (r) => void s.close().then(() => resolve(r)), 1000);
    });
    dns.rcode = 0;
    return got;
  };

  it("an answer is ok, with a round-trip time", async () => {
    const r = await ask(0);
    assert.equal(r.ok, true);
    assert.ok(typeof r.rttMs === "number" && r.rttMs >= 0);
  });

  it("NXDOMAIN still proves the path; REFUSED and silence are losses", async () => {
    assert.equal((await ask(3)).ok, true);
    assert.deepEqual(await ask(5), { target: "127.0.0.1", ok: false, error: "refused" });
    assert.deepEqual(await ask(undefined), { target: "127.0.0.1", ok: false, error: "timeout" });
  });
});

describe("contract kit over the loaded examples", () => {
  testPlugin(plugin("wan.vxlan"), {
    config: { device: "vx42", vni: 42, underlay: "eth1", local: "198.18.1.2", remote: "198.18.1.1", address: "198.18.51.2/30", gateway: "198.18.51.1" },
    uplinks: [...KIT_UPLINKS, VXLAN_UPLINK],
  });
  testPlugin(plugin("tracker.dns"), {
    config: { targets: ["127.0.0.1"], port: dns.port, timeoutMs: 200 },
    binding: { address: "127.0.0.1" },
  });
  testPlugin(plugin("mode.lowest-latency"), { config: {} });
});

describe("udpExchange", () => {
  it("gives up with a reason when every probe port is taken (after retries), works once they are free", async () => {
    const { createSocket } = await import("node:dgram");
    const { PROBE_PORTS, udpExchange } = await import("../../src/sdk/udp.ts");
    const held: import("node:dgram").Socket[] = [];
    for (let p = PROBE_PORTS[0]; p <= PROBE_PORTS[1]; p++) {
      const s = createSocket("udp4");
      await new Promise<void>((resolve) => {
        s.once("error", () => resolve());
        s.bind({ address: "127.0.0.1", port: p, exclusive: true }, () => resolve());
      });
      held.push(s);
    }
    try {
      const r = await udpExchange({ binding: { address: "127.0.0.1" }, host: "127.0.0.1", port: dns.port, payload: new Uint8Array(12), timeoutMs: 300 });
      assert.deepEqual(r, { ok: false, error: "no free probe port" });
    } finally {
      await Promise.all(held.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    }
    dns.rcode = 0;
    const ok = await udpExchange({ binding: { address: "127.0.0.1" }, host: "127.0.0.1", port: dns.port, payload: new Uint8Array(12), timeoutMs: 300 });
    assert.equal(ok.ok, true);
  });
});
