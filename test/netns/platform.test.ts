/**
 * Linux probes, links and exec inside the namespace testbed (root only; skips loudly otherwise).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLinuxPlatform } from "../../src/platform/linux/index.ts";
import type { EchoResult, Platform } from "../../src/platform.ts";
import { diffPlans, EMPTY_PLAN } from "../../src/plan.ts";
import { makePlan } from "../contracts/dataplane.case.ts";
import { makeLinuxHarness, TEST_SETTINGS, type LinuxHarness } from "./linux-harness.ts";
import { missingPrerequisite, SERVER } from "./testbed.ts";

const missing = await missingPrerequisite();
if (missing) console.warn(`\n*** skipped: needs root and nft, ip, conntrack (${missing}) ***\n`);

const until = async (cond: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
};

if (missing) describe("linux platform in namespaces", () => it("all cases", { skip: `needs root and nft, ip, conntrack: ${missing}` }, () => {}));
else describe("linux platform in namespaces", () => {
  let h: LinuxHarness;
  let p: Platform;
  before(async () => {
    h = await makeLinuxHarness();
    p = createLinuxPlatform({ settings: TEST_SETTINGS, netns: h.bed.router });
    await h.dataplane.init(TEST_SETTINGS);
    // Balanced over ethernet only: probes of the other uplinks must still leave through their own.
    const plan = makePlan(h, [{ wan: "ethernet", weight: 1 }]);
    await h.dataplane.apply(plan, diffPlans(EMPTY_PLAN, plan));
  });
  after(async () => {
    await p?.close();
    await h?.dispose();
  });

  it("echo streams answer through their own uplink and report timeouts after silent failure", async () => {
    const up = h.uplinks[2];
    const results: EchoResult[] = [];
    const s = p.probes.echo({ binding: { wan: up.name, device: up.device, address: up.address, index: up.index }, target: SERVER, intervalMs: 50, timeoutMs: 200, size: 16 }, (r) => results.push(r));
    try {
      assert.ok(await until(() => results.filter((r) => r.ok).length >= 3, 3000), `replies: ${JSON.stringify(results.slice(0, 5))}`);
      assert.ok(results.every((r) => r.rttMs === undefined || r.rttMs < 100));
      await h.bed.setLoss(up.name, 100);
      const n = results.length;
      assert.ok(await until(() => results.slice(n).some((r) => !r.ok && r.error === "timeout"), 3000), "timeouts reported");
      // The other uplinks still answer: loss is only on this one.
      await h.bed.setLoss(up.name, 0);
      const m = results.length;
      assert.ok(await until(() => results.slice(m).some((r) => r.ok), 3000), "recovers");
    } finally {
      await h.bed.setLoss(up.name, 0);
      await s.close();
    }
  });

  it("links report carrier, address and gateway, and watch() fires on carrier loss", async () => {
    const up = h.bed.uplinks[1];
    const info = await p.links.get(up.device);
    assert.equal(info.present, true);
    assert.equal(info.carrier, true);
    assert.equal(info.address, up.address);
    assert.equal((await p.links.get("nosuch0")).present, false);
    const events: string[] = [];
    const off = p.links.watch((ev) => events.push(ev.device));
    try {
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      await h.bed.exec(up.ns, ["ip", "link", "set", "cpe0", "down"]);
      assert.ok(await until(() => events.includes(up.device), 2000), `events: ${events}`);
      console.log(`link event after ${(performance.now() - t0).toFixed(1)} ms`);
      assert.equal((await p.links.get(up.device)).carrier, false);
    } finally {
      off();
      await h.bed.exec(up.ns, ["ip", "link", "set", "cpe0", "up"]);
    }
  });

  it("exec resolves undefined for a missing tool and returns exit codes", async () => {
    assert.equal(await p.exec.run(["multiwan-no-such-tool"]), undefined);
    const r = await p.exec.run(["ip", "link", "show", "dev", "nosuch0"]);
    assert.ok(r && r.code !== 0);
  });
});
