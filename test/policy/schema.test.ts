/** Policies and rules in the config document: what is accepted, refused (with its JSON path) and warned about. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { buildDocumentSchema } from "../../src/config/schema.ts";
import { validateDocument } from "../../src/config/validate.ts";
import { familyOf, parsePort } from "../../src/policy/address.ts";
import { planRules } from "../../src/policy/rules.ts";
import { policyWarnings, type RuleEntry } from "../../src/policy/schema.ts";
import { Registry } from "../../src/registry.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { fourWans } from "../helpers.ts";

const registry = new Registry();
registry.registerAll(builtinPlugins);
const schema = buildDocumentSchema(registry);

/** The four example rules of issue 11 over the four-uplink document. */
export function exampleDoc(extra: Record<string, unknown> = {}) {
  return {
    ...fourWans(),
    policies: {
      voip: { mode: { type: "mode.failover" }, wans: ["ethernet", "cellular"] },
      kids: { mode: { type: "mode.failover" }, wans: ["repeater"], lastResort: "blackhole" },
      office: { mode: { type: "mode.load-balance", sticky: { by: "src" } }, wans: [{ name: "ethernet", priority: 1 }, { name: "tethering", priority: 1 }] },
      unmetered: { mode: { type: "mode.failover", degraded: "never" }, wans: ["ethernet", "repeater", "tethering"] },
    } as Record<string, { mode: Record<string, unknown>; wans: unknown[]; lastResort?: string }>,
    rules: [
      { name: "voip", match: { proto: "udp", dport: [5060, "10000-20000"] }, policy: "voip" },
      { name: "kids", match: { src: "198.18.100.3" }, policy: "kids" },
      { name: "office", match: { src: "198.18.110.0/24" }, policy: "office" },
      { name: "no-metered", match: { dst: "198.19.0.0/16" }, policy: "unmetered" },
    ] as { name: string; match: Record<string, unknown>; policy: string }[],
    ...extra,
  };
}

function issues(doc: unknown) {
  const r = validateDocument(schema, doc);
  assert.equal(r.ok, false, "expected the document to be refused");
  return r.ok ? [] : r.issues;
}

describe("policy config", () => {
  it("accepts the four example rules and fills in mode keys", () => {
    const r = validateDocument(schema, exampleDoc());
    assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
    const doc = r.value as unknown as { mode: Record<string, unknown>; policies: Record<string, { mode: Record<string, unknown> }> };
    assert.equal(doc.mode.degraded, "like-up");
    assert.equal(doc.mode.sticky, undefined, "no sticky unless asked");
    assert.deepEqual(doc.policies.office.mode.sticky, { by: "src", timeoutS: 600 });
    assert.equal(doc.policies.unmetered.mode.degraded, "never");
  });

  it("old documents without policies or rules still validate", () => {
    const r = validateDocument(schema, { ...fourWans(), routing: { bypass: ["198.18.100.0/24"] } });
    assert.ok(r.ok);
    assert.deepEqual((r.value as unknown as { rules: unknown[] }).rules, []);
  });

  it("refuses a policy naming an unknown WAN, with its JSON path", () => {
    const doc = exampleDoc();
    doc.policies.voip.wans = ["ethernet", "satellite"];
    const got = issues(doc);
    assert.deepEqual(got.map((i) => i.path), ["policies.voip.wans[1]"]);
    assert.match(got[0].message, /Unknown WAN satellite/);
  });

  it("refuses reserved policy names and rules naming unknown policies", () => {
    const doc = exampleDoc({ policies: { main: { mode: { type: "mode.failover" }, wans: ["ethernet"] } } });
    const got = issues(doc);
    assert.ok(got.some((i) => i.path === "policies.main" && /reserved/.test(i.message)), JSON.stringify(got));
    const doc2 = exampleDoc();
    doc2.rules[1] = { name: "kids", match: { src: "198.18.100.3" }, policy: "nope" };
    assert.deepEqual(issues(doc2).map((i) => i.path), ["rules[1].policy"]);
  });

  it("rules may use default, main and block without defining them", () => {
    const doc = exampleDoc({ rules: [
      { name: "lan", match: { dst: "198.18.100.0/24" }, policy: "main" },
      { name: "bad", match: { dst: "198.19.99.0/24" }, policy: "block" },
      { name: "rest", match: { proto: "tcp" }, policy: "default" },
    ] });
    assert.ok(validateDocument(schema, doc).ok);
  });

  it("refuses a port range whose start is after its end, and ports out of range", () => {
    const doc = exampleDoc();
    doc.rules[0] = { name: "voip", match: { proto: "udp", dport: [5060, "20000-10000"] }, policy: "voip" };
    const got = issues(doc);
    assert.deepEqual(got.map((i) => i.path), ["rules[0].match.dport[1]"]);
    assert.ok(got.some((i) => /from > to/.test(i.message)), JSON.stringify(got));
    doc.rules[0] = { name: "voip", match: { proto: "udp", dport: 70000 }, policy: "voip" };
    assert.match(issues(doc)[0].message, /1 to 65535/);
  });

  it("refuses an IPv6 address where the rule is IPv4, and the reverse", () => {
    const doc = exampleDoc();
    doc.rules[1] = { name: "kids", match: { family: "ipv4", src: "2001:2::5" }, policy: "kids" } as never;
    const got = issues(doc);
    assert.deepEqual(got.map((i) => i.path), ["rules[1].match.src"]);
    assert.match(got[0].message, /IPv6 address, but this rule matches ipv4 only/);
    doc.rules[1] = { name: "kids", match: { family: "ipv6", dst: ["2001:2::/48", "198.18.0.0/15"] }, policy: "kids" } as never;
    assert.deepEqual(issues(doc).map((i) => i.path), ["rules[1].match.dst[1]"]);
    doc.rules[1] = { name: "kids", match: { src: "198.18.100.3", dst: "2001:2::1" }, policy: "kids" } as never;
    assert.deepEqual(issues(doc).map((i) => i.path), ["rules[1].match.dst"], "mixed families can never match");
  });

  it("refuses malformed addresses", () => {
    const doc = exampleDoc();
    doc.rules[1] = { name: "kids", match: { src: "198.18.300.1" }, policy: "kids" };
    assert.deepEqual(issues(doc).map((i) => i.path), ["rules[1].match.src"]);
  });

  it("refuses an exact duplicate rule, warns about shadowed and overlapping ones", () => {
    const dup = exampleDoc();
    dup.rules.push({ ...dup.rules[1], name: "kids again" });
    assert.deepEqual(issues(dup).map((i) => i.path), ["rules[4]"]);

    const doc = exampleDoc();
    doc.rules.push({ name: "kids tcp", match: { src: "198.18.100.3", proto: "tcp" } as never, policy: "default" });
    doc.rules.push({ name: "office web", match: { src: "198.18.110.0/25", dst: "198.19.0.0/15" } as never, policy: "voip" });
    doc.rules.push({ name: "lab", match: { src: "198.18.110.0/23" }, policy: "voip" });
    const r = validateDocument(schema, doc);
    assert.ok(r.ok, "shadowed rules are not refused");
    const warnings = policyWarnings(r.value as { rules?: RuleEntry[] });
    assert.deepEqual(warnings.map((w) => w.path), ["rules[4]", "rules[5]", "rules[6]"], JSON.stringify(warnings));
    assert.match(warnings[0].message, /kids tcp never matches: rule kids \(rules\[1\]\)/);
    assert.match(warnings[1].message, /office web never matches: rule office/);
    assert.match(warnings[2].message, /lab overlaps rule office \(rules\[2\]\): their shared traffic goes to office, not voip/);
  });

  it("disjoint rules give no warnings", () => {
    const r = validateDocument(schema, exampleDoc({ rules: [
      { name: "a", match: { src: "198.18.100.3" }, policy: "kids" },
      { name: "b", match: { src: "198.18.100.4" }, policy: "voip" },
      { name: "c", match: { proto: "udp", dport: "10000-20000" }, policy: "voip" },
      { name: "d", match: { proto: "udp", dport: "20001-30000" }, policy: "kids" },
      { name: "e", match: { proto: "tcp", dport: "10000-20000" }, policy: "kids" },
    ] }));
    assert.ok(r.ok);
    assert.deepEqual(policyWarnings(r.value as { rules?: RuleEntry[] }), []);
  });

  it("routing.bypass becomes a first rule to the main table; ports become ranges", () => {
    assert.deepEqual(planRules(["198.18.100.0/24", "2001:2:0:100::/64"], []).map((r) => r.match.dst), [["198.18.100.0/24"], ["2001:2:0:100::/64"]],
      "one rule per family");
    const rules = planRules(["198.18.100.0/24"], [
      { name: "voip", match: { proto: "udp", dport: [5060, "10000-20000"] }, policy: "voip" },
      { name: "v6", match: { dst: "2001:2::/48" }, policy: "block" },
    ]);
    assert.deepEqual(rules, [
      { name: "routing.bypass", match: { dst: ["198.18.100.0/24"] }, policy: "main" },
      { name: "voip", match: { proto: "udp", dport: [[5060, 5060], [10000, 20000]] }, policy: "voip" },
      { name: "v6", match: { family: "ipv6", dst: ["2001:2::/48"] }, policy: "block" },
    ]);
  });

  it("tells address families apart and parses ports", () => {
    assert.equal(familyOf("198.18.0.0/15"), "ipv4");
    assert.equal(familyOf("2001:2::/48"), "ipv6");
    assert.equal(familyOf("::ffff:198.18.0.1"), "ipv6");
    assert.equal(familyOf("2001:2::1::2"), undefined);
    assert.equal(familyOf("198.18.0.0/33"), undefined);
    assert.equal(familyOf("1:2:3:4:5:6:7:8:9"), undefined);
    assert.deepEqual(parsePort("10000-20000"), [10000, 20000]);
    assert.deepEqual(parsePort(5060), [5060, 5060]);
    assert.equal(parsePort("50a"), undefined);
  });
});
