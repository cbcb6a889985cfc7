/**
 * Process starts of the REAL idle daemon (root and strace only, not run in CI): four uplinks ×
 * three ping targets, defaults otherwise (failover, the README's kind of config), nothing but
 * probes on the uplinks. Once every WAN is up and steady, `strace -f -e trace=execve` follows the
 * daemon for the window and counts every program it starts (the goal: 0 per minute). The status
 * API is read only before and after the window (a read may refresh flow figures with conntrack).
 * The probes sent in the window show whether an uplink left the steady cadence (each suspicion
 * costs a few rounds of all targets at 100 ms).
 *
 * Run: node --import tsx bench/linux/forks.bench.ts [seconds=60] [node,deno]
 * @module
 */
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRunner } from "../../src/platform/linux/run.ts";
import { configFor, disposeDaemon, makeBed, scenarioPrerequisite, sleep, startDaemon, type Status } from "../../test/netns/daemon-harness.ts";
import { EXTRA_TARGETS, SERVER } from "../../test/netns/testbed.ts";

const host = createRunner();

/** Why this cannot run here, or undefined. */
export async function forksPrerequisite(): Promise<string | undefined> {
  return await scenarioPrerequisite() ?? await host.run(["strace", "-V"]).then(() => undefined, () => "strace missing");
}

const probes = (s: Status) => s.wans.reduce((n, w) => n + w.probesSent, 0);

/** One line per runtime: what it started in the window and how many probes it sent. */
export interface ForksResult {
  readonly runtime: string;
  readonly seconds: number;
  readonly execs: number;
  readonly programs: Record<string, number>;
  readonly probes: number;
  /** Probes at the steady cadence (one per 10 s per uplink, targets taking turns). */
  readonly steadyProbes: number;
  readonly counters: string;
}

export async function measureForks(runtime: "node" | "deno", windowS: number): Promise<ForksResult> {
  const b = await makeBed();
  const out = join(tmpdir(), `mwt-strace-${process.pid}-${runtime}.txt`);
  try {
    const targets = [SERVER, ...EXTRA_TARGETS.slice(0, 2)];
    const config = configFor(b.bed, Object.fromEntries(b.bed.uplinks.map((u) => [u.name, {
      priority: u.k, tracker: { type: "tracker.ping", targets },
    }])));
    const d = await startDaemon(b.bed, config, { runtime });
    try {
      await d.waitFor((s) => s.wans.every((w) => (w.state === "up" || w.state === "degraded") && w.phase === "steady"), 60_000, "all up and steady");
      await sleep(75_000); // past start-up work: the third target starts 20 s after steady, an idle metered uplink slows down after 60 s
      const before = probes(await d.status());
      await sleep(2_500); // the flow refresh that read may start is over
      await host.run(["timeout", "-s", "INT", String(windowS), "strace", "-f", "-qq", "-e", "trace=execve", "-o", out, "-p", String(d.pid)], {
        okCodes: [0, 124, 130], timeoutMs: (windowS + 10) * 1000,
      });
      const after = probes(await d.status());
      const lines = (await readFile(out, "utf8")).split("\n").filter((l) => /execve\(/.test(l));
      const programs: Record<string, number> = {};
      for (const l of lines) {
        const p = /execve\("([^"]+)"/.exec(l)?.[1] ?? "?";
        programs[p] = (programs[p] ?? 0) + 1;
      }
      const log = d.output();
      const counters = /sysfs is not readable/.test(log) ? (/keeps failing/.test(log) ? "ip per read (fork)" : "one long-lived ip -batch") : "sysfs";
      return { runtime, seconds: windowS, execs: lines.length, programs, probes: after - before, steadyProbes: Math.round((4 * windowS) / 10), counters };
    } finally {
      await disposeDaemon(d);
    }
  } finally {
    await rm(out, { force: true });
    await b.destroy();
  }
}

export function formatForks(r: ForksResult): string {
  const progs = Object.entries(r.programs).map(([p, n]) => `${p}×${n}`).join(", ") || "none";
  return `${r.runtime}: ${r.execs} process starts in ${r.seconds} s (${((60 * r.execs) / r.seconds).toFixed(1)}/min: ${progs}); ` +
    `counters from ${r.counters}; probes sent ${r.probes} (steady cadence: ${r.steadyProbes})`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const missing = await forksPrerequisite();
  if (missing) {
    console.log(`skipped: needs root, strace and nft, ip, conntrack, ping (${missing})`);
    process.exit(0);
  }
  const seconds = Number(process.argv[2] ?? 60);
  for (const runtime of (process.argv[3] ?? "node,deno").split(",") as ("node" | "deno")[]) {
    console.log(formatForks(await measureForks(runtime, seconds)));
  }
}
