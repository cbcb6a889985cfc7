/**
 * Property-based fuzzing (fast-check) with hostile bodies, paths and headers: never a 5xx,
 * always problem+json on errors, and the config unchanged after every rejected write. The
 * bodies include deep nesting (up to 5,000), reserved keys in records and entries, and
 * bodies over the limit.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { structureIssues } from "../../src/config/structure.ts";
import { type ApiRig, makeApiRig } from "./rig.ts";

const PATHS = [
  "/api/v1/config", "/api/v1/mode", "/api/v1/wans/ethernet", "/api/v1/wans/new-one", "/api/v1/config/validate", "/api/v1/tokens",
  "/api/v1/auth/login", "/api/v1/wans/ethernet/actions/down", "/api/v1/wans/constructor", "/api/v1/wans/__proto__",
  "/api/v1/wans/prototype/actions/up", "/api/v1/auth/password",
];
const RESERVED = ["constructor", "prototype", "__proto__"];
/** Nesting of objects or arrays `depth` deep, from 60 (allowed) to 5,000. */
const deepBody = fc.tuple(fc.integer({ min: 60, max: 5000 }), fc.boolean()).map(([depth, arrays]) =>
  arrays ? "[".repeat(depth) + "]".repeat(depth) : '{"wans":'.repeat(depth) + "{}" + "}".repeat(depth)
);
/** A reserved key somewhere a record or a plugin entry takes keys. */
const protoBody = fc.tuple(fc.constantFrom(...RESERVED), fc.constantFrom("wans", "log.categories", "wans.ethernet", "hooks", "mode", "$"), fc.jsonValue({ maxDepth: 2 }))
  .map(([key, where, value]) => {
    const inner = `{${JSON.stringify(key)}: ${JSON.stringify(value) ?? "null"}}`;
    if (where === "$") return inner;
    const parts = where.split(".");
    return parts.reduceRight((acc, p) => `{${JSON.stringify(p)}: ${acc}}`, inner);
  });
/** Bodies over the route limits (the rig's is 64 KiB). */
const hugeBody = fc.integer({ min: 65, max: 600 }).map((kib) => JSON.stringify({ label: "x".repeat(kib * 1024) }));
const hostileString = fc.oneof(
  fc.string(),
  fc.constantFrom("__proto__", "constructor", "../../etc/passwd", "%00", "%ZZ", "\u0000", "'; DROP TABLE", "<script>", "😀".repeat(50), "a".repeat(5000)),
);
const json = fc.jsonValue({ maxDepth: 4 });
const hostileBody = fc.oneof(
  json.map((v) => JSON.stringify(v)),
  fc.record({ __proto__: json, wans: fc.dictionary(hostileString, json) }).map((v) => JSON.stringify(v)),
  fc.constant('{"__proto__":{"polluted":1},"mode":{"type":"mode.failover"},"wans":{}}'),
  fc.constant('{"wans":{"ethernet":{"__proto__":{"x":1}}}}'),
  fc.string({ maxLength: 200 }),
  fc.constant("[".repeat(5000)),
  fc.constant('{"a":' + "1".repeat(400) + "}"),
  deepBody,
  protoBody,
  hugeBody,
);
const headerValue = fc.oneof(fc.stringMatching(/^[\x20-\x7e]{0,80}$/), fc.constantFrom('"1"', "*", 'W/"2"', "", "Bearer", "Bearer x"));

describe("fuzzing", () => {
  let r: ApiRig;
  before(async () => (r = await makeApiRig()));
  after(() => r.close());

  it("hostile writes never give a 5xx and never change the config unless accepted", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("PUT", "PATCH", "POST", "DELETE", "GET"),
        fc.constantFrom(...PATHS),
        hostileBody,
        fc.constantFrom("application/json", "application/merge-patch+json", "text/plain", "", "application/json; charset=utf-8"),
        headerValue,
        async (method, path, body, type, ifMatch) => {
          const before = JSON.stringify(r.kernel.config);
          const headers: Record<string, string> = { "if-match": ifMatch };
          if (type) headers["content-type"] = type;
          const res = await r.req(method, path, { raw: method === "GET" ? undefined : body, headers });
          assert.ok(res.status < 500, `${method} ${path} ${res.status} ${body.slice(0, 100)}`);
          const text = await res.text();
          if (res.status >= 400) {
            assert.equal(res.headers.get("content-type"), "application/problem+json");
            assert.ok(!/\bat .*\.ts:\d+/.test(text), "no stack trace");
            if (method !== "GET") assert.equal(JSON.stringify(r.kernel.config), before, `${method} ${path} ${res.status}`);
          }
          assert.equal(({} as Record<string, unknown>).polluted, undefined);
          assert.deepEqual(structureIssues(r.kernel.config.doc), [], "no reserved key or deep nesting is ever stored");
        },
      ),
      { numRuns: 400, seed: 4242 },
    );
  });

  it("hostile paths and headers never give a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(hostileString.map(encodeURIComponent), fc.constantFrom("%", "%E0%A4%A", "..", "wans", "actions", ":name")), { maxLength: 5 }),
        fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"),
        fc.dictionary(fc.constantFrom("authorization", "cookie", "last-event-id", "origin", "x-csrf-token", "content-length", "accept"), headerValue),
        fc.boolean(),
        async (segments, method, headers, withToken) => {
          const path = "/api/v1/" + segments.join("/");
          const h = { ...headers };
          if (h["content-length"] !== undefined) delete h["content-length"];
          if (path.includes("events") && method === "GET") return; // endless stream, tested elsewhere
          const res = await r.req(method, path, { headers: h, token: withToken && !h.authorization ? undefined : false });
          await res.body?.cancel();
          assert.ok(res.status < 500, `${method} ${path} ${res.status}`);
          if (!withToken && !h.authorization && !h.cookie) assert.equal(res.status, 401, `${method} ${path}`);
        },
      ),
      { numRuns: 300, seed: 4243 },
    );
  });
});
