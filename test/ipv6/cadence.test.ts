/** Dual-stack trackers: IPv4 and IPv6 targets take turns within their own family (each family probed once per interval). */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as v from "valibot";
import { FakeClock } from "../../src/clock.ts";
import { silentLogger } from "../../src/log.ts";
import type { PluginContext, TargetResult, TrackerInstance } from "../../src/plugin.ts";
import { createSimPlatform } from "../../src/platform/sim/index.ts";
import { turns } from "../../plugins/tracker/_shared/cadence.ts";
import { httpingTracker } from "../../plugins/tracker/httping/index.ts";
import { pingTracker } from "../../plugins/tracker/ping/index.ts";
import { advance } from "../helpers.ts";
import { DUAL_UPLINKS } from "./rig.ts";

function run(tracker: typeof pingTracker | typeof httpingTracker, config: unknown, seconds: number) {
  const clock = new FakeClock();
  const platform = createSimPlatform({ clock, uplinks: DUAL_UPLINKS, seed: 5 });
  const ctx: PluginContext = { instance: "t", log: silentLogger, clock, platform, signal: new AbortController().signal };
  // deno-lint-ignore no-explicit-any
  const t = tracker.create(ctx, v.parse(tracker.schema as any, config) as never) as TrackerInstance;
  const seen: TargetResult[] = [];
  const binding = { wan: "ethernet", device: "eth1", address: "198.18.1.2", address6: "2001:2:0:1::2", index: 1 };
  const session = t.watch(binding, (r) => seen.push(r), 1000);
  return { clock, seen, session, done: advance(clock, seconds * 1000, 50) };
}

describe("dual-stack probe cadence", () => {
  it("turns: slots within each family; one family keeps slot k of n", () => {
    const six = (t: string) => t.includes(":");
    assert.deepEqual(turns(["a", "b", "c"], six), [{ slot: 0, of: 3 }, { slot: 1, of: 3 }, { slot: 2, of: 3 }]);
    assert.deepEqual(turns(["198.19.0.1", "2001:2:ff::1", "198.19.0.2", "2001:2:ff::2"], six), [
      { slot: 0, of: 2 },
      { slot: 0, of: 2 },
      { slot: 1, of: 2 },
      { slot: 1, of: 2 },
    ]);
  });

  it("ping: at the steady interval each family gets one probe per interval, and IPv6 targets are answered", async () => {
    const targets = ["198.19.0.1", "198.19.0.2", "198.19.0.3", "2001:2:ff::1", "2001:2:ff::2", "2001:2:ff::3"];
    const r = run(pingTracker, { targets, intervalMs: 1000 }, 30);
    await r.done;
    await r.session.close();
    const v6 = r.seen.filter((x) => x.target.includes(":"));
    const v4 = r.seen.filter((x) => !x.target.includes(":"));
    // 30 s at one probe per second per family (the first ones staggered in): 28..31 each.
    assert.ok(v4.length >= 28 && v4.length <= 31, `IPv4 probes: ${v4.length}`);
    assert.ok(v6.length >= 28 && v6.length <= 31, `IPv6 probes: ${v6.length}`);
    assert.ok(v6.every((x) => x.ok), JSON.stringify(v6.find((x) => !x.ok)));
  });

  it("httping: a [v6] URL and an IPv4 one are each probed once per interval", async () => {
    const urls = ["http://198.19.0.1/generate_204", "http://[2001:2:ff::1]/generate_204"];
    const r = run(httpingTracker, { urls, intervalMs: 1000 }, 20);
    await r.done;
    await r.session.close();
    const six = r.seen.filter((x) => x.target.includes("["));
    assert.ok(six.length >= 18 && six.length <= 21, `IPv6 probes: ${six.length}`);
    assert.ok(six.every((x) => x.ok), JSON.stringify(six.find((x) => !x.ok)));
    assert.ok(r.seen.length - six.length >= 18, `IPv4 probes: ${r.seen.length - six.length}`);
  });
});
