/**
 * `multiwan/sdk/testing`: the contract test kit. Call it inside a `node:test` `describe`;
 * it adds one `it` per rule of the plugin contract and runs your plugin on the simulated
 * world (no packet leaves the process), on Node and on Deno:
 *
 * ```ts
 * import { describe } from "node:test";
 * import { testPlugin } from "multiwan/sdk/testing";
 * import { vxlanWan } from "./index.ts";
 * describe("wan.vxlan", () => testPlugin(vxlanWan, { config: { device: "vx42", ... } }));
 * ```
 *
 * Time: `ctx.clock` is a fake clock the kit moves forward; between steps it lets real I/O
 * (a loopback socket) finish for `realMsPerStep`. Bounds are contract limits, not speed goals.
 * @module
 */
import { strict as assert } from "node:assert";
import { it } from "node:test";
import * as v from "valibot";
import { FakeClock } from "../clock.ts";
import { schemaProblem } from "../loader/schema-check.ts";
import { silentLogger } from "../log.ts";
import type { ModeDecision } from "../plan.ts";
import {
  type AnyPlugin, KERNEL_API_VERSION, kindOf, type ModeInput, type ModeInstance, type ModeWan, type PluginContext,
  type PluginPlatform, type TargetResult, type TrackerInstance, type WanInstance,
} from "../plugin.ts";
import type { ProbeBinding } from "../platform.ts";
import { createSimPlatform, type SimPlatform, type SimUplinkSpec } from "../platform/sim/index.ts";
import { Registry } from "../registry.ts";

export type { SimUplinkSpec } from "../platform/sim/index.ts";

/** The sim uplinks the kit builds by default (the same as the demo's devices). */
export const KIT_UPLINKS: readonly SimUplinkSpec[] = [
  { device: "eth1", address: "198.18.1.2/30", gateway: "198.18.1.1", latencyMs: 5, jitterMs: 1 },
  { device: "wlan0", address: "198.18.2.2/30", gateway: "198.18.2.1", latencyMs: 20, jitterMs: 2, ssid: "Shop", signalDbm: -60 },
  { device: "usb0", address: "198.18.3.2/30", gateway: "198.18.3.1", latencyMs: 30, jitterMs: 3 },
  { device: "wwan0", address: "198.18.4.2/30", gateway: "198.18.4.1", latencyMs: 50, jitterMs: 5, signalPct: 70, operator: "SimTel" },
];

export interface KitOptions {
  /** The plugin's own keys, as a config entry holds them (without `type`). */
  readonly config: Record<string, unknown>;
  /** The simulated uplinks (default {@link KIT_UPLINKS}); add one for a device your type creates. */
  readonly uplinks?: readonly SimUplinkSpec[];
  /** Trackers: what `watch` gets (default: the first uplink's device and address, index 1). */
  readonly binding?: Partial<ProbeBinding>;
  /** Trackers: the interval passed to `watch` (default 1000 ms of fake time). */
  readonly intervalMs?: number;
  /** Real milliseconds to let I/O finish after each fake-time step (default 5). */
  readonly realMsPerStep?: number;
  /** Modes: how many random inputs to try (default 300). */
  readonly cases?: number;
  /** Limits for create, start and stop, in real ms (defaults 2000, 10000, 5000). */
  readonly bounds?: { readonly createMs?: number; readonly startMs?: number; readonly stopMs?: number };
}

interface World {
  readonly clock: FakeClock;
  readonly platform: SimPlatform;
  ctx(instance: string, platform?: PluginPlatform): PluginContext;
  readonly abort: AbortController;
}

function world(opts: KitOptions): World {
  const clock = new FakeClock(1_000_000);
  const platform = createSimPlatform({ clock, uplinks: opts.uplinks ?? KIT_UPLINKS, seed: 11 });
  const abort = new AbortController();
  return {
    clock,
    platform,
    abort,
    ctx: (instance, p = platform) => ({ instance, log: silentLogger, clock, platform: p, signal: abort.signal }),
  };
}

/** A platform whose every call fails, to make `start` fail the way a real one can. */
const brokenPlatform: PluginPlatform = {
  probes: {
    echo: () => {
      throw new Error("kit: probes are broken");
    },
    http: () => Promise.reject(new Error("kit: probes are broken")),
  },
  links: { get: () => Promise.reject(new Error("kit: links are broken")), watch: () => () => {} },
  exec: { run: () => Promise.reject(new Error("kit: exec is broken")) },
};

const realDelay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** within resolves what `p` resolves, or fails naming what took too long. */
async function within<T>(p: Promise<T> | T, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new assert.AssertionError({ message: `${what} did not finish within ${ms} ms` })), ms);
  });
  try {
    return await Promise.race([Promise.resolve(p), late]);
  } finally {
    clearTimeout(timer);
  }
}

function parsedConfig(def: AnyPlugin, config: Record<string, unknown>) {
  const r = v.safeParse(def.schema, config);
  if (!r.success) assert.fail(`config does not match ${def.id}'s schema: ${r.issues.map((i) => i.message).join("; ")}`);
  return r.output as Record<string, unknown>;
}

async function make<T>(def: AnyPlugin, w: World, opts: KitOptions, platform?: PluginPlatform): Promise<T> {
  const ms = opts.bounds?.createMs ?? 2000;
  return await within(def.create(w.ctx(`kit.${kindOf(def.id)}`, platform), parsedConfig(def, opts.config)), ms, "create") as T;
}

async function stopWithin(inst: { stop?(): Promise<void> }, opts: KitOptions, what = "stop"): Promise<void> {
  if (inst.stop) await within(inst.stop(), opts.bounds?.stopMs ?? 5000, what);
}

/** The rules every kind shares: a valid definition, a schema that becomes JSON Schema, bounded lifecycle. */
function commonRules(def: AnyPlugin, opts: KitOptions): void {
  it(`${def.id}: the definition registers (id, kind, version, kernel range ${KERNEL_API_VERSION}, create)`, () => {
    assert.match(def.id, /^(tracker|wan|mode)\.[a-z][a-z0-9-]{0,39}$/);
    assert.ok(def.title.length > 0 && def.description.length > 0, "title and description are shown in the panel");
    new Registry().register(def);
  });

  it(`${def.id}: the schema becomes JSON Schema and gives every key a type`, () => {
    assert.equal(schemaProblem(def.schema), undefined);
  });

  it(`${def.id}: the test config matches the schema`, () => {
    parsedConfig(def, opts.config);
  });

  it(`${def.id}: create, start and stop finish within bounds`, async () => {
    const w = world(opts);
    const inst = await make<{ start?(): Promise<void>; stop?(): Promise<void> }>(def, w, opts);
    assert.ok(inst && typeof inst === "object", "create returns an instance");
    if (inst.start) await within(inst.start(), opts.bounds?.startMs ?? 10_000, "start");
    await stopWithin(inst, opts);
  });

  it(`${def.id}: stop tolerates a start that never ran or failed, and a second stop`, async () => {
    const w = world(opts);
    const fresh = await make<{ stop?(): Promise<void> }>(def, w, opts);
    await stopWithin(fresh, opts, "stop without start");
    const broken = await make<{ start?(): Promise<void>; stop?(): Promise<void> }>(def, world(opts), opts, brokenPlatform);
    if (broken.start) await within(broken.start().catch(() => {}), opts.bounds?.startMs ?? 10_000, "start on a broken platform");
    await stopWithin(broken, opts, "stop after a failed start");
    await stopWithin(broken, opts, "a second stop");
  });
}

function checkInspection(i: Awaited<ReturnType<WanInstance["inspect"]>>, inst: WanInstance, def: AnyPlugin): void {
  assert.equal(typeof i.device, "string");
  assert.equal(i.device, inst.device, "inspect() names the instance's device");
  assert.equal(typeof i.present, "boolean");
  assert.equal(typeof i.carrier, "boolean");
  assert.ok(i.present || !i.carrier, "no carrier without the device");
  for (const k of ["address", "gateway"] as const) {
    if (i[k] !== undefined) assert.equal(typeof i[k], "string", `${k} is a string`);
  }
  if (i.address !== undefined) assert.match(i.address, /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/);
  assert.ok(i.details && typeof i.details === "object", "details is an object");
  for (const [k, val] of Object.entries(i.details)) {
    assert.ok(val === null || ["string", "number", "boolean"].includes(typeof val), `details.${k} is a plain value`);
  }
  for (const f of def.statusFields ?? []) assert.ok(f.key.length > 0 && f.title.length > 0, "status fields have a key and title");
}

/** testWanPlugin checks a WAN type: the common rules plus the shape of `inspect()`. */
export function testWanPlugin(def: AnyPlugin, opts: KitOptions): void {
  assert.equal(kindOf(def.id), "wan", `${def.id} is not a WAN type`);
  commonRules(def, opts);
  it(`${def.id}: inspect() has the documented shape, and follows the device`, async () => {
    const w = world(opts);
    const inst = await make<WanInstance>(def, w, opts);
    assert.equal(typeof inst.device, "string");
    assert.equal(typeof inst.inspect, "function", "a WAN instance has inspect()");
    try {
      if (inst.start) await within(inst.start(), opts.bounds?.startMs ?? 10_000, "start");
      checkInspection(await within(inst.inspect(), 5000, "inspect"), inst, def);
      if (w.platform.world.uplink(inst.device)) {
        w.platform.world.set(inst.device, { present: false });
        const gone = await within(inst.inspect(), 5000, "inspect");
        checkInspection(gone, inst, def);
        assert.equal(gone.present, false, "a vanished device is reported absent");
      }
    } finally {
      await stopWithin(inst, opts);
    }
  });
}

function checkResult(r: TargetResult, targets: readonly string[]): void {
  assert.ok(targets.includes(r.target), `result for ${r.target}, which is not one of the targets`);
  assert.equal(typeof r.ok, "boolean");
  if (r.rttMs !== undefined) assert.ok(Number.isFinite(r.rttMs) && r.rttMs >= 0, `rttMs ${r.rttMs}`);
  if (r.ok) assert.ok(r.error === undefined, "an ok result carries no error");
  if (r.sent !== undefined || r.received !== undefined) {
    assert.ok(Number.isInteger(r.sent) && Number.isInteger(r.received), "sent and received come together, as integers");
    assert.ok(r.received! <= r.sent!, "received \u2264 sent");
  }
}

/** testTrackerPlugin checks a tracker: well-formed results for its targets, cadence changes, and close. */
export function testTrackerPlugin(def: AnyPlugin, opts: KitOptions): void {
  assert.equal(kindOf(def.id), "tracker", `${def.id} is not a tracker`);
  commonRules(def, opts);
  it(`${def.id}: watch() emits well-formed results for its targets; nothing after close()`, async () => {
    const w = world(opts);
    const first = (opts.uplinks ?? KIT_UPLINKS)[0];
    const binding: ProbeBinding = {
      wan: "kit", device: first.device, address: first.address.split("/")[0], index: 1, ...opts.binding,
    };
    const inst = await make<TrackerInstance>(def, w, opts);
    assert.ok(Array.isArray(inst.targets) && inst.targets.every((t) => typeof t === "string"), "targets is a string array");
    const results: TargetResult[] = [];
    const interval = opts.intervalMs ?? 1000;
    const real = opts.realMsPerStep ?? 5;
    try {
      if (inst.start) await within(inst.start(), opts.bounds?.startMs ?? 10_000, "start");
      const session = inst.watch(binding, (r) => results.push(r), interval);
      for (let i = 0; i < 20 && results.length < inst.targets.length * 2; i++) {
        for (let t = 0; t < interval; t += interval / 10) {
          w.clock.advance(interval / 10);
          await realDelay(real);
        }
        if (i === 3) session.setIntervalMs(interval / 2);
      }
      if (inst.targets.length > 0) assert.ok(results.length > 0, "no result within 20 intervals");
      for (const r of results) checkResult(r, inst.targets);
      await within(session.close(), opts.bounds?.stopMs ?? 5000, "close");
      const count = results.length;
      for (let i = 0; i < 5; i++) {
        w.clock.advance(interval);
        await realDelay(real);
      }
      assert.equal(results.length, count, "results after close()");
    } finally {
      await stopWithin(inst, opts);
    }
  });
}

/** A small deterministic generator, so a failing case can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATES = ["up", "degraded", "down", "unknown"] as const;

function randomInput(rand: () => number, previous?: ModeDecision): ModeInput {
  const n = Math.floor(rand() * 6);
  const wans: ModeWan[] = Array.from({ length: n }, (_, i) => ({
    name: `w${i}`,
    priority: 1 + Math.floor(rand() * 3),
    weight: 1 + Math.floor(rand() * 5),
    state: STATES[Math.floor(rand() * STATES.length)],
    metered: rand() < 0.3,
    ...(rand() < 0.8 ? { latencyMs: Math.round(rand() * 2000) / 10 } : {}),
  }));
  return previous ? { wans, previous } : { wans };
}

function deepFreeze<T>(x: T): T {
  if (x && typeof x === "object") {
    for (const val of Object.values(x)) deepFreeze(val);
    Object.freeze(x);
  }
  return x;
}

function checkDecision(d: ModeDecision, input: ModeInput): void {
  const names = new Set(input.wans.map((w) => w.name));
  const stateOf = new Map(input.wans.map((w) => [w.name, w.state]));
  assert.ok(Array.isArray(d.carriers) && Array.isArray(d.refresh), "carriers and refresh are arrays");
  assert.equal(typeof d.summary, "string");
  for (const c of d.carriers) {
    assert.ok(names.has(c.wan), `carrier ${c.wan} is not an enabled WAN of the input`);
    assert.notEqual(stateOf.get(c.wan), "down", `carrier ${c.wan} is down`);
    assert.ok(Number.isFinite(c.weight) && c.weight > 0, `carrier ${c.wan} has weight ${c.weight}`);
  }
  assert.equal(new Set(d.carriers.map((c) => c.wan)).size, d.carriers.length, "a WAN is a carrier once");
  for (const r of d.refresh) assert.ok(names.has(r), `refresh names ${r}, not an enabled WAN of the input`);
  if (input.wans.some((w) => w.state !== "down")) assert.ok(d.carriers.length > 0, "some WAN is usable but none carries");
  if (input.wans.every((w) => w.state === "down")) assert.equal(d.carriers.length, 0, "every WAN is down but one carries");
}

/** checkModeRuns asks `mode` random inputs and `other` (a second instance) the same in reverse order. */
function checkModeRuns(mode: ModeInstance, other: ModeInstance, cases: number): void {
  const rand = prng(20261128);
  const seen: [ModeInput, ModeDecision][] = [];
  for (let i = 0; i < cases; i++) {
    const previous = seen.length > 0 && rand() < 0.5 ? seen[seen.length - 1][1] : undefined;
    const input = deepFreeze(randomInput(rand, previous));
    const d = mode.decide(input);
    checkDecision(d, input);
    assert.deepEqual(mode.decide(input), d, "the same input gives the same decision");
    seen.push([input, d]);
  }
  for (const [input, d] of seen.reverse()) {
    assert.deepEqual(other.decide(input), d, "another instance, asked in another order, decides the same (no hidden state)");
  }
}

/** The rules the kit applies, for tests of the kit itself and for authors' own cases. */
export const kitRules = { checkDecision, checkInspection, checkModeRuns, checkResult };

/** testModePlugin checks a mode on random inputs: well-formed, only usable WANs, pure and deterministic. */
export function testModePlugin(def: AnyPlugin, opts: KitOptions): void {
  assert.equal(kindOf(def.id), "mode", `${def.id} is not a mode`);
  commonRules(def, opts);
  it(`${def.id}: decide() is pure and deterministic and picks only usable WANs`, async () => {
    const w = world(opts);
    const mode = await make<ModeInstance>(def, w, opts);
    const other = await make<ModeInstance>(def, world(opts), opts);
    try {
      checkModeRuns(mode, other, opts.cases ?? 300);
    } finally {
      await stopWithin(mode, opts);
      await stopWithin(other, opts);
    }
  });
}

/** testPlugin runs the kit for the plugin's kind. */
export function testPlugin(def: AnyPlugin, opts: KitOptions): void {
  const kind = kindOf(def.id);
  if (kind === "wan") testWanPlugin(def, opts);
  else if (kind === "tracker") testTrackerPlugin(def, opts);
  else if (kind === "mode") testModePlugin(def, opts);
  else assert.fail(`${def.id}: the id must start with tracker., wan. or mode.`);
}
