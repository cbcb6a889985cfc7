/**
 * EchoJudge / PingStream timing: losses are judged in-process from an anchor, not from
 * `ping -O`'s "no answer yet" (printed only when the next echo goes out). No root needed:
 * a fake clock and fake ping lines; one case runs a fake `ping` child through PingStream.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EchoJudge, GRACE_MS, type JudgeClock, lateSendSlackMs, parsePingLine, START_GRACE_MS } from "../../src/platform/linux/echo-judge.ts";
import { PingStream } from "../../src/platform/linux/probes.ts";
import type { Runner } from "../../src/platform/linux/run.ts";
import type { EchoResult } from "../../src/platform.ts";
import { fakeSpawn } from "../helpers.ts";

/** A fake clock: timers fire in order when advanced. */
class FakeClock implements JudgeClock {
  t = 0;
  #seq = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.#timers.delete(h as number);
  }
  advance(to: number): void {
    for (;;) {
      let best: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#timers) if (e[1].at <= to && (!best || e[1].at < best[1].at)) best = e;
      if (!best) break;
      this.#timers.delete(best[0]);
      this.t = best[1].at;
      best[1].fn();
    }
    this.t = to;
  }
  /** Time moved on while nothing ran (a frozen process, a clock jump): overdue timers fire late, at `to`. */
  stall(to: number): void {
    this.t = to;
    for (;;) {
      const due = [...this.#timers].filter((e) => e[1].at <= to).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      due[1].fn();
    }
  }
}

const reply = (seq: number, ms: number) => `[1700000000.000000] 32 bytes from 198.19.0.1: icmp_seq=${seq} ttl=63 time=${ms} ms`;
const pending = (seq: number) => `[1700000000.000000] no answer yet for icmp_seq=${seq}`;

function judged(intervalMs: number, timeoutMs: number) {
  const clock = new FakeClock();
  const out: (EchoResult & { at: number })[] = [];
  const j = new EchoJudge(clock, { target: "198.19.0.1", intervalMs, timeoutMs }, (r) => out.push({ ...r, at: clock.t }));
  return { clock, out, j, at: (t: number, line?: string) => {
    clock.advance(t);
    if (line) j.line(line);
  } };
}

describe("ping line parser", () => {
  it("classifies replies, pending, errors, the header and duplicates", () => {
    assert.deepEqual(parsePingLine(reply(7, 12.5)), { kind: "reply", seq: 7, rttMs: 12.5 });
    assert.deepEqual(parsePingLine(pending(3)), { kind: "pending", seq: 3 });
    assert.deepEqual(parsePingLine("[1.2] From 198.18.1.2 icmp_seq=4 Destination Host Unreachable"), {
      kind: "error", seq: 4, error: "destination host unreachable",
    });
    assert.deepEqual(parsePingLine("PING 198.19.0.1 (198.19.0.1) from 198.18.1.2 eth1: 24(52) bytes of data."), { kind: "start" });
    assert.equal(parsePingLine(reply(7, 1) + " (DUP!)"), undefined);
    assert.equal(parsePingLine("--- 198.19.0.1 ping statistics ---"), undefined);
  });
});

describe("EchoJudge", () => {
  it("a 150 ms RTT at a 100 ms interval is healthy (no false loss from 'no answer yet')", () => {
    const { out, at } = judged(100, 1000);
    at(0, "PING x (x) 24(52) bytes of data.");
    // seq n sent at (n-1)*100; reply at +150; ping prints "no answer yet for n" when sending n+1.
    for (let n = 1; n <= 20; n++) {
      at((n - 1) * 100 + 100, pending(n));
      at((n - 1) * 100 + 150, reply(n, 150));
    }
    assert.equal(out.length, 20);
    assert.ok(out.every((r) => r.ok && r.rttMs === 150));
  });

  it("reports a loss timeoutMs (plus ping's send lateness) after the send, not an interval later (30 s steady interval)", () => {
    const { out, at, clock } = judged(30_000, 1000);
    const slack = lateSendSlackMs(30_000);
    assert.ok(slack >= 2048 && slack <= 2200, `slack ${slack}: the timer wheel rounds 30 s up to 2.048 s at HZ 250`);
    at(0, "PING x");
    at(20, reply(1, 20));
    clock.advance(30_000 + 1000 + slack - 1);
    assert.equal(out.length, 1);
    clock.advance(30_000 + 1000 + slack + 1);
    assert.equal(out.length, 2);
    assert.deepEqual({ ok: out[1].ok, error: out[1].error }, { ok: false, error: "timeout" });
    assert.ok(Math.abs(out[1].at - (31_000 + slack)) <= 1, `lost at ${out[1].at}`);
    // A late reply for the lost seq is ignored; the next one counts.
    at(32_600, reply(2, 2600));
    at(60_010, reply(3, 10));
    assert.deepEqual(out.map((r) => r.ok), [true, false, true]);
  });

  it("each lost seq is reported once, at send + timeout, during a total outage", () => {
    const { out, at, clock } = judged(100, 250);
    at(0, "PING x");
    at(5, reply(1, 5));
    // From seq 2 on nothing answers; ping prints 'no answer yet' on every send.
    for (let n = 2; n <= 10; n++) at((n - 1) * 100 + 100, pending(n));
    clock.advance(1000 + 250 - 1); // seq 11 (sent at 1000) is not due yet
    const lost = out.filter((r) => !r.ok);
    assert.equal(lost.length, 9, JSON.stringify(out));
    const slack = lateSendSlackMs(100);
    assert.ok(slack <= 30, `at the fast interval the slack is a few ticks (${slack} ms)`);
    lost.forEach((r, i) => assert.ok(Math.abs(r.at - ((i + 1) * 100 + 250 + slack)) <= 1, `seq ${i + 2} lost at ${r.at}`));
  });

  it("an ICMP error reports that seq at once, and only once", () => {
    const { out, at, clock } = judged(1000, 800);
    at(0, "PING x");
    at(10, "[1.0] From 198.18.1.2 icmp_seq=1 Destination Host Unreachable");
    clock.advance(900);
    assert.equal(out.length, 1);
    assert.equal(out[0].error, "destination host unreachable");
    assert.equal(out[0].at, 10);
  });

  it("replies re-anchor: a ping that started late does not cause false losses", () => {
    const { out, at, clock } = judged(1000, 300);
    // No header seen; the first echo goes out 200 ms after the spawn.
    at(290, reply(1, 90));
    at(1290, reply(2, 90));
    clock.advance(5000);
    assert.deepEqual(out.slice(0, 2).map((r) => r.ok), [true, true]);
    assert.ok(out.slice(2).every((r) => !r.ok));
    assert.ok(Math.abs(out[2].at - (2200 + 300 + lateSendSlackMs(1000))) <= 1, `seq 3 lost at ${out[2].at}`);
  });

  it("setTimeoutMs moves the pending deadline without a restart", () => {
    const { out, at, clock, j } = judged(10_000, 1000);
    at(0, "PING x");
    at(10, reply(1, 10));
    const slack = lateSendSlackMs(10_000);
    j.setTimeoutMs(300);
    clock.advance(10_000 + slack + 299);
    assert.equal(out.length, 1);
    clock.advance(10_000 + slack + 301);
    assert.equal(out.length, 2);
    assert.equal(j.timeoutMs, 300);
    j.setTimeoutMs(2000);
    clock.advance(20_000 + slack + 1999);
    assert.equal(out.length, 2);
    clock.advance(20_000 + slack + 2001);
    assert.equal(out.length, 3);
  });

  it("regression: ping sending its echo 400 ms late at the 30 s interval is not a loss (iputils wakes late)", () => {
    // Three targets at the 10 s steady interval: each ping runs at -i 30. iputils sent up to
    // 243 ms late at -i 10 (more at -i 30); with a 250 ms adaptive timeout the judge called an
    // answered echo lost and the uplink went into the suspect phase about once a minute.
    const { out, at, clock } = judged(30_000, 250);
    at(0, "PING x");
    at(1, reply(1, 0.1));
    for (let n = 2; n <= 20; n++) {
      const sentAt = 1 + (n - 1) * 30_000 + 400 * (n - 1) - 400 * (n - 2); // 400 ms late each interval
      at(sentAt + 0.1, reply(n, 0.1));
    }
    clock.advance(20 * 30_000 - 1000);
    assert.equal(out.length, 20, JSON.stringify(out.filter((r) => !r.ok)));
    assert.ok(out.every((r) => r.ok), `false losses: ${out.filter((r) => !r.ok).length}`);
  });

  it("regression: the kernel's timer wheel rounding ping's 30 s wait up by up to 2.048 s is not a loss", () => {
    // Measured (12 pings at -i 30, replies within 0.1 ms, HZ 250): the second echo went out
    // 0.07-1.90 s late, every later one 0.720 s late. The old allowance, 5 % of the interval
    // (1.5 s), judged the 1.90 s case lost: 3 of 4 idle uplinks suspected every 82 s.
    const lateness = [0, 1900, 720, 720, 2040, 720, 1, 2047];
    const { out, at, clock } = judged(30_000, 250);
    at(0, "PING x");
    let sentAt = 0;
    at(0.1, reply(1, 0.1));
    lateness.slice(1).forEach((late, i) => {
      sentAt += 30_000 + late;
      at(sentAt + 0.1, reply(i + 2, 0.1));
    });
    clock.advance(sentAt + 1000);
    assert.equal(out.length, lateness.length);
    assert.ok(out.every((r) => r.ok), `false losses: ${JSON.stringify(out.filter((r) => !r.ok))}`);
  });

  it("a reply waiting in the pipe when the deadline timer runs late (event-loop stall) is not a loss", () => {
    const clock = new FakeClock();
    const deferred: (() => void)[] = [];
    const out: EchoResult[] = [];
    const j = new EchoJudge({ now: () => clock.now(), setTimeout: (f, ms) => clock.setTimeout(f, ms), clearTimeout: (h) => clock.clearTimeout(h), defer: (f) => deferred.push(f) },
      { target: "198.19.0.1", intervalMs: 1000, timeoutMs: 250 }, (r) => out.push(r));
    clock.advance(0);
    j.line("PING x");
    j.line(reply(1, 0.1));
    // Stall: the loop wakes 600 ms after seq 2 went out; the timer runs first, the reply line is read next.
    clock.advance(1600);
    assert.equal(out.length, 1, "nothing judged inside the timer itself");
    j.line(reply(2, 0.1));
    for (const f of deferred.splice(0)) f();
    assert.deepEqual(out.map((r) => r.ok), [true, true]);
    // A real loss (seq 3: the late reply re-anchored it to 1600 + 1000, due timeout + slack later) is still reported.
    clock.advance(2600 + 250 + lateSendSlackMs(1000) + 1);
    for (const f of deferred.splice(0)) f();
    assert.ok(out.slice(2).some((r) => !r.ok && r.error === "timeout"));
  });

  it("a clock jump or a frozen process (5 s at the 100 ms interval) is not 50 losses at once", () => {
    const { out, at, clock, j } = judged(100, 250);
    at(0, "PING x");
    at(1, reply(1, 1));
    clock.stall(5_000); // nothing ran for 5 s (timers included)
    assert.equal(out.filter((r) => !r.ok).length, 0, JSON.stringify(out));
    assert.equal(j.stalls, 1);
    // Echoes are judged again from now on: replies count, a real loss is reported.
    at(5_010, reply(51, 1));
    clock.advance(5_500);
    const after = out.slice(1);
    assert.equal(after[0].ok, true);
    assert.ok(after.slice(1).every((r) => !r.ok) && after.length >= 3, JSON.stringify(after));
  });

  it("a busy machine (the timer 600 ms late at the 100 ms interval): a reply printed within the grace counts", () => {
    const { out, at, clock } = judged(100, 250);
    at(0, "PING x");
    at(1, reply(1, 1));
    clock.stall(355 + 600); // seq 2 was due at 100 + 250 + 5; ping was starved too
    assert.equal(out.length, 1, "nothing judged on a late timer");
    at(980, reply(2, 0.5)); // ping runs again and prints the reply that came in time
    assert.deepEqual(out.map((r) => r.ok), [true, true]);
  });

  it("a busy machine with no reply after the grace costs at most one loss, not a failed round per echo", () => {
    const { out, at, clock, j } = judged(100, 250);
    at(0, "PING x");
    at(1, reply(1, 1));
    clock.stall(355 + 600);
    clock.advance(955 + GRACE_MS + 1);
    assert.equal(out.filter((r) => !r.ok).length, 1, JSON.stringify(out));
    assert.equal(j.stalls, 1);
    // Replies for the dropped seqs are ignored; later echoes are judged again.
    at(1250, reply(5, 1));
    at(1310, reply(12, 1));
    assert.deepEqual(out.map((r) => r.ok), [true, false, true]);
  });

  it("a ping slow to start (header 600 ms after the spawn on a busy machine) loses nothing; one that never prints does", () => {
    const { out, at, clock } = judged(100, 250);
    clock.advance(599);
    assert.equal(out.length, 0, "no loss before ping printed anything");
    at(600, "PING x");
    at(601, reply(1, 1));
    at(701, reply(2, 1));
    assert.deepEqual(out.map((r) => r.ok), [true, true]);
    const silent = judged(100, 250);
    silent.clock.advance(START_GRACE_MS - 1);
    assert.equal(silent.out.length, 0);
    silent.clock.advance(START_GRACE_MS + 1000);
    assert.ok(silent.out.some((r) => !r.ok && r.error === "timeout"), "a ping that prints nothing at all is reported");
  });

  it("stop() cancels everything", () => {
    const { out, at, clock, j } = judged(100, 250);
    at(0, "PING x");
    j.stop();
    clock.advance(10_000);
    j.line(reply(1, 1));
    assert.equal(out.length, 0);
  });
});

describe("PingStream with a fake ping child (real timers)", () => {
  it("reports replies and timeouts from the lines of a child process", async () => {
    const fake = fakeSpawn();
    const runner: Runner = { run: () => Promise.reject(new Error("unused")), spawn: fake.spawn };
    const out: EchoResult[] = [];
    const s = new PingStream(runner, {
      binding: { wan: "a", device: "eth1", index: 1 }, target: "198.19.0.1", intervalMs: 100, timeoutMs: 60, size: 24,
    }, 256, () => {}, (r) => out.push(r));
    assert.deepEqual(fake.children[0].argv.slice(0, 8), ["ping", "-n", "-O", "-D", "-I", "eth1", "-m", "256"]);
    const stdout = fake.children[0];
    stdout.stdout("PING 198.19.0.1 (198.19.0.1) 24(52) bytes of data.\n");
    await new Promise((r) => setTimeout(r, 10));
    stdout.stdout(reply(1, 5) + "\n");
    await new Promise((r) => setTimeout(r, 230)); // seq 2 (due 100+60) and seq 3 (due 260) …
    const firstLoss = out.findIndex((r) => !r.ok);
    assert.equal(out[0].ok, true);
    assert.ok(firstLoss === 1, JSON.stringify(out));
    await s.close();
    const n = out.length;
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(out.length, n, "no results after close");
  });
});

describe("PingStream with a ping that prints garbage and dies", () => {
  it("ignores garbage, reports the death once with its reason, and starts ping again", async () => {
    const { spawn, children } = fakeSpawn();
    const runner: Runner = { run: () => Promise.reject(new Error("unused")), spawn };
    const out: EchoResult[] = [];
    const logs: string[] = [];
    const s = new PingStream(runner, {
      binding: { wan: "a", device: "eth1", index: 1 }, target: "198.19.0.1", intervalMs: 1000, timeoutMs: 900, size: 24,
    }, 256, (_l, msg) => logs.push(msg), (r) => out.push(r));
    try {
      const c = children[0];
      c.stdout("PING 198.19.0.1 (198.19.0.1) 24(52) bytes of data.\n");
      c.stdout("\u0000\u00ffgarbage icmp_seq=abc time=NaN\nSegmentation fault\n");
      c.stdout(reply(1, 3) + "\n");
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(out.map((r) => r.ok), [true], "garbage lines are no results");
      c.stderr("ping: sendmsg: Operation not permitted\n");
      await new Promise((r) => setTimeout(r, 10));
      c.exit(2);
      await new Promise((r) => setTimeout(r, 0));
      assert.equal(out.length, 2);
      assert.deepEqual({ ok: out[1].ok, error: out[1].error }, { ok: false, error: "ping: sendmsg: Operation not permitted" });
      assert.match(logs.join("\n"), /ping stopped; restarting/);
      await new Promise((r) => setTimeout(r, 600)); // backoff 500 ms
      assert.equal(children.length, 2, "ping started again");
      children[1].stdout(reply(1, 4) + "\n");
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(out.at(-1)?.ok, true);
    } finally {
      await s.close();
    }
  });
});
