/** The web-crypto helpers behind tokens, sessions and password hashes (`web/auth/secret.ts`). */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { base64url, fromBase64url, fromHex, hex, randomBytes, sameBytes, sameSecret, sha256 } from "../web/auth/secret.ts";
import { hashPassword, verifyPassword } from "../web/auth/password.ts";

describe("secret helpers", () => {
  it("sha256 matches node:crypto, in hex and base64url", async () => {
    for (const text of ["", "abc", "mwt_AbCdEfGh_" + "x".repeat(43), "héllo ✓", "a".repeat(1000)]) {
      const ours = await sha256(text);
      const node = createHash("sha256").update(text).digest();
      assert.equal(hex(ours), node.toString("hex"), text);
      assert.equal(base64url(ours), node.toString("base64url"), text);
    }
  });
  it("base64url and hex round-trip any bytes; bad hex is refused", () => {
    for (let n = 0; n < 40; n++) {
      const b = randomBytes(n);
      assert.equal(b.length, n);
      assert.equal(base64url(b), Buffer.from(b).toString("base64url"));
      assert.deepEqual(fromBase64url(base64url(b)), b);
      assert.deepEqual(fromHex(hex(b)), b);
    }
    assert.equal(fromHex("abc"), undefined);
    assert.equal(fromHex("zz"), undefined);
  });
  it("random bytes differ from call to call", () => {
    const seen = new Set(Array.from({ length: 50 }, () => hex(randomBytes(16))));
    assert.equal(seen.size, 50);
  });
  it("compares bytes and strings", () => {
    assert.equal(sameBytes(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])), true);
    assert.equal(sameBytes(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4])), false);
    assert.equal(sameBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])), false);
    assert.equal(sameSecret("csrf-token", "csrf-token"), true);
    assert.equal(sameSecret("csrf-token", "csrf-tokeN"), false);
    assert.equal(sameSecret("", "x"), false);
  });
  it("password hashes made before (Buffer-based) still verify, and new ones keep the format", async () => {
    // Made by the previous implementation (node:crypto scrypt with Buffer encodings) for "correct horse".
    const salt = Buffer.from("0123456789abcdef");
    const { scryptSync } = await import("node:crypto");
    const key = scryptSync("correct horse", salt, 32, { N: 16384, r: 8, p: 1 });
    const old = `scrypt$16384$8$1$${salt.toString("base64url")}$${key.toString("base64url")}`;
    assert.equal(await verifyPassword("correct horse", old), true);
    assert.equal(await verifyPassword("correct horsE", old), false);
    const badLength = `scrypt$16384$8$1$${salt.toString("base64url")}$${"A".repeat(33)}`;
    assert.equal(await verifyPassword("correct horse", badLength), false, "a hash part base64 cannot have does not match (no throw)");
    const fresh = await hashPassword("battery staple");
    assert.match(fresh, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.equal(await verifyPassword("battery staple", fresh), true);
  });
});
