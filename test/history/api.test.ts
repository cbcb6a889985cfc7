/**
 * Config history over the API: the author (token name, session) and remote of each write,
 * a revision's document and diffs with secrets redacted, rollback with If-Match (412) and of
 * an invalid revision (400), export/import round trip with secrets, the api.listen guard.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hashPassword } from "../../web/auth/password.ts";
import { foreignListen } from "../../web/listen-guard.ts";
import { redactedDiff } from "../../web/routes/revisions.ts";
import { type ApiRig, makeApiRig } from "../api/rig.ts";
import { fourWans } from "../helpers.ts";
import { makeGuardRig } from "./rig.ts";

const WEBHOOK = "http://ops:hunter2-secret@198.18.5.5:9/hook";

function withSecrets(hash: string) {
  return { ...fourWans(), api: { passwordHash: hash }, hooks: { webhooks: [{ name: "chat", on: ["down"], url: WEBHOOK }] } };
}

describe("config history over the API", () => {
  let r: ApiRig;
  let hash: string;
  before(async () => {
    hash = await hashPassword("correct horse");
    r = await makeApiRig({ config: withSecrets(hash) });
  });
  after(() => r.close());

  const json = async (res: Response, status = 200) => {
    const text = await res.text();
    assert.equal(res.status, status, text);
    return JSON.parse(text);
  };
  const revisions = async () => (await json(await r.req("GET", "/api/v1/config/revisions"))).revisions;

  it("records the booted revision, then who wrote: a token by its name, a session, the env token", async () => {
    assert.deepEqual((await revisions()).map((e: { revision: number; author: string }) => [e.revision, e.author]), [[1, "boot"]]);
    const tok = await json(await r.req("POST", "/api/v1/tokens", { body: { name: "ops-laptop", role: "admin" } }), 201);
    await json(await r.req("PATCH", "/api/v1/wans/cellular", { token: tok.token, body: { priority: 6 } }));
    const login = await r.req("POST", "/api/v1/auth/login", { token: false, body: { password: "correct horse" } });
    const { csrfToken } = await json(login);
    const jar = (login.headers.get("set-cookie") ?? "").split(";")[0];
    await json(await r.req("PATCH", "/api/v1/mode", { token: false, headers: { cookie: jar, "x-csrf-token": csrfToken }, body: { forcedRefresh: true } }));
    await json(await r.req("PUT", "/api/v1/config", { body: { ...withSecrets(hash), routing: { lastResort: "blackhole" } } }));
    const list = await revisions();
    assert.deepEqual(list.map((e: { revision: number; author: string; summary: string }) => [e.revision, e.author, e.summary]), [
      [4, "token:MULTIWAN_ADMIN_TOKEN", "mode.forcedRefresh removed, wans.cellular.priority changed, routing added"],
      [3, "session:admin", "mode.forcedRefresh added"],
      [2, "token:ops-laptop", "wans.cellular.priority changed"],
      [1, "boot", "found at boot"],
    ]);
    assert.equal(list[0].remote, "local", "in-process requests have no peer address (a real one is checked by the CLI test)");
    assert.ok(!Number.isNaN(Date.parse(list[0].at)));
    // A read token lists, but cannot roll back.
    const reader = await json(await r.req("POST", "/api/v1/tokens", { body: { name: "reader", role: "read" } }), 201);
    assert.equal((await r.req("GET", "/api/v1/config/revisions", { token: reader.token })).status, 200);
    assert.equal((await r.req("POST", "/api/v1/config/revisions/1/rollback", { token: reader.token })).status, 403);
  });

  it("a revision's document and a diff keep secrets redacted; a changed secret shows as <redacted>", async () => {
    const shown = await r.req("GET", "/api/v1/config/revisions/1");
    assert.equal(shown.headers.get("etag"), '"1"');
    const doc = await json(shown);
    assert.equal(doc.hooks.webhooks[0].url, "<redacted>");
    assert.equal(doc.api.passwordHash, "<redacted>");
    assert.equal(doc.wans.cellular.priority, 4);
    const other = "http://ops:other-secret@198.18.5.6:9/hook";
    const next = { ...withSecrets(await hashPassword("another one")), hooks: { webhooks: [{ name: "chat", on: ["down", "up"], url: other }] } };
    const w = await json(await r.req("PUT", "/api/v1/config", { body: next }));
    const res = await r.req("GET", `/api/v1/config/revisions/1/diff/${w.revision}`);
    assert.equal(res.headers.get("content-type"), "application/json-patch+json");
    const text = await res.text();
    for (const secret of ["hunter2", "other-secret", "scrypt$"]) assert.ok(!text.includes(secret), secret);
    assert.deepEqual(JSON.parse(text), [
      { op: "replace", path: "/api/passwordHash", value: "<redacted>" },
      { op: "replace", path: "/hooks/webhooks", value: [{ name: "chat", on: ["down", "up"], url: "<redacted>" }] },
    ]);
    assert.deepEqual(await json(await r.req("GET", `/api/v1/config/revisions/${w.revision}/diff/${w.revision}`)), []);
    assert.equal((await r.req("GET", "/api/v1/config/revisions/999")).status, 404);
    assert.equal((await r.req("GET", "/api/v1/config/revisions/abc")).status, 404);
    assert.equal((await r.req("GET", "/api/v1/config/revisions/1/diff/999")).status, 404);
  });

  it("rollback: a stale If-Match is 412 and changes nothing; then a new revision equal to the old one", async () => {
    const current = r.kernel.revision;
    const stale = await r.req("POST", "/api/v1/config/revisions/2/rollback", { headers: { "if-match": `"${current - 1}"` } });
    assert.equal(stale.status, 412);
    assert.equal(r.kernel.revision, current);
    const res = await r.req("POST", "/api/v1/config/revisions/2/rollback", { headers: { "if-match": `"${current}"` } });
    const body = await json(res);
    assert.deepEqual(body, { revision: current + 1, changed: true });
    assert.equal(res.headers.get("etag"), `"${current + 1}"`);
    assert.deepEqual(r.kernel.config.doc, (await r.kernel.history!.get(2))!.doc);
    assert.equal(r.kernel.effective?.wans.cellular.priority, 6);
    const top = (await revisions())[0];
    assert.deepEqual([top.revision, top.author, top.summary], [current + 1, "token:MULTIWAN_ADMIN_TOKEN", "rollback to 2"]);
    assert.equal(r.kernel.config.doc && (r.kernel.config.doc as { hooks: { webhooks: { url: string }[] } }).hooks.webhooks[0].url, WEBHOOK, "secrets come back too");
  });

  it("rollback to a revision that no longer validates is refused with its issues; nothing changes", async () => {
    const before = JSON.stringify(r.kernel.config);
    // A revision written when a plugin existed that is gone now (here: planted in the store's history).
    const broken = { ...fourWans(), wans: { gone: { type: "wan.removed-plugin", device: "eth9" } } };
    const rev = r.kernel.revision + 50;
    await r.kernel.history!.record({ revision: rev, at: new Date().toISOString(), author: "boot", summary: "old", doc: broken }, 20);
    const res = await r.req("POST", `/api/v1/config/revisions/${rev}/rollback`);
    const p = await json(res, 400);
    assert.equal(p.code, "E_CONFIG_INVALID");
    assert.ok(p.issues.some((i: { path: string }) => i.path.startsWith("wans.gone")), JSON.stringify(p.issues));
    assert.equal(JSON.stringify(r.kernel.config), before);
    assert.equal((await r.req("POST", "/api/v1/config/revisions/12345/rollback")).status, 404);
  });
});

describe("redactedDiff", () => {
  it("a change inside a redacted value shows once, as a replace of the whole secret", () => {
    const a = { s: { k: 1, j: 1 }, open: 1 };
    const b = { s: { k: 2, j: 3 }, open: 2 };
    const hidden = (x: { open: number }) => ({ s: "<redacted>", open: x.open });
    assert.deepEqual(redactedDiff(a, b, hidden(a), hidden(b)), [
      { op: "replace", path: "/s", value: "<redacted>" },
      { op: "replace", path: "/open", value: 2 },
    ]);
    assert.deepEqual(redactedDiff({ s: "x" }, {}, { s: "<redacted>" }, {}), [{ op: "remove", path: "/s" }]);
  });
});

describe("export and import", () => {
  let r: ApiRig;
  before(async () => (r = await makeApiRig({ config: withSecrets(await hashPassword("correct horse")) })));
  after(() => r.close());

  it("export is admin only and carries the secrets; importing it restores the document, secrets included", async () => {
    const reader = await (await r.req("POST", "/api/v1/tokens", { body: { name: "reader", role: "read" } })).json();
    assert.equal((await r.req("GET", "/api/v1/config/export", { token: reader.token })).status, 403);
    const res = await r.req("GET", "/api/v1/config/export");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-disposition") ?? "", /^attachment; filename="multiwan-config-r1\.json"$/);
    const text = await res.text();
    assert.ok(text.includes("hunter2-secret"), "a real backup");
    const exported = JSON.parse(text);
    assert.equal(exported.revision, 1);
    const original = r.kernel.config.doc;
    await r.req("PUT", "/api/v1/config", { body: { ...fourWans(), routing: { lastResort: "main" } } });
    assert.equal((r.kernel.config.doc as { hooks?: unknown }).hooks, undefined);
    const stale = await r.req("POST", "/api/v1/config/import", { raw: text, headers: { "content-type": "application/json", "if-match": '"1"' } });
    assert.equal(stale.status, 412);
    const imp = await r.req("POST", "/api/v1/config/import", { raw: text, headers: { "content-type": "application/json" } });
    assert.equal(imp.status, 200, await imp.clone().text());
    assert.deepEqual(await imp.json(), { revision: 3, changed: true });
    assert.deepEqual(r.kernel.config.doc, original);
    const top = (await (await r.req("GET", "/api/v1/config/revisions")).json()).revisions[0];
    assert.match(top.summary, /^import: /);
    const bad = await r.req("POST", "/api/v1/config/import", { body: { ...fourWans(), wans: { x: { type: "wan.nope" } } } });
    assert.equal(bad.status, 400);
    assert.equal((await r.req("POST", "/api/v1/config/import", { body: [1] })).status, 400);
    assert.equal(r.kernel.revision, 3);
  });
});

describe("a write that would cut off the API", () => {
  it("an api.listen address the router lacks is refused (400, the path and the addresses it has); loopback passes with a notice", async () => {
    const { kernel, req, close } = await makeGuardRig({ listen: ["127.0.0.1:8080"], addresses: ["127.0.0.1", "198.18.0.1", "fe80::1"] });
    try {
      const res = await req("PATCH", "/api/v1/config", { api: { listen: ["127.0.0.1:8080", "198.51.100.7:8080"] } });
      assert.equal(res.status, 400);
      const p = await res.json();
      assert.equal(p.code, "E_CONFIG_INVALID");
      assert.equal(p.issues[0].path, "api.listen[1]");
      assert.match(p.issues[0].message, /198\.51\.100\.7 is not an address of this router.*198\.18\.0\.1/);
      assert.equal(kernel.revision, 1);
      const ok = await req("PATCH", "/api/v1/config", { api: { listen: ["198.18.0.1:8080", "[::]:8081"] } });
      const body = await ok.json();
      assert.equal(ok.status, 200, JSON.stringify(body));
      assert.match(body.notice, /takes effect at the next start/);
      // Addresses already configured stay accepted (the write is about something else).
      assert.deepEqual(foreignListen({ api: { listen: ["198.51.100.7:1"] } }, { api: { listen: ["198.51.100.7:1"] } }, { addresses: () => [] }), []);
      // When the addresses cannot be read (Deno without --allow-sys), a new one is refused and says why.
      const denied = foreignListen({ api: { listen: ["198.18.0.1:1"] } }, {}, {
        addresses: () => {
          throw new Error("Requires sys access to \"networkInterfaces\"");
        },
      });
      assert.match(denied[0].message, /--allow-sys=networkInterfaces/);
      // Where the process may not listen (Deno without --allow-net for it), the write is refused up front.
      const noNet = foreignListen({ api: { listen: ["127.0.0.1:9"] } }, {}, { granted: (l) => l !== "127.0.0.1:9" });
      assert.deepEqual(noNet.map((i) => i.path), ["api.listen[0]"]);
      assert.match(noNet[0].message, /Needs --allow-net=127\.0\.0\.1:9/);
    } finally {
      await close();
    }
  });
});
