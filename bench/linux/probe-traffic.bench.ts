/**
 * Probe traffic per idle uplink with DEFAULT settings (root only, not run in CI): IP bytes in
 * both directions counted by nft counters in each ISP namespace while the daemon runs and
 * nothing else uses the uplinks, extrapolated to a 30-day month.
 *
 * Run: node --import tsx bench/linux/probe-traffic.bench.ts [seconds=180] [targets=1]
 * @module
 */
import { carriers, configFor, disposeDaemon, makeBed, scenarioPrerequisite, sleep, startDaemon } from "../../test/netns/daemon-harness.ts";
import { EXTRA_TARGETS, SERVER } from "../../test/netns/testbed.ts";

const missing = await scenarioPrerequisite();
if (missing) {
  console.log(`skipped: needs root and nft, ip, conntrack, ping (${missing})`);
  process.exit(0);
}
const seconds = Number(process.argv[2] ?? 180);
const nTargets = Number(process.argv[3] ?? 1);
const b = await makeBed();
try {
  const targets = [SERVER, ...EXTRA_TARGETS].slice(0, nTargets);
  // Defaults: only the testbed's device/gateway/priority and the targets are configured.
  const config = configFor(b.bed, Object.fromEntries(b.bed.uplinks.map((u) => [u.name, { priority: u.k, tracker: { type: "tracker.ping", targets } }])));
  const d = await startDaemon(b.bed, config);
  try {
    await d.waitFor((s) => carriers(s).length === 1 && s.wans.every((w) => w.state === "up" && w.phase === "steady"), 30_000, "all up and steady");
    await sleep(35_000); // past the first steady rounds (each target once per 10 s · targets)
    // Count IP bytes on the ISP side of each uplink (cpe0), both directions.
    for (const u of b.bed.uplinks) {
      await b.bed.exec(u.ns, ["nft", "-f", "-"], [
        "table ip probe_count {",
        "  counter c_in {}",
        "  counter c_out {}",
        '  chain pre { type filter hook prerouting priority -300; iifname "cpe0" counter name "c_in"; }',
        '  chain post { type filter hook postrouting priority 300; oifname "cpe0" counter name "c_out"; }',
        "}",
      ].join("\n"));
    }
    const t0 = performance.now();
    // Watch the phases while idle: every change (with the WAN's reason) is printed, since an
    // idle uplink that drops into fast probing costs many times its steady probes.
    const phases = new Map<string, string>();
    type T = { target: string; sent: number; received: number };
    const lostOf = (w: unknown) => ((w as { targets?: T[] }).targets ?? []).reduce((n, t) => n + t.sent - t.received, 0);
    const lost = new Map<string, number>();
    const changes: string[] = [];
    let fastMs = 0;
    let last = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      const s = await d.status().catch(() => undefined);
      const at = performance.now();
      for (const w of s?.wans ?? []) {
        const before = phases.get(w.name);
        if (before && before !== "steady") fastMs += at - last;
        const lostNow = lostOf(w);
        const lostMore = lostNow - (lost.get(w.name) ?? lostNow);
        lost.set(w.name, lostNow);
        if (before !== undefined && before !== w.phase) {
          // The machine does not say why it suspects: a lost probe shows in the target counts,
          // otherwise it was the passive check (packets left the device, nothing came back).
          const errors = ((w as { targets?: (T & { lastError?: string })[] }).targets ?? []).flatMap((t) => t.lastError ? [`${t.target}: ${t.lastError}`] : []);
          const last = (w as { lastSuspicion?: { at: string; cause: string } }).lastSuspicion;
          const cause = last ? `; the daemon's cause at ${last.at}: ${last.cause}` : "";
          const why = w.phase === "steady" ? "" : (lostMore > 0 ? `, ${lostMore} probe(s) lost${errors.length ? ` (${errors.join("; ")})` : ""}` : ", no probe lost: passive (unanswered traffic)") + cause;
          const line = `${((at - t0) / 1000).toFixed(1).padStart(6)} s ${w.name} ${before} → ${w.phase} (${w.state}: ${w.reason}${why})`;
          changes.push(line);
          if (process.env.SHOW_PHASES) console.log(line);
        }
        phases.set(w.name, w.phase);
      }
      last = at;
      await sleep(250);
    }
    const el = (performance.now() - t0) / 1000;
    console.log(`${changes.length} phase changes while idle (status polled every 250 ms); time outside "steady": ${(fastMs / 1000).toFixed(1)} uplink-seconds`);
    for (const c of changes.slice(0, 40)) console.log(`  ${c}`);
    const s = await d.status();
    // The daemon's own count (also suspicions the 250 ms status poll did not see).
    type Sus = { suspicions?: number; lastSuspicion?: { at: string; cause: string } };
    console.log(`suspicions counted by the daemon since start: ${s.wans.map((w) => `${w.name}=${(w as Sus).suspicions ?? "?"}${(w as Sus).lastSuspicion ? ` (last ${(w as Sus).lastSuspicion!.at}: ${(w as Sus).lastSuspicion!.cause})` : ""}`).join(", ")}`);
    console.log(`window ${el.toFixed(0)} s, ${targets.length} target(s) per uplink, default settings; states ${s.wans.map((w) => `${w.name}=${w.state}/${w.phase}`).join(" ")}`);
    for (const u of b.bed.uplinks) {
      const j = JSON.parse(await b.bed.exec(u.ns, ["nft", "-j", "list", "counters", "table", "ip", "probe_count"])) as { nftables: { counter?: { name: string; bytes: number; packets: number } }[] };
      const c = Object.fromEntries(j.nftables.filter((x) => x.counter).map((x) => [x.counter!.name, x.counter!]));
      const bytes = (c.c_in?.bytes ?? 0) + (c.c_out?.bytes ?? 0);
      const pkts = (c.c_in?.packets ?? 0) + (c.c_out?.packets ?? 0);
      const month = (bytes / el) * 30 * 86_400 / 1e6;
      console.log(`${u.name.padEnd(10)} ${pkts} packets, ${bytes} bytes → ${month.toFixed(1)} MB/month (target ≤ 44)`);
    }
  } finally {
    await disposeDaemon(d);
  }
} finally {
  await b.destroy();
}
