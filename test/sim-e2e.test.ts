/**
 * End to end on the simulated world: the kernel, the built-in plugins, the sim dataplane
 * and a LAN client that keeps opening connections.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { defaultHealth } from "../src/health/config.ts";
import { TRAFFIC_POLL_MS } from "../src/runtime/wan-runtime.ts";
import { SimLanClient } from "../src/platform/sim/index.ts";
import { advance, fourWans, makeRig, until } from "./helpers.ts";

/** Detection bound for a silent failure while traffic flows, from the default settings. */
const PING_TIMEOUT_MAX = 1000;
const BUSY_BOUND_MS = defaultHealth.suspectAfterMs + TRAFFIC_POLL_MS + defaultHealth.down * defaultHealth.failureIntervalMs +
  PING_TIMEOUT_MAX;

async function running(mode: Record<string, unknown>) {
  const rig = makeRig({ config: fourWans(mode) });
  await rig.kernel.boot();
  const client = new SimLanClient(rig.platform.dataplane, rig.platform.world, rig.clock, {
    perSecond: 20,
    lifetimeMs: [600_000, 600_000],
  });
  client.start();
  await advance(rig.clock, 2000);
  return { ...rig, client };
}

const newFlowsOn = (client: SimLanClient) => ({ ...client.opened });

describe("sim end to end", () => {
  it("silent upstream failure on the primary: new flows go out the next uplink within the detection time", async () => {
    const r = await running({ type: "mode.failover" });
    assert.equal(r.kernel.status().plan.carriers[0].wan, "ethernet");
    r.platform.world.set("eth1", { upstream: false });
    const took = await until(r.clock, () => r.platform.dataplane.plan.carriers[0]?.wan === "repeater", 10_000);
    assert.ok(took <= BUSY_BOUND_MS, `failover took ${took} ms, bound ${BUSY_BOUND_MS} ms`);
    const eth = r.kernel.status().wans[0];
    assert.equal(eth.state, "down");
    assert.match(eth.reason, /^3 of 3 targets lost for \d\.\d s$/);
    const before = newFlowsOn(r.client);
    await advance(r.clock, 1000);
    const after = newFlowsOn(r.client);
    assert.equal(after.ethernet ?? 0, before.ethernet ?? 0, "no new flow on the dead uplink");
    assert.ok((after.repeater ?? 0) - (before.repeater ?? 0) >= 15, "new flows on the repeater");
    const flows = await r.platform.dataplane.flows();
    assert.equal(flows.ethernet, undefined, "the dead uplink's flows were flushed");
    await r.kernel.shutdown({ cleanup: true });
  });

  it("carrier loss fails over at once", async () => {
    const r = await running({ type: "mode.failover" });
    r.platform.world.set("eth1", { carrier: false });
    const took = await until(r.clock, () => r.platform.dataplane.plan.carriers[0]?.wan === "repeater", 1000, 1);
    assert.ok(took <= 5, `took ${took} ms`);
    assert.equal(r.kernel.status().wans[0].reason, "no carrier on eth1");
    await r.kernel.shutdown({ cleanup: true });
  });

  it("an idle uplink is still checked: failure found within one steady interval plus confirmation", async () => {
    const rig = makeRig({ config: fourWans() });
    await rig.kernel.boot();
    await advance(rig.clock, 2000, 50);
    rig.platform.world.set("eth1", { upstream: false });
    const took = await until(rig.clock, () => rig.platform.dataplane.plan.carriers[0]?.wan === "repeater", 30_000, 50);
    assert.ok(took <= 10_000 + BUSY_BOUND_MS, `took ${took} ms`);
    await rig.kernel.shutdown({ cleanup: true });
  });

  for (const forcedRefresh of [false, true]) {
    it(`recovery with Forced Refresh Streams ${forcedRefresh ? "on: backup flows move back" : "off: backup flows stay"}`, async () => {
      const r = await running({ type: "mode.failover", forcedRefresh });
      r.platform.world.set("eth1", { upstream: false });
      await until(r.clock, () => r.platform.dataplane.plan.carriers[0]?.wan === "repeater", 10_000);
      await advance(r.clock, 2000);
      const onBackup = (await r.platform.dataplane.flows()).repeater?.flows ?? 0;
      assert.ok(onBackup >= 40, `flows on the backup: ${onBackup}`);
      r.platform.world.set("eth1", { upstream: true });
      await until(r.clock, () => r.platform.dataplane.plan.carriers[0]?.wan === "ethernet", 10_000);
      await advance(r.clock, 300);
      const flows = await r.platform.dataplane.flows();
      if (forcedRefresh) {
        assert.equal(flows.repeater, undefined, "the backup's flows were flushed");
        assert.ok((flows.ethernet?.flows ?? 0) >= onBackup, "the client reconnected through the primary");
      } else {
        assert.ok((flows.repeater?.flows ?? 0) >= onBackup, "existing flows stay on the backup");
        assert.ok((flows.ethernet?.flows ?? 0) > 0, "new flows use the primary");
      }
      await r.kernel.shutdown({ cleanup: true });
    });
  }

  it("every uplink down: new connections meet the last resort", async () => {
    const r = await running({ type: "mode.failover" });
    for (const d of ["eth1", "wlan0", "usb0", "wwan0"]) r.platform.world.set(d, { carrier: false });
    await advance(r.clock, 100);
    assert.deepEqual(r.platform.dataplane.plan.carriers, []);
    assert.deepEqual(r.platform.dataplane.open(), { ok: false, error: "unreachable" });
    assert.equal(r.kernel.status().plan.summary, "all 4 uplinks are down");
    await r.kernel.shutdown({ cleanup: true });
  });

  it("load balance 3:1 over 10,000 new flows: within one percentage point", async () => {
    const rig = makeRig({ config: fourWans({ type: "mode.load-balance" }) });
    const doc = fourWans({ type: "mode.load-balance" });
    Object.assign(doc.wans.ethernet, { priority: 1, weight: 3 });
    Object.assign(doc.wans.repeater, { priority: 1, weight: 1 });
    rig.store.current = { doc, revision: 1 };
    await rig.kernel.boot();
    await advance(rig.clock, 1000);
    assert.deepEqual(rig.platform.dataplane.plan.carriers, [{ wan: "ethernet", weight: 3 }, { wan: "repeater", weight: 1 }]);
    const count: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const o = rig.platform.dataplane.open();
      assert.ok(o.ok);
      count[o.flow.uplink] = (count[o.flow.uplink] ?? 0) + 1;
    }
    const share = (100 * count.ethernet) / 10_000;
    assert.ok(Math.abs(share - 75) <= 1, `ethernet share ${share}%`);
    assert.equal(count.ethernet + count.repeater, 10_000);
    await rig.kernel.shutdown({ cleanup: true });
  });

  it("5% random loss on the primary does not fail over", async () => {
    const r = await running({ type: "mode.failover" });
    r.platform.world.set("eth1", { lossPct: 5 });
    let carriers = 0;
    for (let t = 0; t < 60_000; t += 1000) {
      await advance(r.clock, 1000, 50);
      if (r.platform.dataplane.plan.carriers[0]?.wan === "ethernet") carriers++;
    }
    assert.equal(carriers, 60);
    assert.notEqual(r.kernel.status().wans[0].state, "down");
    await r.kernel.shutdown({ cleanup: true });
  });
});
