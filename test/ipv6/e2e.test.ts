/**
 * Dual stack end to end on the simulated world: per-family health and status reasons, IPv6
 * failover (silent and carrier), the IPv6 load-balance split and mixed IPv4/IPv6 clients.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as v from "valibot";
import { wanStatus as wanStatusSchema } from "../../web/api-schemas.ts";
import { SimLanClient } from "../../src/platform/sim/index.ts";
import { advance, until } from "../helpers.ts";
import { dualWans, makeDualRig } from "./rig.ts";

async function running(mode: Record<string, unknown> = { type: "mode.failover" }, ipv6Share = 0.5) {
  const rig = makeDualRig(dualWans(mode));
  await rig.kernel.boot();
  const client = new SimLanClient(rig.platform.dataplane, rig.platform.world, rig.clock, {
    perSecond: 20,
    lifetimeMs: [600_000, 600_000],
    ipv6Share,
  });
  client.start();
  await advance(rig.clock, 3000);
  return { ...rig, client };
}

const wanStatus = (r: Awaited<ReturnType<typeof running>>, name: string) => r.kernel.status().wans.find((w) => w.name === name)!;
const carriers6 = (r: Awaited<ReturnType<typeof running>>) => r.platform.dataplane.plan.carriers6?.map((c) => c.wan);
const carriers = (r: Awaited<ReturnType<typeof running>>) => r.platform.dataplane.plan.carriers.map((c) => c.wan);

describe("IPv6 dual stack on the sim world", () => {
  it("both families up: IPv4 and IPv6 on the primary, status per family", async () => {
    const r = await running();
    try {
      assert.deepEqual(carriers(r), ["ethernet"]);
      assert.deepEqual(carriers6(r), ["ethernet"]);
      const eth = wanStatus(r, "ethernet");
      assert.equal(eth.families?.ipv4?.state, "up");
      assert.equal(eth.families?.ipv6?.state, "up");
      assert.equal(eth.address6, "2001:2:0:1::2/64");
      assert.equal(eth.carrying6, true);
      assert.equal(eth.targets.length, 6, "targets of both families in the status");
      const checked = v.safeParse(wanStatusSchema, eth);
      assert.ok(checked.success, JSON.stringify(!checked.success && checked.issues[0].message));
      assert.deepEqual(checked.output.families, eth.families, "the API schema keeps the families");
      assert.deepEqual(r.kernel.status().plan.carriers6?.map((c) => c.wan), ["ethernet"]);
    } finally {
      await r.kernel.shutdown({ cleanup: true });
    }
  });

  it("silent IPv6 outage on the primary: IPv6 moves to the next uplink, IPv4 stays, the reason names IPv6", async () => {
    const r = await running();
    try {
      r.platform.world.set("eth1", { upstream6: false });
      await until(r.clock, () => carriers6(r)?.[0] === "repeater", 10_000);
      assert.deepEqual(carriers(r), ["ethernet"], "IPv4 keeps its carrier");
      const eth = wanStatus(r, "ethernet");
      assert.equal(eth.state, "up", "the WAN's state is IPv4's");
      assert.equal(eth.families?.ipv6?.state, "down");
      assert.equal(eth.families?.ipv4?.state, "up");
      assert.match(eth.reason, /^IPv6 down: 3 of 3 targets lost for \d+\.\d s; IPv4 up/);
      assert.equal(eth.carrying6, false);
      // New IPv6 connections go out the repeater (stalled ones reconnect there too).
      const before = { ...r.client.opened6 };
      await advance(r.clock, 7000);
      assert.ok((r.client.opened6.repeater ?? 0) - (before.repeater ?? 0) > 10, JSON.stringify(r.client.opened6));
      assert.equal(r.client.opened6.ethernet, before.ethernet, "no new IPv6 connection on the outage");
      const flows = await r.platform.dataplane.flows();
      assert.ok((flows.ethernet?.flows ?? 0) > 0, "IPv4 flows stay on ethernet");
    } finally {
      await r.kernel.shutdown({ cleanup: true });
    }
  });

  it("silent IPv4 outage on the primary: IPv4 moves, IPv6 stays, the reason names IPv4", async () => {
    const r = await running();
    try {
      r.platform.world.set("eth1", { upstream4: false });
      await until(r.clock, () => carriers(r)[0] === "repeater", 10_000);
      assert.deepEqual(carriers6(r), ["ethernet"], "IPv6 traffic arriving does not hide the IPv4 outage, nor move IPv6");
      const eth = wanStatus(r, "ethernet");
      assert.equal(eth.state, "down");
      assert.equal(eth.families?.ipv6?.state, "up");
      assert.match(eth.reason, /^IPv4 down: .+; IPv6 up/);
    } finally {
      await r.kernel.shutdown({ cleanup: true });
    }
  });

  it("carrier loss on the primary: both families move at once, and come back", async () => {
    const r = await running();
    try {
      r.platform.world.set("eth1", { carrier: false });
      await until(r.clock, () => carriers(r)[0] === "repeater" && carriers6(r)?.[0] === "repeater", 2000);
      const eth = wanStatus(r, "ethernet");
      assert.equal(eth.families?.ipv4?.state, "down");
      assert.equal(eth.families?.ipv6?.state, "down");
      assert.match(eth.reason, /no carrier on eth1/);
      r.platform.world.set("eth1", { carrier: true });
      await until(r.clock, () => carriers(r)[0] === "ethernet" && carriers6(r)?.[0] === "ethernet", 30_000);
    } finally {
      await r.kernel.shutdown({ cleanup: true });
    }
  });

  it("IPv6 load balance 3:1 splits new IPv6 connections by the ratio", async () => {
    const rig = makeDualRig({
      ...dualWans({ type: "mode.load-balance" }),
      wans: {
        ...dualWans().wans,
        ethernet: { ...dualWans().wans.ethernet, weight: 3 },
        repeater: { ...dualWans().wans.repeater, priority: 1 },
      },
    });
    await rig.kernel.boot();
    try {
      await advance(rig.clock, 3000);
      assert.deepEqual(rig.platform.dataplane.plan.carriers6, [{ wan: "ethernet", weight: 3 }, { wan: "repeater", weight: 1 }]);
      const counts: Record<string, number> = {};
      for (let i = 0; i < 400; i++) {
        const c = rig.platform.dataplane.open("ipv6");
        assert.ok(c.ok);
        counts[c.flow.uplink] = (counts[c.flow.uplink] ?? 0) + 1;
        rig.platform.dataplane.end(c.flow.id);
      }
      // Binomial(400, 0.75): sigma ≈ 8.7; 5 sigma ≈ 43.
      assert.equal((counts.ethernet ?? 0) + (counts.repeater ?? 0), 400, JSON.stringify(counts));
      assert.ok(Math.abs((counts.ethernet ?? 0) - 300) <= 43, JSON.stringify(counts));
    } finally {
      await rig.kernel.shutdown({ cleanup: true });
    }
  });

  it("mixed IPv4-only and IPv6-only clients at once follow their own family's carriers", async () => {
    const r = await running({ type: "mode.failover" }, 0);
    const six = new SimLanClient(r.platform.dataplane, r.platform.world, r.clock, {
      perSecond: 20,
      lifetimeMs: [600_000, 600_000],
      ipv6Share: 1,
    });
    six.start();
    try {
      await advance(r.clock, 2000);
      r.platform.world.set("eth1", { upstream6: false });
      await until(r.clock, () => carriers6(r)?.[0] === "repeater", 10_000);
      const v4Before = { ...r.client.opened };
      const v6Before = { ...six.opened6 };
      await advance(r.clock, 3000);
      assert.ok(r.client.opened.ethernet - v4Before.ethernet >= 50, "IPv4 client keeps using ethernet");
      assert.equal(r.client.opened.repeater ?? 0, v4Before.repeater ?? 0);
      assert.equal(r.client.failed, 0);
      assert.ok((six.opened6.repeater ?? 0) - (v6Before.repeater ?? 0) >= 50, "IPv6 client moved to repeater");
      assert.equal(six.opened6.ethernet ?? 0, v6Before.ethernet ?? 0);
      assert.equal(six.failed6, 0);
    } finally {
      six.stop();
      await r.kernel.shutdown({ cleanup: true });
    }
  });

  it("turning NAT66 on keeps the WAN's runtime and health, and reaches the plan", async () => {
    const r = await running();
    try {
      const since = wanStatus(r, "ethernet").since;
      const doc = dualWans();
      (doc.wans.ethernet as Record<string, unknown>).nat6 = true;
      const applied = await r.kernel.applyConfig(doc);
      assert.equal(applied.changed, true);
      await advance(r.clock, 200);
      assert.equal(r.platform.dataplane.plan.uplinks.ethernet.nat6, true);
      assert.equal(wanStatus(r, "ethernet").since, since, "the health machine carried over (no restart)");
      assert.equal(wanStatus(r, "ethernet").state, "up");
    } finally {
      await r.kernel.shutdown({ cleanup: true });
    }
  });

  it("an IPv6-only WAN without IPv6 on its uplink is down with the probe's reason", async () => {
    const cfg = dualWans({ type: "mode.failover" }, "ipv6");
    const rig = makeDualRig(cfg);
    rig.platform.world.set("eth1", {});
    (rig.platform.world.uplink("eth1")!).address6 = undefined;
    await rig.kernel.boot();
    try {
      await advance(rig.clock, 15_000, 20);
      const eth = rig.kernel.status().wans.find((w) => w.name === "ethernet")!;
      assert.equal(eth.families?.ipv6?.state, "down");
      assert.equal(eth.families?.ipv6?.reason, "no global IPv6 address on eth1");
      assert.equal(eth.families?.ipv4, undefined);
      assert.equal(rig.platform.dataplane.plan.carriers.length, 0, "IPv6-only WANs carry no IPv4");
      assert.equal(rig.platform.dataplane.plan.carriers6?.[0]?.wan, "repeater");
    } finally {
      await rig.kernel.shutdown({ cleanup: true });
    }
  });
});
