/**
 * The contract kit's rules catch what they are meant to: each rule fed a plugin's output
 * that breaks it.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { ModeInput, ModeInstance, WanInstance } from "../../src/plugin.ts";
import { kitRules } from "../../src/sdk/testing.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";

const { checkDecision, checkInspection, checkModeRuns, checkResult } = kitRules;
const input: ModeInput = {
  wans: [
    { name: "a", priority: 1, weight: 1, state: "up", metered: false },
    { name: "b", priority: 2, weight: 1, state: "down", metered: false },
  ],
};

describe("kit rules", () => {
  it("decisions: a down carrier, a stranger, weight 0, a duplicate, nothing while a WAN is usable", () => {
    const ok = { carriers: [{ wan: "a", weight: 1 }], refresh: [], summary: "a" };
    checkDecision(ok, input);
    assert.throws(() => checkDecision({ ...ok, carriers: [{ wan: "b", weight: 1 }] }, input), /carrier b is down/);
    assert.throws(() => checkDecision({ ...ok, carriers: [{ wan: "z", weight: 1 }] }, input), /not an enabled WAN/);
    assert.throws(() => checkDecision({ ...ok, carriers: [{ wan: "a", weight: 0 }] }, input), /weight 0/);
    assert.throws(() => checkDecision({ ...ok, carriers: [{ wan: "a", weight: 1 }, { wan: "a", weight: 2 }] }, input), /carrier once/);
    assert.throws(() => checkDecision({ ...ok, carriers: [] }, input), /usable but none carries/);
    assert.throws(() => checkDecision({ ...ok, refresh: ["q"] }, input), /refresh names q/);
  });

  it("tracker results: unknown target, received > sent, negative RTT, an ok result with an error", () => {
    checkResult({ target: "t", ok: true, rttMs: 3, sent: 2, received: 2 }, ["t"]);
    assert.throws(() => checkResult({ target: "x", ok: true }, ["t"]), /not one of the targets/);
    assert.throws(() => checkResult({ target: "t", ok: false, sent: 1, received: 2 }, ["t"]), /received ≤ sent/);
    assert.throws(() => checkResult({ target: "t", ok: true, rttMs: -1 }, ["t"]), /rttMs -1/);
    assert.throws(() => checkResult({ target: "t", ok: true, error: "x" }, ["t"]), /no error/);
  });

  it("inspections: another device, carrier without the device, a nested detail", () => {
    const wan = { device: "eth1" } as WanInstance;
    const def = builtinPlugins.find((p) => p.id === "wan.ethernet")!;
    const good = { device: "eth1", present: true, carrier: true, address: "198.18.1.2/30", details: { rx: 1 } };
    checkInspection(good, wan, def);
    assert.throws(() => checkInspection({ ...good, device: "eth2" }, wan, def), /names the instance's device/);
    assert.throws(() => checkInspection({ ...good, present: false }, wan, def), /no carrier without the device/);
    assert.throws(() => checkInspection({ ...good, details: { x: {} as never } }, wan, def), /details.x is a plain value/);
  });

  it("modes: hidden state between calls is caught", () => {
    const stateful = (): ModeInstance => {
      let calls = 0;
      return {
        decide: ({ wans }) => {
          calls++;
          const usable = wans.filter((w) => w.state !== "down");
          const pick = usable[calls % Math.max(1, usable.length)];
          return { carriers: pick ? [{ wan: pick.name, weight: 1 }] : [], refresh: [], summary: "" };
        },
      };
    };
    assert.throws(() => checkModeRuns(stateful(), stateful(), 100), /same/);
  });
});

describe("sdk constants", () => {
  it("the SDK's probe ports are the ones the Linux dataplane pins to the uplink", async () => {
    const { PROBE_PORTS: linux } = await import("../../src/platform/linux/nft.ts");
    const { PROBE_PORTS: sdk } = await import("../../src/sdk/udp.ts");
    assert.deepEqual(sdk, linux);
  });
});
