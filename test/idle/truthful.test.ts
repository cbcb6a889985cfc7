/**
 * What the schema promises, the code does: tracker.httping's expected status list can name
 * error statuses (the Linux probe reports them as not ok), tracker.link's interval says it is
 * ignored, the mark mask bounds the number of WANs with a clear error.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as v from "valibot";
import { FakeClock } from "../../src/clock.ts";
import { silentLogger } from "../../src/log.ts";
import type { PluginContext, TargetResult, TrackerInstance } from "../../src/plugin.ts";
import type { HttpProbeResult } from "../../src/platform.ts";
import { createSimPlatform } from "../../src/platform/sim/index.ts";
import { httpingTracker } from "../../plugins/tracker/httping/index.ts";
import { linkSchema } from "../../plugins/tracker/link/index.ts";
import { fourWans, makeRig, UPLINKS } from "../helpers.ts";
import { buildDocumentSchema, wanCapacity } from "../../src/config/schema.ts";
import { validateDocument } from "../../src/config/validate.ts";
import { Registry } from "../../src/registry.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";

async function httping(answer: HttpProbeResult, config: Record<string, unknown>): Promise<TargetResult[]> {
  const clock = new FakeClock();
  const platform = createSimPlatform({ clock, uplinks: UPLINKS, seed: 3 });
  Object.assign(platform.probes, { http: () => Promise.resolve(answer) });
  const ctx: PluginContext = { instance: "t", log: silentLogger, clock, platform, signal: new AbortController().signal };
  const t = httpingTracker.create(ctx, v.parse(httpingTracker.schema, { urls: ["http://198.19.0.80/health"], intervalMs: 1000, ...config })) as TrackerInstance;
  const got: TargetResult[] = [];
  const s = t.watch({ wan: "ethernet", device: "eth1", index: 1 }, (r) => got.push(r), 1000);
  for (let i = 0; i < 25; i++) {
    await clock.advance(100);
    await Promise.resolve();
  }
  await s.close();
  return got;
}

describe("tracker.httping status rules with the Linux probe's answers", () => {
  it("an expected 404 or 503 counts as an answer although the probe says not ok", async () => {
    const got = await httping({ ok: false, status: 503, ttfbMs: 12, error: "http 503" }, { expectStatus: [503] });
    assert.ok(got.length >= 2);
    assert.ok(got.every((r) => r.ok && r.rttMs === 12), JSON.stringify(got));
  });
  it("an unexpected status and no answer at all are failures, with the reason", async () => {
    const wrong = await httping({ ok: true, status: 200, ttfbMs: 5 }, { expectStatus: [204] });
    assert.ok(wrong.length >= 2 && wrong.every((r) => !r.ok && r.error === "status 200"));
    const none = await httping({ ok: false, error: "ECONNREFUSED" }, {});
    assert.ok(none.length >= 2 && none.every((r) => !r.ok && r.error === "ECONNREFUSED"));
  });
});

describe("tracker.link", () => {
  it("its interval setting says that nothing reads it", () => {
    const schema = linkSchema.entries.intervalMs.wrapped;
    const texts = JSON.stringify(schema.pipe.map((p) => (p as { title?: string; description?: string }).title ?? (p as { description?: string }).description ?? ""));
    assert.match(texts, /ignored/i);
    assert.match(texts, /Not used/);
  });
});

describe("routing.markMask bounds the number of WANs", () => {
  const registry = new Registry();
  registry.registerAll(builtinPlugins);
  const schema = buildDocumentSchema(registry);
  const doc = (n: number, markMask?: number) => ({
    mode: { type: "mode.failover" },
    ...(markMask === undefined ? {} : { routing: { markMask } }),
    wans: Object.fromEntries(Array.from({ length: n }, (_, i) => [`w${i}`, { type: "wan.ethernet", device: `eth${i}` }])),
  });

  it("capacity: 60 for the default 0x3f00, 4 for three bits", () => {
    assert.equal(wanCapacity(0x3f00), 60);
    assert.equal(wanCapacity(0x700), 4);
    assert.equal(wanCapacity(0xff0000), 252);
  });
  it("five WANs with a 3-bit mask are refused at `wans`, saying why; four pass", () => {
    const r = validateDocument(schema, doc(5, 0x700));
    assert.equal(r.ok, false);
    const issue = !r.ok ? r.issues.find((i) => i.path === "wans") : undefined;
    assert.ok(issue, JSON.stringify(!r.ok && r.issues));
    assert.match(issue!.message, /5 WANs, but routing\.markMask 0x700 tells apart at most 4/);
    assert.equal(validateDocument(schema, doc(4, 0x700)).ok, true);
  });
  it("one rule: 60 WANs pass with the default mask, the 61st is refused by the mask check alone", () => {
    assert.equal(validateDocument(schema, doc(60)).ok, true);
    const r = validateDocument(schema, doc(61));
    assert.equal(r.ok, false);
    const messages = !r.ok ? r.issues.map((i) => `${i.path}: ${i.message}`) : [];
    assert.deepEqual(messages.filter((m) => m.startsWith("wans:")).length, 1, JSON.stringify(messages));
    assert.match(messages.join("\n"), /wans: 61 WANs, but routing\.markMask 0x3f00 tells apart at most 60/);
  });
  it("a mask with a hole is refused before the dataplane sees it", () => {
    const r = validateDocument(schema, doc(2, 0x3b00));
    assert.equal(r.ok, false);
    assert.match(JSON.stringify(!r.ok && r.issues), /contiguous/);
  });
});

describe("kernel status and WAN indexes", () => {
  it("a WAN index freed by a removed WAN is reused by the next new one", async () => {
    const { kernel, platform } = makeRig({ config: fourWans() });
    await kernel.boot();
    try {
      const before = platform.dataplane.plan.uplinks;
      assert.deepEqual([before.ethernet.index, before.repeater.index, before.tethering.index, before.cellular.index], [1, 2, 3, 4]);
      const doc = fourWans() as { wans: Record<string, unknown> };
      const { tethering, ...rest } = doc.wans;
      await kernel.applyConfig({ ...doc, wans: rest });
      await kernel.applyConfig({ ...doc, wans: { ...rest, phone: tethering } });
      assert.equal(platform.dataplane.plan.uplinks.phone.index, 3, "index 3 again, not 5");
    } finally {
      await kernel.shutdown({ cleanup: true });
    }
  });

  it("statusFresh returns flow figures from after the read, not the previous refresh's", async () => {
    const { kernel, platform, clock } = makeRig({ config: fourWans() });
    await kernel.boot();
    try {
      let flows = 1;
      Object.assign(platform.dataplane, { flows: () => Promise.resolve({ ethernet: { flows, bytes: flows * 100 } }) });
      await kernel.statusFresh();
      flows = 7;
      await clock.advance(2500);
      const stale = kernel.status().wans.find((w) => w.name === "ethernet")?.flows;
      assert.equal(stale, 1, "status() still answers from the previous refresh");
      flows = 9;
      await clock.advance(2500);
      const fresh = (await kernel.statusFresh()).wans.find((w) => w.name === "ethernet")?.flows;
      assert.equal(fresh, 9);
    } finally {
      await kernel.shutdown({ cleanup: true });
    }
  });
});
