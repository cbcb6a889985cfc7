/**
 * Least privilege that follows the configuration: `denoPermissions()` derives the Deno
 * flags from the command line and the config; `missingPermissions()` refuses a change the
 * running daemon could not carry out; the kernel calls it before anything changes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { missingPermissions } from "../../src/launch/check.ts";
import { denoPermissions, hostPort } from "../../src/launch/permissions.ts";
import { MemoryConfigStore } from "../../src/config/store.ts";
import { hooksSection } from "../../src/hooks/index.ts";
import { Kernel } from "../../src/kernel.ts";
import { silentLogger } from "../../src/log.ts";
import { createSimPlatform } from "../../src/platform/sim/index.ts";
import { Registry } from "../../src/registry.ts";
import { FakeClock } from "../../src/clock.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { apiSection } from "../../web/api-schemas.ts";
import { fourWans, UPLINKS } from "../helpers.ts";

const O = { cwd: "/home/op", root: "/opt/multiwan" };
const flag = (flags: string[], kind: string) => flags.find((f) => f.startsWith(`--allow-${kind}=`))?.slice(`--allow-${kind}=`.length).split(",") ?? [];

describe("`denoPermissions()`", () => {
  it("with no config: the default listen address, the code, the state dir; nothing to run", () => {
    const f = denoPermissions([], undefined, O);
    assert.deepEqual(flag(f, "net"), ["127.0.0.1:8080"]);
    assert.deepEqual(flag(f, "write"), ["/home/op/state"]);
    assert.ok(flag(f, "read").includes("/opt/multiwan/src"));
    assert.ok(flag(f, "read").includes("/home/op/state"));
    assert.deepEqual(flag(f, "run"), []);
    assert.deepEqual(flag(f, "env"), ["MULTIWAN_ADMIN_PASSWORD", "MULTIWAN_ADMIN_TOKEN"]);
    assert.ok(f.includes("--no-prompt"));
  });

  it("from the launcher's bundle: no read of the code, only the web files named by --web-dir", () => {
    const f = denoPermissions(["--web-dir", "/opt/multiwan/web"], undefined, { ...O, bundled: true });
    assert.deepEqual(flag(f, "read"), ["/home/op/state", "/opt/multiwan/web"]);
    assert.deepEqual(flag(f, "write"), ["/home/op/state"]);
    const relative = denoPermissions(["--web-dir=www"], undefined, { ...O, bundled: true });
    assert.deepEqual(flag(relative, "read"), ["/home/op/state", "/home/op/www"]);
  });

  it("never grants everything: no -A, no bare --allow-* flag", () => {
    const f = denoPermissions(["--dataplane", "linux"], { hooks: { scripts: [{ name: "a", argv: ["/x"] }] } }, O);
    for (const x of f) assert.ok(x === "--no-prompt" || /^--allow-(read|write|net|run|env|sys)=./.test(x), x);
  });

  it("--listen, --state-dir, --config and repeated --plugins become exact paths and addresses", () => {
    const f = denoPermissions(
      ["--listen", "127.0.0.1:9000", "--state-dir", "/var/lib/mw", "--config", "etc/mw.json", "--plugins", "p1", "--plugins", "/srv/p2"],
      { api: { listen: ["198.18.0.1:80"] } },
      O,
    );
    assert.deepEqual(flag(f, "net"), ["127.0.0.1:9000"], "--listen wins over api.listen");
    assert.deepEqual(flag(f, "write"), ["/home/op/etc", "/var/lib/mw"]);
    for (const p of ["/home/op/p1", "/srv/p2", "/home/op/etc", "/var/lib/mw"]) assert.ok(flag(f, "read").includes(p), p);
    assert.ok(!flag(f, "write").includes("/home/op/p1"), "plugin folders are read only");
  });

  it("the config's api.listen is used without --listen", () => {
    const f = denoPermissions([], { api: { listen: ["198.18.0.1:8080", "[2001:2::1]:8080"] } }, O);
    assert.deepEqual(flag(f, "net"), ["198.18.0.1:8080", "[2001:2::1]:8080"]);
  });

  it("hook commands, webhook hosts, HTTP tracker hosts, the log folder and plugins.dirs come from the config", () => {
    const doc = {
      hooks: {
        scripts: [{ name: "n", argv: ["/usr/local/bin/notify", "--key=x"] }],
        webhooks: [{ name: "w", url: "https://198.18.5.5/hook?token=x" }, { name: "v", url: "http://hooks.example:8000/x" }],
      },
      wans: { eth: { type: "wan.ethernet", device: "eth1", tracker: { type: "tracker.httping", urls: ["http://198.18.7.7/generate_204"] } } },
      log: { file: "logs/multiwan.jsonl" },
      plugins: { dirs: ["/opt/mw-plugins"] },
    };
    const f = denoPermissions([], doc, O);
    assert.deepEqual(flag(f, "run"), ["/usr/local/bin/notify"]);
    assert.deepEqual(flag(f, "net"), ["127.0.0.1:8080", "198.18.5.5:443", "198.18.7.7:80", "hooks.example:8000"]);
    assert.ok(flag(f, "write").includes("/home/op/logs"));
    assert.ok(flag(f, "read").includes("/opt/mw-plugins"));
    assert.ok(flag(f, "env").includes("PATH"), "hook scripts get PATH");
  });

  it("--dataplane linux adds the Linux tools and the child-process variable, no useless /sys read", () => {
    const f = denoPermissions(["--dataplane", "linux", "--state-dir", "/var/lib/multiwan"], undefined, O);
    assert.deepEqual(flag(f, "run"), ["conntrack", "ip", "iw", "mmcli", "nft", "ping"]);
    // Deno refuses /sys and /proc reads under any --allow-read (they need --allow-all).
    assert.ok(!flag(f, "read").some((p) => p.startsWith("/sys") || p.startsWith("/proc")), flag(f, "read").join(","));
    assert.ok(flag(f, "env").includes("NODE_V8_COVERAGE"));
  });

  it("`hostPort()` fills in default ports and ignores what is not an http(s) URL", () => {
    assert.equal(hostPort("https://a.example/x"), "a.example:443");
    assert.equal(hostPort("http://[2001:2::5]:81/"), "[2001:2::5]:81");
    assert.equal(hostPort("ftp://x/"), undefined);
    assert.equal(hostPort("not a url"), undefined);
  });
});

describe("`missingPermissions()`", () => {
  const granted = new Set(["net 198.18.5.5:443", "run /bin/ok"]);
  const query = (d: { name: string; host?: string; command?: string; path?: string; variable?: string }) => ({
    state: granted.has(`${d.name} ${d.host ?? d.command ?? d.path ?? d.variable}`) || d.name === "env" ? "granted" : "prompt",
  });

  it("names each permission the running daemon lacks, with the config path and how to restart", () => {
    const doc = {
      hooks: { scripts: [{ name: "a", argv: ["/bin/ok"] }, { name: "b", argv: ["/bin/new"] }], webhooks: [{ name: "w", url: "https://198.18.5.5/" }, { name: "x", url: "http://198.18.6.6:9/" }] },
      api: { listen: ["198.18.0.1:80"] },
    };
    const issues = missingPermissions(doc, { query, cwd: "/" });
    assert.deepEqual(issues.map((i) => i.path), ["hooks.scripts[1].argv[0]", "hooks.webhooks[1].url"]);
    assert.match(issues[0].message, /Needs --allow-run=\/bin\/new, which the running daemon lacks; .*restart/);
    assert.match(issues[1].message, /--allow-net=198\.18\.6\.6:9/);
  });

  it("on Node (no Deno permissions) nothing is refused", () => {
    if (typeof (globalThis as { Deno?: unknown }).Deno !== "undefined") return;
    assert.deepEqual(missingPermissions({ hooks: { scripts: [{ name: "a", argv: ["/bin/new"] }] } }), []);
  });

  it("the kernel refuses such a change before anything changes", async () => {
    const clock = new FakeClock(1_000_000);
    const store = new MemoryConfigStore();
    store.current = { doc: fourWans(), revision: 1 };
    const registry = new Registry();
    registry.registerAll(builtinPlugins);
    const kernel = new Kernel({
      registry,
      platform: createSimPlatform({ clock, uplinks: UPLINKS, seed: 3 }),
      store,
      clock,
      sections: { api: apiSection, hooks: hooksSection },
      log: silentLogger,
      pluginLogger: () => silentLogger,
      preApply: (doc) => missingPermissions(doc, { query, cwd: "/" }),
    });
    await kernel.boot();
    try {
      const doc = { ...fourWans(), hooks: { webhooks: [{ name: "x", url: "http://198.18.6.6:9/" }] } };
      await assert.rejects(kernel.applyConfig(doc), (err: Error & { code?: string; issues?: { path: string }[] }) => {
        assert.equal(err.code, "E_CONFIG_INVALID");
        assert.deepEqual(err.issues?.map((i) => i.path), ["hooks.webhooks[0].url"]);
        return true;
      });
      assert.equal(kernel.revision, 1);
      const ok = { ...fourWans(), hooks: { webhooks: [{ name: "x", url: "https://198.18.5.5/" }] } };
      assert.equal((await kernel.applyConfig(ok)).revision, 2);
    } finally {
      await kernel.shutdown({ cleanup: false });
    }
  });
});
