/**
 * A metered uplink that carries nothing but probes is probed at health.meteredIdleIntervalMs:
 * the kernel passes `metered` to each WAN's health machine (and a config change flips it).
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { advance, fourWans, makeRig } from "../helpers.ts";

const probes = (rig: ReturnType<typeof makeRig>, wan: string) =>
  rig.kernel.status({ flows: false }).wans.find((w) => w.name === wan)!.probesSent;

describe("metered idle cadence", () => {
  it("an idle metered uplink is probed once a minute, an unmetered one at the tracker's interval", async () => {
    const rig = makeRig({ config: fourWans() });
    await rig.kernel.boot();
    await advance(rig.clock, 150_000, 100); // up, then a minute idle
    const cell0 = probes(rig, "cellular");
    const eth0 = probes(rig, "ethernet");
    await advance(rig.clock, 300_000, 250);
    const cell = probes(rig, "cellular") - cell0;
    const eth = probes(rig, "ethernet") - eth0;
    // Five minutes: ethernet every 10 s (about 30), cellular (metered by default) every 60 s (about 5).
    assert.ok(eth >= 27 && eth <= 33, `ethernet sent ${eth}`);
    assert.ok(cell >= 4 && cell <= 7, `cellular sent ${cell}`);

    // Turning metered off keeps the runtime and brings the tracker's cadence back.
    const doc = fourWans() as { wans: Record<string, Record<string, unknown>> };
    doc.wans.cellular.metered = false;
    await rig.kernel.applyConfig(doc);
    const c1 = probes(rig, "cellular");
    await advance(rig.clock, 120_000, 250);
    const after = probes(rig, "cellular") - c1;
    assert.ok(after >= 10, `cellular sent ${after} in 2 min once not metered`);
    await rig.kernel.shutdown({ cleanup: true });
  });
});
