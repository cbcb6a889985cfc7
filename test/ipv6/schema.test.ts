/** Config schema for dual stack: family and nat6 keys, IPv6 targets, targets of a family the WAN lacks. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { buildDocumentSchema } from "../../src/config/schema.ts";
import { validateDocument } from "../../src/config/validate.ts";
import { familiesOf, targetFamily } from "../../src/families.ts";
import { Registry } from "../../src/registry.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { fourWans } from "../helpers.ts";
import { dualWans } from "./rig.ts";

const registry = new Registry();
registry.registerAll(builtinPlugins);
const schema = buildDocumentSchema(registry);

function issuesOf(doc: unknown): { path: string; message: string }[] {
  const r = validateDocument(schema, doc);
  return r.ok ? [] : r.issues.map((i) => ({ path: i.path, message: i.message }));
}

describe("IPv6 config schema", () => {
  it("an old config keeps its meaning: family ipv4, no NAT66", () => {
    const r = validateDocument(schema, fourWans());
    assert.ok(r.ok);
    assert.equal(r.value.wans.ethernet.family, "ipv4");
    assert.equal(r.value.wans.ethernet.nat6, false);
  });

  it("a dual-stack config with IPv4 and IPv6 ping targets is accepted, nat6 kept", () => {
    const r = validateDocument(schema, dualWans());
    assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
    assert.equal(r.value.wans.repeater.family, "both");
    assert.equal(r.value.wans.cellular.nat6, true);
    assert.deepEqual((r.value.wans.ethernet.tracker.targets as string[]).slice(3), [
      "2001:2:ff::1",
      "2001:2:ff::2",
      "2001:2:ff::3",
    ]);
  });

  it("an unknown family is refused at its path", () => {
    const doc = dualWans();
    (doc.wans.ethernet as Record<string, unknown>).family = "ipx";
    assert.deepEqual(issuesOf(doc).map((i) => i.path), ["wans.ethernet.family"]);
  });

  it("an IPv6 target on an IPv4 WAN is refused with its path", () => {
    const doc = dualWans();
    (doc.wans.repeater as Record<string, unknown>).family = "ipv4";
    const issues = issuesOf(doc);
    assert.deepEqual(issues.map((i) => i.path), [3, 4, 5].map((k) => `wans.repeater.tracker.targets[${k}]`));
    assert.match(issues[0].message, /2001:2:ff::1 is an IPv6 target, but WAN repeater carries IPv4 only/);
  });

  it("an IPv4 target on an IPv6-only WAN is refused with its path", () => {
    const doc = dualWans({ type: "mode.failover" }, "ipv6");
    doc.wans.tethering.tracker = { type: "tracker.ping", targets: ["2001:2:ff::1", "198.19.0.1"] };
    const issues = issuesOf(doc);
    assert.deepEqual(issues.map((i) => i.path), ["wans.tethering.tracker.targets[1]"]);
    assert.match(issues[0].message, /198\.19\.0\.1 is an IPv4 target, but WAN tethering carries IPv6 only/);
  });

  it("httping: a [v6] URL is accepted on a dual-stack WAN and refused on an IPv4 one", () => {
    const doc = dualWans();
    doc.wans.ethernet.tracker = { type: "tracker.httping", urls: ["http://[2001:2:ff::1]/generate_204"] } as never;
    assert.deepEqual(issuesOf(doc), []);
    (doc.wans.ethernet as Record<string, unknown>).family = "ipv4";
    assert.deepEqual(issuesOf(doc).map((i) => i.path), ["wans.ethernet.tracker.urls[0]"]);
  });

  it("a malformed IPv6 ping target is refused", () => {
    const doc = dualWans();
    doc.wans.ethernet.tracker = { type: "tracker.ping", targets: ["2001:2::zz"] };
    const issues = issuesOf(doc);
    assert.deepEqual(issues.map((i) => i.path), ["wans.ethernet.tracker.targets[0]"]);
    assert.match(issues[0].message, /IPv4 or IPv6 address/);
  });

  it("target families: addresses, bracketed URL hosts, names", () => {
    assert.equal(targetFamily("2001:2:ff::1"), "ipv6");
    assert.equal(targetFamily("198.19.0.1"), "ipv4");
    assert.equal(targetFamily("http://[2001:2::1]:8080/x"), "ipv6");
    assert.equal(targetFamily("https://198.19.0.1/"), "ipv4");
    assert.equal(targetFamily("https://example.test/"), undefined);
    assert.deepEqual(familiesOf(undefined), ["ipv4"]);
    assert.deepEqual(familiesOf("both"), ["ipv4", "ipv6"]);
  });
});
