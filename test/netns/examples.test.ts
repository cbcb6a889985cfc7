/**
 * The example plugins end to end: the REAL daemon (`src/main.ts --dataplane linux`) in the
 * router namespace loads examples/plugins through the config's `plugins.dirs`; `wan.vxlan`
 * creates a tunnel to a far end in ISP 1's namespace, `tracker.dns` asks a DNS responder in
 * the internet namespace through it. Traffic and queries via the tunnel leave ISP 1 as
 * 198.19.1.50 (the ethernet uplink's own traffic as 198.19.1.1), so the far side sees which
 * path they took. Needs root plus ip, nft, conntrack, ping and curl; otherwise it says so
 * loudly and skips.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRunner } from "../../src/platform/linux/run.ts";
import {
  type Bed, carriers, type Daemon, disposeDaemon, makeBed, ROOT, scenarioPrerequisite, startDaemon, stateOf, wanEntry,
} from "./daemon-harness.ts";
import { SERVER, SERVER_PORT, waitReady } from "./testbed.ts";

const missing = await scenarioPrerequisite();
if (missing) console.warn(`\n*** skipped: needs root and nft, ip, conntrack, ping, curl (${missing}) ***\n`);

const host = createRunner();
const TUNNEL_PUBLIC = "198.19.1.50";

/** The far end of the tunnel in ISP 1, whose traffic that ISP sends out as TUNNEL_PUBLIC. */
async function farEnd(b: Bed): Promise<void> {
  const isp = b.uplink("ethernet").ns;
  const ip = (...a: string[]) => b.bed.exec(isp, ["ip", ...a]);
  await ip("link", "add", "vx42", "type", "vxlan", "id", "42", "local", "198.18.1.1", "remote", "198.18.1.2", "dev", "cpe0", "dstport", "4789");
  await ip("addr", "add", "198.18.51.1/30", "dev", "vx42");
  await ip("link", "set", "vx42", "up");
  await ip("addr", "add", `${TUNNEL_PUBLIC}/24`, "dev", "up0");
  await b.bed.exec(isp, ["nft", "-f", "-"], [
    "table ip tunnel {",
    `  chain post { type nat hook postrouting priority srcnat - 1; ip saddr 198.18.51.0/30 oifname "up0" snat to ${TUNNEL_PUBLIC}; }`,
    "}",
  ].join("\n"));
}

function config(b: Bed): Record<string, unknown> {
  return {
    plugins: { dirs: [join(ROOT, "examples/plugins")] },
    mode: { type: "mode.failover" },
    routing: { bypass: ["198.18.100.0/24"] },
    wans: {
      tunnel: {
        type: "wan.vxlan", device: "vx42", vni: 42, underlay: "eth1", local: "198.18.1.2", remote: "198.18.1.1",
        address: "198.18.51.2/30", gateway: "198.18.51.1", priority: 1,
        tracker: { type: "tracker.dns", targets: [SERVER], name: "multiwan.test", intervalMs: 1000, timeoutMs: 500 },
      },
      repeater: wanEntry(b.uplink("repeater"), { priority: 2 }),
    },
  };
}

if (missing) {
  describe("example plugins in namespaces", () => {
    it("skipped: needs root and nft, ip, conntrack, ping, curl", () => {
      assert.ok(missing);
    });
  });
} else {
  describe("example plugins in namespaces", () => {
    let b: Bed | undefined;
    let d: Daemon | undefined;
    let dns: { child: import("node:child_process").ChildProcess } | undefined;
    const bed = () => {
      if (!b) throw new Error("no testbed");
      return b;
    };
    const statsFile = join(tmpdir(), `mwt-dns-${process.pid}.json`);
    const queriesFrom = async () =>
      JSON.parse(await readFile(statsFile, "utf8").catch(() => "{\"queries\":0}")) as { queries: number; lastFrom?: string };
    const lanSource = async () => (await bed().lan.request({ op: "connect", host: SERVER, port: SERVER_PORT, timeoutMs: 1500 })).source;

    before(async () => {
      b = await makeBed();
      await farEnd(b);
      const child = b.bed.start(b.bed.internet, fileURLToPath(new URL("../loader/dns-responder.ts", import.meta.url)), [
        SERVER, "53", statsFile,
      ]);
      await waitReady(child);
      dns = { child };
    });
    after(async () => {
      await disposeDaemon(d);
      dns?.child.kill("SIGKILL");
      await rm(statsFile, { force: true });
      await b?.destroy();
    });

    it("the daemon loads the examples from plugins.dirs and lists them", async () => {
      d = await startDaemon(bed().bed, config(bed()));
      const r = await host.run(["ip", "netns", "exec", bed().bed.router, "curl", "-sS", "-m", "2", "-H", `Authorization: Bearer ${d.token}`,
        `http://127.0.0.1:${d.port}/api/v1/plugins`]);
      const body = JSON.parse(r.stdout) as { plugins: { id: string }[]; failed: unknown[] };
      for (const id of ["wan.vxlan", "tracker.dns", "mode.lowest-latency"]) assert.ok(body.plugins.some((p) => p.id === id), id);
      assert.deepEqual(body.failed, []);
    });

    it("wan.vxlan creates the tunnel; tracker.dns answers through it; LAN traffic leaves through it", async () => {
      const s = await d!.waitFor((x) => stateOf(x, "tunnel") === "up" && carriers(x).join() === "tunnel", 15_000, "tunnel up and carrying");
      assert.equal(s.wans.find((w) => w.name === "tunnel")?.present, true);
      const link = await bed().bed.exec(bed().bed.router, ["ip", "-d", "link", "show", "vx42"]);
      assert.match(link, /vxlan id 42 remote 198\.18\.1\.1 local 198\.18\.1\.2 dev eth1/);
      const q = await queriesFrom();
      assert.ok(q.queries > 0, "the responder got queries");
      assert.equal(q.lastFrom, TUNNEL_PUBLIC, "the DNS queries came through the tunnel");
      assert.equal(await lanSource(), TUNNEL_PUBLIC);
    });

    it("the far end goes silent → DNS fails → the tunnel is down, the repeater carries; and back", async () => {
      await bed().bed.exec(bed().uplink("ethernet").ns, ["ip", "link", "set", "vx42", "down"]);
      const s = await d!.waitFor((x) => stateOf(x, "tunnel") === "down" && carriers(x).join() === "repeater", 10_000, "tunnel down");
      assert.match(s.wans.find((w) => w.name === "tunnel")!.reason, /timeout|lost|of 1/);
      assert.equal(await lanSource(), bed().uplink("repeater").publicAddress);
      await bed().bed.exec(bed().uplink("ethernet").ns, ["ip", "link", "set", "vx42", "up"]);
      // Back as soon as it is usable again (degraded while lost probes are still in its loss window).
      await d!.waitFor((x) => stateOf(x, "tunnel") !== "down" && carriers(x).join() === "tunnel", 15_000, "tunnel back");
      assert.equal(await lanSource(), TUNNEL_PUBLIC);
    });

    it("stopping the daemon removes the tunnel it created", async () => {
      // (Node reports exit code 0 here, Deno's child_process the signal: the removal is the check.)
      await d!.stop("SIGTERM");
      const r = await host.run(["ip", "-n", bed().bed.router, "link", "show", "vx42"], { okCodes: [0, 1, 255] });
      assert.notEqual(r.code, 0, "vx42 is gone");
    });
  });
}
