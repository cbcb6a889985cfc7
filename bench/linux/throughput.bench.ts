/**
 * Forwarding throughput LAN → internet with the daemon's rules vs without (root only, not
 * run in CI): iperf3 from the LAN namespace to a server in the internet namespace, through
 * the router and the ethernet ISP. "Without" is a plain router (main table + one masquerade
 * rule); "with" is the daemon's table, rules and per-uplink routing. Alternates for `rounds`
 * rounds and reports the median of each and their ratio.
 *
 * Run: node --import tsx bench/linux/throughput.bench.ts [rounds=3] [seconds=5]
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { CHILD_ENV, createRunner } from "../../src/platform/linux/run.ts";
import { carriers, configFor, disposeDaemon, leftovers, makeBed, scenarioPrerequisite, sleep, startDaemon } from "../../test/netns/daemon-harness.ts";
import { SERVER } from "../../test/netns/testbed.ts";

const missing = await scenarioPrerequisite();
if (missing) {
  console.log(`skipped: needs root and nft, ip, conntrack, ping (${missing})`);
  process.exit(0);
}
try {
  await createRunner().run(["iperf3", "--version"]);
} catch {
  console.log("skipped: needs iperf3");
  process.exit(0);
}
const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const b = await makeBed();
let server: ChildProcess | undefined;
try {
  server = spawn("ip", ["netns", "exec", b.bed.internet, "iperf3", "-s", "-B", SERVER, "-p", "5201"], { env: { ...CHILD_ENV }, stdio: ["ignore", "ignore", "inherit"] });
  await sleep(500);
  const iperf = async (): Promise<number> => {
    const out = await b.bed.exec(b.bed.lan, ["iperf3", "-c", SERVER, "-p", "5201", "-t", String(seconds), "-J"]);
    const j = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
    return j.end.sum_received.bits_per_second / 1e9;
  };
  const config = configFor(b.bed, { ethernet: { priority: 1 }, repeater: { priority: 2 } });
  const without: number[] = [], withRules: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const left = await leftovers(b.bed);
    if (left.table || left.rules.length) throw new Error("rules left from the previous round");
    // Baseline: what a router without multiwan does: main table + plain masquerade on the uplink.
    await b.bed.exec(b.bed.router, ["nft", "-f", "-"],
      'table ip baseline {\n  chain post {\n    type nat hook postrouting priority srcnat;\n    oifname "eth1" masquerade\n  }\n}\n');
    try {
      without.push(await iperf());
    } finally {
      await b.bed.exec(b.bed.router, ["nft", "delete", "table", "ip", "baseline"]);
    }
    const d = await startDaemon(b.bed, config);
    try {
      await d.waitFor((s) => carriers(s).join() === "ethernet", 10_000, "ethernet carrying");
      withRules.push(await iperf());
    } finally {
      await disposeDaemon(d);
    }
    console.log(`round ${r + 1}: without ${without[r].toFixed(2)} Gbit/s, with ${withRules[r].toFixed(2)} Gbit/s`);
  }
  const a = median(without), w = median(withRules);
  console.log(`median without ${a.toFixed(2)} Gbit/s, with the daemon's rules ${w.toFixed(2)} Gbit/s, ratio ${(w / a).toFixed(3)} (target ≥ 0.95)`);
} finally {
  server?.kill("SIGKILL");
  await b.destroy();
}
