/**
 * Auth: no route answers without a credential, roles, sessions with CSRF, the login rate
 * limit, tokens created/revoked through the API and stored hashed, the config password.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { hashPassword } from "../../web/auth/password.ts";
import { AuthStore } from "../../web/auth/store.ts";
import { openApiPath } from "../../web/router.ts";
import { type ApiRig, makeApiRig } from "./rig.ts";

const concrete = (path: string) => path.replace(/:name/, "ethernet").replace(/:action/, "down").replace(/:id/, "x");

describe("auth", () => {
  let r: ApiRig;
  before(async () => (r = await makeApiRig({ loginsPerMinute: 5 })));
  after(() => r.close());

  it("no route under /api/v1 (nor /metrics) answers without a credential, except login", async () => {
    const before = JSON.stringify(r.kernel.config);
    const open: string[] = [];
    const guarded = r.api.routes.filter((x) => x.path.startsWith("/api/v1/") || x.path === "/metrics");
    assert.deepEqual(r.api.routes.filter((x) => x.access === "public").map((x) => x.path), [
      "/api/v1/auth/login",
      "/docs",
      "/docs/docs.js",
      "/docs/docs.css",
    ]);
    for (const route of guarded) {
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
        const res = await r.req(method, concrete(route.path), { token: false, body: {} });
        await res.body?.cancel();
        if (res.status !== 401) open.push(`${method} ${openApiPath(route.path)} ${res.status}`);
      }
    }
    assert.deepEqual(open.filter((x) => !x.includes(" /api/v1/auth/login ")), []);
    assert.ok(r.api.routes.length >= 20);
    assert.equal(JSON.stringify(r.kernel.config), before);
  });

  it("unknown paths under /api answer 401 without a credential and 404 with one", async () => {
    assert.equal((await r.req("GET", "/api/v1/nothing", { token: false })).status, 401);
    const res = await r.req("GET", "/api/v1/nothing");
    assert.equal(res.status, 404);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    assert.equal((await res.json()).code, "E_NOT_FOUND");
  });

  it("a bad bearer token is 401 even with a valid session cookie", async () => {
    const res = await r.req("GET", "/api/v1/status", { token: "nope" });
    assert.equal(res.status, 401);
    assert.match(res.headers.get("www-authenticate") ?? "", /Bearer/);
    assert.equal((await res.json()).code, "E_UNAUTHORIZED");
  });

  it("token ids never start with '-' (the CLI would read `token revoke -ID` as an option)", async () => {
    const store = new AuthStore({});
    // 1 in 64 ids began with "-" before; 400 draw it with near certainty (1 - (63/64)^400 > 0.998).
    const ids = await Promise.all(Array.from({ length: 400 }, (_, i) => store.createToken(`t${i}`, "read").then((t) => t.id)));
    assert.deepEqual(ids.filter((id) => id.startsWith("-")), []);
    assert.ok(ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]{7}$/.test(id)), ids.find((id) => !/^[A-Za-z0-9_][A-Za-z0-9_-]{7}$/.test(id)));
  });

  it("tokens: created with a role, listed without secrets, stored hashed, revoked", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mwan-auth-"));
    try {
      const store = new AuthStore({ path: join(dir, "auth.json") });
      const t = await store.createToken("ci", "read");
      const text = await readFile(join(dir, "auth.json"), "utf8");
      assert.ok(!text.includes(t.token), "the secret is not stored");
      const again = new AuthStore({ path: join(dir, "auth.json") });
      await again.load();
      assert.equal((await again.verifyToken(t.token))?.role, "read");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const created = await r.req("POST", "/api/v1/tokens", { body: { name: "reader", role: "read" } });
    assert.equal(created.status, 201);
    const tok = await created.json();
    assert.match(tok.token, /^mwt_/);
    assert.equal((await r.req("POST", "/api/v1/tokens", { body: { name: "reader", role: "read" } })).status, 409);
    const list = await (await r.req("GET", "/api/v1/tokens")).json();
    assert.ok(list.tokens.some((t: { id: string }) => t.id === tok.id));
    assert.ok(!JSON.stringify(list).includes(tok.token));
    // read role: GET works, writes are 403
    assert.equal((await r.req("GET", "/api/v1/status", { token: tok.token })).status, 200);
    const w = await r.req("PATCH", "/api/v1/mode", { token: tok.token, body: { forcedRefresh: true } });
    assert.equal(w.status, 403);
    assert.equal((await w.json()).code, "E_FORBIDDEN");
    assert.equal((await r.req("GET", "/api/v1/tokens", { token: tok.token })).status, 403);
    assert.equal((await r.req("DELETE", `/api/v1/tokens/${tok.id}`)).status, 204);
    assert.equal((await r.req("DELETE", `/api/v1/tokens/${tok.id}`)).status, 404);
    assert.equal((await r.req("GET", "/api/v1/status", { token: tok.token })).status, 401);
    const bad = await r.req("POST", "/api/v1/tokens", { body: { name: "x", role: "root" } });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).issues[0].path, "role");
  });

  it("login sets an HttpOnly SameSite=Strict cookie; cookie writes need the CSRF token", async () => {
    const res = await r.req("POST", "/api/v1/auth/login", { token: false, body: { password: "correct horse" } });
    assert.equal(res.status, 200);
    const cookie = res.headers.get("set-cookie") ?? "";
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const { csrfToken } = await res.json();
    const jar = cookie.split(";")[0];
    const who = await r.req("GET", "/api/v1/auth/whoami", { token: false, headers: { cookie: jar } });
    // whoami gives the session's CSRF token back, so a reloaded page can write again
    assert.deepEqual({ ...(await who.json()), id: "" }, { kind: "session", role: "admin", id: "", csrfToken });
    const noCsrf = await r.req("PATCH", "/api/v1/mode", { token: false, headers: { cookie: jar }, body: { forcedRefresh: true } });
    assert.equal(noCsrf.status, 403);
    assert.equal((await noCsrf.json()).code, "E_CSRF");
    const crossOrigin = await r.req("PATCH", "/api/v1/mode", {
      token: false,
      headers: { cookie: jar, "x-csrf-token": csrfToken, origin: "http://evil.example" },
      body: { forcedRefresh: true },
    });
    assert.equal(crossOrigin.status, 403);
    const ok = await r.req("PATCH", "/api/v1/mode", {
      token: false,
      headers: { cookie: jar, "x-csrf-token": csrfToken },
      body: { forcedRefresh: true },
    });
    assert.equal(ok.status, 200);
    const out = await r.req("POST", "/api/v1/auth/logout", { token: false, headers: { cookie: jar, "x-csrf-token": csrfToken } });
    assert.equal(out.status, 204);
    assert.equal((await r.req("GET", "/api/v1/status", { token: false, headers: { cookie: jar } })).status, 401);
  });

  it("wrong passwords are 401, then login is rate limited with 429 and Retry-After", async () => {
    const rig = await makeApiRig({ loginsPerMinute: 3 });
    try {
      const codes: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 5; i++) {
        last = await rig.req("POST", "/api/v1/auth/login", { token: false, body: { password: `guess${i}` } });
        codes.push(last.status);
      }
      assert.deepEqual(codes, [401, 401, 401, 429, 429]);
      assert.ok(Number(last?.headers.get("retry-after")) >= 1);
      const p = await last!.json();
      assert.equal(p.code, "E_RATE_LIMITED");
      assert.ok(!JSON.stringify(p).includes("guess"), "the password is never echoed");
    } finally {
      await rig.close();
    }
  });

  it("a passwordHash in the config replaces the stored password and is never served", async () => {
    const hash = await hashPassword("from the config");
    const put = await r.req("PATCH", "/api/v1/config", { body: { api: { passwordHash: hash } } });
    assert.equal(put.status, 200);
    const doc = await (await r.req("GET", "/api/v1/config")).json();
    assert.equal(doc.api.passwordHash, "<redacted>");
    assert.ok(!JSON.stringify(doc).includes(hash));
    const login = (pw: string) => r.req("POST", "/api/v1/auth/login", { token: false, body: { password: pw } });
    assert.equal((await login("correct horse")).status, 401);
    assert.equal((await login("from the config")).status, 200);
    // a GET-modify-PUT round trip keeps the secret
    const etag = (await r.req("GET", "/api/v1/config")).headers.get("etag")!;
    doc.mode.forcedRefresh = true;
    assert.equal((await r.req("PUT", "/api/v1/config", { body: doc, headers: { "if-match": etag } })).status, 200);
    assert.equal((r.kernel.config.doc as { api: { passwordHash: string } }).api.passwordHash, hash);
    assert.equal((await r.req("PATCH", "/api/v1/config", { body: { api: null } })).status, 200);
  });

  it("the password can be changed by an admin; short ones are refused", async () => {
    const short = await r.req("PUT", "/api/v1/auth/password", { body: { password: "short" } });
    assert.equal(short.status, 400);
    const problem = await short.json() as { issues: { path: string; message: string }[] };
    assert.deepEqual(problem.issues, [{ path: "password", message: "Use at least 8 characters" }]);
    assert.equal((await r.req("PUT", "/api/v1/auth/password", { body: { password: "a much longer one" } })).status, 204);
    const res = await r.req("POST", "/api/v1/auth/login", { token: false, body: { password: "a much longer one" } });
    assert.equal(res.status, 200);
  });
});
