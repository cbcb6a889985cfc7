/**
 * A data cap reached on real traffic: the REAL daemon (`src/main.ts --dataplane linux`) in the
 * router namespace of the testbed, a 1 MB cap (the schema's minimum) on the primary, iperf3
 * from the LAN through it until the cap is passed. New LAN connections then leave the capped
 * uplink, the `wan.cap` events (warning, then reached) arrive on the event stream,
 * `STATE_DIR/usage.json` holds the count; after SIGTERM and a start with the same state dir
 * the count is still there and the primary stays capped (new connections on the backup, the
 * primary only as the last resort). Needs root plus ip, nft, conntrack, ping, curl and iperf3;
 * otherwise it says so loudly and skips.
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { CHILD_ENV, createRunner } from "../../src/platform/linux/run.ts";
import {
  type Bed, brief, carriers, configFor, type Daemon, disposeDaemon, makeBed, scenarioPrerequisite, sleep, startDaemon, stateOf,
  type Status,
} from "./daemon-harness.ts";
import { SERVER, SERVER_PORT, type Testbed } from "./testbed.ts";

async function prerequisite(): Promise<string | undefined> {
  const missing = await scenarioPrerequisite();
  if (missing) return missing;
  try {
    await createRunner().run(["iperf3", "--version"], { timeoutMs: 5000 });
  } catch {
    return "iperf3 missing";
  }
  return undefined;
}

const missing = await prerequisite();
if (missing) console.warn(`\n*** skipped: needs root and nft, ip, conntrack, ping, curl, iperf3 (${missing}) ***\n`);

const log = (msg: string) => console.log(`# ${msg}`);
const MB = 1_000_000;
const IPERF_PORT = 5201;
/** The cap: the schema's smallest (1 MB), warning at half of it. */
const CAP = { limitMB: 1, period: "month", resetDay: 1, warnPct: 50, atCap: "last-resort" } as const;
/** Payload of the first burst (past the warning, under the cap) and of the second (past the cap). */
const FIRST = 600_000;
const SECOND = 500_000;

interface Usage {
  readonly usedBytes: number;
  readonly limitBytes: number;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly capped: boolean;
}

const usageOf = (s: Status, wan: string): Usage | undefined =>
  (s.wans.find((w) => w.name === wan) as { usage?: Usage } | undefined)?.usage;

interface SeenEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
  /** performance.now() when the test read it. */
  readonly seenAt: number;
}

/** The daemon's event stream (curl in the router namespace, replayed from the daemon's start). */
class EventWatch {
  readonly events: SeenEvent[] = [];
  readonly #child: ChildProcess;
  #wake = () => {};

  constructor(bed: Testbed, d: Daemon) {
    this.#child = spawn("ip", [
      "netns", "exec", bed.router, "curl", "-sN", "-H", `Authorization: Bearer ${d.token}`,
      `http://127.0.0.1:${d.port}/api/v1/events?lastEventId=0`,
    ], { env: { ...CHILD_ENV }, stdio: ["ignore", "pipe", "ignore"] });
    let type = "";
    let data = "";
    createInterface({ input: this.#child.stdout! }).on("line", (line) => {
      if (line.startsWith("event:")) type = line.slice(6).trim();
      else if (line.startsWith("data:")) data += line.slice(5).trim();
      else if (line === "") {
        if (type && data) {
          const parsed = JSON.parse(data) as { data?: Record<string, unknown> };
          this.events.push({ type, data: parsed.data ?? parsed, seenAt: performance.now() });
          this.#wake();
        }
        type = "";
        data = "";
      }
    });
  }

  caps(wan: string): SeenEvent[] {
    return this.events.filter((e) => e.type === "wan.cap" && e.data.wan === wan);
  }

  /** Waits for an event that `pred` accepts (one seen already counts). */
  async waitFor(pred: (e: SeenEvent) => boolean, timeoutMs: number, what: string): Promise<SeenEvent> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      const left = end - performance.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; events: ${JSON.stringify(this.events.map((e) => [e.type, e.data]))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.#child.kill("SIGTERM");
  }
}

/** The router's byte counters of a device (sent plus received). */
async function deviceBytes(bed: Testbed, device: string): Promise<number> {
  const out = await createRunner({ netns: bed.router }).run(["ip", "-s", "-j", "link", "show", "dev", device]);
  const [j] = JSON.parse(out.stdout) as { stats64: { rx: { bytes: number }; tx: { bytes: number } } }[];
  return j.stats64.rx.bytes + j.stats64.tx.bytes;
}

/** Sends `bytes` of payload from the LAN to the internet server with iperf3; returns what iperf3 says it sent. */
async function push(bed: Testbed, bytes: number): Promise<number> {
  const out = await createRunner({ netns: bed.lan }).run(
    ["iperf3", "-c", SERVER, "-p", String(IPERF_PORT), "-n", String(bytes), "-J", "--connect-timeout", "2000"],
    { timeoutMs: 15_000 },
  );
  const j = JSON.parse(out.stdout) as { end?: { sum_sent?: { bytes?: number } }; error?: string };
  if (j.error || j.end?.sum_sent?.bytes === undefined) throw new Error(`iperf3: ${j.error ?? out.stdout.slice(0, 300)}`);
  return j.end.sum_sent.bytes;
}

/** An iperf3 server in the internet namespace; resolves once it listens. */
async function iperfServer(bed: Testbed): Promise<ChildProcess> {
  const child = spawn("ip", ["netns", "exec", bed.internet, "iperf3", "-s", "--forceflush", "-B", SERVER, "-p", String(IPERF_PORT)], {
    env: { ...CHILD_ENV },
    stdio: ["ignore", "pipe", "ignore"],
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("iperf3 server not listening")), 10_000);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("listening")) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once("exit", (c) => reject(new Error(`iperf3 server exited ${c}`)));
  });
  return child;
}

/** `n` new LAN connections; the uplinks they went out of. */
async function connectMany(b: Bed, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = await b.connect(1500);
    out.push(a.uplink ?? `error: ${a.error}`);
  }
  return out;
}

const capTest = (b: () => Bed) => {
  it("a capped primary passes its cap on real traffic → warning, reached, new connections on the backup; the count survives a restart", { timeout: 150_000 }, async () => {
    const bed = b().bed;
    const config = configFor(bed, { ethernet: { priority: 1 }, repeater: { priority: 2 } });
    (config.wans as Record<string, Record<string, unknown>>).ethernet.cap = { ...CAP };
    let d: Daemon | undefined;
    let watch: EventWatch | undefined;
    let server: ChildProcess | undefined;
    let repeaterDown = false;
    try {
      server = await iperfServer(bed);
      const device0 = await deviceBytes(bed, "eth1");
      const t0 = performance.now();
      d = await startDaemon(bed, config);
      const first = d;
      watch = new EventWatch(bed, first);
      let s = await first.waitFor((x) => carriers(x).join() === "ethernet" && usageOf(x, "ethernet") !== undefined, 10_000, "ethernet carrying, counted");
      const u0 = usageOf(s, "ethernet")!;
      assert.equal(u0.limitBytes, CAP.limitMB * MB);
      assert.equal(u0.capped, false);
      assert.ok(u0.usedBytes < 100_000, `a fresh state dir starts near zero: ${u0.usedBytes}`);
      assert.equal(new Date(u0.periodStart).getDate(), CAP.resetDay, `the period starts on the reset day: ${u0.periodStart}`);
      assert.deepEqual(await connectMany(b(), 3), ["ethernet", "ethernet", "ethernet"]);

      // Past the warning, under the cap: a warning, and nothing moves.
      const sent1 = await push(bed, FIRST);
      const warning = await watch.waitFor((e) => e.type === "wan.cap" && e.data.level === "warning", 20_000, "wan.cap warning");
      assert.equal(warning.data.wan, "ethernet");
      assert.equal(warning.data.limitBytes, MB);
      const usedAtWarning = warning.data.usedBytes as number;
      // At least the warning share (a sample may have landed while iperf3 was still sending), under the cap.
      assert.ok(usedAtWarning >= (MB * CAP.warnPct) / 100 && usedAtWarning < MB, `counted at the warning: ${usedAtWarning} (sent ${sent1})`);
      assert.deepEqual(await connectMany(b(), 3), ["ethernet", "ethernet", "ethernet"], "a warning changes nothing");
      s = await first.status();
      assert.equal(usageOf(s, "ethernet")?.capped, false);

      // A long-lived flow on the primary, opened before the cap.
      const flow = await b().lan.request({ op: "open", flow: "before-cap", host: SERVER, port: SERVER_PORT, timeoutMs: 1500 });
      assert.equal(bed.uplinkOf(flow.source ?? ""), "ethernet", JSON.stringify(flow));

      // Past the cap.
      const sent2 = await push(bed, SECOND);
      const pushedAt = performance.now();
      const reached = await watch.waitFor((e) => e.type === "wan.cap" && e.data.level === "reached", 20_000, "wan.cap reached");
      let moved = Number.NaN;
      const seen: string[] = [];
      while (performance.now() - reached.seenAt < 5000) {
        const a = await b().connect(1000);
        seen.push(a.uplink ?? `error: ${a.error}`);
        if (a.uplink === "repeater") {
          moved = performance.now();
          break;
        }
      }
      assert.ok(Number.isFinite(moved), `no new connection via repeater within 5 s of the reached event: ${seen.join(",")}`);
      const sentTotal = sent1 + sent2;
      const usedAtReached = reached.data.usedBytes as number;
      log(`cap ${MB} B: warning at ${usedAtWarning} B counted (${sent1} B sent), reached at ${usedAtReached} B counted (${sentTotal} B sent)`);
      log(`reached event ${(reached.seenAt - pushedAt).toFixed(0)} ms after the traffic passed the cap (sampled every 15 s); ` +
        `first new connection via the backup ${(moved - reached.seenAt).toFixed(0)} ms after the event (${seen.length} tries: ${seen.join(",")})`);
      assert.deepEqual(watch.caps("ethernet").map((e) => e.data.level), ["warning", "reached"]);
      assert.ok(usedAtReached >= MB, `counted at the cap: ${usedAtReached} (sent ${sentTotal})`);
      assert.ok(usedAtReached < sentTotal * 1.2 + 50_000, `counted ${usedAtReached} for ${sentTotal} sent: far more than the headers`);
      s = await first.waitFor((x) => carriers(x).join() === "repeater", 2000, "repeater carrying");
      assert.equal(stateOf(s, "ethernet"), "up", "the capped uplink is still up");
      const u1 = usageOf(s, "ethernet")!;
      assert.equal(u1.capped, true);
      assert.ok(u1.usedBytes >= usedAtReached);
      assert.deepEqual(await connectMany(b(), 5), Array(5).fill("repeater"), "new connections stay off the capped uplink");
      const asked = await b().lan.request({ op: "ask", flow: "before-cap", timeoutMs: 1500 });
      log(`the flow opened before the cap, asked after it: ${asked.ok ? `via ${bed.uplinkOf(asked.source ?? "")}` : asked.error}`);
      assert.equal(bed.uplinkOf(asked.source ?? ""), "ethernet", `an existing flow keeps its uplink: ${JSON.stringify(asked)}`);
      await b().lan.request({ op: "close", flow: "before-cap" });
      const saved = JSON.parse(await readFile(join(first.dir, "usage.json"), "utf8")) as { wans: Record<string, Record<string, unknown>> };
      assert.ok((saved.wans.ethernet.usedBytes as number) >= usedAtReached, `usage.json at the cap: ${JSON.stringify(saved.wans.ethernet)}`);
      assert.equal(saved.wans.ethernet.reached, true);

      // SIGTERM: one last sample, saved.
      const beforeStop = usageOf(await first.status(), "ethernet")!.usedBytes;
      assert.ok([0, "SIGTERM"].includes(await first.stop("SIGTERM") as number), "stopped");
      watch.close();
      const kept = JSON.parse(await readFile(join(first.dir, "usage.json"), "utf8")) as { wans: Record<string, Record<string, number | boolean | string>> };
      const k = kept.wans.ethernet;
      const onDevice = (k.rx as number) + (k.tx as number) - device0;
      log(`usage.json after SIGTERM: ${k.usedBytes} B counted; the device's counters moved ${onDevice} B since before the start; ` +
        `${sentTotal} B of iperf3 payload (counted/sent ${((k.usedBytes as number) / sentTotal).toFixed(3)})`);
      assert.ok((k.usedBytes as number) >= beforeStop, `the last sample at shutdown keeps the count: ${k.usedBytes} < ${beforeStop}`);
      assert.ok(Math.abs((k.usedBytes as number) - onDevice) < 20_000, `counted ${k.usedBytes} vs the device's ${onDevice}`);
      assert.ok((k.usedBytes as number) >= sentTotal, `every payload byte is counted: ${k.usedBytes} < ${sentTotal}`);
      assert.equal(k.device, "eth1");

      // The same state dir: the count survives and the primary stays capped.
      const restartAt = performance.now();
      d = await startDaemon(bed, config, { dir: first.dir });
      const second = d;
      watch = new EventWatch(bed, second);
      s = await second.waitFor((x) => carriers(x).length > 0 && usageOf(x, "ethernet") !== undefined, 10_000, "a plan after the restart");
      assert.deepEqual(carriers(s), ["repeater"], `capped after the restart: ${JSON.stringify(brief(s))}`);
      const u2 = usageOf(s, "ethernet")!;
      assert.equal(u2.capped, true);
      assert.ok(u2.usedBytes >= (k.usedBytes as number), `count after the restart ${u2.usedBytes} < ${k.usedBytes}`);
      assert.equal(u2.periodStart, u1.periodStart);
      assert.deepEqual(await connectMany(b(), 5), Array(5).fill("repeater"), "new connections after the restart");
      await watch.waitFor((e) => e.type === "ready" || e.type === "wan.state", 3000, "the event stream");
      await sleep(300);
      assert.deepEqual(watch.caps("ethernet").map((e) => e.data.level), [], "no second warning or reached in the same period");
      log(`after the restart: ${u2.usedBytes} B counted, capped, carriers ${carriers(s).join()} (${(performance.now() - restartAt).toFixed(0)} ms from the start)`);

      // last-resort: with the backup gone the capped primary carries again.
      await b().setCarrier("repeater", false);
      repeaterDown = true;
      await second.waitFor((x) => carriers(x).join() === "ethernet", 5000, "the capped primary as the last resort");
      assert.equal((await b().connect()).uplink, "ethernet");
      await b().setCarrier("repeater", true);
      repeaterDown = false;
      await second.waitFor((x) => carriers(x).join() === "repeater", 15_000, "repeater back, the capped primary out again");
      assert.equal((await b().connect()).uplink, "repeater");
      log(`whole test ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      watch?.close();
      if (repeaterDown) await b().setCarrier("repeater", true).catch(() => {});
      server?.kill("SIGTERM");
      await disposeDaemon(d);
    }
  });
};

if (missing) {
  describe("data caps on real traffic (daemon in namespaces)", () =>
    it("cap reached, restart", { skip: `needs root and nft, ip, conntrack, ping, curl, iperf3: ${missing}` }, () => {}));
} else {
  describe("data caps on real traffic (daemon in namespaces)", () => {
    let bed: Bed | undefined;
    before(async () => {
      bed = await makeBed();
    });
    after(async () => {
      await bed?.destroy();
    });
    capTest(() => {
      if (!bed) throw new Error("no testbed");
      return bed;
    });
  });
}
