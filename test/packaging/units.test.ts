/**
 * The service files: the systemd unit passes `systemd-analyze verify` (with the install
 * prefix pointed at this checkout so ExecStart resolves), keeps its hardening and its
 * security exposure score; the OpenWrt procd script parses with `sh -n` and, run against
 * stub procd helpers, starts the daemon with respawn.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { V8_FLAGS } from "../../src/launch/v8.ts";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const UNIT = join(ROOT, "packaging", "multiwan.service");
const INIT = join(ROOT, "packaging", "multiwan.init");
const ANALYZE = "/usr/bin/systemd-analyze";

function exec(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { timeout: 60_000 }, (err, out, errOut) => {
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: String(out), err: String(errOut) });
    });
  });
}

/** directives reads `Key=value` lines of a unit (repeated keys keep every value). */
function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  }
  return out;
}

describe("systemd unit", () => {
  let dir: string;
  let text: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mwan-unit-"));
    text = await readFile(UNIT, "utf8");
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("keeps its least-privilege settings", () => {
    const d = directives(text);
    const one = (k: string) => {
      assert.equal(d.get(k)?.length, 1, k);
      return d.get(k)![0];
    };
    assert.equal(one("CapabilityBoundingSet"), "CAP_NET_ADMIN CAP_NET_RAW");
    assert.equal(one("AmbientCapabilities"), "CAP_NET_ADMIN CAP_NET_RAW");
    assert.equal(one("RestrictAddressFamilies"), "AF_UNIX AF_INET AF_INET6 AF_NETLINK");
    for (const [k, v] of [["NoNewPrivileges", "yes"], ["ProtectSystem", "strict"], ["ProtectHome", "yes"], ["PrivateTmp", "yes"],
      ["StateDirectory", "multiwan"], ["Restart", "on-failure"], ["DynamicUser", "yes"], ["KillMode", "mixed"], ["ProtectKernelTunables", "yes"]]) {
      assert.equal(one(k), v, k);
    }
    assert.equal(d.get("SystemCallFilter")?.[0], "@system-service");
    assert.match(one("ExecStart"), /^\/opt\/multiwan\/node_modules\/deno\/deno run .*\/opt\/multiwan\/src\/launch\/main\.ts --dataplane linux --state-dir \/var\/lib\/multiwan$/);
    assert.ok(!/--allow-all|\s-A\s/.test(one("ExecStart")));
    // The launcher bundles the daemon with the project's esbuild (src/launch/bundle.ts).
    assert.match(one("ExecStart"), /--allow-run=\S*\/opt\/multiwan\/node_modules\/esbuild\/bin\/esbuild[,\s]/);
    assert.match(one("ExecStart"), /--allow-write=\/var\/cache\/multiwan\/multiwan-daemon\s/);
  });

  if (!existsSync(ANALYZE)) {
    console.warn("\n*** skipped: needs systemd-analyze (apt-get install systemd) ***\n");
    it("systemd-analyze verify and security", { skip: "needs systemd-analyze" }, () => {});
    return;
  }

  it("passes systemd-analyze verify with ExecStart resolvable; a missing binary fails it", async () => {
    const unit = join(dir, "multiwan.service");
    await writeFile(unit, text.replaceAll("/opt/multiwan", ROOT));
    const ok = await exec(ANALYZE, ["verify", "--man=no", unit]);
    assert.equal(ok.code, 0, ok.err);
    assert.ok(!ok.err.includes("multiwan.service"), ok.err);
    const broken = join(dir, "broken", "multiwan.service");
    await exec("mkdir", ["-p", join(dir, "broken")]);
    await writeFile(broken, text.replaceAll("/opt/multiwan", join(dir, "absent")));
    const bad = await exec(ANALYZE, ["verify", "--man=no", broken]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /multiwan\.service/);
  });

  it("has a systemd-analyze security exposure of 2.0 or less (offline analysis of the file)", async () => {
    const r = await exec(ANALYZE, ["security", "--offline=true", "--no-pager", UNIT]);
    const m = /Overall exposure level for multiwan\.service: (\d+\.\d+)/.exec(r.out + r.err);
    assert.ok(m, r.out + r.err);
    console.log(`# systemd-analyze security: ${m[1]}`);
    assert.ok(Number(m[1]) <= 2.0, `exposure ${m[1]}`);
  });
});

describe("OpenWrt procd script", () => {
  it("parses with sh -n", async () => {
    const r = await exec("/bin/sh", ["-n", INIT]);
    assert.equal(r.code, 0, r.err);
  });

  it("starts the daemon with respawn, the state dir and the listen address from /etc/config/multiwan", async () => {
    // Stubs for rc.common's config and procd helpers: each call is printed.
    const stubs = `
      config_load() { :; }
      config_get() { case "$3" in state_dir) eval "$1=/tmp/mwan-state";; listen) eval "$1=198.18.200.1:8080";; *) eval "$1=\\$4";; esac; }
      mkdir() { :; }
      chmod() { :; }
      procd_open_instance() { echo open; }
      procd_close_instance() { echo close; }
      procd_set_param() { echo "set $*"; }
      procd_append_param() { echo "append $*"; }
      procd_add_reload_trigger() { echo "trigger $*"; }
    `;
    const r = await exec("/bin/sh", ["-c", `${stubs}\n. "${INIT}"\nstart_service\nservice_triggers`]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split("\n");
    assert.equal(lines[0], "open");
    assert.equal(lines.at(-2), "close");
    assert.equal(lines.at(-1), "trigger multiwan");
    assert.ok(lines.includes(`set command /usr/bin/node ${V8_FLAGS.join(" ")} /opt/multiwan/multiwan.mjs --dataplane linux --state-dir /tmp/mwan-state`), r.out);
    assert.ok(lines.includes("append command --listen 198.18.200.1:8080"), r.out);
    assert.ok(lines.includes("set respawn 3600 5 5"), r.out);
    assert.ok(lines.includes("set term_timeout 30"), r.out);
  });
});
