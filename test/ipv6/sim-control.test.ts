/** The simulator's controls for IPv6: a silent IPv6-only failure, shown only on uplinks that carry IPv6. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { FakeClock } from "../../src/clock.ts";
import { SimController } from "../../src/platform/sim/control.ts";
import { createSimPlatform, SimLanClient } from "../../src/platform/sim/index.ts";
import { UPLINKS } from "../helpers.ts";
import { DUAL_UPLINKS } from "./rig.ts";

describe("sim controls for IPv6", () => {
  it("upstream6 false silences IPv6 only; restore brings it back; IPv4-only uplinks show no upstream6", () => {
    const clock = new FakeClock(0);
    const uplinks = [...DUAL_UPLINKS.slice(0, 2), UPLINKS[2]];
    const platform = createSimPlatform({ clock, uplinks });
    const world = platform.world;
    const client = new SimLanClient(platform.dataplane, world, clock);
    const sim = new SimController({ world, client, clock, presets: [] });
    const view = sim.setUplink("eth1", { upstream6: false });
    assert.equal(view?.upstream6, false);
    assert.equal(world.reachable("eth1", "ipv6"), false);
    assert.equal(world.reachable("eth1", "ipv4"), true);
    assert.equal(sim.uplinks().find((u) => u.device === "usb0")?.upstream6, undefined);
    assert.equal(world.reachable("usb0", "ipv6"), false, "an uplink without an IPv6 address carries no IPv6");
    assert.equal(sim.restoreUplink("eth1")?.upstream6, true);
    assert.equal(world.reachable("eth1", "ipv6"), true);
    sim.close();
  });
});
