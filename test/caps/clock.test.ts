/**
 * UsageMeter with a wall clock that is behind the counted period (a router without a
 * real-time clock before NTP, a clock stepped back across the reset day): the count is
 * kept, no reset fires, and only a clock past the period's end starts a new one.
 */
import { strict as assert } from "node:assert";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Clock } from "../../src/clock.ts";
import type { CapConfig } from "../../src/config/cap.ts";
import { silentLogger } from "../../src/log.ts";
import { SimLinks, SimWorld } from "../../src/platform/sim/index.ts";
import { type CapEvent, UsageMeter } from "../../src/runtime/usage.ts";

const MB = 1_000_000;
const local = (y: number, m: number, d: number, h = 0) => new Date(y, m, d, h).getTime();
const CAP: CapConfig = { limitMB: 10, period: "month", resetDay: 1, warnPct: 80, atCap: "last-resort" };
const WANS = [{ name: "cellular", device: "wwan0", cap: CAP }];

/** A wall clock the test sets, backwards too; timers never fire (the test samples). */
class SetClock implements Clock {
  at: number;
  constructor(at: number) {
    this.at = at;
  }
  now(): number {
    return this.at;
  }
  setTimeout(): { cancel(): void } {
    return { cancel: () => {} };
  }
}

function meter(world: SimWorld, clock: Clock, file?: string) {
  const events: CapEvent[] = [];
  const m = new UsageMeter({ links: new SimLinks(world), clock, log: silentLogger, file, onCap: (e) => events.push(e), onCappedChange: () => {} });
  return { m, events };
}

const newWorld = (clock: Clock) => new SimWorld({ clock, uplinks: [{ device: "wwan0", address: "198.18.4.2/30", gateway: "198.18.4.1" }] });
const send = (w: SimWorld, bytes: number) => w.traffic("wwan0", { packets: 1, bytes: bytes / 2 }, { packets: 1, bytes: bytes / 2 });

describe("UsageMeter and a clock behind the counted period", () => {
  it("a clock stepped back across the reset day keeps the count and fires no reset; the period's real end still resets", async () => {
    const clock = new SetClock(local(2026, 10, 1, 2)); // 1 November, 02:00: the period began two hours ago
    const world = newWorld(clock);
    const r = meter(world, clock);
    r.m.configure(WANS);
    await r.m.sample();
    send(world, 9 * MB);
    await r.m.sample();
    assert.equal(r.m.usage("cellular")?.usedBytes, 9 * MB);
    assert.deepEqual(r.events.map((e) => e.level), ["warning"]);

    clock.at = local(2026, 9, 31, 23); // stepped back to 31 October, 23:00
    send(world, 0.5 * MB);
    await r.m.sample();
    const u = r.m.usage("cellular")!;
    assert.equal(u.usedBytes, 9.5 * MB, "the bytes counted meanwhile add to the same count");
    assert.equal(u.periodStart, new Date(local(2026, 10, 1)).toISOString(), "the period stays the one counted");
    assert.deepEqual(r.events.map((e) => e.level), ["warning"], "no reset");

    clock.at = local(2026, 10, 1, 3); // the clock is right again
    send(world, 1 * MB);
    await r.m.sample();
    assert.equal(r.m.usage("cellular")?.usedBytes, 10.5 * MB);
    assert.equal(r.m.usage("cellular")?.capped, true);
    assert.deepEqual(r.events.map((e) => e.level), ["warning", "reached"]);

    clock.at = local(2026, 11, 1, 0) + 1000; // the period's real end
    await r.m.sample();
    assert.deepEqual(r.events.map((e) => e.level), ["warning", "reached", "reset"]);
    assert.equal(r.m.usage("cellular")?.usedBytes, 0);
    assert.equal(r.m.usage("cellular")?.periodStart, new Date(local(2026, 11, 1)).toISOString());
    await r.m.close();
  });

  it("a restart with the clock behind (no NTP yet) keeps the saved count, and the count goes on once the clock is right", async () => {
    const dir = await mkdtemp(join(tmpdir(), "multiwan-usage-clock-"));
    try {
      const file = join(dir, "usage.json");
      const clock = new SetClock(local(2026, 10, 1, 0) + 30 * 60_000); // 1 November, 00:30
      const world = newWorld(clock);
      const a = meter(world, clock, file);
      a.m.configure(WANS);
      await a.m.sample();
      send(world, 9 * MB);
      await a.m.close();

      const boot = new SetClock(local(2026, 9, 31, 23) + 30 * 60_000); // the restarted router thinks it is 31 October
      const b = meter(world, boot, file);
      await b.m.load();
      b.m.configure(WANS);
      await b.m.sample();
      assert.equal(b.m.usage("cellular")?.usedBytes, 9 * MB);
      assert.deepEqual(b.events, []);
      await b.m.close();
      const saved = JSON.parse(await readFile(file, "utf8")) as { wans: Record<string, { usedBytes: number; periodStart: number }> };
      assert.equal(saved.wans.cellular.usedBytes, 9 * MB, "the file keeps the count");
      assert.equal(saved.wans.cellular.periodStart, local(2026, 10, 1));

      const synced = new SetClock(local(2026, 10, 1, 1));
      const c = meter(world, synced, file);
      await c.m.load();
      c.m.configure(WANS);
      send(world, 1 * MB);
      await c.m.sample();
      assert.equal(c.m.usage("cellular")?.usedBytes, 10 * MB);
      assert.deepEqual(c.events.map((e) => e.level), ["reached"]);
      await c.m.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
