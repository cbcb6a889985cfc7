/**
 * Idle cost of the REAL daemon (root only, not run in CI): four uplinks × three ping targets,
 * default settings (failover by priority, the README's kind of config), the API up, on Node
 * (tsx) and on Deno (the `start:linux` permission flags). Reports resident memory (VmRSS of
 * the daemon and of its long-lived children: ping, ip monitor/batch) and CPU % of one core
 * over a window, from /proc: the daemon's own (utime + stime), and with the short-lived
 * commands it waited for (cutime + cstime), after a restart on the state folder of a first start
 * (whose RSS is printed too) and a panel login (a wrong password: the hash runs all the same).
 * Also proves the Deno flags suffice: the daemon must bring all four up.
 *
 * Run: node --import tsx bench/linux/idle.bench.ts [seconds=60] [node,deno]
 * @module
 */
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { createRunner } from "../../src/platform/linux/run.ts";
import { carriers, configFor, type Daemon, disposeDaemon, makeBed, scenarioPrerequisite, sleep, startDaemon } from "../../test/netns/daemon-harness.ts";
import { EXTRA_TARGETS, SERVER } from "../../test/netns/testbed.ts";

const missing = await scenarioPrerequisite();
if (missing) {
  console.log(`skipped: needs root and nft, ip, conntrack, ping (${missing})`);
  process.exit(0);
}
const seconds = Number(process.argv[2] ?? 60);
const runtimes = (process.argv[3] ?? "node,deno").split(",") as ("node" | "deno")[];
const HZ = 100;
const host = createRunner();

async function procStat(pid: number): Promise<{ own: number; cpu: number; rssKb: number; anonKb: number; comm: string }> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return {
    own: Number(f[11]) + Number(f[12]), // utime + stime (ticks)
    cpu: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]), // + waited-for children (ticks)
    rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0),
    anonKb: Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0),
    comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
  };
}

async function children(pid: number): Promise<number[]> {
  const r = await host.run(["ps", "-o", "pid=", "--ppid", String(pid)], { okCodes: [0, 1] });
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}

const allUp = (d: Daemon) => d.waitFor((s) => carriers(s).length === 1 && s.wans.every((w) => w.state === "up"), 30_000, "all four up");
const s0 = (s: { wans: readonly { probesSent: number }[] }) => s.wans.reduce((n, w) => n + w.probesSent, 0);
const b = await makeBed();
try {
  const targets = [SERVER, ...EXTRA_TARGETS.slice(0, 2)];
  const config = configFor(b.bed, Object.fromEntries(b.bed.uplinks.map((u) => [u.name, {
    priority: u.k, tracker: { type: "tracker.ping", targets },
  }])));
  for (const runtime of runtimes) {
    // A router that has run before: the state folder exists. The very first start also makes
    // the admin password; its RSS is reported beside.
    const first = await startDaemon(b.bed, config, { runtime });
    let firstRss: Awaited<ReturnType<typeof procStat>>;
    try {
      await allUp(first);
      await sleep(15_000);
      firstRss = await procStat(first.pid);
    } catch (err) {
      await disposeDaemon(first);
      throw err;
    }
    await first.stop("SIGTERM");
    const d = await startDaemon(b.bed, config, { runtime, dir: first.dir });
    try {
      await allUp(d);
      // Someone tried the panel: a login runs scrypt (16 MB of work area) whatever the answer.
      const login = await host.run([
        "ip", "netns", "exec", b.bed.router, "curl", "-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}",
        "-H", "content-type: application/json", "-d", '{"password":"not-the-password"}',
        `http://127.0.0.1:${d.port}/api/v1/auth/login`,
      ]);
      if (login.stdout !== "401") throw new Error(`a wrong password should get 401, got ${login.stdout}`);
      await sleep(15_000); // let start-up work and the first GCs settle
      const probes0 = s0(await d.status());
      const kids0 = await children(d.pid);
      if (process.env.SHOW_KIDS) console.log((await host.run(["ps", "-o", "pid,etimes,args", "--ppid", String(d.pid)])).stdout);
      const a = await procStat(d.pid);
      const ka = await Promise.all(kids0.map((p) => procStat(p).catch(() => undefined)));
      const t0 = performance.now();
      await sleep(seconds * 1000);
      const el = (performance.now() - t0) / 1000;
      const z = await procStat(d.pid);
      const kz = await Promise.all(kids0.map((p) => procStat(p).catch(() => undefined)));
      const kidCpu = kz.reduce((s, k, i) => s + (k && ka[i] ? k.cpu - ka[i]!.cpu : 0), 0);
      const kidRss = kz.reduce((s, k) => s + (k?.rssKb ?? 0), 0);
      const s = await d.status();
      const probes1 = s0(s);
      const errors = s.dataplane.error ? ` dataplane error: ${s.dataplane.error}` : "";
      console.log(`${runtime}: daemon RSS ${(z.rssKb / 1024).toFixed(1)} MB (anonymous ${(z.anonKb / 1024).toFixed(1)}; ` +
        `on its very first start ${(firstRss.rssKb / 1024).toFixed(1)} MB, anonymous ${(firstRss.anonKb / 1024).toFixed(1)}), CPU ${((100 * (z.own - a.own)) / HZ / el).toFixed(2)} % own, ` +
        `${((100 * (z.cpu - a.cpu)) / HZ / el).toFixed(2)} % with its short-lived commands, over ${el.toFixed(0)} s (load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}); ` +
        `${kz.length} children (${[...new Set(kz.map((k) => k?.comm))].join(",")}) RSS ${(kidRss / 1024).toFixed(1)} MB, CPU ${((100 * kidCpu) / HZ / el).toFixed(2)} %; ` +
        `probes sent in the window ${probes1 - probes0} (${((probes1 - probes0) / el / 4).toFixed(3)}/s per uplink); ` +
        `wans ${s.wans.map((w) => `${w.name}=${w.state}`).join(" ")}${errors}`);
      type T = { target: string; sent: number; received: number };
      const lost = s.wans.flatMap((w) => ((w as unknown as { targets: T[] }).targets ?? []).map((t) => `${w.name}/${t.target} ${t.received}/${t.sent}`));
      console.log(`  ${runtime} replies/probes per target since start: ${lost.join(", ")}`);
    } finally {
      await disposeDaemon(d);
    }
  }
} finally {
  await b.destroy();
}
