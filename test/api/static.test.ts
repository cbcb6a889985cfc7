/**
 * The panel's files: `/` and `/assets/*` from a built dist folder with the strict CSP,
 * immutable caching and gzip; 404 problem+json for anything else; 503 with a hint when
 * the panel is not built. When `web/panel/dist/` exists, its index.html carries no inline
 * script or style and every file it names is served.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { silentLogger } from "../../src/log.ts";
import { type Api, createApp } from "../../web/app.ts";
import { acceptsGzip, PANEL_CSP } from "../../web/static.ts";
import { ADMIN, type ApiRig, makeApiRig } from "./rig.ts";

const JS = `export function hello(){return ${JSON.stringify("panel ".repeat(400))}}\n`;
const INDEX = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>multiwan</title>` +
  `<link rel="stylesheet" href="/assets/panel-ab12.css"></head><body><div id="app"></div>` +
  `<script type="module" src="/assets/panel-ab12.js"></script></body></html>`;

describe("panel files", () => {
  let r: ApiRig;
  let dir: string;
  let api: Api;
  let missing: Api;
  const get = (app: Api, path: string, headers: Record<string, string> = {}) => Promise.resolve(app.app.request(path, { headers }));

  before(async () => {
    r = await makeApiRig();
    dir = await mkdtemp(join(tmpdir(), "mwan-dist-"));
    await mkdir(join(dir, "assets"));
    await writeFile(join(dir, "index.html"), INDEX);
    await writeFile(join(dir, "assets", "panel-ab12.js"), JS);
    await writeFile(join(dir, "assets", "panel-ab12.css"), "body{margin:0}");
    api = createApp(r.kernel, { store: r.auth, clock: r.clock, log: silentLogger, panelDir: dir });
    missing = createApp(r.kernel, { store: r.auth, clock: r.clock, log: silentLogger, panelDir: join(dir, "nothing-here") });
  });
  after(async () => {
    api.close();
    missing.close();
    await r.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves index.html at / with the strict CSP, no caching, and without credentials", async () => {
    const res = await get(api, "/");
    assert.equal(res.status, 200);
    assert.equal(await res.text(), INDEX);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal(res.headers.get("content-security-policy"), PANEL_CSP);
    assert.match(PANEL_CSP, /script-src 'self';/);
    assert.ok(!PANEL_CSP.includes("unsafe-inline"));
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
  });

  it("serves hashed assets with their type, immutable caching, gzip only when accepted", async () => {
    const plain = await get(api, "/assets/panel-ab12.js");
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(plain.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(plain.headers.get("content-encoding"), null);
    assert.equal(plain.headers.get("vary"), "accept-encoding");
    assert.equal(await plain.text(), JS);
    const gz = await get(api, "/assets/panel-ab12.js", { "accept-encoding": "br, gzip;q=0.8" });
    assert.equal(gz.headers.get("content-encoding"), "gzip");
    const bytes = new Uint8Array(await gz.arrayBuffer());
    assert.ok(bytes.byteLength < JS.length / 4, `gzip is smaller (${bytes.byteLength} bytes)`);
    assert.equal(Number(gz.headers.get("content-length")), bytes.byteLength);
    assert.equal(gunzipSync(bytes).toString("utf8"), JS);
    const css = await get(api, "/assets/panel-ab12.css", { "accept-encoding": "gzip" });
    assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
    assert.equal(css.headers.get("content-encoding"), null, "tiny files are sent as they are");
  });

  it("reads Accept-Encoding: q=0 refuses gzip", () => {
    assert.equal(acceptsGzip("gzip"), true);
    assert.equal(acceptsGzip("deflate, gzip;q=0"), false);
    assert.equal(acceptsGzip("*"), true);
    assert.equal(acceptsGzip("br"), false);
    assert.equal(acceptsGzip(undefined), false);
  });

  it("answers 404 problem+json for other paths and for names that try to leave assets/", async () => {
    for (const path of ["/assets/nope.js", "/assets/..%2Findex.html", "/assets/.hidden", "/index.html", "/assets/a/b.js"]) {
      const res = await get(api, path);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get("content-type"), "application/problem+json", path);
      assert.equal((await res.json()).code, "E_NOT_FOUND");
    }
  });

  it("picks up a rebuilt index.html", async () => {
    const next = INDEX.replace("panel-ab12", "panel-cd34");
    await writeFile(join(dir, "index.html"), next);
    await utimes(join(dir, "index.html"), new Date(), new Date(Date.now() + 5_000));
    assert.equal(await (await get(api, "/")).text(), next);
  });

  it("answers 503 with a hint when the panel is not built", async () => {
    const res = await get(missing, "/");
    assert.equal(res.status, 503);
    assert.match(await res.text(), /npm run build:web/);
    assert.equal(res.headers.get("content-security-policy"), PANEL_CSP);
  });

  it("/docs: our own reference page under the same CSP, its files served with their types, nothing external", async () => {
    const page = await get(api, "/docs");
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-security-policy"), PANEL_CSP);
    const html = await page.text();
    assert.ok(!/<script\b[^>]*>[^<\s]/i.test(html), "no inline script");
    assert.ok(!/<style\b|\sstyle=|\son[a-z]+=/i.test(html), "no inline style or handler");
    assert.ok(!/https?:\/\//.test(html));
    for (const [path, type] of [["/docs/docs.js", "text/javascript"], ["/docs/docs.css", "text/css"]]) {
      assert.ok(html.includes(`"${path}"`), `the page loads ${path}`);
      const res = await get(api, path, { "accept-encoding": "gzip" });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", new RegExp(`^${type}`));
      assert.equal(res.headers.get("content-encoding"), "gzip");
      const text = gunzipSync(new Uint8Array(await res.arrayBuffer())).toString("utf8");
      assert.ok(!/https?:\/\//.test(text), `${path} names no other host`);
    }
    const doc = await api.app.request("/api/v1/openapi.json", { headers: { authorization: `Bearer ${ADMIN}`, "accept-encoding": "gzip" } });
    assert.equal(doc.headers.get("content-encoding"), "gzip");
    const parsed = JSON.parse(gunzipSync(new Uint8Array(await doc.arrayBuffer())).toString("utf8"));
    assert.equal(parsed.paths["/api/v1/sim"].get["x-role"], "admin");
    assert.equal(parsed.paths["/api/v1/status"].get["x-role"], "read");
  });

  const built = fileURLToPath(new URL("../../web/panel/dist/", import.meta.url));
  it("the built panel: no inline script or style, only our own files, each served", {
    skip: existsSync(join(built, "index.html")) ? false : "skipped: needs web/panel/dist (run npm run build:web)",
  }, async () => {
    const real = createApp(r.kernel, { store: r.auth, clock: r.clock, log: silentLogger });
    try {
      const html = await readFile(join(built, "index.html"), "utf8");
      assert.equal(await (await get(real, "/")).text(), html);
      for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
        assert.match(m[1], /\bsrc="\/assets\/[^"]+"/, "every script has a src under /assets/");
        assert.equal(m[2].trim(), "", "no inline script");
      }
      assert.ok(!/<style\b/i.test(html), "no <style> element");
      assert.ok(!/\sstyle=/i.test(html), "no style attribute");
      assert.ok(!/\son[a-z]+=/i.test(html), "no inline event handler");
      assert.ok(!/(src|href)="(https?:)?\/\//i.test(html), "no external URL");
      const refs = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
      assert.ok(refs.some((x) => x.endsWith(".js")), "the page loads a script from /assets/");
      for (const ref of refs) assert.equal((await get(real, ref)).status, 200, ref);
    } finally {
      real.close();
    }
  });
});
