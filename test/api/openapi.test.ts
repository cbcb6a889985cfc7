/**
 * The generated OpenAPI 3.1 document is valid, covers the route table, and carries a
 * plugin registered at start-up (also in /plugins) without any change to web/.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { openApiPath } from "../../web/router.ts";
import { type ApiRig, makeApiRig } from "./rig.ts";

describe("openapi.json and /plugins", () => {
  let r: ApiRig;
  let doc: Record<string, any>;
  before(async () => {
    r = await makeApiRig();
    doc = await (await r.req("GET", "/api/v1/openapi.json")).json();
  });
  after(() => r.close());

  it("validates as OpenAPI 3.1", async () => {
    const result = await new Validator().validate(doc);
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(result.errors, undefined);
    assert.equal(result.valid, true);
  });

  it("documents every route of the table, with security on all but login and docs", () => {
    for (const route of r.api.routes) {
      const op = doc.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
      assert.ok(op, `${route.method} ${route.path}`);
      assert.equal(op.security.length === 0, route.access === "public", route.path);
    }
    assert.ok(doc.paths["/api/v1/wans/{name}"].put.responses["412"]);
  });

  it("a test-only plugin registered at start-up appears in /plugins and in the document", async () => {
    const { plugins } = await (await r.req("GET", "/api/v1/plugins")).json();
    const p = plugins.find((x: { id: string }) => x.id === "wan.testonly");
    assert.equal(p.kind, "wan");
    assert.equal(p.schema.properties.marker.title, "Test-only marker");
    assert.equal(p.schema.$schema, "https://json-schema.org/draft/2020-12/schema");
    assert.equal(doc.components.schemas["wan.testonly"].properties.marker.title, "Test-only marker");
    const variants = doc.components.schemas.WanEntry.anyOf ?? doc.components.schemas.WanEntry.oneOf;
    assert.ok(variants.some((e: any) => e.properties.type.const === "wan.testonly"));
    const one = await (await r.req("GET", "/api/v1/plugins/wan.testonly")).json();
    assert.equal(one.id, "wan.testonly");
  });

  it("the config schema holds the api and hooks sections", () => {
    const props = doc.components.schemas.Config.properties;
    assert.ok(props.api.properties.passwordHash);
    assert.ok(props.hooks.properties.webhooks);
  });

  it("the docs page is served from our own assets, no CDN", async () => {
    const html = await (await r.req("GET", "/docs", { token: false })).text();
    assert.match(html, /<script src="\/docs\/docs.js">/);
    assert.ok(!/https?:\/\//.test(html), "no external URL");
    const js = await r.req("GET", "/docs/docs.js", { token: false });
    assert.equal(js.status, 200);
    assert.ok(!/https?:\/\//.test(await js.text()));
  });
});
