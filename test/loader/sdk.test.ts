/**
 * The public entries resolve by package name (package.json "exports") on Node with tsx and
 * on Deno, and hold what docs/plugins.md promises.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { toJsonSchema } from "@valibot/to-json-schema";
import * as sdk from "multiwan/sdk";
import * as testing from "multiwan/sdk/testing";
import { KERNEL_API_VERSION } from "../../src/plugin.ts";

describe("multiwan/sdk", () => {
  it("resolves by name and exports the author's toolbox", () => {
    assert.equal(sdk.KERNEL_API_VERSION, KERNEL_API_VERSION);
    for (const name of ["defineWan", "defineTracker", "defineMode", "secret", "ui", "udpExchange"] as const) {
      assert.equal(typeof sdk[name], "function", name);
    }
    assert.equal(typeof sdk.v.strictObject, "function");
    assert.equal(new sdk.PluginError("E_X", "x").code, "E_X");
    assert.ok(new sdk.PluginError("E_X", "x") instanceof sdk.KernelError);
    assert.equal(typeof testing.testPlugin, "function");
  });

  it("secret() and ui() become writeOnly and x-ui in the JSON Schema", () => {
    const { v, secret, ui } = sdk;
    const schema = v.strictObject({
      pin: v.pipe(v.string(), v.title("PIN"), secret()),
      timeoutMs: v.optional(v.pipe(v.number(), v.title("Timeout"), ui({ unit: "ms", step: 100, advanced: true })), 1000),
    });
    const json = toJsonSchema(schema, { target: "draft-2020-12" }) as { properties: Record<string, Record<string, unknown>> };
    assert.equal(json.properties.pin.writeOnly, true);
    assert.deepEqual(json.properties.timeoutMs["x-ui"], { unit: "ms", step: 100, advanced: true });
    assert.equal(json.properties.timeoutMs.default, 1000);
  });
});
