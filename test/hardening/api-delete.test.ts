/**
 * End to end through the API: removing a WAN whose plugin's stop() never settles returns
 * within the stop bound, and afterwards writes, operator actions and failover work.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { AnyPlugin } from "../../src/plugin.ts";
import { PLUGIN_LIMITS } from "../../src/runtime/bounded.ts";
import { makeApiRig } from "../api/rig.ts";
import { advance, until } from "../helpers.ts";
import { faultyTracker, faultyWan, newFaultLog } from "./faulty.ts";
import { settlesWithin, withFaulty } from "./rig.ts";

describe("DELETE /api/v1/wans/<w> with a plugin whose stop never settles", () => {
  it("returns within the stop bound; writes, actions and failover keep working", async () => {
    const log = newFaultLog();
    const rig = await makeApiRig({
      config: withFaulty("stop-hang"),
      plugins: [faultyWan(log), faultyTracker(log)] as AnyPlugin[],
    });
    const errors: string[] = [];
    rig.kernel.events.on((e) => e.type === "plugin.error" && errors.push(`${e.data.code} ${e.data.message}`));
    await advance(rig.clock, 1_000);

    const del = rig.req("DELETE", "/api/v1/wans/tethering");
    assert.ok(await settlesWithin(rig.clock, del, PLUGIN_LIMITS.stopMs + 1_000), "DELETE returns");
    assert.equal((await del).status, 200);
    assert.ok(log.calls.includes("stop tethering"));
    assert.ok(errors.some((e) => /^E_PLUGIN_TIMEOUT wans\.tethering \(wan\.faulty\): stop did not finish within 5000 ms$/.test(e)));

    const patch = rig.req("PATCH", "/api/v1/wans/cellular", { body: { priority: 7 } });
    assert.ok(await settlesWithin(rig.clock, patch, 200), "the next write is not stuck");
    assert.equal((await patch).status, 200);

    const down = rig.req("POST", "/api/v1/wans/repeater/actions/down");
    assert.ok(await settlesWithin(rig.clock, down, 200), "operator actions are not stuck");
    assert.equal((await down).status, 200);

    rig.platform.world.set("eth1", { carrier: false });
    await until(rig.clock, () => rig.platform.dataplane.plan.carriers[0]?.wan === "cellular", 2_000, 10);
    const status = await (await rig.req("GET", "/api/v1/status")).json();
    assert.equal(status.plan.carriers[0].wan, "cellular");
    assert.deepEqual(status.wans.map((w: { name: string }) => w.name), ["ethernet", "repeater", "cellular"]);
    assert.ok(await settlesWithin(rig.clock, rig.close(), PLUGIN_LIMITS.stopMs + 1_000));
  });
});
