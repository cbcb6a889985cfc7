/**
 * Password hashing with scrypt (node:crypto, on Deno and Node, loaded with the first hash:
 * the web's crypto has no scrypt): salted, slow, and compared in constant time. Format:
 * `scrypt$N$r$p$salt$hash` (base64url).
 *
 * On Deno node:crypto stays resident once loaded (about 3 MB). A scrypt of our own in
 * TypeScript on the web's PBKDF2 was tried and matched node:crypto on RFC 7914's vectors, but
 * under the daemon's `--lite-mode` (no optimizing compiler) one hash took 8 s instead of 0.06,
 * and its 16 MB work area, from malloc, stayed resident after each login (WebAssembly memory,
 * which is unmapped, is off in lite mode). The launcher's bundle makes up for the 3 MB.
 * @module
 */
import { base64url, fromBase64url, randomBytes, sameBytes } from "./secret.ts";

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

/** PASSWORD_HASH matches what {@link hashPassword} produces (the config's `api.passwordHash`). */
export const PASSWORD_HASH = /^scrypt\$\d{4,7}\$\d{1,2}\$\d{1,2}\$[A-Za-z0-9_-]{16,64}\$[A-Za-z0-9_-]{32,128}$/;

async function derive(password: string, salt: Uint8Array, n: number, r: number, p: number, len: number): Promise<Uint8Array> {
  const { scrypt } = await import("node:crypto");
  return new Promise((resolve, reject) => {
    scrypt(password, salt, len, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, key) => {
      if (err) reject(err);
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength));
    });
  });
}

/** hashPassword returns a salted scrypt hash string. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P, KEY_LENGTH);
  return `scrypt$${N}$${R}$${P}$${base64url(salt)}$${base64url(key)}`;
}

/** verifyPassword checks a password against a hash string; a malformed hash never matches. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  if (!PASSWORD_HASH.test(encoded)) return false;
  const [, n, r, p, salt, hash] = encoded.split("$");
  let expected: Uint8Array, saltBytes: Uint8Array;
  try {
    expected = fromBase64url(hash);
    saltBytes = fromBase64url(salt);
  } catch {
    return false; // a length base64 cannot have
  }
  const cost = Number(n);
  if (cost > 1 << 20 || (cost & (cost - 1)) !== 0) return false;
  const key = await derive(password, saltBytes, cost, Number(r), Number(p), expected.length);
  return sameBytes(key, expected);
}

/** randomPassword makes a password a person can type: 4 groups of 5 letters and digits. */
export function randomPassword(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  const bytes = randomBytes(20);
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0 && i % 5 === 0) out += "-";
    out += alphabet[bytes[i] % alphabet.length];
  }
  return out;
}
