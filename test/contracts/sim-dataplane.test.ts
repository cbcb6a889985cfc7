/** The simulated dataplane passes the same contract as the Linux one. */
import { FakeClock } from "../../src/clock.ts";
import type { PlanUplink } from "../../src/plan.ts";
import { createSimPlatform } from "../../src/platform/sim/index.ts";
import { DUAL_UPLINKS } from "../ipv6/rig.ts";
import { type DataplaneHarness, runDataplaneContract } from "./dataplane.case.ts";

runDataplaneContract("sim", () => {
  const platform = createSimPlatform({ clock: new FakeClock(), uplinks: DUAL_UPLINKS, seed: 11 });
  const dp = platform.dataplane;
  const names = ["ethernet", "repeater", "tethering", "cellular"];
  const uplinks: PlanUplink[] = DUAL_UPLINKS.map((u, i) => ({
    name: names[i],
    device: u.device,
    gateway: u.gateway,
    address: u.address.split("/")[0],
    address6: u.address6!.split("/")[0],
    gateway6: u.gateway6,
    nat: true,
    index: i + 1,
    ready: true,
  }));
  const connectOf = (family: "ipv4" | "ipv6") => () => {
    const r = dp.open(family);
    if (!r.ok) return Promise.reject(new Error(`connection failed: ${r.error}`));
    dp.end(r.flow.id);
    return Promise.resolve(r.flow.uplink);
  };
  const connect = connectOf("ipv4");
  const openLongOf = (family: "ipv4" | "ipv6") => () => {
    const r = dp.open(family);
    if (!r.ok) return Promise.reject(new Error(`connection failed: ${r.error}`));
    r.flow.bytes += 1500;
    return Promise.resolve({
      uplink: () => Promise.resolve(dp.flow(r.flow.id)?.uplink),
      close: () => Promise.resolve(dp.end(r.flow.id)),
    });
  };
  const harness: DataplaneHarness = {
    dataplane: dp,
    settings: { markMask: 0x3f00, rulePriority: 2000, tableBase: 100, bypass: [] },
    uplinks,
    connect,
    routerConnect: connect,
    openLong: openLongOf("ipv4"),
    connect6: connectOf("ipv6"),
    openLong6: openLongOf("ipv6"),
    snapshot: () => Promise.resolve(`${dp.ops.length}`),
    sources: ["198.18.100.2", "198.18.100.3", "198.18.100.4"],
    destinations: [{ host: "198.19.0.1", port: 80 }, { host: "198.19.0.2", port: 8080 }],
    connectWith(e) {
      const r = dp.connect({ src: e.src ?? "198.18.100.2", dst: e.host ?? "198.19.0.1", proto: "tcp", dport: e.port ?? 80 });
      if (!r.ok) return Promise.reject(new Error(`connection failed: ${r.error}`));
      dp.end(r.flow.id);
      return Promise.resolve(r.flow.uplink);
    },
    openLongWith(e) {
      const r = dp.connect({ src: e.src ?? "198.18.100.2", dst: e.host ?? "198.19.0.1", proto: "tcp", dport: e.port ?? 80 });
      if (!r.ok) return Promise.reject(new Error(`connection failed: ${r.error}`));
      return Promise.resolve({
        uplink: () => Promise.resolve(dp.flow(r.flow.id)?.uplink),
        close: () => Promise.resolve(dp.end(r.flow.id)),
      });
    },
    dispose: () => dp.close({ cleanup: true }),
  };
  return Promise.resolve(harness);
});
