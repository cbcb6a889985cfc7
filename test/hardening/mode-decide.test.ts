/**
 * A mode whose decide() throws or returns something that is not a decision keeps the
 * decision in force and is reported; the next sane decision applies. (A decide() that
 * loops forever cannot be bounded in-process: it is left alone.)
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as v from "valibot";
import type { AnyPlugin, ModeInstance, ModePlugin } from "../../src/plugin.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { advance, fourWans, makeRig } from "../helpers.ts";

type Misbehaviour = "none" | "throw" | "promise" | "no-carriers" | "bad-refresh" | "null";

function moodyMode(state: { now: Misbehaviour }) {
  const base = builtinPlugins.find((p) => p.id === "mode.failover") as ModePlugin;
  return {
    ...base,
    id: "mode.moody",
    schema: v.strictObject({}),
    create(ctx, _config) {
      const inner = base.create(ctx, { forcedRefresh: false, refreshMetered: true }) as ModeInstance;
      return {
        decide(input) {
          const good = inner.decide(input);
          switch (state.now) {
            case "throw":
              throw new Error("division by zero");
            case "promise":
              return Promise.resolve(good) as never;
            case "no-carriers":
              return { ...good, carriers: undefined } as never;
            case "bad-refresh":
              return { ...good, refresh: 7 } as never;
            case "null":
              return null as never;
            default:
              return good;
          }
        },
      };
    },
  } satisfies ModePlugin;
}

describe("a mode's decide() misbehaving", () => {
  for (const bad of ["throw", "promise", "no-carriers", "bad-refresh", "null"] as const) {
    it(`${bad}: the plan in force stays, the error is reported, the next sane decision applies`, async () => {
      const state: { now: Misbehaviour } = { now: "none" };
      const rig = makeRig({ config: fourWans({ type: "mode.moody" }), plugins: [...builtinPlugins, moodyMode(state)] as AnyPlugin[] });
      const errors: string[] = [];
      rig.kernel.events.on((e) => e.type === "plugin.error" && errors.push(`${e.data.plugin}: ${e.data.message}`));
      await rig.kernel.boot();
      await advance(rig.clock, 500);
      assert.equal(rig.platform.dataplane.plan.carriers[0].wan, "ethernet");
      state.now = bad;
      rig.platform.world.set("eth1", { carrier: false });
      await advance(rig.clock, 100);
      assert.equal(errors.length, 1, errors.join("; "));
      assert.match(errors[0], bad === "throw" ? /^mode\.moody: division by zero$/ : /^mode\.moody: decide\(\) returned /);
      assert.equal(rig.platform.dataplane.plan.carriers[0].wan, "ethernet", "the decision in force stays");
      state.now = "none";
      await rig.kernel.replan();
      assert.equal(rig.platform.dataplane.plan.carriers[0].wan, "repeater");
      await rig.kernel.shutdown({ cleanup: true });
    });
  }
});
