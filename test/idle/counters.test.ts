/**
 * Device counters without a fork per read: the long-lived `ip -batch` reader and how
 * LinuxLinks uses it where sysfs is not readable. Needs the `ip` binary (no root).
 */
import { strict as assert } from "node:assert";
import type { Child } from "../../src/host/index.ts";
import { describe, it } from "node:test";
import { IpBatch, parseLinks } from "../../src/platform/linux/ip-batch.ts";
import { BATCH_GIVE_UP, LinuxLinks } from "../../src/platform/linux/links.ts";
import { createRunner, type Runner } from "../../src/platform/linux/run.ts";

const real = createRunner();
const ipMissing = await real.run(["ip", "-V"]).then(() => undefined, () => "ip missing");
if (ipMissing) console.warn(`\n*** skipped: needs the ip binary (${ipMissing}) ***\n`);

/** A runner that counts its commands; `netns` set so LinuxLinks does not use sysfs. */
function counting(over: Partial<Runner> = {}) {
  const runs: string[] = [];
  const spawns: string[] = [];
  const runner: Runner = {
    netns: "pretend",
    run: (argv, o) => {
      runs.push(argv.join(" "));
      return real.run(argv, o);
    },
    spawn: (argv, o) => {
      spawns.push(argv.join(" "));
      return real.spawn(argv, o);
    },
    ...over,
  };
  return { runner, runs, spawns };
}

describe("parseLinks", () => {
  it("maps devices by name without the @peer suffix", () => {
    const m = parseLinks('[{"ifname":"veth1@if7","stats64":{"rx":{"bytes":5,"packets":1},"tx":{"bytes":6,"packets":2}}},{"ifname":"lo"}]');
    assert.deepEqual([...m.keys()], ["veth1", "lo"]);
    assert.equal(m.get("veth1")?.stats64?.tx.packets, 2);
  });
  it("rejects garbage instead of returning zero counters", () => {
    assert.throws(() => parseLinks("Segmentation fault"));
    assert.throws(() => parseLinks('{"ifname":"lo"}'), /JSON array/);
  });
});

describe("IpBatch", { skip: ipMissing }, () => {
  it("answers many reads from one process, and starts a new one after it died", async () => {
    const children: Child[] = [];
    const logs: string[] = [];
    const b = new IpBatch({ ...real, spawn: (argv, o) => {
      const child = real.spawn(argv, o);
      children.push(child);
      return child;
    } }, (_level, msg) => logs.push(msg));
    try {
      const first = await b.links();
      assert.ok(first.has("lo"), "lo is listed");
      const reads = await Promise.all([b.links(), b.links(), b.links()]);
      assert.ok(reads.every((m) => typeof m.get("lo")?.stats64?.rx.packets === "number"));
      assert.equal(b.starts, 1, "one process for four reads");
      children[0].kill("SIGKILL");
      await children[0].closed;
      await new Promise((r) => setTimeout(r, 0)); // the batch hears of it after this test does
      assert.equal(b.failures, 1);
      assert.match(logs.join("\n"), /restarting/);
      await assert.rejects(b.links(), /restarting/, "no new process inside the backoff");
      await new Promise((r) => setTimeout(r, 550));
      assert.ok((await b.links()).has("lo"), "a new process answers");
      assert.equal(b.starts, 2);
      assert.equal(b.failures, 0, "an answer clears the failure count");
    } finally {
      b.close();
    }
  });

  it("a process that never answers is given up after BATCH_GIVE_UP starts, then one fork per read", async () => {
    const logs: string[] = [];
    const { runner, runs } = counting({
      spawn: (argv, o) => real.spawn(["sh", "-c", `exit 3 # ${argv[0]}`], o),
    });
    const links = new LinuxLinks(runner, (_level, msg) => logs.push(msg));
    try {
      let info;
      for (let i = 0; i < 40 && !info; i++) {
        info = await links.get("lo").catch(() => undefined);
        if (!info) await new Promise((r) => setTimeout(r, 120 * (i + 1)));
      }
      assert.ok(info?.present, "reads still work");
      assert.equal(links.counterSource, "ip-fork");
      assert.ok(links.batchStarts >= BATCH_GIVE_UP, `started ${links.batchStarts} times`);
      assert.equal(logs.filter((m) => /per read/.test(m)).length, 1, "says why, once");
      assert.ok(runs.some((r) => r === "ip -s -json link show"));
    } finally {
      links.close();
    }
  });
});

describe("LinuxLinks without sysfs", { skip: ipMissing }, () => {
  it("reads counters through one long-lived process: no `ip link show` fork per read", async () => {
    const { runner, runs, spawns } = counting();
    const links = new LinuxLinks(runner);
    try {
      const a = await links.get("lo");
      await new Promise((r) => setTimeout(r, 60)); // past the sharing window
      const b = await links.get("lo");
      await new Promise((r) => setTimeout(r, 60));
      const c = await links.get("lo");
      assert.ok(a.present && b.present && c.present);
      assert.ok(c.rxPackets >= a.rxPackets, "counters never go back on lo");
      assert.equal(links.counterSource, "ip-batch");
      assert.equal(spawns.filter((s) => s.includes("-batch")).length, 1, "one batch process");
      assert.equal(runs.filter((r) => r.includes("link show")).length, 0, `forks: ${runs.join("; ")}`);
    } finally {
      links.close();
    }
  });
});

describe("LinuxLinks on sysfs", () => {
  it("parseProcNetDev reads receive and transmit bytes and packets per device", async () => {
    const { parseProcNetDev } = await import("../../src/platform/linux/links.ts");
    const text = "Inter-|   Receive                                                |  Transmit\n" +
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
      "    lo:    5784      70    0    0    0     0          0         0     5784      70    0    0    0     0       0          0\n" +
      "  eth1: 1200 10 0 0 0 0 0 3 3400 20 0 0 0 0 0 0\n" +
      "garbage line\n";
    const m = parseProcNetDev(text);
    assert.deepEqual(m.get("eth1"), { rxBytes: 1200, rxPackets: 10, txBytes: 3400, txPackets: 20 });
    assert.equal(m.get("lo")?.txPackets, 70);
    assert.equal(m.size, 2);
  });

  it("reads lo's counters and state in this namespace (no fork)", { skip: process.platform !== "linux" }, async () => {
    const runs: string[] = [];
    const links = new LinuxLinks({ ...real, run: (argv, o) => {
      runs.push(argv.join(" "));
      return real.run(argv, o);
    } });
    try {
      const a = await links.get("lo");
      assert.ok(a.present && a.rxPackets >= 0 && a.txBytes >= 0);
      // Deno refuses /sys and /proc without --allow-all: there the long-lived ip batch answers.
      assert.equal(links.counterSource, "Deno" in globalThis && links.counterSource !== "sysfs" ? "ip-batch" : "sysfs");
      assert.equal((await links.get("no-such-dev0")).present, false);
      assert.equal(runs.filter((r) => r.includes("link show")).length, 0);
    } finally {
      links.close();
    }
  });
});
