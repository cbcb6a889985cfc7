/**
 * Packaging as docs/plugins.md describes it: esbuild turns a TypeScript plugin into one
 * JavaScript file (ESM) that plain Node can parse; the loader loads that folder.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { build } from "esbuild";
import { PluginLoader } from "../../src/loader/index.ts";
import { Registry } from "../../src/registry.ts";
import * as sdk from "../../src/sdk/index.ts";
import { copyOut, EXAMPLES, removeDir } from "./rig.ts";

const dir = await copyOut([]);
after(() => removeDir(dir));

describe("a plugin built to JavaScript with esbuild", () => {
  it("is one ESM file without TypeScript, which the loader registers", async () => {
    const folder = join(dir, "tracker-dns");
    await mkdir(folder);
    await build({
      entryPoints: [join(EXAMPLES, "tracker-dns/index.ts")],
      outfile: join(folder, "index.js"),
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      logLevel: "silent",
    });
    await writeFile(join(folder, "package.json"), JSON.stringify({ type: "module", main: "index.js" }));
    const js = await readFile(join(folder, "index.js"), "utf8");
    assert.ok(!js.includes("multiwan/sdk"), "type-only imports are gone");
    await promisify(execFile)(process.execPath.endsWith("deno") ? "node" : process.execPath, ["--check", join(folder, "index.js")]);
    const registry = new Registry();
    const report = await new PluginLoader(registry, { sdk }).load([folder]);
    assert.deepEqual(report.failed, []);
    assert.deepEqual(report.loaded, [{ id: "tracker.dns", folder }]);
  });
});
