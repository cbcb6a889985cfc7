/**
 * Data caps in the kernel on the sim world: a capped WAN is kept for last (or never used),
 * events fire, status and the counts survive a kernel restart with a state dir.
 */
import { strict as assert } from "node:assert";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { FakeClock } from "../../src/clock.ts";
import { MemoryConfigStore } from "../../src/config/store.ts";
import type { KernelEvent } from "../../src/events.ts";
import { Kernel } from "../../src/kernel.ts";
import { silentLogger } from "../../src/log.ts";
import { createSimPlatform, type SimPlatform } from "../../src/platform/sim/index.ts";
import { Registry } from "../../src/registry.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { advance, TARGETS, UPLINKS } from "../helpers.ts";

const MB = 1_000_000;
/** The LAN traffic plus the probes' few kilobytes. */
const near = (used: number, sent: number) => used >= sent && used < sent + 20_000;

function config(atCap: "last-resort" | "never") {
  const tracker = { type: "tracker.ping", targets: TARGETS, intervalMs: 1000 };
  return {
    mode: { type: "mode.failover" },
    wans: {
      cellular: {
        type: "wan.cellular",
        device: "wwan0",
        priority: 1,
        tracker,
        cap: { limitMB: 2, resetDay: 1, warnPct: 50, atCap },
      },
      ethernet: { type: "wan.ethernet", device: "eth1", priority: 2, tracker },
    },
  };
}

function boot(opts: { atCap?: "last-resort" | "never"; stateDir?: string; clock?: FakeClock; platform?: SimPlatform } = {}) {
  const clock = opts.clock ?? new FakeClock(new Date(2026, 10, 20, 12).getTime());
  const platform = opts.platform ?? createSimPlatform({ clock, uplinks: UPLINKS, seed: 3 });
  const store = new MemoryConfigStore();
  store.current = { doc: config(opts.atCap ?? "last-resort"), revision: 1 };
  const registry = new Registry();
  registry.registerAll(builtinPlugins);
  const kernel = new Kernel({ registry, platform, store, clock, log: silentLogger, pluginLogger: () => silentLogger, stateDir: opts.stateDir });
  const events: KernelEvent[] = [];
  kernel.events.on((e) => e.type === "wan.cap" && events.push(e));
  return { clock, platform, kernel, events, store };
}

const carriers = (k: Kernel) => k.plan.carriers.map((c) => c.wan);
const send = (p: SimPlatform, bytes: number) =>
  p.world.traffic("wwan0", { packets: 10, bytes: bytes / 2 }, { packets: 10, bytes: bytes / 2 });

describe("data caps in the kernel", () => {
  it("at the cap a last-resort WAN gives way to every other usable WAN, and comes back when nothing else is left", async () => {
    const r = boot();
    await r.kernel.boot();
    await advance(r.clock, 3000, 50);
    assert.deepEqual(carriers(r.kernel), ["cellular"]);
    send(r.platform, 1.5 * MB);
    await advance(r.clock, 16_000, 100);
    assert.equal(r.events.length, 1);
    const warn = r.events[0].data as { wan: string; level: string; usedBytes: number; limitBytes: number };
    assert.deepEqual([warn.wan, warn.level, warn.limitBytes], ["cellular", "warning", 2 * MB]);
    assert.ok(near(warn.usedBytes, 1.5 * MB), `used ${warn.usedBytes}`);
    assert.deepEqual(carriers(r.kernel), ["cellular"], "a warning changes nothing");
    send(r.platform, 1 * MB);
    await advance(r.clock, 16_000, 100);
    assert.deepEqual(r.events.map((e) => e.type === "wan.cap" && e.data.level), ["warning", "reached"]);
    assert.deepEqual(carriers(r.kernel), ["ethernet"], "new connections leave the capped uplink");
    const st = r.kernel.status({ flows: false }).wans.find((w) => w.name === "cellular")!;
    assert.ok(near(st.usage!.usedBytes, 2.5 * MB), `used ${st.usage?.usedBytes}`);
    assert.equal(st.usage?.limitBytes, 2 * MB);
    assert.equal(st.usage?.capped, true);
    assert.equal(st.usage?.periodStart, new Date(new Date(2026, 10, 1).getTime()).toISOString());
    assert.equal(r.kernel.status({ flows: false }).wans.find((w) => w.name === "ethernet")!.usage, undefined);
    // Ethernet fails: the capped uplink is the last resort.
    r.platform.world.set("eth1", { upstream: false });
    await advance(r.clock, 8000, 50);
    assert.deepEqual(carriers(r.kernel), ["cellular"]);
    r.platform.world.set("eth1", { upstream: true });
    await advance(r.clock, 8000, 50);
    assert.deepEqual(carriers(r.kernel), ["ethernet"]);
    await r.kernel.shutdown({ cleanup: true });
    assert.equal(r.events.length, 2, "warning and reached once each");
  });

  it("atCap never: not used even when nothing else is left", async () => {
    const r = boot({ atCap: "never" });
    const flushed: string[] = [];
    const dp = r.platform.dataplane;
    const flush = dp.flush.bind(dp);
    dp.flush = (uplinks, family) => {
      flushed.push(...uplinks);
      return flush(uplinks, family);
    };
    await r.kernel.boot();
    await advance(r.clock, 3000, 50);
    send(r.platform, 3 * MB);
    await advance(r.clock, 16_000, 100);
    assert.deepEqual(carriers(r.kernel), ["ethernet"]);
    assert.ok(flushed.includes("cellular"), `the capped uplink's flows move too (flushed: ${flushed})`);
    r.platform.world.set("eth1", { upstream: false });
    await advance(r.clock, 8000, 50);
    assert.deepEqual(carriers(r.kernel), []);
    await r.kernel.shutdown({ cleanup: true });
  });

  it("the count survives a kernel restart with a state dir; a new month resets it and the WAN carries again", async () => {
    const dir = await mkdtemp(join(tmpdir(), "multiwan-caps-"));
    try {
      const a = boot({ stateDir: dir });
      await a.kernel.boot();
      await advance(a.clock, 3000, 50);
      send(a.platform, 2.5 * MB);
      await advance(a.clock, 16_000, 100);
      assert.deepEqual(carriers(a.kernel), ["ethernet"]);
      await a.kernel.shutdown({ cleanup: true });
      const b = boot({ stateDir: dir, clock: a.clock, platform: a.platform });
      await b.kernel.boot();
      await advance(b.clock, 3000, 50);
      const st = b.kernel.status({ flows: false }).wans.find((w) => w.name === "cellular")!;
      assert.ok(near(st.usage!.usedBytes, 2.5 * MB), `used ${st.usage?.usedBytes} after the restart`);
      assert.deepEqual(carriers(b.kernel), ["ethernet"], "still capped after the restart");
      assert.equal(b.events.length, 0, "no second warning or reached after a restart");
      await b.kernel.shutdown({ cleanup: true });
      // The router restarts shortly before December 1st (device counters from zero): still capped,
      // then the month ends, the count resets and cellular (priority 1) carries again.
      const c = boot({ stateDir: dir, clock: new FakeClock(new Date(2026, 10, 30, 23, 59, 30).getTime()) });
      await c.kernel.boot();
      await advance(c.clock, 3000, 50);
      assert.deepEqual(carriers(c.kernel), ["ethernet"]);
      await advance(c.clock, 45_000, 100);
      assert.deepEqual(c.events.map((e) => e.type === "wan.cap" && e.data.level), ["reset"]);
      assert.deepEqual(carriers(c.kernel), ["cellular"]);
      const u = c.kernel.status({ flows: false }).wans.find((w) => w.name === "cellular")!.usage!;
      assert.equal(u.periodStart, new Date(new Date(2026, 11, 1).getTime()).toISOString());
      assert.ok(u.usedBytes < 20_000, `the new month holds only its own bytes (${u.usedBytes})`);
      await c.kernel.shutdown({ cleanup: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("status says the monthly probe bytes of each WAN's cadence", async () => {
    const r = boot();
    await r.kernel.boot();
    const st = r.kernel.status({ flows: false }).wans;
    // ping, 24-byte payload: 104 bytes a probe; ethernet every 1 s, cellular (metered) idle every 60 s.
    assert.equal(st.find((w) => w.name === "ethernet")!.probeBytesPerMonth, 30 * 86_400 * 104);
    assert.equal(st.find((w) => w.name === "cellular")!.probeBytesPerMonth, 30 * 1440 * 104);
    await r.kernel.shutdown({ cleanup: true });
  });
});

describe("data caps over the API", () => {
  it("/metrics has usage and cap bytes for capped WANs only; status and the config schema carry the cap", async () => {
    const { makeApiRig } = await import("../api/rig.ts");
    const r = await makeApiRig({ config: config("last-resort") });
    try {
      await advance(r.clock, 2000, 50);
      const text = await (await r.req("GET", "/metrics")).text();
      assert.match(text, /^multiwan_wan_cap_bytes\{wan="cellular"\} 2000000$/m);
      assert.match(text, /^multiwan_wan_usage_bytes\{wan="cellular"\} \d+$/m);
      assert.doesNotMatch(text, /multiwan_wan_cap_bytes\{wan="ethernet"\}/);
      const st = await (await r.req("GET", "/api/v1/status")).json() as { wans: { name: string; usage?: { limitBytes: number } }[] };
      assert.equal(st.wans.find((w) => w.name === "cellular")?.usage?.limitBytes, 2_000_000);
      // A bad cap is refused with its path.
      const bad = structuredClone(config("last-resort")) as { wans: { cellular: { cap: Record<string, unknown> } } };
      bad.wans.cellular.cap.resetDay = 31;
      assert.ok(r.kernel.validate(bad).some((i) => i.path === "wans.cellular.cap.resetDay"));
    } finally {
      await r.close();
    }
  });
});
