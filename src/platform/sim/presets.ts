/**
 * Presets: scripted fault cycles the simulator API (and `--no-scenario`'s opposite at boot)
 * can play on the simulated world. `demo` is the cycle a newcomer watches: the primary
 * uplink's ISP goes silent, comes back, its cable is pulled, plugged back in, every 80 s.
 * @module
 */
import type { Clock } from "../../clock.ts";
import { demoSteps, runScenario } from "./scenario.ts";
import type { SimWorld } from "./world.ts";

export interface SimPreset {
  readonly name: string;
  readonly title: string;
  /** Starts the preset; returns what stops it. */
  play(world: SimWorld, clock: Clock, say: (text: string) => void): () => void;
  /** The devices it changes (restored when it stops). */
  devices(world: SimWorld): string[];
}

const DEMO_CYCLE_MS = 80_000;

/** The demo cycle on the world's first uplink (the primary in the demo config). */
export const demoPreset: SimPreset = {
  name: "demo",
  title: "Every 80 s the primary uplink's ISP goes silent for 20 s, then its cable is pulled for 20 s",
  play: (world, clock, say) =>
    runScenario(world, clock, demoSteps(world.devices[0], DEMO_CYCLE_MS), { cycleMs: DEMO_CYCLE_MS, say }),
  devices: (world) => world.devices.slice(0, 1),
};

export const simPresets: readonly SimPreset[] = [demoPreset];
