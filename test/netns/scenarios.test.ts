/**
 * Issue 3's nine end-to-end scenarios: the REAL daemon (`src/main.ts --dataplane linux`,
 * Node + tsx, also when this file runs on Deno) in the router namespace of one shared
 * testbed, one daemon per scenario, driven through faults injected at the ISPs.
 * Needs root plus ip, nft, conntrack, ping and curl; otherwise it says so loudly and skips.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type Bed, brief, carriers, configFor, type Daemon, disposeDaemon, leftovers, makeBed, scenarioPrerequisite, sleep,
  startDaemon, stateOf, type Status,
} from "./daemon-harness.ts";
import { SERVER } from "./testbed.ts";

const missing = await scenarioPrerequisite();
if (missing) console.warn(`\n*** skipped: needs root and nft, ip, conntrack, ping (${missing}) ***\n`);

const log = (msg: string) => console.log(`# ${msg}`);
const only = (wan: string) => (s: Status) => carriers(s).join(",") === wan;

/** Connects from the LAN until one goes out `wan`; returns ms since `t0`. */
async function firstVia(b: Bed, wan: string, t0: number, limitMs: number, from: "lan" | "router" = "lan"): Promise<number> {
  let last = "";
  while (performance.now() - t0 < limitMs) {
    const a = from === "lan" ? await b.connect(300) : await b.routerConnect(300);
    if (a.uplink === wan) return performance.now() - t0;
    last = a.uplink ?? a.error ?? "";
  }
  throw new Error(`no connection via ${wan} within ${limitMs} ms (last: ${last})`);
}

/** A LAN client connecting in a loop (the traffic that raises suspicion); returns a stop function with counts. */
function traffic(b: Bed, pauseMs = 50, timeoutMs = 1500): () => Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  let on = true;
  const loop = (async () => {
    while (on) {
      const a = await b.connect(timeoutMs);
      const k = a.uplink ?? `error: ${a.error}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
      await sleep(pauseMs);
    }
  })();
  return async () => {
    on = false;
    await loop;
    return seen;
  };
}

const scenarios = (b: () => Bed) => {
  let d: Daemon | undefined;
  const reset = async () => {
    await disposeDaemon(d);
    d = undefined;
    const bed = b();
    for (const u of bed.bed.uplinks) {
      await bed.bed.setLoss(u.name, 0);
      await bed.setCarrier(u.name, true);
    }
  };
  const twoUplinks = (mode: Record<string, unknown> = { type: "mode.failover" }, routing = {}) =>
    configFor(b().bed, { ethernet: { priority: 1 }, repeater: { priority: 2 } }, mode, routing);
  const startUp = async (config: Record<string, unknown>, first = "ethernet") => {
    d = await startDaemon(b().bed, config);
    await d.waitFor(only(first), 10_000, `${first} carrying`);
    const a = await b().connect();
    assert.equal(a.uplink, first, `before the fault: ${JSON.stringify(a)}`);
    return d;
  };

  it("1. cable pulled on the primary → new connections go out the next uplink", async () => {
    try {
      const dd = await startUp(twoUplinks());
      const t0 = performance.now();
      await b().setCarrier("ethernet", false);
      const ms = await firstVia(b(), "repeater", t0, 3000);
      log(`carrier loss: first new connection via the backup after ${ms.toFixed(0)} ms`);
      // The status shows the WAN's state at once and the plan once apply + flush returned (the
      // new rules are live before that: the connection above already went out the backup).
      const s = await dd.waitFor((x) => stateOf(x, "ethernet") === "down" && carriers(x).join() === "repeater", 2000, "ethernet down, repeater carrying");
      assert.match(s.wans.find((w) => w.name === "ethernet")!.reason, /carrier/);
      assert.deepEqual(carriers(s), ["repeater"]);
      await b().setCarrier("ethernet", true);
      await dd.waitFor(only("ethernet"), 10_000, "ethernet back");
      assert.equal((await b().connect()).uplink, "ethernet");
    } finally {
      await reset();
    }
  });

  for (const kind of ["ping", "httping"] as const) {
    it(`2${kind === "ping" ? "a" : "b"}. silent upstream failure detected by ${kind} → failover`, async () => {
      try {
        const tracker = kind === "ping" ? { type: "tracker.ping", targets: [SERVER] } : { type: "tracker.httping", urls: [`http://${SERVER}/`] };
        const dd = await startUp(configFor(b().bed, {
          ethernet: { priority: 1, tracker }, repeater: { priority: 2, tracker },
        }));
        const stop = traffic(b(), 20, 300);
        await sleep(500);
        const t0 = performance.now();
        await b().bed.setLoss("ethernet", 100);
        let ms: number;
        try {
          ms = await firstVia(b(), "repeater", t0, kind === "ping" ? 3000 : 8000);
        } finally {
          await stop();
        }
        log(`silent failure (${kind}): first new connection via the backup after ${ms.toFixed(0)} ms`);
        const s = await dd.waitFor((x) => stateOf(x, "ethernet") === "down", 2000, "ethernet down");
        assert.deepEqual(carriers(s), ["repeater"]);
        assert.equal(s.wans.find((w) => w.name === "ethernet")!.carrier, true, "the link stayed up");
        await b().bed.setLoss("ethernet", 0);
        await dd.waitFor(only("ethernet"), 15_000, "ethernet back");
      } finally {
        await reset();
      }
    });
  }

  for (const forced of [false, true]) {
    it(`3${forced ? "b" : "a"}. recovery with Forced Refresh Streams ${forced ? "on" : "off"}`, async () => {
      try {
        const dd = await startUp(twoUplinks({ type: "mode.failover", forcedRefresh: forced }));
        await b().setCarrier("ethernet", false);
        await dd.waitFor(only("repeater"), 5000, "failover to repeater");
        const flow = await b().lan.request({ op: "open", flow: `long-${forced}`, host: SERVER, port: 80, timeoutMs: 1500 });
        assert.equal(b().bed.uplinkOf(flow.source ?? ""), "repeater", JSON.stringify(flow));
        await b().setCarrier("ethernet", true);
        await dd.waitFor(only("ethernet"), 15_000, "ethernet back");
        await sleep(300); // the flush runs right after the new rules are live
        const asked = await b().lan.request({ op: "ask", flow: `long-${forced}`, timeoutMs: 1500 });
        if (forced) {
          assert.equal(asked.ok && b().bed.uplinkOf(asked.source ?? "") === "repeater", false,
            `the backup's flow should be gone: ${JSON.stringify(asked)}`);
        } else {
          assert.equal(b().bed.uplinkOf(asked.source ?? ""), "repeater", `long flow stays: ${JSON.stringify(asked)}`);
        }
        // A new connection (the client's reconnect) goes out the primary.
        assert.equal((await b().connect()).uplink, "ethernet");
        await b().lan.request({ op: "close", flow: `long-${forced}` });
      } finally {
        await reset();
      }
    });
  }

  it("4. load balance 3:1 over 2,400 new connections, within 3 percentage points", async () => {
    try {
      const config = configFor(b().bed, { ethernet: { priority: 1, weight: 3 }, repeater: { priority: 1, weight: 1 } }, {
        type: "mode.load-balance",
      });
      d = await startDaemon(b().bed, config);
      await d.waitFor((s) => carriers(s).length === 2, 10_000, "both carrying");
      const counts = new Map<string, number>();
      const N = 2400, batch = 40;
      for (let i = 0; i < N; i += batch) {
        const got = await Promise.all(Array.from({ length: batch }, () => b().connect(3000)));
        for (const a of got) counts.set(a.uplink ?? `error ${a.error}`, (counts.get(a.uplink ?? `error ${a.error}`) ?? 0) + 1);
      }
      const eth = counts.get("ethernet") ?? 0, rep = counts.get("repeater") ?? 0;
      const share = (100 * eth) / (eth + rep);
      log(`load balance: ${JSON.stringify(Object.fromEntries(counts))}, ethernet ${share.toFixed(2)} % (want 75 ± 3)`);
      assert.ok(eth + rep >= 2000, `only ${eth + rep} connections succeeded`);
      assert.ok(Math.abs(share - 75) <= 3, `ethernet share ${share.toFixed(2)} %`);
    } finally {
      await reset();
    }
  });

  it("5. 5 % random loss on the primary for 60 s → no failover", async () => {
    try {
      const dd = await startUp(twoUplinks());
      await b().bed.setLoss("ethernet", 5);
      const stop = traffic(b(), 100, 3000);
      const end = Date.now() + 60_000;
      const bad: string[] = [];
      let polls = 0;
      try {
        while (Date.now() < end) {
          const s = await dd.status();
          polls++;
          if (carriers(s).join(",") !== "ethernet" || stateOf(s, "ethernet") === "down") bad.push(JSON.stringify(brief(s)));
          await sleep(500);
        }
      } finally {
        const seen = await stop();
        log(`5 % loss for 60 s: connections ${JSON.stringify(Object.fromEntries(seen))}, ${polls} status polls`);
        assert.equal(seen.get("repeater") ?? 0, 0, "no connection went out the backup");
      }
      const s = await dd.status();
      const eth = s.wans.find((w) => w.name === "ethernet")!;
      log(`ethernet after 60 s: ${eth.state}/${eth.phase}, ${eth.reason}; failovers ${s.failovers}`);
      assert.deepEqual(bad, [], "never failed over");
      assert.equal(s.failovers, 0);
    } finally {
      await reset();
    }
  });

  it("6. traffic the router itself originates follows failover", async () => {
    try {
      const dd = await startUp(twoUplinks());
      assert.equal((await b().routerConnect()).uplink, "ethernet");
      const t0 = performance.now();
      await b().setCarrier("ethernet", false);
      const ms = await firstVia(b(), "repeater", t0, 3000, "router");
      log(`router-originated: via the backup after ${ms.toFixed(0)} ms`);
      await dd.waitFor(only("repeater"), 2000, "repeater carrying");
      await b().setCarrier("ethernet", true);
      await dd.waitFor(only("ethernet"), 15_000, "ethernet back");
      assert.equal((await b().routerConnect()).uplink, "ethernet");
    } finally {
      await reset();
    }
  });

  it("7. every uplink down → the configured last resort (unreachable)", async () => {
    try {
      const dd = await startUp(twoUplinks({ type: "mode.failover" }, { lastResort: "unreachable" }));
      await b().setCarrier("ethernet", false);
      await b().setCarrier("repeater", false);
      const s = await dd.waitFor((x) => carriers(x).length === 0, 5000, "no carrier left");
      assert.equal(s.plan.lastResort, "unreachable");
      const t0 = performance.now();
      const a = await b().connect(3000);
      const ms = performance.now() - t0;
      log(`last resort: LAN connect → ${a.error ?? a.uplink} after ${ms.toFixed(0)} ms`);
      assert.match(a.error ?? "", /EHOSTUNREACH|ENETUNREACH|unreachable/i, `rejected at once, not left to time out: ${JSON.stringify(a)}`);
      assert.ok(ms < 1000);
      // The router's own connections get no uplink either (the reroute to the unreachable
      // mark drops their packets, so the socket sees a timeout rather than an ICMP error).
      const r = await b().routerConnect(1000);
      assert.equal(r.uplink, undefined, JSON.stringify(r));
      await b().setCarrier("repeater", true);
      await dd.waitFor(only("repeater"), 15_000, "repeater back");
      assert.equal((await b().connect()).uplink, "repeater");
    } finally {
      await reset();
    }
  });

  it("8. SIGTERM cleans up; SIGKILL leaves routing working and a restart adopts it", async () => {
    try {
      const bed = b().bed;
      const config = twoUplinks();
      let dd = await startUp(config);
      const live = await leftovers(bed);
      assert.ok(live.table && live.rules.length > 0 && live.routes.length > 0, JSON.stringify(live));
      assert.ok([0, "SIGTERM"].includes(await dd.stop("SIGTERM") as number), "stopped"); // Deno's child_process reports the signal
      assert.deepEqual(await leftovers(bed), { table: false, rules: [], routes: [] });
      await disposeDaemon(dd);

      dd = await startUp(config);
      d = dd;
      const before = await leftovers(bed);
      await dd.stop("SIGKILL");
      assert.deepEqual(await leftovers(bed), before, "SIGKILL leaves everything in place");
      assert.equal((await b().connect()).uplink, "ethernet", "routing works without the daemon");
      assert.equal((await b().routerConnect()).uplink, "ethernet");
      d = dd = await startDaemon(bed, config, { dir: dd.dir });
      await dd.waitFor(only("ethernet"), 10_000, "ethernet carrying after restart");
      await sleep(300);
      const after = await leftovers(bed);
      assert.deepEqual(after.rules, before.rules, "no duplicate rules after adoption");
      assert.deepEqual(after.routes.sort(), before.routes.sort());
      const nft = await bed.exec(bed.router, ["nft", "list", "tables"]);
      assert.equal(nft.split("\n").filter((l) => l.includes("multiwan")).length, 1);
      assert.equal((await b().connect()).uplink, "ethernet");
      assert.ok([0, "SIGTERM"].includes(await dd.stop("SIGTERM") as number), "stopped"); // Deno's child_process reports the signal
      assert.deepEqual(await leftovers(bed), { table: false, rules: [], routes: [] });
    } finally {
      await reset();
    }
  });

  it("9. a tethering device that vanishes and returns is dropped and picked up again", async () => {
    const bed = b().bed;
    const u = b().uplink("tethering");
    const recreate = async () => {
      await bed.exec(bed.router, ["ip", "link", "add", u.device, "type", "veth", "peer", "name", "cpe0", "netns", u.ns]);
      await bed.exec(bed.router, ["ip", "addr", "add", u.address, "dev", u.device]);
      await bed.exec(bed.router, ["ip", "link", "set", u.device, "up"]);
      await bed.exec(u.ns, ["ip", "addr", "add", `${u.gateway}/24`, "dev", "cpe0"]);
      await bed.exec(u.ns, ["ip", "link", "set", "cpe0", "up"]);
    };
    let gone = false;
    try {
      const dd = await startUp(configFor(bed, { tethering: { priority: 1 }, ethernet: { priority: 2 } }), "tethering");
      const t0 = performance.now();
      await bed.exec(bed.router, ["ip", "link", "del", u.device]);
      gone = true;
      const ms = await firstVia(b(), "ethernet", t0, 3000);
      log(`tethering vanished: via ethernet after ${ms.toFixed(0)} ms`);
      const s = await dd.waitFor((x) => x.wans.some((w) => w.name === "tethering" && w.state === "down" && !w.present), 3000, "tethering down and missing");
      const w = s.wans.find((x) => x.name === "tethering")!;
      assert.equal(w.present, false);
      assert.match(w.reason, /missing/);
      assert.equal(s.dataplane.error, undefined);
      await dd.waitFor(only("ethernet"), 3000, "ethernet carrying alone");
      await recreate();
      gone = false;
      await dd.waitFor(only("tethering"), 15_000, "tethering picked up again");
      assert.equal((await b().connect()).uplink, "tethering");
    } finally {
      if (gone) await recreate().catch(() => {});
      await reset();
    }
  });
};

if (missing) {
  describe("daemon scenarios in namespaces", () => it("all scenarios", { skip: `needs root and nft, ip, conntrack, ping: ${missing}` }, () => {}));
} else {
  describe("daemon scenarios in namespaces", () => {
    let bed: Bed | undefined;
    before(async () => {
      bed = await makeBed();
    });
    after(async () => {
      await bed?.destroy();
    });
    scenarios(() => {
      if (!bed) throw new Error("no testbed");
      return bed;
    });
  });
}
