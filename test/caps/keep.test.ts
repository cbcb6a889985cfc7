/**
 * UsageMeter keeps the period's count of a WAN that is not counted for a while (disabled, its
 * cap taken off and put back) until the period ends: turning a metered uplink off and on
 * again must not start its month from zero.
 */
import { strict as assert } from "node:assert";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { FakeClock } from "../../src/clock.ts";
import type { CapConfig } from "../../src/config/cap.ts";
import { silentLogger } from "../../src/log.ts";
import { SimLinks, SimWorld } from "../../src/platform/sim/index.ts";
import { type CapEvent, UsageMeter } from "../../src/runtime/usage.ts";

const MB = 1_000_000;
const local = (y: number, m: number, d: number, h = 0) => new Date(y, m, d, h).getTime();
const CAP: CapConfig = { limitMB: 10, period: "month", resetDay: 1, warnPct: 80, atCap: "last-resort" };
const CELLULAR = { name: "cellular", device: "wwan0", cap: CAP };

describe("UsageMeter and a WAN that is not counted for a while", () => {
  it("keeps the count of a disabled WAN until its period ends, counts what passed meanwhile, drops it after", async () => {
    const dir = await mkdtemp(join(tmpdir(), "multiwan-usage-keep-"));
    try {
      const file = join(dir, "usage.json");
      const clock = new FakeClock(local(2026, 10, 5, 12));
      const world = new SimWorld({ clock, uplinks: [{ device: "wwan0", address: "198.18.4.2/30", gateway: "198.18.4.1" }] });
      const events: CapEvent[] = [];
      let changes = 0;
      const m = new UsageMeter({
        links: new SimLinks(world), clock, log: silentLogger, file, onCap: (e) => events.push(e), onCappedChange: () => changes++,
      });
      const send = (bytes: number) => world.traffic("wwan0", { packets: 1, bytes: bytes / 2 }, { packets: 1, bytes: bytes / 2 });
      m.configure([CELLULAR]);
      await m.sample();
      send(9 * MB);
      await m.sample();
      assert.equal(m.usage("cellular")?.usedBytes, 9 * MB);

      m.configure([]); // disabled (or its cap taken off)
      assert.equal(m.usage("cellular"), undefined, "not shown while not counted");
      assert.equal(m.capOf("cellular"), undefined);
      send(2 * MB); // the router's own traffic while it was off
      clock.advance(3 * 86_400_000);
      await m.save();
      const saved = JSON.parse(await readFile(file, "utf8")) as { wans: Record<string, { usedBytes: number }> };
      assert.equal(saved.wans.cellular?.usedBytes, 9 * MB, "the file keeps the count");

      const changesBefore = changes;
      m.configure([CELLULAR]); // enabled again, same period
      assert.equal(m.usage("cellular")?.usedBytes, 9 * MB, "not from zero");
      await m.sample();
      assert.equal(m.usage("cellular")?.usedBytes, 11 * MB, "what passed the device meanwhile counts too");
      assert.equal(m.capOf("cellular"), "last-resort");
      assert.deepEqual(events.map((e) => e.level), ["warning", "reached"]);
      assert.ok(changes > changesBefore, "the planner hears that it is capped");

      m.configure([]);
      clock.advance(30 * 86_400_000); // past the period's end (1 December)
      m.configure([]);
      await m.save();
      const later = JSON.parse(await readFile(file, "utf8")) as { wans: Record<string, unknown> };
      assert.equal(later.wans.cellular, undefined, "dropped once its period ended");
      m.configure([CELLULAR]);
      assert.equal(m.usage("cellular")?.usedBytes, 0);
      assert.equal(m.usage("cellular")?.periodStart, new Date(local(2026, 11, 1)).toISOString());
      await m.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
