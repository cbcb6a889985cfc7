/**
 * Suspicions are counted with their cause, kept after the good answers that clear them (the
 * target's lastError is gone by then), and shown in the status as the API schema documents.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as v from "valibot";
import { defaultHealth } from "../../src/health/config.ts";
import { HealthMachine } from "../../src/health/machine.ts";
import type { LinkInfo } from "../../src/platform.ts";
import { evidenceCounters } from "../../src/runtime/wan-runtime.ts";
import { wanStatus } from "../../web/api-schemas.ts";
import { advance, fourWans, makeRig } from "../helpers.ts";

const T = "198.19.0.1";

function steady(): HealthMachine {
  const m = new HealthMachine(defaultHealth, [T], 0, "eth1");
  m.onLink(true, true, 0);
  for (let i = 0; i < 5; i++) m.onResult({ target: T, ok: true, rttMs: 5 }, 1_000 + i * 1_000);
  assert.equal(m.phase, "steady");
  return m;
}

describe("suspicions and their causes", () => {
  it("a lost probe: counted with the target and its error, kept once good answers clear it", () => {
    const m = steady();
    m.onResult({ target: T, ok: false, error: "timeout" }, 10_000);
    assert.equal(m.phase, "suspect");
    for (let i = 1; i <= 5; i++) m.onResult({ target: T, ok: true, rttMs: 5 }, 10_000 + i * 200);
    assert.equal(m.phase, "steady");
    const view = m.view();
    assert.equal(view.targets[0].lastError, undefined, "the target's error is cleared by the next answer");
    assert.equal(view.suspicions, 1);
    assert.deepEqual(view.lastSuspicion, { at: 10_000, cause: `probe to ${T} failed: timeout` });
  });

  it("traffic that leaves unanswered: the packets and how long", () => {
    const m = steady();
    m.onTraffic({ txPackets: 100, rxPackets: 100 }, 10_000);
    m.onTraffic({ txPackets: 101, rxPackets: 100 }, 10_100);
    m.onTraffic({ txPackets: 103, rxPackets: 100 }, 10_200);
    m.onTraffic({ txPackets: 104, rxPackets: 100 }, 10_300);
    assert.equal(m.phase, "suspect");
    assert.equal(m.view().suspicions, 1);
    assert.deepEqual(m.view().lastSuspicion, { at: 10_200, cause: "3 packets left unanswered for 200 ms" });
  });

  it("link-local control (an MLD report burst, neighbour solicitations) is no evidence, for either judge", () => {
    const link = (tx: number, rx: number, ctlTx: number, v6Tx = 0): LinkInfo => ({
      device: "eth1", present: true, carrier: true, operstate: "up", rxBytes: 0, txBytes: 0, rxPackets: rx, txPackets: tx,
      linkControl: { txPackets: ctlTx, rxPackets: 0 }, ipv6: { txPackets: v6Tx, rxPackets: 0, txBytes: 0, rxBytes: 0 },
    });
    for (const family of ["any", "ipv4"] as const) {
      const m = steady();
      // Three MLD reports and a solicitation leave within 300 ms; nothing comes back (none is answered in kind).
      m.onTraffic(evidenceCounters(link(100, 100, 10), family), 10_000);
      m.onTraffic(evidenceCounters(link(102, 100, 12), family), 10_100);
      m.onTraffic(evidenceCounters(link(104, 100, 14), family), 10_200);
      m.onTraffic(evidenceCounters(link(104, 100, 14), family), 10_300);
      assert.equal(m.phase, "steady", family);
      assert.equal(m.view().suspicions, 0, family);
    }
    // Real IPv6 traffic that goes unanswered is evidence for the WAN's only judge, not for an IPv4 one.
    const only = steady();
    const ipv4 = steady();
    for (const [i, tx] of [100, 101, 103, 104].entries()) {
      only.onTraffic(evidenceCounters(link(tx, 100, 0, tx - 100), "any"), 10_000 + i * 100);
      ipv4.onTraffic(evidenceCounters(link(tx, 100, 0, tx - 100), "ipv4"), 10_000 + i * 100);
    }
    assert.equal(only.phase, "suspect");
    assert.equal(ipv4.phase, "steady");
  });

  it("the status carries them, valid against the API's WAN status schema", async () => {
    const rig = makeRig({ config: fourWans() });
    await rig.kernel.boot();
    try {
      await advance(rig.clock, 5_000, 50);
      rig.platform.world.set("eth1", { upstream: false });
      await advance(rig.clock, 15_000, 50);
      rig.platform.world.set("eth1", { upstream: true });
      await advance(rig.clock, 5_000, 50);
      const w = rig.kernel.status().wans.find((x) => x.name === "ethernet")!;
      assert.ok((w.suspicions ?? 0) >= 1, JSON.stringify(w));
      assert.match(w.lastSuspicion!.cause, /failed|unanswered/);
      assert.ok(!Number.isNaN(Date.parse(w.lastSuspicion!.at)));
      const parsed = v.safeParse(wanStatus, JSON.parse(JSON.stringify(w)));
      assert.ok(parsed.success, JSON.stringify(parsed.issues?.map((i) => i.message)));
      const quiet = rig.kernel.status().wans.find((x) => x.name === "repeater")!;
      assert.equal(quiet.suspicions, 0, "a WAN nothing happened to has none");
    } finally {
      await rig.kernel.shutdown({ cleanup: true });
    }
  });
});
