/**
 * Tracker results are checked where they enter the kernel: impossible values (negative or
 * non-finite RTT, negative counts, more received than sent, absurd figures, targets the
 * tracker never declared) are dropped and named in the WAN's status, never stored.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { checkResult } from "../../src/runtime/result-check.ts";
import { advance, makeRig } from "../helpers.ts";
import { newFaultLog, type TrackerFault } from "./faulty.ts";
import { pluginsWith, withFaulty } from "./rig.ts";

const TARGETS = ["198.19.0.1", "198.19.0.2"];

describe("checkResult", () => {
  const bad: [string, unknown, RegExp][] = [
    ["negative RTT", { target: TARGETS[0], ok: true, rttMs: -1 }, /rttMs -1 is negative/],
    ["NaN RTT", { target: TARGETS[0], ok: true, rttMs: Number.NaN }, /rttMs NaN is not a finite number/],
    ["infinite RTT", { target: TARGETS[0], ok: true, rttMs: Infinity }, /rttMs Infinity is not a finite number/],
    ["absurd RTT", { target: TARGETS[0], ok: true, rttMs: 1e9 }, /rttMs 1000000000 is absurd/],
    ["negative sent", { target: TARGETS[0], ok: false, sent: -2 }, /sent -2 is not a count/],
    ["fractional received", { target: TARGETS[0], ok: true, received: 0.5 }, /received 0.5 is not a count/],
    ["received > sent", { target: TARGETS[0], ok: true, sent: 1, received: 4 }, /received 4 > sent 1/],
    ["absurd sent", { target: TARGETS[0], ok: true, sent: 1e7, received: 1 }, /sent 10000000 is absurd/],
    ["unknown target", { target: "198.19.0.250", ok: true }, /unknown target 198.19.0.250/],
    ["ok not boolean", { target: TARGETS[0], ok: "yes" }, /ok is not true or false/],
    ["not an object", null, /not a result/],
  ];
  for (const [what, r, why] of bad) {
    it(`rejects ${what}`, () => assert.match(checkResult(r, TARGETS) ?? "accepted", why));
  }
  it("accepts plausible results", () => {
    assert.equal(checkResult({ target: TARGETS[0], ok: true, rttMs: 0 }, TARGETS), undefined);
    assert.equal(checkResult({ target: TARGETS[1], ok: false, sent: 3, received: 0, error: "timeout" }, TARGETS), undefined);
    assert.equal(checkResult({ target: TARGETS[1], ok: true, rttMs: 812.5, sent: 3, received: 2 }, TARGETS), undefined);
  });
});

describe("a tracker reporting garbage", () => {
  async function run(fault: TrackerFault) {
    const rig = makeRig({ config: withFaulty("none", { tracker: fault, targets: TARGETS }), plugins: pluginsWith(newFaultLog()) });
    const errors: string[] = [];
    rig.kernel.events.on((e) => e.type === "plugin.error" && e.data.instance === "wans.tethering" && errors.push(e.data.message));
    await rig.kernel.boot();
    await advance(rig.clock, 20_000, 100);
    const w = rig.kernel.status().wans.find((x) => x.name === "tethering")!;
    await rig.kernel.shutdown({ cleanup: true });
    return { w, errors };
  }

  it("a sane tracker brings its WAN up (control)", async () => {
    const { w, errors } = await run("none");
    assert.equal(w.state, "up");
    assert.equal(w.latencyMs, 12);
    assert.deepEqual(errors, []);
  });

  for (const fault of ["negative-rtt", "nan-rtt", "absurd-rtt", "received-gt-sent", "negative-sent", "unknown-target"] as const) {
    it(`${fault}: nothing stored, the WAN is not up, status says why`, async () => {
      const { w, errors } = await run(fault);
      assert.notEqual(w.state, "up");
      assert.match(w.reason, /tracker result rejected: /);
      assert.equal(w.latencyMs, undefined);
      for (const t of w.targets) {
        assert.equal(t.rttMs, undefined, `${t.target} stores no RTT`);
        assert.ok(t.sent >= 0 && t.received >= 0 && t.received <= t.sent, `${t.target}: ${t.received}/${t.sent}`);
      }
      assert.ok(w.probesSent >= 0);
      assert.ok(errors.length >= 1 && errors.length <= 3, `reported, not flooded (${errors.length})`);
      assert.match(errors[0], /tracker result rejected/);
    });
  }
});
