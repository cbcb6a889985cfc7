/**
 * Failover time of the REAL daemon with DEFAULT settings (root only, not run in CI):
 * from the fault to the first new connection that succeeds over the backup, while a LAN
 * client starts a short-timeout connection every 2 ms (that traffic is also what raises
 * suspicion during a silent failure). p50/p95 over N trials for carrier loss and for a
 * silent upstream failure (the ISP drops everything, link stays up).
 *
 * Run: node --import tsx bench/linux/failover.bench.ts [trials=20] [carrier|silent|both] [node|deno]
 * @module
 */
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import type { ChildProcess } from "node:child_process";
import { carriers, configFor, disposeDaemon, makeBed, scenarioPrerequisite, sleep, startDaemon, stateOf } from "../../test/netns/daemon-harness.ts";
import { SERVER, SERVER_PORT } from "../../test/netns/testbed.ts";
import { createRunner } from "../../src/platform/linux/run.ts";

const missing = await scenarioPrerequisite();
if (missing) {
  console.log(`skipped: needs root and nft, ip, conntrack, ping (${missing})`);
  process.exit(0);
}
const trials = Number(process.argv[2] ?? 20);
const which = process.argv[3] ?? "both";
const runtime = (process.argv[4] ?? "node") as "node" | "deno";
const now = () => performance.timeOrigin + performance.now();
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

const b = await makeBed();
const host = createRunner();
let prober: ChildProcess | undefined;
try {
  prober = b.bed.start(b.bed.lan, fileURLToPath(new URL("./prober.ts", import.meta.url)), [SERVER, String(SERVER_PORT), "2", "100"]);
  const lines: { at: number; source: string }[] = [];
  await new Promise<void>((resolve) => {
    createInterface({ input: prober!.stdout! }).on("line", (l) => {
      if (l === "ready") return resolve();
      const j = JSON.parse(l);
      if (j.source) lines.push(j);
    });
  });
  const send = (cmd: string) => prober!.stdin!.write(cmd + "\n");
  const eth = b.uplink("ethernet"), rep = b.uplink("repeater");
  // DEFAULT settings: only what the testbed needs (device, gateway, priority, one ping target).
  const d = await startDaemon(b.bed, configFor(b.bed, { ethernet: { priority: 1 }, repeater: { priority: 2 } }), { runtime });
  const results: Record<string, number[]> = { carrier: [], silent: [] };
  try {
    for (const kind of which === "both" ? ["carrier", "silent"] : [which]) {
      for (let i = 0; i < trials; i++) {
        await d.waitFor((s) => carriers(s).join() === "ethernet" && stateOf(s, "ethernet") === "up" &&
          s.wans.find((w) => w.name === "ethernet")?.phase === "steady", 30_000, "ethernet steady");
        await sleep(500 + Math.random() * 1000);
        lines.length = 0;
        send("go");
        await sleep(200);
        const fault = kind === "carrier"
          ? ["ip", "-n", eth.ns, "link", "set", "cpe0", "down"]
          : ["ip", "netns", "exec", eth.ns, "nft", "add", "rule", "ip", "isp", "fault", "drop"];
        const t0 = now();
        await host.run(fault);
        const t1 = now();
        const end = Date.now() + 10_000;
        let hit: number | undefined;
        while (hit === undefined && Date.now() < end) {
          hit = lines.find((l) => l.at > t0 && l.source === rep.publicAddress)?.at;
          if (hit === undefined) await sleep(5);
        }
        send("stop");
        const ms = hit === undefined ? NaN : hit - t0;
        results[kind].push(ms);
        console.log(`${kind} #${i + 1}: ${ms.toFixed(1)} ms (fault command took ${(t1 - t0).toFixed(1)} ms)`);
        if (kind === "carrier") await b.setCarrier("ethernet", true);
        else await b.bed.setLoss("ethernet", 0);
      }
    }
  } finally {
    await disposeDaemon(d);
  }
  for (const [kind, xs] of Object.entries(results)) {
    if (xs.length === 0) continue;
    const ok = xs.filter((x) => Number.isFinite(x));
    console.log(`${kind}: n=${xs.length} failed=${xs.length - ok.length} p50=${pct(ok, 50).toFixed(1)} ms p95=${pct(ok, 95).toFixed(1)} ms max=${Math.max(...ok).toFixed(1)} ms (${runtime})`);
  }
} finally {
  prober?.stdin?.end();
  await b.destroy();
}
