/**
 * "On reload": a config write whose `plugins.dirs` names a new directory loads its plugins
 * before the write is validated, so the same write may use them; the API's schemas follow.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { TARGETS } from "../helpers.ts";
import { copyOut, EXAMPLES, makeLoaderRig, removeDir } from "./rig.ts";

const dir = await copyOut([join(EXAMPLES, "mode-lowest-latency")]);
const ethernet = { type: "wan.ethernet", device: "eth1", tracker: { type: "tracker.ping", targets: TARGETS } };
const rig = await makeLoaderRig([], { mode: { type: "mode.failover" }, wans: { ethernet } });
after(async () => {
  await rig.close();
  await removeDir(dir);
});

describe("plugins.dirs changed by a config write", () => {
  it("before: the type is unknown to validation, the API and OpenAPI", async () => {
    assert.ok(!rig.registry.has("mode.lowest-latency"));
    const issues = rig.kernel.validate({ mode: { type: "mode.lowest-latency" }, wans: { ethernet } });
    assert.match(issues[0]?.message ?? "", /^Unknown type "mode.lowest-latency"/);
    assert.ok(!(await (await rig.req("GET", "/api/v1/openapi.json")).text()).includes("mode.lowest-latency"));
  });

  it("the write that names the directory may use its plugin at once", async () => {
    const r = await rig.kernel.applyConfig({ plugins: { dirs: [dir] }, mode: { type: "mode.lowest-latency" }, wans: { ethernet } });
    assert.equal(r.changed, true);
    assert.equal(rig.kernel.effective?.mode.type, "mode.lowest-latency");
    assert.equal(rig.registry.originOf("mode.lowest-latency"), join(dir, "mode-lowest-latency"));
  });

  it("after: /api/v1/plugins and OpenAPI show it", async () => {
    const body = await (await rig.req("GET", "/api/v1/plugins")).json() as { plugins: { id: string }[] };
    assert.ok(body.plugins.some((p) => p.id === "mode.lowest-latency"));
    assert.ok((await (await rig.req("GET", "/api/v1/openapi.json")).text()).includes(`"const":"mode.lowest-latency"`));
  });

  it("a relative directory is refused by the schema", () => {
    const issues = rig.kernel.validate({ plugins: { dirs: ["plugins"] }, mode: { type: "mode.failover" }, wans: { ethernet } });
    assert.equal(issues[0]?.path, "plugins.dirs[0]");
  });
});
