import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { buildDocumentSchema } from "../src/config/schema.ts";
import { validateDocument } from "../src/config/validate.ts";
import { Registry } from "../src/registry.ts";
import { builtinPlugins } from "../plugins/builtin.ts";
import { fourWans } from "./helpers.ts";

const registry = new Registry();
registry.registerAll(builtinPlugins);
const schema = buildDocumentSchema(registry);

function issues(doc: unknown) {
  const r = validateDocument(schema, doc);
  assert.equal(r.ok, false, "expected the document to be rejected");
  return r.ok ? [] : r.issues;
}

describe("config validation", () => {
  it("accepts the four-uplink document and fills in defaults", () => {
    const r = validateDocument(schema, fourWans());
    assert.ok(r.ok);
    const eth = r.value.wans.ethernet;
    assert.equal(eth.enabled, true);
    assert.equal(eth.nat, true);
    assert.equal(eth.metered, false);
    assert.equal(r.value.wans.cellular.metered, true, "cellular is metered by default");
    assert.equal(eth.health.down, 3);
    assert.equal((eth.tracker as { intervalMs?: number }).intervalMs, 10_000);
    assert.equal(r.value.routing.lastResort, "unreachable");
    assert.equal(r.value.log.level, "info");
  });

  it("a WAN without a tracker tracks the physical link", () => {
    const r = validateDocument(schema, { mode: { type: "mode.failover" }, wans: { a: { type: "wan.ethernet", device: "eth1" } } });
    assert.ok(r.ok);
    assert.equal(r.value.wans.a.tracker.type, "tracker.link");
  });

  it("names the JSON path and the plugin of an invalid field", () => {
    const doc = fourWans();
    (doc.wans.ethernet.tracker as Record<string, unknown>) = { type: "tracker.ping", targets: ["300.1.1.1"] };
    const [i] = issues(doc);
    assert.equal(i.path, "wans.ethernet.tracker.targets[0]");
    assert.equal(i.plugin, "tracker.ping");
    assert.match(i.message, /IPv4/);
  });

  it("rejects unknown keys at every level", () => {
    const doc = structuredClone(fourWans()) as Record<string, unknown> & ReturnType<typeof fourWans>;
    doc.extra = 1;
    (doc.wans.repeater as Record<string, unknown>).colour = "blue";
    (doc.mode as Record<string, unknown>).speed = 3;
    const found = issues(doc);
    const byPath = Object.fromEntries(found.map((i) => [i.path, i]));
    assert.match(byPath["extra"]?.message ?? "", /Unknown key "extra"/);
    assert.match(byPath["wans.repeater.colour"]?.message ?? "", /Unknown key "colour"/);
    assert.equal(byPath["wans.repeater.colour"]?.plugin, "wan.repeater");
    assert.equal(byPath["mode.speed"]?.plugin, "mode.failover");
  });

  it("rejects an unknown type and lists the known ones", () => {
    const doc = fourWans();
    (doc.wans.ethernet as Record<string, unknown>).type = "wan.dsl";
    const [i] = issues(doc);
    assert.equal(i.path, "wans.ethernet.type");
    assert.match(i.message, /Unknown type "wan\.dsl"; expected one of .*"wan\.ethernet"/);
  });

  it("checks kernel-owned fields and cross-field rules", () => {
    const doc = fourWans();
    Object.assign(doc.wans.ethernet, { priority: 0, health: { recoveryLossPct: 50, failureLossPct: 20 } });
    const paths = issues(doc).map((i) => i.path).sort();
    assert.deepEqual(paths, ["wans.ethernet.health", "wans.ethernet.priority"]);
  });

  it("rejects bad WAN names, devices, URLs and a missing mode", () => {
    const found = issues({
      wans: {
        "Bad Name": { type: "wan.ethernet", device: "eth1" },
        ok: { type: "wan.ethernet", device: "eth1; rm -rf /" },
        web: { type: "wan.ethernet", device: "eth2", tracker: { type: "tracker.httping", urls: ["file:///etc/passwd"] } },
      },
    });
    const paths = found.map((i) => i.path);
    assert.ok(paths.includes("mode"), paths.join());
    assert.ok(paths.includes("wans.Bad Name"), paths.join());
    assert.ok(paths.includes("wans.ok.device"), paths.join());
    assert.ok(paths.includes("wans.web.tracker.urls[0]"), paths.join());
  });

  it("extra sections join the document schema", async () => {
    const v = await import("valibot");
    const s = buildDocumentSchema(registry, { api: v.strictObject({ port: v.optional(v.number(), 8080) }) });
    const r = validateDocument(s, { ...fourWans(), api: { port: 9 } });
    assert.ok(r.ok);
    assert.equal((r.value.api as { port: number }).port, 9);
    assert.equal(validateDocument(s, { ...fourWans(), api: { port: "x" } }).ok, false);
  });
});
