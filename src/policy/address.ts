/**
 * Addresses and port ranges as policy rules write them: IPv4/IPv6 addresses or networks
 * (CIDR), and ports as 5060, "5060" or "10000-20000".
 * @module
 */
import type { Family } from "../plan.ts";

const V4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const HEX = /^[0-9a-f]{1,4}$/i;

function isV6(s: string): boolean {
  if (s.length > 45 || !s.includes(":")) return false;
  let text = s;
  const v4tail = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4tail) {
    if (!V4.test(v4tail[1])) return false;
    text = text.slice(0, -v4tail[1].length) + "0:0"; // an embedded IPv4 address is two groups
  }
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const parts = (h: string) => (h === "" ? [] : h.split(":"));
  const all = [...parts(halves[0]), ...(halves.length === 2 ? parts(halves[1]) : [])];
  if (!all.every((p) => HEX.test(p))) return false;
  return halves.length === 2 ? all.length < 8 : all.length === 8;
}

/** familyOf tells the family of an address or CIDR network, or undefined when it is neither. */
export function familyOf(text: string): Family | undefined {
  const [addr, len, extra] = text.split("/");
  if (extra !== undefined) return undefined;
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return undefined;
  if (V4.test(addr)) return len === undefined || Number(len) <= 32 ? "ipv4" : undefined;
  if (isV6(addr)) return len === undefined || Number(len) <= 128 ? "ipv6" : undefined;
  return undefined;
}

/** A port or port range as the document may write it. */
export type PortText = number | string;

/** parsePort turns 5060, "5060" or "10000-20000" into [from, to]; undefined when malformed. */
export function parsePort(p: PortText): [number, number] | undefined {
  const m = typeof p === "number" ? [String(p), String(p), String(p)] : /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(p);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (!Number.isInteger(from) || !Number.isInteger(to)) return undefined;
  return [from, to];
}

/** What is wrong with a port or range, or undefined. */
export function portProblem(p: PortText): string | undefined {
  const r = parsePort(p);
  if (!r) return `Expected a port like 5060 or a range like "10000-20000", got ${JSON.stringify(p)}`;
  if (r[0] < 1 || r[1] > 65535) return `Ports are 1 to 65535, got ${JSON.stringify(p)}`;
  if (r[0] > r[1]) return `Port range ${JSON.stringify(p)} starts after it ends (from > to)`;
  return undefined;
}

/** A single value or a list, as a list. */
export function listOf<T>(x: T | readonly T[] | undefined): readonly T[] {
  return x === undefined ? [] : Array.isArray(x) ? x : [x as T];
}
