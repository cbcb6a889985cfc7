/**
 * UsageMeter on the sim world with a fake clock: counting, periods, counters that go
 * backwards, warning/reached/reset once each, persistence.
 */
import { strict as assert } from "node:assert";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { FakeClock } from "../../src/clock.ts";
import type { CapConfig } from "../../src/config/cap.ts";
import { silentLogger } from "../../src/log.ts";
import { SimLinks, SimWorld } from "../../src/platform/sim/index.ts";
import { type CapEvent, periodAt, UsageMeter } from "../../src/runtime/usage.ts";

const MB = 1_000_000;
const local = (y: number, m: number, d: number, h = 0) => new Date(y, m, d, h).getTime();

function cap(over: Partial<CapConfig> = {}): CapConfig {
  return { limitMB: 10, period: "month", resetDay: 1, warnPct: 80, atCap: "last-resort", ...over };
}

function rig(opts: { start?: number; file?: string; world?: SimWorld; clock?: FakeClock } = {}) {
  const clock = opts.clock ?? new FakeClock(opts.start ?? local(2026, 10, 5, 12));
  const world = opts.world ?? new SimWorld({ clock, uplinks: [{ device: "wwan0", address: "198.18.4.2/30", gateway: "198.18.4.1" }] });
  const events: CapEvent[] = [];
  let changes = 0;
  const meter = new UsageMeter({
    links: new SimLinks(world),
    clock,
    log: silentLogger,
    file: opts.file,
    onCap: (e) => events.push(e),
    onCappedChange: () => changes++,
  });
  const send = (bytes: number) => world.traffic("wwan0", { packets: 1, bytes: bytes / 2 }, { packets: 1, bytes: bytes / 2 });
  return { clock, world, meter, events, send, changes: () => changes };
}

describe("periodAt", () => {
  it("calendar months from the reset day, at local midnight", () => {
    const c = { period: "month" as const, resetDay: 15 };
    assert.deepEqual(periodAt(c, local(2026, 10, 20, 9)), { start: local(2026, 10, 15), end: local(2026, 11, 15) });
    assert.deepEqual(periodAt(c, local(2026, 10, 14, 23)), { start: local(2026, 9, 15), end: local(2026, 10, 15) });
    assert.deepEqual(periodAt(c, local(2027, 0, 3)), { start: local(2026, 11, 15), end: local(2027, 0, 15) });
  });

  it("N days counted from the anchor", () => {
    const c = { period: { days: 7 }, resetDay: 1 };
    assert.deepEqual(periodAt(c, local(2026, 10, 5, 12)), { start: local(2026, 10, 1), end: local(2026, 10, 8) });
    assert.deepEqual(periodAt(c, local(2026, 10, 20), local(2026, 10, 1)), { start: local(2026, 10, 15), end: local(2026, 10, 22) });
  });
});

describe("UsageMeter", () => {
  it("counts sent plus received bytes from the counters, not what came before it started", async () => {
    const r = rig();
    r.send(5 * MB); // before counting: not this period's business
    r.meter.configure([{ name: "cellular", device: "wwan0", cap: cap() }]);
    await r.meter.sample();
    assert.equal(r.meter.usage("cellular")?.usedBytes, 0);
    r.send(2 * MB);
    await r.meter.sample();
    r.send(1 * MB);
    await r.meter.sample();
    const u = r.meter.usage("cellular")!;
    assert.equal(u.usedBytes, 3 * MB);
    assert.equal(u.limitBytes, 10 * MB);
    assert.equal(u.capped, false);
    assert.equal(u.periodStart, new Date(local(2026, 10, 1)).toISOString());
    assert.equal(u.periodEnd, new Date(local(2026, 11, 1)).toISOString());
    assert.equal(r.meter.usage("ethernet"), undefined);
    await r.meter.close();
  });

  it("counters that go backwards (device recreated) are counted from zero; an absent device is skipped", async () => {
    const r = rig();
    r.send(4 * MB);
    r.meter.configure([{ name: "cellular", device: "wwan0", cap: cap() }]); // reads the baseline at once
    await r.meter.sample();
    r.send(1 * MB);
    await r.meter.sample();
    assert.equal(r.meter.usage("cellular")?.usedBytes, 1 * MB);
    r.world.set("wwan0", { present: false });
    await r.meter.sample();
    assert.equal(r.meter.usage("cellular")?.usedBytes, 1 * MB);
    const u = r.world.uplink("wwan0")!;
    u.rxBytes = 0;
    u.txBytes = 0;
    r.world.set("wwan0", { present: true });
    r.send(0.6 * MB); // the new device has counted 0.6 MB since it appeared
    await r.meter.sample();
    assert.equal(r.meter.usage("cellular")?.usedBytes, 1.6 * MB);
    await r.meter.close();
  });

  it("warning, reached and reset fire once each; the new period counts from zero", async () => {
    const r = rig({ start: local(2026, 10, 28, 12) });
    r.meter.configure([{ name: "cellular", device: "wwan0", cap: cap({ limitMB: 10, warnPct: 50 }) }]);
    await r.meter.sample();
    r.send(4 * MB);
    await r.meter.sample();
    assert.equal(r.events.length, 0);
    r.send(2 * MB);
    await r.meter.sample();
    r.send(1 * MB);
    await r.meter.sample();
    assert.deepEqual(r.events.map((e) => e.level), ["warning"]);
    assert.deepEqual(r.events[0], { wan: "cellular", level: "warning", usedBytes: 6 * MB, limitBytes: 10 * MB });
    const before = r.changes();
    r.send(4 * MB);
    await r.meter.sample();
    r.send(1 * MB);
    await r.meter.sample();
    assert.deepEqual(r.events.map((e) => e.level), ["warning", "reached"]);
    assert.equal(r.events[1].usedBytes, 11 * MB);
    assert.equal(r.meter.capOf("cellular"), "last-resort");
    assert.equal(r.meter.usage("cellular")?.capped, true);
    assert.ok(r.changes() > before, "the planner is told");
    // The month ends on December 1st, local midnight.
    r.clock.advance(local(2026, 11, 1, 0) - r.clock.now() + 1000);
    r.send(1 * MB);
    await r.meter.sample();
    await r.meter.sample();
    assert.deepEqual(r.events.map((e) => e.level), ["warning", "reached", "reset"]);
    assert.deepEqual(r.events[2], { wan: "cellular", level: "reset", usedBytes: 12 * MB, limitBytes: 10 * MB });
    assert.equal(r.meter.capOf("cellular"), undefined);
    assert.equal(r.meter.usage("cellular")?.periodStart, new Date(local(2026, 11, 1)).toISOString());
    assert.equal(r.meter.usage("cellular")?.usedBytes, 1 * MB, "the bytes after the reset count in the new period");
    await r.meter.close();
  });

  it("atCap never; a raised cap uncaps at once", async () => {
    const r = rig();
    r.meter.configure([{ name: "cellular", device: "wwan0", cap: cap({ limitMB: 1, atCap: "never" }) }]);
    await r.meter.sample();
    r.send(2 * MB);
    await r.meter.sample();
    assert.equal(r.meter.capOf("cellular"), "never");
    r.meter.configure([{ name: "cellular", device: "wwan0", cap: cap({ limitMB: 5, atCap: "never" }) }]);
    assert.equal(r.meter.capOf("cellular"), undefined);
    await r.meter.close();
  });

  it("samples on its own every 15 s while a WAN has a cap, and reads nothing when none has", async () => {
    const r = rig();
    let reads = 0;
    const links = new SimLinks(r.world);
    const meter = new UsageMeter({
      links: { get: (d) => (reads++, links.get(d)), watch: (l) => links.watch(l) },
      clock: r.clock,
      log: silentLogger,
      onCap() {},
      onCappedChange() {},
    });
    meter.configure([]);
    r.clock.advance(60_000);
    assert.equal(reads, 0);
    meter.configure([{ name: "cellular", device: "wwan0", cap: cap() }]);
    for (let i = 0; i < 4; i++) {
      r.clock.advance(15_000);
      await new Promise((res) => setTimeout(res, 0));
    }
    assert.equal(reads, 4);
    meter.configure([]);
    r.clock.advance(60_000);
    assert.equal(reads, 4);
    await meter.close();
  });

  it("persists to its file and counts on after a restart, including traffic while it was stopped", async () => {
    const dir = await mkdtemp(join(tmpdir(), "multiwan-usage-"));
    try {
      const file = join(dir, "usage.json");
      const a = rig({ file });
      a.meter.configure([{ name: "cellular", device: "wwan0", cap: cap() }]);
      await a.meter.sample();
      a.send(3 * MB);
      await a.meter.close();
      const saved = JSON.parse(await readFile(file, "utf8"));
      assert.equal(saved.wans.cellular.usedBytes, 3 * MB);
      a.send(1 * MB); // while the daemon is stopped
      const b = rig({ file, world: a.world, clock: a.clock });
      await b.meter.load();
      b.meter.configure([{ name: "cellular", device: "wwan0", cap: cap() }]);
      await b.meter.sample();
      assert.equal(b.meter.usage("cellular")?.usedBytes, 4 * MB);
      await b.meter.close();
      // Garbage in the file: counting starts again, no crash.
      await writeFile(file, "{not json");
      const c = rig({ file, world: a.world, clock: a.clock });
      await c.meter.load();
      c.meter.configure([{ name: "cellular", device: "wwan0", cap: cap() }]);
      assert.equal(c.meter.usage("cellular")?.usedBytes, 0);
      await c.meter.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
