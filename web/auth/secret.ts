/**
 * Random values, digests and comparisons for secrets, with the web's crypto (`crypto`,
 * `crypto.subtle`), the same on Deno and Node: `node:crypto` would cost a Deno daemon about
 * 2 MB resident for what these few lines do. Only scrypt (password hashes) needs Node's.
 * @module
 */

/** randomBytes returns `n` bytes from the system's secure generator. */
export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** base64url encodes without padding (RFC 4648 section 5). */
export function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** fromBase64url decodes base64url (padding optional); throws on other characters. */
export function fromBase64url(text: string): Uint8Array {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

/** hex writes bytes as lowercase hexadecimal. */
export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** fromHex reads hexadecimal; undefined when it is not. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** sha256 digests the UTF-8 bytes of `text`. */
export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** sameBytes compares in time that depends only on the length (a length mismatch returns at once). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** sameSecret compares two strings in constant time (for equal lengths). */
export function sameSecret(a: string, b: string): boolean {
  const e = new TextEncoder();
  return sameBytes(e.encode(a), e.encode(b));
}
