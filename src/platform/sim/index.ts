/**
 * The simulated platform: a SimWorld behind the same ports as Linux. The demo and the
 * fast tests run on it; no packet leaves the process.
 * @module
 */
import type { Clock } from "../../clock.ts";
import type { Platform } from "../../platform.ts";
import { SimDataplane } from "./dataplane.ts";
import { SimExec } from "./exec.ts";
import { SimLinks, SimProbes } from "./probes.ts";
import { SimWorld, type SimUplinkSpec } from "./world.ts";

export interface SimPlatform extends Platform {
  readonly world: SimWorld;
  readonly dataplane: SimDataplane;
  readonly exec: SimExec;
}

/** createSimPlatform builds a world of `uplinks` and the ports over it. */
export function createSimPlatform(opts: { clock: Clock; uplinks: readonly SimUplinkSpec[]; seed?: number }): SimPlatform {
  const world = new SimWorld(opts);
  return {
    name: "sim",
    world,
    dataplane: new SimDataplane(world),
    probes: new SimProbes(world),
    links: new SimLinks(world),
    exec: new SimExec(world),
    close: () => Promise.resolve(),
  };
}

export { SimDataplane, SimExec, SimLinks, SimProbes, SimWorld };
export type { SimUplinkSpec };
export { SimLanClient } from "./client.ts";
