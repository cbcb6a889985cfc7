/**
 * The dependency rules of the microkernel, checked on the source: the kernel knows
 * interfaces, never implementations; plugins reach the kernel only through src/index.ts.
 */
import { strict as assert } from "node:assert";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const root = fileURLToPath(new URL("..", import.meta.url));

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...await files(p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

/** importsOf lists a file's import specifiers; `loaded` keeps only what evaluating it loads (no type-only or dynamic imports). */
async function importsOf(file: string, loaded = false): Promise<string[]> {
  const text = await readFile(join(root, file), "utf8");
  const pattern = loaded
    ? /^(?:import|export)\s+(?!type\s)[^"';]*?from\s+["']([^"']+)["']|^import\s+["']([^"']+)["']/gm
    : /(?:import|export)[^"']*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  return [...text.matchAll(pattern)].map((m) => m[1] ?? m[2]);
}

const resolved = (file: string, spec: string) =>
  spec.startsWith(".") ? relative(root, join(root, file, "..", spec)) : spec;

describe("architecture", () => {
  it("the kernel imports no plugin, no platform implementation and no web code", async () => {
    // Composition roots may pick implementations: the daemon (main.ts) and the plugin test kit
    // (sdk/testing.ts runs plugins on the sim world).
    const roots = ["src/main.ts", "src/serve.ts", "src/sdk/testing.ts"];
    const kernel = (await files("src")).filter((f) => !f.startsWith("src/platform/") && !roots.includes(f) && !f.startsWith("src/cli"));
    assert.ok(kernel.length > 10);
    for (const f of kernel) {
      for (const spec of await importsOf(f)) {
        const target = resolved(f, spec);
        assert.ok(!/^(plugins|web)\//.test(target), `${f} imports ${spec}`);
        assert.ok(!/^src\/platform\/(sim|linux)\//.test(target), `${f} imports ${spec}`);
        assert.ok(!/^(hono|@hono\/)/.test(target), `${f} imports ${spec}`);
      }
    }
  });

  it("plugins reach the kernel only through src/index.ts", async () => {
    for (const f of await files("plugins")) {
      for (const spec of await importsOf(f)) {
        const target = resolved(f, spec);
        if (target.startsWith("src/")) assert.equal(target, "src/index.ts", `${f} imports ${spec}`);
      }
    }
  });

  it("no default exports anywhere", async () => {
    for (const dir of ["src", "plugins", "web"]) {
      for (const f of await files(dir)) {
        const text = await readFile(join(root, f), "utf8");
        assert.ok(!/^export default/m.test(text), `${f} has a default export`);
      }
    }
  });

  it("the daemon's sources are ASCII (user-visible characters as \\u escapes)", async () => {
    // V8 keeps a module's source as a two-byte string as soon as it holds one non-ASCII
    // character: one arrow in a comment doubles what that file's source takes in the daemon's
    // heap (a heap snapshot shows valibot's 206 K characters as 403 KB). For our 37 files that
    // had one, 0.2 MB of an idle Deno daemon. The panel (web/panel) is built for the browser.
    const found: string[] = [];
    for (const dir of ["src", "plugins", "web"]) {
      for (const f of await files(dir)) {
        if (f.startsWith(join("web", "panel"))) continue;
        const lines = (await readFile(join(root, f), "utf8")).split("\n");
        lines.forEach((l, i) => { if (/[^\x00-\x7f]/.test(l)) found.push(`${f}:${i + 1}: ${l.trim()}`); });
      }
    }
    assert.deepEqual(found, []);
  });

  it("an idle daemon on Deno loads no node: module (static imports from main and the modules it picks at start)", async () => {
    // Deno's Node compatibility costs memory per module family (1.4 MB for path, process,
    // util, url and os together): what the daemon needs goes through src/host/ instead, and a
    // node: module is imported dynamically where it is needed (hook programs, scrypt, syslog).
    const starts = ["src/main.ts", "src/host/deno.ts", "src/platform/linux/index.ts", "src/platform/sim/index.ts", "plugins/builtin.ts"];
    const seen = new Set<string>();
    const found: string[] = [];
    const queue = [...starts];
    while (queue.length > 0) {
      const f = queue.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      for (const spec of await importsOf(f, true)) {
        if (spec.startsWith("node:")) found.push(`${f} imports ${spec}`);
        else if (spec.startsWith(".")) queue.push(resolved(f, spec));
      }
    }
    assert.ok(seen.size > 60, `only ${seen.size} modules reached`);
    assert.deepEqual(found, []);
  });
});
