/**
 * Test helpers: a kernel on the sim platform with a fake clock, and a way to move time.
 */
import { FakeClock } from "../src/clock.ts";
import { MemoryConfigStore } from "../src/config/store.ts";
import { Kernel } from "../src/kernel.ts";
import { silentLogger } from "../src/log.ts";
import type { AnyPlugin } from "../src/plugin.ts";
import { createSimPlatform, type SimPlatform, type SimUplinkSpec } from "../src/platform/sim/index.ts";
import { Registry } from "../src/registry.ts";
import { builtinPlugins } from "../plugins/builtin.ts";
import type { Child, ChildExit } from "../src/host/index.ts";
import type { Runner } from "../src/platform/linux/run.ts";

export const UPLINKS: readonly SimUplinkSpec[] = [
  { device: "eth1", address: "198.18.1.2/30", gateway: "198.18.1.1", latencyMs: 5, jitterMs: 1 },
  { device: "wlan0", address: "198.18.2.2/30", gateway: "198.18.2.1", latencyMs: 20, jitterMs: 2, ssid: "Shop", signalDbm: -60 },
  { device: "usb0", address: "198.18.3.2/30", gateway: "198.18.3.1", latencyMs: 30, jitterMs: 3 },
  { device: "wwan0", address: "198.18.4.2/30", gateway: "198.18.4.1", latencyMs: 50, jitterMs: 5, signalPct: 70, operator: "SimTel" },
];

export const TARGETS = ["198.19.0.1", "198.19.0.2", "198.19.0.3"];

/** fourWans builds a config with the four uplinks by priority, in the given mode. */
export function fourWans(mode: Record<string, unknown> = { type: "mode.failover" }) {
  const tracker = { type: "tracker.ping", targets: TARGETS };
  return {
    mode,
    wans: {
      ethernet: { type: "wan.ethernet", device: "eth1", priority: 1, tracker },
      repeater: { type: "wan.repeater", device: "wlan0", priority: 2, tracker },
      tethering: { type: "wan.tethering", device: "usb0", priority: 3, tracker },
      cellular: { type: "wan.cellular", device: "wwan0", priority: 4, tracker },
    },
  };
}

export interface Rig {
  readonly clock: FakeClock;
  readonly platform: SimPlatform;
  readonly store: MemoryConfigStore;
  readonly kernel: Kernel;
  readonly registry: Registry;
}

/** makeRig builds (but does not boot) a kernel over the sim world. */
export function makeRig(opts: { config?: unknown; plugins?: readonly AnyPlugin[]; seed?: number } = {}): Rig {
  const clock = new FakeClock(1_000_000);
  const platform = createSimPlatform({ clock, uplinks: UPLINKS, seed: opts.seed ?? 7 });
  const store = new MemoryConfigStore();
  if (opts.config !== undefined) store.current = { doc: opts.config, revision: 1 };
  const registry = new Registry();
  registry.registerAll(opts.plugins ?? builtinPlugins);
  const kernel = new Kernel({
    registry,
    platform,
    store,
    clock,
    log: silentLogger,
    pluginLogger: () => silentLogger,
  });
  return { clock, platform, store, kernel, registry };
}

/** settle lets pending promise chains run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}

/** advance moves fake time in steps, letting promises settle between steps. */
export async function advance(clock: FakeClock, ms: number, stepMs = 10): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    clock.advance(Math.min(stepMs, ms - t));
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
  }
}

/** until advances time until `cond` holds or `limitMs` passes; returns the time it took. */
export async function until(clock: FakeClock, cond: () => boolean, limitMs: number, stepMs = 10): Promise<number> {
  const start = clock.now();
  while (!cond()) {
    if (clock.now() - start > limitMs) throw new Error(`condition not met within ${limitMs} ms`);
    await advance(clock, stepMs, stepMs);
  }
  return clock.now() - start;
}

/** A booted four-WAN rig on the sim world that records every counter read (device, clock time). */
export async function countingReads(): Promise<Rig & { reads: { device: string; at: number }[] }> {
  const rig = makeRig({ config: fourWans() });
  const reads: { device: string; at: number }[] = [];
  const links = rig.platform.links;
  const get = links.get.bind(links);
  links.get = (device: string) => {
    reads.push({ device, at: rig.clock.now() });
    return get(device);
  };
  await rig.kernel.boot();
  return { ...rig, reads };
}

/** A scripted child process for a fake Runner's spawn: the test writes its output and ends it. */
export interface FakeChild {
  readonly child: Child;
  readonly argv: readonly string[];
  stdout(text: string): void;
  stderr(text: string): void;
  /** Ends it with an exit code (default 0), as if it exited by itself. */
  exit(code?: number): void;
  readonly killed: string[];
}

/** fakeSpawn records each spawned child; pass `spawn` as a Runner's. */
export function fakeSpawn(): { spawn: Runner["spawn"]; children: FakeChild[] } {
  const children: FakeChild[] = [];
  const spawn: Runner["spawn"] = (argv, o) => {
    let running = true;
    let settle: (e: ChildExit) => void = () => {};
    const closed = new Promise<ChildExit>((r) => (settle = r));
    const end = (e: ChildExit) => {
      if (!running) return;
      running = false;
      queueMicrotask(() => settle(e));
    };
    const killed: string[] = [];
    const child: Child = {
      pid: 4242,
      get running() {
        return running;
      },
      write() {},
      end() {},
      kill(signal = "SIGTERM") {
        killed.push(signal);
        end({ code: null, signal });
      },
      closed,
      abortOutput() {},
      ref() {},
      unref() {},
    };
    children.push({
      child, argv: [...argv], killed,
      stdout: (t) => o.onStdout?.(t),
      stderr: (t) => o.onStderr?.(t),
      exit: (code = 0) => end({ code, signal: null }),
    });
    return child;
  };
  return { spawn, children };
}
