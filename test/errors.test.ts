/** `src/errors.ts`: typed errors, and `instanceof` across two copies of the module. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KernelError, PluginTimeoutError, RevisionConflictError } from "../src/errors.ts";
import { PluginError } from "../src/sdk/errors.ts";

describe("typed errors", () => {
  it("carry their class name and stable code", () => {
    const e = new RevisionConflictError(3, 4);
    assert.equal(e.name, "RevisionConflictError");
    assert.equal(e.code, "E_REVISION_CONFLICT");
    assert.ok(e instanceof KernelError && e instanceof Error);
  });

  it("are recognised when they come from another copy of the module (a plugin importing multiwan/sdk from the sources while the daemon runs its bundle)", async () => {
    // A query string makes the runtime load the file again: other classes, same code.
    const copy = new URL("../src/errors.ts?copy", import.meta.url).href;
    const other = await import(copy) as typeof import("../src/errors.ts");
    assert.notEqual(other.KernelError, KernelError, "the test really has two copies");
    // What sdk/errors.ts declares, built on the other copy's base.
    const ForeignPluginError = class PluginError extends other.KernelError {};
    const foreign = new ForeignPluginError("E_FOREIGN", "from the other copy");
    assert.ok(foreign instanceof KernelError);
    assert.ok(foreign instanceof PluginError);
    assert.ok(!(foreign instanceof PluginTimeoutError));
    const timeout = new other.PluginTimeoutError("wan.x", "lte", 100, "inspect");
    assert.ok(timeout instanceof PluginTimeoutError);
    assert.ok(timeout instanceof KernelError);
    assert.ok(!(timeout instanceof RevisionConflictError));
    assert.ok(!(timeout instanceof PluginError));
    // And the other way round.
    assert.ok(new PluginError("E_HERE", "x") instanceof other.KernelError);
    // Nothing unmarked passes, whatever it calls itself.
    for (const x of [new Error("plain"), { code: "E_FAKE", name: "KernelError" }, null, "E_X"]) {
      assert.ok(!(x instanceof KernelError), String(x));
      assert.ok(!(x instanceof other.KernelError), String(x));
    }
  });
});
