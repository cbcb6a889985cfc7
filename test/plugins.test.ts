import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as v from "valibot";
import { FakeClock } from "../src/clock.ts";
import { silentLogger } from "../src/log.ts";
import type { AnyPlugin, PluginContext, TargetResult, TrackerInstance, WanInstance } from "../src/plugin.ts";
import { createSimPlatform } from "../src/platform/sim/index.ts";
import { perTargetInterval, staggerMs } from "../plugins/tracker/_shared/cadence.ts";
import { statusOk } from "../plugins/tracker/httping/index.ts";
import { adaptiveTimeout, pingTracker } from "../plugins/tracker/ping/index.ts";
import { parseIwLink, repeaterWan } from "../plugins/wan/repeater/index.ts";
import { cellularWan, parseMmcli } from "../plugins/wan/cellular/index.ts";
import { tetheringWan } from "../plugins/wan/tethering/index.ts";
import { httpingTracker } from "../plugins/tracker/httping/index.ts";
import { UPLINKS } from "./helpers.ts";

function setup() {
  const clock = new FakeClock();
  const platform = createSimPlatform({ clock, uplinks: UPLINKS, seed: 3 });
  const ctx: PluginContext = { instance: "t", log: silentLogger, clock, platform, signal: new AbortController().signal };
  // deno-lint-ignore no-explicit-any
  const make = <T>(p: AnyPlugin, config: unknown) => p.create(ctx, v.parse(p.schema as any, config)) as T;
  return { clock, platform, make };
}

describe("tool output parsers", () => {
  it("parseIwLink reads SSID and signal, or nothing when not connected", () => {
    const text = "Connected to 02:00:00:00:00:01 (on wlan0)\n\tSSID: Shop Wi-Fi\n\tfreq: 2437\n\tsignal: -58 dBm\n";
    assert.deepEqual(parseIwLink(text), { ssid: "Shop Wi-Fi", signalDbm: -58 });
    assert.deepEqual(parseIwLink("Not connected.\n"), { ssid: null, signalDbm: null });
  });

  it("parseMmcli reads signal, operator and technology; garbage gives unknowns", () => {
    const json = JSON.stringify({
      modem: { generic: { "signal-quality": { value: "64" }, "access-technologies": ["lte"] }, "3gpp": { "operator-name": "Tel" } },
    });
    assert.deepEqual(parseMmcli(json), { signalPct: 64, operator: "Tel", technology: "lte" });
    assert.deepEqual(parseMmcli("not json"), { signalPct: null, operator: null, technology: null });
  });
});

describe("tracker helpers", () => {
  it("statusOk: 2xx by default, 3xx only when redirects are not failures, or an explicit list", () => {
    const base = { expectStatus: [] as number[], redirectIsFailure: true };
    assert.ok(statusOk(204, base));
    assert.ok(!statusOk(302, base));
    assert.ok(statusOk(302, { ...base, redirectIsFailure: false }));
    assert.ok(!statusOk(500, base));
    assert.ok(statusOk(418, { ...base, expectStatus: [418] }));
    assert.ok(!statusOk(200, { ...base, expectStatus: [418] }));
  });

  it("adaptiveTimeout follows the RTT between 250 ms and the configured maximum", () => {
    assert.equal(adaptiveTimeout(undefined, 0, 1000), 1000);
    assert.equal(adaptiveTimeout(0.2, 0.05, 1000), 250);
    assert.equal(adaptiveTimeout(150, 20, 1000), 380);
    assert.equal(adaptiveTimeout(900, 100, 1000), 1000);
  });

  it("targets take turns at the steady interval and all probe at faster ones", () => {
    assert.equal(perTargetInterval(10_000, 10_000, 3), 30_000);
    assert.equal(perTargetInterval(100, 10_000, 3), 100);
    assert.deepEqual([0, 1, 2].map((k) => staggerMs(k, 30_000, 3)), [0, 10_000, 20_000]);
  });
});

describe("tracker.ping on the sim world", () => {
  it("reports every target, one probe per steady interval in total", () => {
    const { clock, platform, make } = setup();
    const t = make<TrackerInstance>(pingTracker, { targets: ["198.19.0.1", "198.19.0.2"], intervalMs: 1000 });
    const got: TargetResult[] = [];
    const binding = { wan: "ethernet", device: "eth1", address: "198.18.1.2", index: 1 };
    const at: number[] = [];
    const s = t.watch(binding, (r) => {
      got.push(r);
      at.push(clock.now());
    }, 1000);
    clock.advance(10_000);
    const gaps = at.slice(1).map((x, i) => x - at[i]);
    assert.ok(Math.max(...gaps) <= 1100 && Math.min(...gaps) >= 900, `even gaps of about 1 s: ${gaps.map(Math.round)}`);
    const sent = platform.world.uplink("eth1")!.probeBytes / (2 * (28 + 24));
    assert.ok(got.length >= 9 && got.length <= 11, `${got.length} results in 10 s`);
    assert.ok(sent >= 9 && sent <= 11, `${sent} probes answered in 10 s`);
    assert.deepEqual(new Set(got.map((r) => r.target)), new Set(["198.19.0.1", "198.19.0.2"]));
    assert.ok(got.every((r) => r.ok && r.rttMs! > 0));
    s.setIntervalMs(100);
    got.length = 0;
    clock.advance(1000);
    assert.ok(got.length >= 18, `fast phase: ${got.length} results in 1 s`);
    platform.world.set("eth1", { upstream: false });
    clock.advance(50); // replies already in flight still arrive
    got.length = 0;
    clock.advance(1000);
    assert.ok(got.length > 0, "results keep coming");
    assert.deepEqual(got.filter((r) => r.ok), [], "every probe after the cut is lost");
    assert.ok(got.every((r) => r.error === "timeout"));
    void s.close();
  });
});

describe("tracker.httping on the sim world", () => {
  it("a captive portal's redirect counts as a failure", async () => {
    const { clock, platform, make } = setup();
    platform.world.set("wlan0", { httpStatus: 302 });
    const t = make<TrackerInstance>(httpingTracker, { urls: ["http://198.19.0.80/generate_204"], intervalMs: 1000 });
    const got: TargetResult[] = [];
    const s = t.watch({ wan: "repeater", device: "wlan0", index: 2 }, (r) => got.push(r), 1000);
    for (let i = 0; i < 30; i++) {
      clock.advance(100);
      await Promise.resolve();
    }
    assert.ok(got.length >= 2);
    assert.ok(got.every((r) => !r.ok && r.error === "status 302"));
    await s.close();
  });
});

describe("WAN types on the sim world", () => {
  it("wan.repeater shows SSID and signal, and another network counts as no carrier", async () => {
    const { make } = setup();
    const w = make<WanInstance>(repeaterWan, { device: "wlan0" });
    const i = await w.inspect();
    assert.deepEqual([i.present, i.carrier, i.details.ssid, i.details.signalDbm], [true, true, "Shop", -60]);
    assert.equal(i.gateway, "198.18.2.1", "learned from the routing table");
    const pinned = make<WanInstance>(repeaterWan, { device: "wlan0", ssid: "Home" });
    assert.equal((await pinned.inspect()).carrier, false);
  });

  it("wan.cellular reads signal and operator, counts data used, and is metered by default", async () => {
    const { make, platform } = setup();
    platform.world.traffic("wwan0", { packets: 2, bytes: 1000 }, { packets: 2, bytes: 3000 });
    const i = await make<WanInstance>(cellularWan, { device: "wwan0" }).inspect();
    assert.deepEqual([i.details.signalPct, i.details.operator, i.details.dataUsedBytes], [70, "SimTel", 4000]);
    assert.equal(cellularWan.wanDefaults.metered, true);
  });

  it("wan.tethering: a vanished phone is absent, and found again when it returns", async () => {
    const { make, platform } = setup();
    const w = make<WanInstance>(tetheringWan, { device: "usb0" });
    assert.equal((await w.inspect()).details.attached, true);
    platform.world.set("usb0", { present: false });
    const gone = await w.inspect();
    assert.deepEqual([gone.present, gone.carrier, gone.details.attached], [false, false, false]);
    platform.world.set("usb0", { present: true });
    assert.equal((await w.inspect()).present, true);
  });

  it("absent optional tools degrade to unknown, never to an error", async () => {
    const { make, platform } = setup();
    platform.exec.run = () => Promise.resolve(undefined);
    const i = await make<WanInstance>(cellularWan, { device: "wwan0" }).inspect();
    assert.deepEqual([i.details.signalPct, i.details.operator], [null, null]);
    const r = await make<WanInstance>(repeaterWan, { device: "wlan0" }).inspect();
    assert.deepEqual([r.details.ssid, r.details.signalDbm, r.carrier], [null, null, true]);
  });
});
