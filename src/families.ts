/**
 * Address families of WANs and probe targets: which families a WAN entry carries, and
 * which family a tracker target (an address or a URL) belongs to.
 * @module
 */
import type { Family } from "./plan.ts";

/** The config value of a WAN's `family` key. */
export type FamilySetting = "ipv4" | "ipv6" | "both";

/** familiesOf: the families a `family` setting carries (absent: IPv4 only, as before dual stack). */
export function familiesOf(setting: unknown): Family[] {
  if (setting === "ipv6") return ["ipv6"];
  if (setting === "both") return ["ipv4", "ipv6"];
  return ["ipv4"];
}

/** wanFamilies reads a validated WAN entry's families. */
export function wanFamilies(entry: { readonly [key: string]: unknown }): Family[] {
  return familiesOf(entry.family);
}

/**
 * targetFamily: an IPv6 address (it has a colon) or a URL whose host is `[v6]` is IPv6; an
 * IPv4 address or URL is IPv4; a host name is undefined (either family, the resolver decides).
 */
export function targetFamily(target: string): Family | undefined {
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(target);
  if (url) {
    const host = url[1].replace(/^[^@]*@/, "");
    if (host.startsWith("[")) return "ipv6";
    return /^\d{1,3}(\.\d{1,3}){3}(:\d+)?$/.test(host) ? "ipv4" : undefined;
  }
  if (target.includes(":")) return "ipv6";
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(target) ? "ipv4" : undefined;
}

/** splitTargets sorts targets into the IPv6 ones and the rest (IPv4 and host names). */
export function splitTargets(targets: readonly string[]): { v4: string[]; v6: string[] } {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const t of targets) (targetFamily(t) === "ipv6" ? v6 : v4).push(t);
  return { v4, v6 };
}
