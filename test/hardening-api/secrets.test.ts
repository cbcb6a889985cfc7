/**
 * Secrets stay secret: every value a schema marks `writeOnly` (webhook URLs, script argv,
 * the password hash, and a third-party plugin's field) is redacted for every reader, and a
 * GET-modify-PUT round trip keeps the stored secret.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as v from "valibot";
import type { WanPlugin } from "../../src/plugin.ts";
import { fourWans } from "../helpers.ts";
import { type ApiRig, makeApiRig } from "../api/rig.ts";

const PIN = "pin-4711-secret";
const HOOK_KEY = "hook-api-key-s3cr3t";
const URL_KEY = "url-token-s3cr3t";

const vaultSchema = v.strictObject({
  device: v.pipe(v.string(), v.minLength(1)),
  pin: v.optional(v.pipe(v.string(), v.maxLength(64), v.title("PIN"), v.metadata({ writeOnly: true }))),
});

/** A third-party WAN type whose `pin` is secret; nothing in web/ knows its name. */
const vaultWan = {
  id: "wan.vault",
  version: "0.0.1",
  kernel: "^1.0.0",
  title: "Vault (tests)",
  description: "A WAN with a secret field.",
  schema: vaultSchema,
  create(_ctx, config) {
    return {
      device: config.device,
      inspect: () => Promise.resolve({ device: config.device, present: true, carrier: true, details: {} }),
    };
  },
} satisfies WanPlugin<typeof vaultSchema>;

function config() {
  const doc = fourWans() as Record<string, unknown> & { wans: Record<string, unknown> };
  doc.wans.vault = { type: "wan.vault", device: "usb0", priority: 5, pin: PIN };
  doc.hooks = {
    scripts: [
      { name: "first", argv: ["/bin/true", `--key=${HOOK_KEY}`] },
      { name: "second", argv: ["/bin/echo", "two"] },
    ],
    webhooks: [{ name: "chat", url: `http://198.18.9.9:8000/hook?token=${URL_KEY}` }],
  };
  return doc;
}

const SECRETS = [PIN, HOOK_KEY, URL_KEY];

describe("secrets from writeOnly schemas", () => {
  let r: ApiRig;
  let read: string;
  before(async () => {
    r = await makeApiRig({ config: config(), plugins: [vaultWan] });
    read = (await r.auth.createToken("reader", "read")).token;
  });
  after(() => r.close());

  it("the document's JSON Schema marks the plugin's field, argv and webhook URLs writeOnly", async () => {
    const text = await (await r.req("GET", "/api/v1/openapi.json", { token: read })).text();
    const marks = text.match(/"writeOnly":\s*true/g) ?? [];
    assert.ok(marks.length >= 4, `${marks.length} writeOnly marks`); // pin, argv, url, passwordHash
  });

  for (const path of ["/api/v1/config", "/api/v1/config?effective=1", "/api/v1/wans", "/api/v1/wans/vault", "/api/v1/mode", "/api/v1/status", "/api/v1/openapi.json"]) {
    it(`GET ${path} shows no secret to a read token`, async () => {
      const res = await r.req("GET", path, { token: read });
      assert.equal(res.status, 200);
      const text = await res.text();
      for (const secret of SECRETS) assert.ok(!text.includes(secret), `${path} leaks ${secret}`);
    });
  }

  it("GET /config shows the marker where each secret is", async () => {
    const doc = await (await r.req("GET", "/api/v1/config")).json();
    assert.equal(doc.wans.vault.pin, "<redacted>");
    assert.equal(doc.hooks.scripts[0].argv, "<redacted>");
    assert.equal(doc.hooks.webhooks[0].url, "<redacted>");
    assert.equal(doc.wans.vault.device, "usb0", "other fields are served");
  });

  it("a GET-modify-PUT round trip keeps every stored secret, even with the hooks reordered", async () => {
    const res = await r.req("GET", "/api/v1/config");
    const doc = await res.json();
    doc.wans.vault.priority = 6;
    doc.hooks.scripts.reverse();
    const put = await r.req("PUT", "/api/v1/config", { body: doc, headers: { "if-match": res.headers.get("etag")! } });
    assert.equal(put.status, 200, await put.clone().text());
    const stored = r.kernel.config.doc as ReturnType<typeof config>;
    const wans = stored.wans as Record<string, { pin?: string; priority?: number }>;
    assert.equal(wans.vault.pin, PIN);
    assert.equal(wans.vault.priority, 6);
    const hooks = stored.hooks as { scripts: { name: string; argv: string[] }[]; webhooks: { url: string }[] };
    assert.deepEqual(hooks.scripts.map((s) => [s.name, s.argv[0]]), [["second", "/bin/echo"], ["first", "/bin/true"]]);
    assert.equal(hooks.scripts[1].argv[1], `--key=${HOOK_KEY}`);
    assert.ok(hooks.webhooks[0].url.includes(URL_KEY));
  });

  it("PUT and PATCH of one WAN keep the secret; a new value replaces it", async () => {
    const got = await (await r.req("GET", "/api/v1/wans/vault")).json();
    assert.equal(got.config.pin, "<redacted>");
    assert.equal((await r.req("PUT", "/api/v1/wans/vault", { body: { ...got.config, priority: 7 } })).status, 200);
    const pinOf = () => ((r.kernel.config.doc as { wans: Record<string, { pin?: string }> }).wans.vault.pin);
    assert.equal(pinOf(), PIN);
    const patch = await r.req("PATCH", "/api/v1/wans/vault", { body: { pin: "9999" }, headers: { "content-type": "application/merge-patch+json" } });
    assert.equal(patch.status, 200);
    assert.equal(pinOf(), "9999");
    await r.req("PATCH", "/api/v1/wans/vault", { body: { pin: PIN }, headers: { "content-type": "application/merge-patch+json" } });
  });

  it("the marker where nothing is stored is a 400 naming the path, and the dry run says so too", async () => {
    const body = { type: "wan.vault", device: "eth1", pin: "<redacted>" };
    const res = await r.req("PUT", "/api/v1/wans/newvault", { body });
    assert.equal(res.status, 400);
    const p = await res.json();
    assert.deepEqual(p.issues.map((i: { path: string }) => i.path), ["wans.newvault.pin"]);
    assert.equal((r.kernel.config.doc as { wans: Record<string, unknown> }).wans.newvault, undefined);
    const doc = { ...r.kernel.config.doc as { wans: object }, wans: { ...(r.kernel.config.doc as { wans: object }).wans, newvault: body } };
    const dry = await (await r.req("POST", "/api/v1/config/validate", { body: doc })).json();
    assert.equal(dry.valid, false);
    assert.deepEqual(dry.issues.map((i: { path: string }) => i.path), ["wans.newvault.pin"]);
  });

  it("the dry run accepts the served document as it is", async () => {
    const doc = await (await r.req("GET", "/api/v1/config", { token: read })).json();
    const res = await r.req("POST", "/api/v1/config/validate", { body: doc, token: read });
    assert.deepEqual(await res.json(), { valid: true, issues: [] });
  });
});
