import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { HealthState, ModeDecision, ModeInstance, ModePlugin, ModeWan, PluginContext } from "../src/index.ts";
import { failoverMode } from "../plugins/mode/failover/index.ts";
import { loadBalanceMode } from "../plugins/mode/load-balance/index.ts";
import * as v from "valibot";

const ctx = {} as PluginContext;

// deno-lint-ignore no-explicit-any
function make(plugin: ModePlugin<any>, config: unknown = {}): ModeInstance {
  return plugin.create(ctx, v.parse(plugin.schema, config)) as ModeInstance;
}

function wans(states: Record<string, HealthState>, extra: Record<string, Partial<ModeWan>> = {}): ModeWan[] {
  return Object.entries(states).map(([name, state], i) => ({
    name,
    state,
    priority: i + 1,
    weight: 1,
    metered: false,
    ...extra[name],
  }));
}

describe("mode.failover", () => {
  it("the best healthy priority carries everything", () => {
    const d = make(failoverMode).decide({ wans: wans({ eth: "up", wifi: "up", lte: "up" }) });
    assert.deepEqual(d.carriers, [{ wan: "eth", weight: 1 }]);
    assert.deepEqual(d.refresh, []);
    assert.equal(d.summary, "eth (priority 1) carries new connections");
  });

  it("skips down uplinks, keeps degraded and unknown ones", () => {
    const m = make(failoverMode);
    assert.deepEqual(m.decide({ wans: wans({ eth: "down", wifi: "up" }) }).carriers, [{ wan: "wifi", weight: 1 }]);
    assert.match(m.decide({ wans: wans({ eth: "down", wifi: "up" }) }).summary, /^eth is down; wifi/);
    assert.deepEqual(m.decide({ wans: wans({ eth: "degraded", wifi: "up" }) }).carriers[0].wan, "eth");
    assert.deepEqual(m.decide({ wans: wans({ eth: "unknown", wifi: "up" }) }).carriers[0].wan, "eth");
  });

  it("priority decides, not config order", () => {
    const d = make(failoverMode).decide({
      wans: wans({ lte: "up", eth: "up" }, { lte: { priority: 4 }, eth: { priority: 1 } }),
    });
    assert.equal(d.carriers[0].wan, "eth");
  });

  it("all uplinks down: no carrier", () => {
    const d = make(failoverMode).decide({ wans: wans({ eth: "down", wifi: "down" }) });
    assert.deepEqual(d.carriers, []);
    assert.equal(d.summary, "all 2 uplinks are down");
  });

  it("Forced Refresh Streams on: when the primary returns, the backup's flows are refreshed", () => {
    const m = make(failoverMode, { forcedRefresh: true });
    const onBackup: ModeDecision = m.decide({ wans: wans({ eth: "down", wifi: "up" }) });
    const back = m.decide({ wans: wans({ eth: "up", wifi: "up" }), previous: onBackup });
    assert.deepEqual(back.carriers, [{ wan: "eth", weight: 1 }]);
    assert.deepEqual(back.refresh, ["wifi"]);
  });

  it("Forced Refresh Streams off: existing flows stay on the backup", () => {
    const m = make(failoverMode, { forcedRefresh: false });
    const onBackup = m.decide({ wans: wans({ eth: "down", wifi: "up" }) });
    const back = m.decide({ wans: wans({ eth: "up", wifi: "up" }), previous: onBackup });
    assert.deepEqual(back.carriers, [{ wan: "eth", weight: 1 }]);
    assert.deepEqual(back.refresh, []);
  });

  it("off, but a metered backup is left at once (refreshMetered)", () => {
    const m = make(failoverMode, { forcedRefresh: false });
    const w = (eth: HealthState) => wans({ eth, lte: "up" }, { lte: { metered: true } });
    const onLte = m.decide({ wans: w("down") });
    assert.deepEqual(m.decide({ wans: w("up"), previous: onLte }).refresh, ["lte"]);
    const keep = make(failoverMode, { forcedRefresh: false, refreshMetered: false });
    assert.deepEqual(keep.decide({ wans: w("up"), previous: keep.decide({ wans: w("down") }) }).refresh, []);
  });

  it("a lower-priority recovery refreshes nothing", () => {
    const m = make(failoverMode, { forcedRefresh: true });
    const prev = m.decide({ wans: wans({ eth: "up", wifi: "down" }) });
    assert.deepEqual(m.decide({ wans: wans({ eth: "up", wifi: "up" }), previous: prev }).refresh, []);
  });
});

describe("mode.load-balance", () => {
  it("uplinks of the best priority share by weight", () => {
    const d = make(loadBalanceMode).decide({
      wans: wans({ eth: "up", wifi: "up", lte: "up" }, {
        eth: { priority: 1, weight: 3 },
        wifi: { priority: 1, weight: 1 },
        lte: { priority: 2, weight: 5 },
      }),
    });
    assert.deepEqual(d.carriers, [{ wan: "eth", weight: 3 }, { wan: "wifi", weight: 1 }]);
    assert.equal(d.summary, "priority 1 balances new connections: eth 75%, wifi 25%");
  });

  it("a lower priority is used only when every higher one is down", () => {
    const m = make(loadBalanceMode);
    const extra = { eth: { priority: 1 }, wifi: { priority: 1 }, lte: { priority: 2 } };
    assert.deepEqual(m.decide({ wans: wans({ eth: "down", wifi: "up", lte: "up" }, extra) }).carriers.map((c) => c.wan), ["wifi"]);
    assert.deepEqual(m.decide({ wans: wans({ eth: "down", wifi: "down", lte: "up" }, extra) }).carriers.map((c) => c.wan), ["lte"]);
    assert.deepEqual(m.decide({ wans: wans({ eth: "down", wifi: "down", lte: "down" }, extra) }).carriers, []);
  });

  it("Forced Refresh Streams: the lower tier's flows move back when the higher tier returns", () => {
    const extra = { eth: { priority: 1 }, lte: { priority: 2 } };
    const on = make(loadBalanceMode, { forcedRefresh: true });
    const prev = on.decide({ wans: wans({ eth: "down", lte: "up" }, extra) });
    assert.deepEqual(on.decide({ wans: wans({ eth: "up", lte: "up" }, extra), previous: prev }).refresh, ["lte"]);
    const off = make(loadBalanceMode, { forcedRefresh: false });
    assert.deepEqual(off.decide({ wans: wans({ eth: "up", lte: "up" }, extra), previous: prev }).refresh, []);
  });
});
