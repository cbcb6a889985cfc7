/**
 * Optional tools while idle: `iw`/`mmcli` run at most once a minute while the link is
 * unchanged, and a tool that is not installed is not looked for at every inspection.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as v from "valibot";
import { FakeClock } from "../../src/clock.ts";
import { silentLogger } from "../../src/log.ts";
import type { AnyPlugin, PluginContext, WanInstance } from "../../src/plugin.ts";
import { LinuxExec, MISSING_RETRY_MS } from "../../src/platform/linux/exec.ts";
import { CommandError, createRunner, type Runner } from "../../src/platform/linux/run.ts";
import { createSimPlatform } from "../../src/platform/sim/index.ts";
import { TOOL_REFRESH_MS } from "../../plugins/wan/_shared/tool-cache.ts";
import { cellularWan } from "../../plugins/wan/cellular/index.ts";
import { repeaterWan } from "../../plugins/wan/repeater/index.ts";
import { UPLINKS } from "../helpers.ts";

function setup() {
  const clock = new FakeClock();
  const platform = createSimPlatform({ clock, uplinks: UPLINKS, seed: 3 });
  const calls: string[] = [];
  const run = platform.exec.run.bind(platform.exec);
  Object.assign(platform.exec, {
    run: (argv: readonly string[]) => {
      calls.push(argv[0]);
      return run(argv);
    },
  });
  const ctx: PluginContext = { instance: "t", log: silentLogger, clock, platform, signal: new AbortController().signal };
  // deno-lint-ignore no-explicit-any
  const make = <T>(p: AnyPlugin, config: unknown) => p.create(ctx, v.parse(p.schema as any, config)) as T;
  return { clock, platform, make, calls };
}

describe("optional tools while idle", () => {
  it("iw runs once a minute while the link is unchanged, and at once when it changes", async () => {
    const { clock, platform, make, calls } = setup();
    const w = make<WanInstance>(repeaterWan, { device: "wlan0", ssid: "Shop" });
    for (let t = 0; t < TOOL_REFRESH_MS; t += 5000) {
      const i = await w.inspect();
      assert.equal(i.details.ssid, "Shop", "details kept between runs");
      assert.equal(i.carrier, true);
      await clock.advance(5000);
    }
    assert.equal(calls.filter((c) => c === "iw").length, 1, "12 inspections, one iw");
    platform.world.set("wlan0", { carrier: false });
    await w.inspect();
    assert.equal(calls.filter((c) => c === "iw").length, 2, "a carrier change reads it again");
    platform.world.set("wlan0", { carrier: true });
    await w.inspect();
    await clock.advance(TOOL_REFRESH_MS);
    await w.inspect();
    assert.equal(calls.filter((c) => c === "iw").length, 4);
  });

  it("mmcli likewise; the data-used figure still follows the counters at every inspection", async () => {
    const { clock, platform, make, calls } = setup();
    const w = make<WanInstance>(cellularWan, { device: "wwan0" });
    await w.inspect();
    platform.world.traffic("wwan0", { packets: 2, bytes: 1000 }, { packets: 2, bytes: 3000 });
    await clock.advance(5000);
    const i = await w.inspect();
    assert.equal(calls.filter((c) => c === "mmcli").length, 1);
    assert.equal(i.details.signalPct, 70);
    assert.ok(Number(i.details.dataUsedBytes) >= 4000);
  });
});

describe("LinuxExec", () => {
  it("a missing tool is not looked for again for MISSING_RETRY_MS", async () => {
    let t = 0;
    const argvs: string[] = [];
    const runner: Runner = {
      ...createRunner(),
      run: (argv) => {
        argvs.push(argv[0]);
        return Promise.reject(new CommandError([...argv], null, "", "not installed (ENOENT)", "", true));
      },
    };
    const exec = new LinuxExec(runner, () => t);
    assert.equal(await exec.run(["mmcli", "-J"]), undefined);
    t += MISSING_RETRY_MS - 1;
    assert.equal(await exec.run(["mmcli", "-J"]), undefined);
    assert.equal(argvs.length, 1, "no second attempt inside the window");
    t += 2;
    await exec.run(["mmcli", "-J"]);
    assert.equal(argvs.length, 2, "looked for again afterwards");
  });
});
