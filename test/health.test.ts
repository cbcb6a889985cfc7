import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { defaultHealth, type HealthConfig } from "../src/health/config.ts";
import { HealthMachine } from "../src/health/machine.ts";
import { SimLanClient } from "../src/platform/sim/index.ts";
import { FAST_AFTER_TRAFFIC_MS, QUIET_TRAFFIC_POLL_MS, TRAFFIC_POLL_MS } from "../src/runtime/wan-runtime.ts";
import { advance, countingReads } from "./helpers.ts";

const T = ["a", "b", "c"];
const cfg = (over: Partial<HealthConfig> = {}): HealthConfig => ({ ...defaultHealth, ...over });

/** Feeds one round: every target answers `ok` (or per-target booleans). */
function round(m: HealthMachine, at: number, ok: boolean | boolean[], rttMs = 10) {
  let last: ReturnType<HealthMachine["onResult"]>;
  T.forEach((t, i) => {
    const good = Array.isArray(ok) ? ok[i] : ok;
    last = m.onResult({ target: t, ok: good, rttMs: good ? rttMs : undefined }, at) ?? last;
  });
  return last;
}

describe("HealthMachine", () => {
  it("starts unknown and probing fast, and comes up after `up` good rounds", () => {
    const m = new HealthMachine(cfg({ up: 3 }), T, 0, "eth1");
    assert.equal(m.state, "unknown");
    assert.equal(m.phase, "suspect");
    assert.equal(m.intervalMs(10_000), 100);
    assert.equal(round(m, 100, true), undefined);
    assert.equal(round(m, 200, true), undefined);
    const t = round(m, 300, true);
    assert.deepEqual([t?.from, t?.to], ["unknown", "up"]);
    assert.match(t!.reason, /3 of 3 targets answer/);
    assert.equal(m.phase, "steady");
    assert.equal(m.intervalMs(10_000), 10_000);
  });

  it("goes down only after `down` consecutive failed rounds, and says why", () => {
    const m = new HealthMachine(cfg({ up: 1, down: 3 }), T, 0, "eth1");
    round(m, 0, true);
    assert.equal(m.state, "up");
    assert.equal(round(m, 1000, false), undefined);
    assert.equal(m.phase, "suspect", "a failed round switches to fast probing");
    assert.equal(round(m, 1100, false), undefined);
    const t = round(m, 2200, false);
    assert.equal(t?.to, "down");
    assert.equal(t?.reason, "3 of 3 targets lost for 1.2 s");
    assert.equal(m.phase, "down");
    assert.equal(m.intervalMs(10_000), 1000);
  });

  it("a good round in between resets the failure count", () => {
    const m = new HealthMachine(cfg({ up: 1, down: 3, failureLossPct: 100 }), T, 0);
    round(m, 0, true);
    round(m, 1, false);
    round(m, 2, false);
    round(m, 3, true);
    round(m, 4, false);
    round(m, 5, false);
    assert.equal(m.state, "up");
    assert.equal(round(m, 6, false)?.to, "down");
  });

  it("reliability: a round succeeds when at least that many targets answer", () => {
    const m = new HealthMachine(cfg({ up: 1, down: 1, reliability: 2 }), T, 0);
    round(m, 0, true);
    assert.equal(round(m, 1, [true, true, false]), undefined, "2 of 3 is enough");
    assert.equal(m.state, "up");
    assert.equal(round(m, 2, [true, false, false])?.to, "down", "1 of 3 is not");
    assert.match(m.view().reason, /2 of 3 targets lost/);
  });

  it("needs `up` consecutive good rounds to come back; a failure restarts the count", () => {
    const m = new HealthMachine(cfg({ up: 2, down: 1 }), T, 0);
    round(m, 0, true);
    round(m, 1, true);
    round(m, 2, false);
    assert.equal(m.state, "down");
    round(m, 3, true);
    round(m, 4, false);
    round(m, 5, true);
    assert.equal(m.state, "down");
    assert.equal(round(m, 6, true)?.to, "up");
  });

  it("carrier loss takes the WAN down at once; carrier back needs good rounds", () => {
    const m = new HealthMachine(cfg({ up: 2 }), T, 0, "eth1");
    round(m, 0, true);
    round(m, 1, true);
    assert.equal(m.state, "up");
    const t = m.onLink(true, false, 5);
    assert.deepEqual([t?.to, t?.reason], ["down", "no carrier on eth1"]);
    assert.equal(round(m, 6, true), undefined, "results are ignored while the link is down");
    assert.equal(m.onLink(true, true, 10), undefined);
    round(m, 11, true);
    assert.equal(round(m, 12, true)?.to, "up");
    assert.equal(m.onLink(false, false, 20)?.reason, "device eth1 is missing");
  });

  it("a link-only WAN follows carrier", () => {
    const m = new HealthMachine(cfg(), [], 0, "usb0");
    assert.equal(m.onLink(true, true, 0)?.to, "up", "carrier is all it needs");
    assert.equal(m.onLink(true, false, 1)?.to, "down");
    assert.equal(m.onLink(true, true, 2)?.reason, "carrier up on usb0");
  });

  it("high loss over the window degrades, and recovery needs the lower threshold", () => {
    const m = new HealthMachine(cfg({ up: 1, down: 20, lossWindow: 10, failureLossPct: 40, recoveryLossPct: 10 }), ["a"], 0);
    m.onResult({ target: "a", ok: true, rttMs: 5 }, 0);
    for (let i = 0; i < 4; i++) m.onResult({ target: "a", ok: true, rttMs: 5 }, i);
    assert.equal(m.state, "up");
    let t;
    for (let i = 0; i < 5; i++) {
      t = m.onResult({ target: "a", ok: false }, 10 + i) ?? t;
      t = m.onResult({ target: "a", ok: true, rttMs: 5 }, 20 + i) ?? t;
    }
    assert.equal(m.state, "degraded");
    assert.match(m.view().reason, /loss \d+% over 10 probes \(limit 40%\)/);
    for (let i = 0; i < 9; i++) m.onResult({ target: "a", ok: true, rttMs: 5 }, 30 + i);
    assert.equal(m.state, "up", "back once loss is at most 10 %");
  });

  it("high latency degrades", () => {
    const m = new HealthMachine(cfg({ up: 1, failureLatencyMs: 100, recoveryLatencyMs: 50 }), ["a"], 0);
    for (let i = 0; i < 6; i++) m.onResult({ target: "a", ok: true, rttMs: 300 }, i);
    assert.equal(m.state, "degraded");
    assert.match(m.view().reason, /latency 300 ms \(limit 100 ms\)/);
  });

  it("traffic that goes unanswered switches to fast probing after suspectAfterMs", () => {
    const m = new HealthMachine(cfg({ up: 1, suspectAfterMs: 200 }), T, 0);
    round(m, 0, true);
    assert.equal(m.phase, "steady");
    assert.equal(m.onTraffic({ txPackets: 100, rxPackets: 100 }, 0), false);
    assert.equal(m.onTraffic({ txPackets: 100, rxPackets: 100 }, 100), false);
    assert.equal(m.onTraffic({ txPackets: 110, rxPackets: 100 }, 200), false, "tx grew since 100 ms; nothing back yet");
    assert.equal(m.onTraffic({ txPackets: 120, rxPackets: 100 }, 250), false, "at most 150 ms");
    assert.equal(m.onTraffic({ txPackets: 130, rxPackets: 100 }, 300), true, "unanswered since the reading at 100 ms");
    assert.equal(m.phase, "suspect");
    assert.equal(m.intervalMs(10_000), 100);
  });

  it("sparse chatter (one packet now and then, nothing back) raises no suspicion", () => {
    const m = new HealthMachine(cfg({ up: 1 }), T, 0);
    round(m, 0, true);
    m.onTraffic({ txPackets: 0, rxPackets: 0 }, 0);
    let tx = 0;
    for (let t = 100; t < 20_000; t += 100) {
      if (t % 3000 === 0) tx++;
      assert.equal(m.onTraffic({ txPackets: tx, rxPackets: 0 }, t), false, `at ${t} ms`);
    }
    assert.equal(m.phase, "steady");
  });

  it("answered traffic never raises suspicion, and passive:false ignores traffic", () => {
    const m = new HealthMachine(cfg({ up: 1 }), T, 0);
    round(m, 0, true);
    m.onTraffic({ txPackets: 0, rxPackets: 0 }, 0);
    for (let t = 100; t < 2000; t += 100) assert.equal(m.onTraffic({ txPackets: t, rxPackets: t }, t), false);
    const quiet = new HealthMachine(cfg({ up: 1, passive: false }), T, 0);
    round(quiet, 0, true);
    quiet.onTraffic({ txPackets: 0, rxPackets: 0 }, 0);
    assert.equal(quiet.onTraffic({ txPackets: 10, rxPackets: 0 }, 100), false);
    assert.equal(quiet.onTraffic({ txPackets: 20, rxPackets: 0 }, 5000), false);
  });

  it("one lost probe among good answers keeps probing fast until fresh good rounds clear it", () => {
    const m = new HealthMachine(cfg({ up: 3 }), T, 0);
    for (let i = 0; i < 4; i++) round(m, i, true);
    assert.equal(m.phase, "steady");
    m.onResult({ target: "a", ok: true, rttMs: 5 }, 10);
    m.onResult({ target: "b", ok: true, rttMs: 5 }, 20);
    m.onResult({ target: "c", ok: false }, 30);
    assert.equal(m.phase, "suspect", "the round succeeded (2 of 3, good round 1 of 3) but the loss is a suspicion");
    round(m, 40, true);
    assert.equal(m.phase, "suspect");
    round(m, 50, true);
    assert.equal(m.phase, "steady");
  });

  it("lost probes while real traffic keeps arriving are inconclusive, not failures", () => {
    const m = new HealthMachine(cfg({ up: 1, down: 2 }), T, 0);
    round(m, 0, true);
    let rx = 0;
    m.onTraffic({ txPackets: 0, rxPackets: 0, rxBytes: rx }, 50);
    for (let t = 100; t <= 1000; t += 100) {
      rx += 2000;
      m.onTraffic({ txPackets: t, rxPackets: t, rxBytes: rx }, t);
      round(m, t, false);
    }
    assert.equal(m.state, "up", "a saturated link that still receives is not dead");
    assert.equal(m.view().reason, "probes lost, but traffic still arrives");
    m.onTraffic({ txPackets: 1100, rxPackets: 1100, rxBytes: rx + 60 }, 1500);
    round(m, 1500, false);
    assert.equal(round(m, 1600, false)?.to, "down", "once only the odd small packet arrives, losses count");
  });

  it("10 idle minutes of probe replies landing after the counter read plus router chatter raise no suspicion", () => {
    // One uplink of four, three targets taking turns every 10 s (RTT 30 ms: the reply lands in
    // the next 100 ms reading), plus what a router sends by itself with nothing coming back:
    // IPv6 router solicitations (backing off from 4 s), MLD report pairs 1 s apart, a DHCPv6
    // solicit every 30 s, and ARP for the gateway (answered) every 60 s.
    const m = new HealthMachine(cfg(), T, 0, "eth1");
    for (let r = 0; r < 3; r++) round(m, r * 100, true, 30);
    assert.equal(m.phase, "steady");
    const sends: number[] = [];
    const answers: number[] = [];
    for (let t = 1000; t < 600_000; t += 10_000) {
      sends.push(t);
      answers.push(t + 30);
    }
    for (let t = 4000, gap = 4000; t < 600_000; gap *= 2, t += gap) sends.push(t + 7); // RS
    for (let t = 2000; t < 600_000; t += 125_000) sends.push(t + 3, t + 1003); // MLD
    for (let t = 5000; t < 600_000; t += 30_000) sends.push(t + 11); // DHCPv6
    for (let t = 9000; t < 600_000; t += 60_000) {
      sends.push(t + 1);
      answers.push(t + 2);
    }
    let phaseChanges = 0;
    let k = 0;
    for (let t = 1000; t < 600_000; t += 100) {
      const tx = sends.filter((x) => x <= t).length;
      const rx = answers.filter((x) => x <= t).length;
      if (m.onTraffic({ txPackets: tx, rxPackets: rx, rxBytes: rx * 60 }, t)) phaseChanges++;
      if (t % 10_000 === 1000 + 100) m.onResult({ target: T[k++ % 3], ok: true, rttMs: 30 }, t);
    }
    assert.equal(phaseChanges, 0);
    assert.equal(m.phase, "steady");
    assert.equal(m.intervalMs(10_000), 10_000, "the probes keep their steady cadence (no ping restart)");
  });

  it("counters that go backwards (device recreated) or are garbage: no suspicion, no fake evidence", () => {
    const m = new HealthMachine(cfg({ up: 1, down: 3 }), T, 0, "eth1");
    round(m, 0, true);
    m.onTraffic({ txPackets: 1000, rxPackets: 1000, rxBytes: 1_000_000 }, 100);
    assert.equal(m.onTraffic({ txPackets: 3, rxPackets: 0, rxBytes: 0 }, 200), false);
    assert.equal(m.onTraffic({ txPackets: Number.NaN, rxPackets: 0 }, 300), false);
    assert.equal(m.counterResets, 2);
    assert.equal(m.phase, "steady");
    // The baseline restarts: unanswered traffic after the reset still raises suspicion.
    m.onTraffic({ txPackets: 3, rxPackets: 0, rxBytes: 0 }, 400);
    m.onTraffic({ txPackets: 6, rxPackets: 0, rxBytes: 0 }, 500);
    assert.equal(m.onTraffic({ txPackets: 9, rxPackets: 0, rxBytes: 0 }, 600), true);
    // The drop of rx bytes is not taken for "traffic still arrives": losses right after it count.
    const n = new HealthMachine(cfg({ up: 1, down: 3 }), T, 0, "eth1");
    round(n, 0, true);
    n.onTraffic({ txPackets: 1000, rxPackets: 1000, rxBytes: 1_000_000 }, 100);
    n.onTraffic({ txPackets: 0, rxPackets: 0, rxBytes: 0 }, 200);
    round(n, 210, false);
    round(n, 220, false);
    assert.equal(round(n, 230, false)?.to, "down");
  });

  it("the down reason says what the probes said when it was more than silence", () => {
    const m = new HealthMachine(cfg({ up: 1, down: 1 }), ["a"], 0, "eth1");
    m.onResult({ target: "a", ok: true, rttMs: 5 }, 0);
    const t = m.onResult({ target: "a", ok: false, error: "ping exited with 2" }, 100);
    assert.equal(t?.to, "down");
    assert.equal(t?.reason, "1 of 1 targets lost for 0.0 s (ping exited with 2)");
  });

  it("a metered uplink that carries nothing but probes is probed every minute; traffic brings 10 s back at once", () => {
    const run = (metered: boolean) => {
      const m = new HealthMachine(cfg(), T, 0, "wwan0", { metered });
      for (let r = 0; r < 3; r++) round(m, r * 100, true);
      let tx = 100;
      let k = 0;
      const changes: number[] = [];
      for (let t = 1000; t <= 130_000; t += 100) {
        if (t % 10_000 === 0) {
          tx++; // one probe every 10 s, its answer counted
          m.onResult({ target: T[k++ % 3], ok: true, rttMs: 40 }, t);
        }
        if (t % 7_000 === 0) tx++; // chatter: router solicitation, ARP
        if (m.onTraffic({ txPackets: tx, rxPackets: tx, rxBytes: tx * 80 }, t)) changes.push(t);
      }
      return { m, changes, tx };
    };
    const plain = run(false);
    assert.equal(plain.m.idle, false);
    assert.equal(plain.m.intervalMs(10_000), 10_000, "not metered: the tracker's cadence");
    const { m, changes, tx } = run(true);
    assert.equal(m.idle, true);
    assert.equal(m.intervalMs(10_000), 60_000);
    assert.equal(changes.length, 1, "one cadence change (one restart of the probes)");
    assert.ok(changes[0] >= 60_000 && changes[0] <= 62_000, `idle from ${changes[0]} ms`);
    // A LAN client starts using it: 30 packets in a poll.
    assert.equal(m.onTraffic({ txPackets: tx + 30, rxPackets: tx + 30, rxBytes: (tx + 30) * 80 }, 130_100), true);
    assert.equal(m.idle, false);
    assert.equal(m.intervalMs(10_000), 10_000);
  });

  it("comes back up (not degraded) after an outage or lost first echoes: the outage is not the quality", () => {
    const m = new HealthMachine(cfg({ up: 3, down: 3 }), T, 0, "eth1");
    round(m, 0, false); // the first echoes of a new uplink are lost (routes not in yet)
    round(m, 100, true);
    round(m, 200, true);
    assert.equal(round(m, 300, true)?.to, "up");
    for (let i = 0; i < 20; i++) round(m, 1000 + i * 1000, false);
    assert.equal(m.state, "down");
    round(m, 30_000, true);
    round(m, 31_000, true);
    const t = round(m, 32_000, true);
    assert.deepEqual([t?.from, t?.to], ["down", "up"]);
    assert.equal(m.view().lossPct, 0);
    // Loss after it is back still degrades it.
    for (let i = 0; i < 6; i++) round(m, 40_000 + i * 100, [true, false, false]);
    assert.equal(m.state, "degraded");
  });

  it("regression: a cable pulled and put back comes back up, not degraded by the probes that failed without a carrier", () => {
    // The panel's browser test saw "degraded (loss 44% over 34 probes)" after Restore on a busy
    // machine: the probes kept failing while the cable was out and went into the loss window.
    const m = new HealthMachine(cfg({ up: 3, down: 3 }), T, 0, "eth1");
    m.onLink(true, true, 0);
    for (let r = 0; r < 3; r++) round(m, r * 100, true);
    assert.equal(m.state, "up");
    assert.equal(m.onLink(true, false, 1000)?.to, "down");
    for (let i = 0; i < 15; i++) round(m, 2000 + i * 1000, false); // probes without a carrier
    assert.equal(m.view().lossPct, 0, "the outage is not the quality");
    assert.equal(m.onLink(true, true, 20_000), undefined, "carrier back: waiting for good rounds");
    round(m, 21_000, true);
    round(m, 22_000, true);
    const t = round(m, 23_000, true);
    assert.deepEqual([t?.from, t?.to], ["down", "up"]);
    assert.equal(m.view().lossPct, 0);
    assert.ok(m.view().targets.every((x) => x.sent > x.received), "the failed probes are still counted as sent");
  });

  it("an outage just `down` rounds long, then every probe answers: up with a true reason, not degraded", () => {
    const m = new HealthMachine(cfg({ up: 3, down: 3 }), T, 0, "eth1");
    for (let r = 0; r < 3; r++) round(m, r * 100, true);
    assert.equal(m.state, "up");
    // Exactly the failed rounds that take it down, no more: they are the outage.
    round(m, 2000, false);
    round(m, 2100, false);
    assert.equal(round(m, 2200, false)?.to, "down");
    // Coming back, one target answers before the others (partial rounds still succeed).
    round(m, 3200, [true, false, false]);
    round(m, 4200, true);
    const t = round(m, 5200, true);
    assert.deepEqual([t?.from, t?.to], ["down", "up"]);
    assert.equal(t?.reason, "3 of 3 targets answer, 10 ms");
    assert.equal(m.view().reason, "3 of 3 targets answer, 10 ms");
    assert.equal(m.view().lossPct, 0);
    // Several steady rounds later it is still up, and true loss after recovery still degrades it.
    for (let r = 0; r < 5; r++) round(m, 6000 + r * 1000, true);
    assert.equal(m.state, "up");
    for (let i = 0; i < 14; i++) round(m, 20_000 + i * 100, [true, false, false]);
    assert.equal(m.state, "degraded");
    assert.match(m.view().reason, /^loss \d+% over \d+ probes/);
  });

  it("a WAN that comes up with bad quality is degraded with the quality as its reason", () => {
    const m = new HealthMachine(cfg({ up: 3, down: 3, failureLatencyMs: 100, recoveryLatencyMs: 50 }), T, 0, "eth1");
    round(m, 0, true, 300);
    round(m, 100, true, 300);
    const t = round(m, 200, true, 300);
    assert.deepEqual([t?.from, t?.to], ["unknown", "degraded"]);
    assert.equal(t?.reason, "latency 300 ms (limit 100 ms)");
  });

  it("a tracker that goes silent counts as failing", () => {
    const m = new HealthMachine(cfg({ up: 1, down: 2 }), T, 0);
    round(m, 0, true);
    assert.equal(m.onTick(1000, 10_000), undefined);
    m.onTick(40_000, 10_000);
    const t = m.onTick(80_000, 10_000) ?? m.onTick(120_000, 10_000);
    assert.equal(t?.to, "down");
    assert.equal(t?.reason, "tracker reports nothing");
  });

  it("reports per-target RTT, jitter and loss", () => {
    const m = new HealthMachine(cfg({ up: 1 }), ["a"], 0);
    m.onResult({ target: "a", ok: true, rttMs: 10 }, 0);
    m.onResult({ target: "a", ok: true, rttMs: 20 }, 1);
    m.onResult({ target: "a", ok: false }, 2);
    m.onResult({ target: "a", ok: true, rttMs: 14 }, 3);
    const s = m.view().targets[0];
    assert.equal(s.rttMs, 14);
    assert.equal(s.jitterMs, 8);
    assert.equal(s.lossPct, 25);
    assert.deepEqual([s.sent, s.received], [4, 3]);
  });
});

describe("counter reads after a burst of LAN traffic", () => {
  // Regression: the reads slowed down at the first quiet read, so the next burst began on a slow
  // read and a silent outage that started with it was seen up to QUIET_TRAFFIC_POLL_MS late
  // (real daemon, traffic 200 ms before the fault: failover p95 780 → 1578 ms).
  it("stay at the fast rate through a pause between bursts, and slow down once the uplink has been quiet a while", async () => {
    const { reads, ...rig } = await countingReads();
    await advance(rig.clock, 15_000, 50);
    const carrier = rig.kernel.status().plan.carriers[0].wan;
    const dev = rig.kernel.status().wans.find((w) => w.name === carrier)!.device;
    const count = (from: number) => reads.filter((r) => r.device === dev && r.at >= from).length;

    const burst = new SimLanClient(rig.platform.dataplane, rig.platform.world, rig.clock, { perSecond: 50, lifetimeMs: [300, 500] });
    burst.start();
    await advance(rig.clock, 1_000, 50);
    burst.stop();
    // A pause of a few seconds (well within FAST_AFTER_TRAFFIC_MS), as between two page loads.
    await advance(rig.clock, 2_000, 50);
    let from = rig.clock.now();
    await advance(rig.clock, 2_000, 50);
    assert.ok(count(from) >= 0.9 * 2_000 / TRAFFIC_POLL_MS, `${dev}: ${count(from)} reads in the 2 s after the pause`);

    // Quiet for longer than FAST_AFTER_TRAFFIC_MS: back to the slow rate (idle cost unchanged).
    await advance(rig.clock, FAST_AFTER_TRAFFIC_MS, 50);
    from = rig.clock.now();
    await advance(rig.clock, 5_000, 50);
    assert.ok(count(from) < 5_000 / TRAFFIC_POLL_MS / 2, `${dev}: ${count(from)} reads in 5 s of quiet`);
    assert.ok(count(from) >= 5_000 / QUIET_TRAFFIC_POLL_MS, `${dev}: ${count(from)} reads in 5 s of quiet`);
    await rig.kernel.shutdown({ cleanup: true });
  });
});
