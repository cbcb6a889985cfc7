/**
 * A scripted fault cycle for the demo, so a newcomer watches failover without touching
 * anything: a silent upstream failure on the primary, recovery, a pulled cable, recovery.
 * @module
 */
import type { Clock, TimerHandle } from "../../clock.ts";
import type { SimUplinkSpec, SimWorld } from "./world.ts";

export interface ScenarioStep {
  /** Offset from the start of the cycle. */
  readonly atMs: number;
  readonly device: string;
  readonly change: Partial<SimUplinkSpec>;
  readonly say: string;
}

/** demoSteps is the default cycle on the primary uplink `device`. */
export function demoSteps(device: string, cycleMs = 80_000): ScenarioStep[] {
  const q = cycleMs / 4;
  return [
    { atMs: q * 0.5, device, change: { upstream: false }, say: `the ISP behind ${device} stops forwarding (link stays up)` },
    { atMs: q * 1.5, device, change: { upstream: true }, say: `the ISP behind ${device} is back` },
    { atMs: q * 2.5, device, change: { carrier: false }, say: `the cable of ${device} is pulled` },
    { atMs: q * 3.5, device, change: { carrier: true }, say: `the cable of ${device} is plugged back in` },
  ];
}

/** runScenario repeats `steps` every `cycleMs`; returns a stop function. */
export function runScenario(
  world: SimWorld,
  clock: Clock,
  steps: readonly ScenarioStep[],
  opts: { cycleMs: number; say: (text: string) => void },
): () => void {
  let timers: TimerHandle[] = [];
  let cycle: TimerHandle;
  const schedule = () => {
    timers = steps.map((s) =>
      clock.setTimeout(() => {
        opts.say(s.say);
        world.set(s.device, s.change);
      }, s.atMs)
    );
    cycle = clock.setTimeout(schedule, opts.cycleMs);
  };
  schedule();
  return () => {
    cycle.cancel();
    for (const t of timers) t.cancel();
  };
}
