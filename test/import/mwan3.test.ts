/**
 * mwan3 → our config document, on configs written the way mwan3's documentation shows
 * (the shipped default, a failover chain with quality checks, a balanced policy, sticky
 * rules), with the warnings checked exactly and each result validated by the real schema
 * built from the built-in plugins.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { buildDocumentSchema } from "../../src/config/schema.ts";
import { validateDocument } from "../../src/config/validate.ts";
import { importMwan3, type Mwan3Files } from "../../src/import/mwan3.ts";
import { UciSyntaxError } from "../../src/import/uci.ts";
import { Registry } from "../../src/registry.ts";

const registry = new Registry();
registry.registerAll(builtinPlugins);
const schema = buildDocumentSchema(registry);

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

/** run imports and insists the document is valid for our schema; returns warnings as `section.option: message`. */
function run(files: Mwan3Files) {
  const { config, warnings } = importMwan3(files);
  const valid = validateDocument(schema, config);
  assert.ok(valid.ok, JSON.stringify(!valid.ok && valid.issues));
  return { config, warnings: warnings.map((w) => `${w.section}${w.option === null ? "" : `.${w.option}`}: ${w.message}`), effective: valid.value };
}

const quad = ["198.18.0.1", "198.18.0.2", "198.18.0.3", "198.18.0.4"];
const UNUSED = "used by no rule (no effect in mwan3); not carried over";

describe("import mwan3", () => {
  it("the shipped default config with its network file: balanced → load balance, wanb stays disabled, IPv6 reported", () => {
    const r = run({ mwan3: fixture("mwan3-default"), network: fixture("network-default") });
    assert.deepEqual(r.config, {
      mode: { type: "mode.load-balance" },
      routing: { markMask: 0x3f00 },
      wans: {
        wan: {
          type: "wan.ethernet", device: "wan", enabled: true, priority: 1, weight: 3,
          tracker: { type: "tracker.ping", targets: quad }, health: { reliability: 2 },
        },
        wanb: {
          type: "wan.ethernet", device: "lan4", gateway: "198.18.1.1", enabled: false, priority: 1, weight: 3,
          tracker: { type: "tracker.ping", targets: quad }, health: { reliability: 1 },
        },
      },
    });
    assert.deepEqual(r.warnings, [
      "mwan3.wan6.family: multiwan routes IPv4 only, so this IPv6 interface is not imported; its IPv4 twin wan is",
      "mwan3.wanb6.family: multiwan routes IPv4 only, so this IPv6 interface is not imported",
      `mwan3.wan_only: ${UNUSED}`,
      `mwan3.wanb_only: ${UNUSED}`,
      `mwan3.wan_wanb: ${UNUSED}`,
      `mwan3.wanb_wan: ${UNUSED}`,
      "mwan3.https: rules other than the default route cannot be carried over yet: tcp to port 443 (→ balanced) now follows the default policy balanced; not carried over",
      "mwan3.default_rule_v6: IPv6 rule; multiwan routes IPv4 only; not carried over",
    ]);
    // Unset options take multiwan's defaults once validated.
    assert.equal(r.effective.wans.wan.health.down, 3);
    assert.equal(r.effective.routing.lastResort, "unreachable");
  });

  it("without a network file, each device is a placeholder and says so", () => {
    const r = run({ mwan3: fixture("mwan3-default") });
    assert.equal((r.config.wans as Record<string, { device: string }>).wanb.device, "wanb");
    const devices = r.warnings.filter((w) => w.includes("no network file"));
    assert.deepEqual(devices, [
      'mwan3.wan: no network file: device assumed "wan", type Ethernet; check both (pass the network file)',
      'mwan3.wanb: no network file: device assumed "wanb", type Ethernet; check both (pass the network file)',
    ]);
    assert.ok(r.warnings.includes("mwan3.wan6.family: multiwan routes IPv4 only, so this IPv6 interface is not imported"));
  });

  it("a failover chain: PPPoE with quality checks, Wi-Fi client, QMI modem, USB phone; sticky and last_resort", () => {
    const r = run({ mwan3: fixture("mwan3-failover"), network: fixture("network-failover"), wireless: fixture("wireless-failover") });
    assert.deepEqual(r.config, {
      mode: { type: "mode.failover" },
      routing: { markMask: 0xff00, lastResort: "main" },
      wans: {
        wan: {
          type: "wan.ethernet", device: "pppoe-wan", enabled: true, priority: 1, weight: 1,
          tracker: { type: "tracker.ping", targets: ["198.18.0.1", "198.18.0.2"], count: 3, timeoutMs: 2000, size: 56, intervalMs: 5000 },
          health: {
            down: 3, up: 3, reliability: 1, failureIntervalMs: 2000, recoveryIntervalMs: 5000,
            failureLatencyMs: 800, recoveryLatencyMs: 300, failureLossPct: 20, recoveryLossPct: 5,
          },
        },
        wwan: {
          type: "wan.repeater", device: "phy1-sta0", enabled: true, priority: 2, weight: 1,
          tracker: { type: "tracker.httping", urls: ["https://connect.example/"], timeoutMs: 4000, intervalMs: 30000 },
        },
        modem: {
          type: "wan.cellular", device: "wwan0", enabled: true, priority: 3, weight: 1,
          tracker: { type: "tracker.ping", targets: ["198.18.0.9"], intervalMs: 60000 }, health: { reliability: 2 },
        },
        phone: { type: "wan.tethering", device: "usb0", enabled: true, priority: 4, weight: 1, tracker: { type: "tracker.link" } },
      },
    });
    assert.deepEqual(r.warnings, [
      "mwan3.globals.logging: per-rule logging is not carried over (multiwan logs its own decisions)",
      "mwan3.globals.rt_table_lookup: other routing tables are not consulted; put their networks in routing.bypass. Not carried over",
      'mwan3.wan.track_ip: "dns.example" is not an IPv4 address (multiwan probes IPv4); dropped',
      "mwan3.wan.max_ttl: multiwan's probes use the system's default TTL; not carried over",
      "mwan3.wan.check_quality: a slow or lossy uplink becomes degraded in multiwan (still used, reported), not offline as in mwan3",
      "mwan3.wan.flush_conntrack: multiwan ends connections by its mode's Forced Refresh Streams setting instead; not carried over",
      "mwan3.wwan.initial_state: multiwan counts an uplink as usable until probes say otherwise; not carried over",
      "mwan3.modem.track_method: nping-icmp has no multiwan tracker; ping is used (as mwan3 does when the tool is missing)",
      "mwan3.modem.track_ip: written with `option`, not `list`: mwan3 itself saw no targets; carried over as targets",
      "mwan3.modem.reliability: 2 is more than the 1 target(s) probed (mwan3 never brings such an interface online); multiwan needs all 1 to answer",
      "mwan3.voip: rules other than the default route cannot be carried over yet: udp from 198.18.200.10 to port 5060 (→ failover) now follows the default policy failover; not carried over",
      "mwan3.default_rule.sticky: connections stay on their uplink, but new ones from the same source may take another (no per-source stickiness yet); not carried over",
      'network.modem.proto: the qmi modem\'s network device is found when it connects; assumed "wwan0", check with `ip link`',
      'wireless.@wifi-iface[1].ifname: the Wi-Fi client\'s device is created at run time; assumed "phy1-sta0" (older releases: wlan1), check with `ip link`',
    ]);
    assert.ok(!JSON.stringify(r).includes("never-read"), "passwords and keys in network/wireless are never read");
  });

  it("a balanced policy with sticky rules: equal metrics balance by weight, the lower tier backs up", () => {
    const mwan3 = `
config interface 'wan'
	option enabled '1'
	list track_ip '198.18.0.1'
config interface 'wanb'
	option enabled '1'
	list track_ip '198.18.0.2'
config interface 'lte'
	option enabled '1'
config member 'wan_m1_w3'
	option interface 'wan'
	option metric '1'
	option weight '3'
config member 'wanb_m1_w2'
	option interface 'wanb'
	option metric '1'
	option weight '2'
config member 'lte_m2_w1'
	option interface 'lte'
	option metric '2'
config policy 'balanced'
	list use_member 'wan_m1_w3'
	list use_member 'wanb_m1_w2'
	list use_member 'lte_m2_w1'
	option last_resort 'blackhole'
config rule 'https'
	option sticky '1'
	option timeout '900'
	option dest_port '443'
	option proto 'tcp'
	option use_policy 'balanced'
config rule 'bank'
	option dest_ip '198.18.99.0/24'
	option sticky '1'
	option use_policy 'unreachable'
config rule 'default_rule'
	option dest_ip '0.0.0.0/0'
	option use_policy 'balanced'
`;
    const network = `
config interface 'wan'
	option device 'eth1'
	option proto 'dhcp'
config interface 'wanb'
	option device 'eth2'
	option proto 'dhcp'
config interface 'lte'
	option proto 'ncm'
	option device '/dev/ttyUSB0'
	option ifname 'wwan1'
`;
    const r = run({ mwan3, network });
    assert.deepEqual(r.config, {
      mode: { type: "mode.load-balance" },
      routing: { lastResort: "blackhole" },
      wans: {
        wan: { type: "wan.ethernet", device: "eth1", enabled: true, priority: 1, weight: 3, tracker: { type: "tracker.ping", targets: ["198.18.0.1"] } },
        wanb: { type: "wan.ethernet", device: "eth2", enabled: true, priority: 1, weight: 2, tracker: { type: "tracker.ping", targets: ["198.18.0.2"] } },
        lte: { type: "wan.cellular", device: "wwan1", enabled: true, priority: 2, weight: 1, tracker: { type: "tracker.link" } },
      },
    });
    assert.deepEqual(r.warnings, [
      "mwan3.https: rules other than the default route cannot be carried over yet: tcp to port 443 (→ balanced) now follows the default policy balanced; not carried over",
      "mwan3.bank: rules other than the default route cannot be carried over yet: to 198.18.99.0/24 (→ unreachable) now follows the default policy balanced; not carried over",
    ]);
  });

  it("disabled things stay disabled; an unknown option, section type or bad number is warned; metrics above 99 are ranked", () => {
    const mwan3 = `
config interface 'wan'
	option enabled '1'
	list track_ip '198.18.0.1'
	option colour 'blue'
	option interval 'soon'
	option down '50'
config interface 'wanb'
	list track_ip '198.18.0.2'
config interface 'wanc'
	option enabled '0'
config interface 'wand'
	option enabled '1'
config interface 'wwan'
	option enabled '1'
config interface 'Backup_2'
	option enabled 'on'
config member 'wan_m10'
	option interface 'wan'
	option metric '10'
	option weight '5'
config member 'wanb_m200'
	option interface 'wanb'
	option metric '200'
config member 'wanc_m300'
	option interface 'wanc'
	option metric '300'
config member 'wand_m10'
	option interface 'wand'
	option metric '10'
config member 'wwan_m10'
	option interface 'wwan'
	option metric '10'
config member 'lost'
	option interface 'nowhere'
config member 'b2'
	option interface 'Backup_2'
	option metric '120'
config policy 'balanced'
	list use_member 'wan_m10'
	list use_member 'wanb_m200'
	list use_member 'wanc_m300'
	list use_member 'wand_m10'
	list use_member 'wwan_m10'
	list use_member 'b2'
	list use_member 'ghost'
config rule 'all'
	option use_policy 'balanced'
	option logging '1'
config balancer 'x'
	option y 'z'
`;
    const network = `
config interface 'wan'
	option device 'eth1'
	option proto 'dhcp'
config interface 'wanb'
	option device 'eth2'
	option proto 'dhcp'
	option disabled '1'
config interface 'wanc'
	option device 'eth3'
	option proto 'dhcp'
config interface 'wwan'
	option proto 'dhcp'
config interface 'Backup_2'
	option proto 'static'
	option device 'eth4.2'
	option gateway '198.18.4.1'
`;
    const wireless = `
config wifi-device 'radio0'
	option disabled '1'
config wifi-iface 'sta'
	option device 'radio0'
	option network 'lan wwan'
	option mode 'sta'
	option ifname 'wlan0-1'
	option disabled '1'
`;
    const r = run({ mwan3, network, wireless });
    const wans = r.config.wans as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.fromEntries(Object.entries(wans).map(([k, w]) => [k, [w.type, w.device, w.enabled, w.priority]])), {
      wan: ["wan.ethernet", "eth1", true, 1],
      wanb: ["wan.ethernet", "eth2", false, 3],
      wanc: ["wan.ethernet", "eth3", false, undefined],
      wand: ["wan.ethernet", "wand", false, 1],
      wwan: ["wan.repeater", "wlan0-1", false, 1],
      backup_2: ["wan.ethernet", "eth4.2", true, 2],
    });
    assert.equal(wans.backup_2.label, "Backup_2");
    assert.deepEqual(wans.wan.health, { down: 20 });
    assert.equal(wans.wan.weight, 5);
    const ranked = (m: string, metric: number, p: number) =>
      `mwan3.${m}.metric: the default policy has metrics above multiwan's priorities (1–99), so they are ranked: metric ${metric} → priority ${p}`;
    assert.deepEqual(r.warnings, [
      "mwan3.wan.colour: unknown interface option; not carried over",
      'mwan3.wan.interval: "soon" is not a whole number from 1 to 86400; not carried over',
      "mwan3.wan.down: 50 is outside multiwan's range for failed rounds (1–20); 20 is used",
      "mwan3.wanb: no `enabled` option: mwan3 treats the interface as disabled, and so is the WAN",
      'mwan3.wand: no interface wand in the network file, so mwan3 left it inert; imported disabled, device assumed "wand"',
      "mwan3.Backup_2: WAN names are lowercase letters, digits, - and _ (at most 24): imported as backup_2",
      ranked("wan_m10", 10, 1),
      ranked("wanb_m200", 200, 3),
      "mwan3.wanc_m300.metric: mwan3 skips members with a metric above 256 (this one: 300); not carried over",
      ranked("wand_m10", 10, 1),
      ranked("wwan_m10", 10, 1),
      "mwan3.lost.interface: interface nowhere does not exist in mwan3; ignored",
      ranked("b2", 120, 2),
      "mwan3.balanced.use_member: member ghost does not exist; ignored",
      "mwan3.all.logging: per-rule logging is not carried over",
      'mwan3.x: unknown section type "balancer"; not carried over',
      "network.wanb.disabled: netifd ignores this interface; the WAN is imported disabled",
      "wireless.radio0.disabled: the radio of wwan's Wi-Fi client is off; the WAN is imported disabled",
      "wireless.sta.disabled: this Wi-Fi client is off; the WAN is imported disabled",
    ]);
  });

  it("an interface outside the default policy is imported disabled; no catch-all rule falls back to the first policy", () => {
    const mwan3 = `
config interface 'wan'
	option enabled '1'
config interface 'vpn'
	option enabled '1'
config member 'wan_m1'
	option interface 'wan'
config member 'vpn_m1'
	option interface 'vpn'
config policy 'wan_only'
	list use_member 'wan_m1'
config policy 'vpn_only'
	list use_member 'vpn_m1'
config rule 'office'
	option dest_ip '198.18.50.0/24'
	option use_policy 'vpn_only'
config rule 'nothing'
	option proto 'tcp'
`;
    const r = run({ mwan3, network: "config interface 'wan'\n\toption device 'eth1'\n\toption proto 'dhcp'\nconfig interface 'vpn'\n\toption proto 'wireguard'\n" });
    const wans = r.config.wans as Record<string, Record<string, unknown>>;
    assert.equal(wans.wan.enabled, true);
    assert.equal(wans.vpn.enabled, false);
    assert.equal(wans.vpn.device, "vpn");
    assert.deepEqual(r.warnings, [
      "mwan3.vpn: not a member of the default policy wan_only: it served only rules that cannot be carried over yet; imported disabled",
      "mwan3.wan_only: no catch-all rule (dest_ip 0.0.0.0/0): mwan3 left unmatched traffic on the main table; multiwan routes all traffic by the first policy, wan_only",
      "mwan3.vpn_only: only the catch-all rule's policy is carried over; this one serves office, which cannot be carried over yet",
      "mwan3.office: rules other than the default route cannot be carried over yet: to 198.18.50.0/24 (→ vpn_only) now follows the default policy wan_only; not carried over",
      "mwan3.nothing: no use_policy, so mwan3 ignores this rule; not carried over",
      'network.vpn.proto: protocol wireguard has no matching WAN type; imported as Ethernet on "vpn"',
    ]);
  });

  it("a syntax error in any file stops the import and names the file and line", () => {
    assert.throws(() => importMwan3({ mwan3: "config interface 'wan'\n\toption enabled '1\n" }), (e: unknown) =>
      e instanceof UciSyntaxError && e.message === "mwan3:2: end of file inside a single-quoted value");
    assert.throws(() => importMwan3({ mwan3: "config interface 'wan'\n", network: "\n\nconfig interface 'wan'\n\tbad line\n" }), (e: unknown) =>
      e instanceof UciSyntaxError && e.file === "network" && e.line === 4);
  });
});
