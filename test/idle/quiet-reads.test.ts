/**
 * Counter reads follow the traffic: a quiet uplink's counters are read at
 * QUIET_TRAFFIC_POLL_MS, an uplink whose packets leave at TRAFFIC_POLL_MS, all WANs on the same
 * phase of the clock (one counter read serves them all); a burst first seen by a slow read is
 * no suspicion out of that read, and the fast reads that follow suspect it in time.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { HealthMachine } from "../../src/health/machine.ts";
import { defaultHealth } from "../../src/health/config.ts";
import { SimLanClient } from "../../src/platform/sim/index.ts";
import { QUIET_TRAFFIC_POLL_MS, TRAFFIC_POLL_MS } from "../../src/runtime/wan-runtime.ts";
import { advance, countingReads } from "../helpers.ts";


const readsIn = (reads: { device: string; at: number }[], device: string, from: number) =>
  reads.filter((r) => r.device === device && r.at >= from);

describe("traffic reads follow the traffic", () => {
  it("quiet uplinks are read at the slow rate, all on one phase; a busy one at the fast rate", async () => {
    const r = await countingReads();
    await advance(r.clock, 15_000, 50);
    const from = r.clock.now();
    await advance(r.clock, 10_000, 50);
    for (const dev of ["eth1", "wlan0", "usb0", "wwan0"]) {
      const n = readsIn(r.reads, dev, from).length;
      // 20 slow reads in 10 s, and a few fast ones after each probe leaves.
      assert.ok(n >= 10_000 / QUIET_TRAFFIC_POLL_MS && n < 10_000 / TRAFFIC_POLL_MS / 2, `${dev}: ${n} reads in 10 s`);
    }
    const times = new Set(r.reads.filter((x) => x.at >= from).map((x) => x.at % TRAFFIC_POLL_MS));
    assert.deepEqual([...times], [0], "every read falls on the same phase");

    const client = new SimLanClient(r.platform.dataplane, r.platform.world, r.clock, { perSecond: 20, lifetimeMs: [600_000, 600_000] });
    client.start();
    await advance(r.clock, 2_000, 50);
    const busy = r.clock.now();
    await advance(r.clock, 5_000, 50);
    const carrier = r.kernel.status().plan.carriers[0].wan;
    const dev = r.kernel.status().wans.find((w) => w.name === carrier)!.device;
    const n = readsIn(r.reads, dev, busy).length;
    assert.ok(n >= 0.9 * 5_000 / TRAFFIC_POLL_MS, `${carrier} (${dev}) carrying: ${n} reads in 5 s`);
    client.stop();
    await r.kernel.shutdown({ cleanup: true });
  });

  it("a burst first seen by a slow read is not suspected at that read; the fast reads after it suspect it in time", () => {
    const m = new HealthMachine(defaultHealth, ["198.19.0.1"], 0, "eth1");
    m.onLink(true, true, 0);
    // Steady and up: answers make it steady.
    for (let i = 0; i < 5; i++) m.onResult({ target: "198.19.0.1", ok: true, rttMs: 5 }, 1_000 + i * 1_000);
    assert.equal(m.phase, "steady");
    m.onTraffic({ txPackets: 100, rxPackets: 100 }, 10_000);
    assert.equal(m.wantsTraffic, false, "nothing pending: quiet");
    // 500 ms later (a quiet read), five packets have left and nothing came back yet.
    assert.equal(m.onTraffic({ txPackets: 105, rxPackets: 100 }, 10_500), false);
    assert.equal(m.phase, "steady", "not suspected out of one slow read");
    assert.equal(m.wantsTraffic, true, "packets pending: read fast");
    // Still unanswered at the fast rate: suspected within suspectAfterMs of the dating.
    let at = 10_500;
    while (m.phase === "steady" && at < 12_000) m.onTraffic({ txPackets: 110, rxPackets: 100 }, (at += TRAFFIC_POLL_MS));
    assert.equal(m.phase, "suspect");
    const late = at - 10_500;
    assert.ok(late >= defaultHealth.suspectAfterMs - TRAFFIC_POLL_MS && late <= defaultHealth.suspectAfterMs, `suspected ${late} ms after the slow read`);
  });
});
