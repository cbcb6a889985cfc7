/** POSIX paths and file URLs (`src/host/path.ts`) agree with Node's `node:path` and `node:url`. */
import { strict as assert } from "node:assert";
import posix from "node:path/posix";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import { basename, dirname, fileUrl, isAbsolute, join, normalize, pathOfUrl, relativeFrom, resolveFrom } from "../src/host/path.ts";
import { relative, resolve } from "../src/host/index.ts";

const PATHS = [
  "", ".", "..", "/", "//", "a", "a/", "/a", "/a/", "a/b", "/a/b/c", "a//b", "a/./b", "a/../b", "../a", "../../a/b",
  "/..", "/../a", "a/b/../../..", "/a/b/..", "./a/", "a/b/.", "/var/lib/multiwan/config.json", "state/history/", "x/y/../../z/", "//a", "/a//b", "a///",
];

describe("host paths", () => {
  it("normalize, dirname, basename and isAbsolute agree with node:path", () => {
    for (const p of PATHS) {
      assert.equal(normalize(p), posix.normalize(p), `normalize ${JSON.stringify(p)}`);
      assert.equal(dirname(p), posix.dirname(p), `dirname ${JSON.stringify(p)}`);
      assert.equal(basename(p), posix.basename(p), `basename ${JSON.stringify(p)}`);
      assert.equal(isAbsolute(p), posix.isAbsolute(p), `isAbsolute ${JSON.stringify(p)}`);
    }
  });
  it("join, resolve and relative agree with node:path on every pair", () => {
    for (const a of PATHS) {
      for (const b of PATHS) {
        assert.equal(join(a, b), posix.join(a, b), `join ${JSON.stringify([a, b])}`);
        assert.equal(resolveFrom("/srv/cwd", a, b), posix.resolve("/srv/cwd", a, b), `resolve ${JSON.stringify([a, b])}`);
        assert.equal(relativeFrom("/srv/cwd", a, b), posix.relative(posix.resolve("/srv/cwd", a), posix.resolve("/srv/cwd", b)), `relative ${JSON.stringify([a, b])}`);
      }
    }
    assert.equal(join(), posix.join());
    assert.equal(join("a", "", "b"), "a/b");
  });
  it("resolve and relative use the working folder", () => {
    assert.equal(resolve("state"), posix.resolve("state"));
    assert.equal(resolve("/a", "b"), "/a/b");
    assert.equal(relative("state", "state/history"), "history");
  });
  it("file URLs agree with node:url, special characters included", () => {
    for (const p of ["/a/b.ts", "/with space/x", "/per%cent/#hash?q", "/tab\there", "/caf\u00e9/\u2192.ts", "/a/b/"]) {
      assert.equal(fileUrl(p).href, pathToFileURL(p).href, p);
      assert.equal(pathOfUrl(fileUrl(p)), p, p);
      assert.equal(pathOfUrl(fileUrl(p).href), fileURLToPath(pathToFileURL(p)), p);
    }
    assert.throws(() => fileUrl("relative/x"), /not an absolute path/);
    assert.throws(() => pathOfUrl("https://example.invalid/x"), /not a file URL/);
    assert.throws(() => pathOfUrl("file://host/x"), /with a host/);
    assert.throws(() => pathOfUrl("file:///a%2Fb"), /encoded/);
  });
});
