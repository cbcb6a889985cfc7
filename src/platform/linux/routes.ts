/**
 * Policy routing: one table per uplink (`tableBase + index`) and `ip rule`s inside the
 * preference block `rulePriority ... rulePriority + 99`. Rules are diffed against
 * `ip -json rule show`, so a re-run adds nothing and rules left by a crash are adopted.
 *
 * Layout (P = rulePriority):
 * - P+0  bypass mark -> main; uplink marks / uplink sources -> main with `suppress_prefixlength 0`
 *        (connected and other specific routes win; only the default route is policy-routed)
 * - P+10 `fwmark <mark>/<mask> lookup <table>`
 * - P+20 `from <uplink address> lookup <table>` (sockets bound to an uplink address, ready uplinks).
 *        After the marks: the kernel re-does a connect's lookup with the source it picked
 *        from the main default route, so a `from` rule first would pin all router traffic.
 * - P+30 `fwmark <mark>/<mask> unreachable` (a marked flow never leaks into main)
 * - P+40 reserved marks: unreachable, blackhole
 *
 * IPv6 (plans with `carriers6`): the same layout with `ip -6 rule`, the uplinks' IPv6
 * addresses, and per-uplink IPv6 tables of the same number holding the default route the
 * uplink learned (router advertisement / DHCPv6: `gateway6`, often link-local).
 * @module
 */
import type { RoutingSettings } from "../../platform.ts";
import type { PlanUplink, RoutingPlan } from "../../plan.ts";
import { markOf, markSpace } from "./marks.ts";
import { sortedUplinks } from "./nft.ts";
import { checkDevice, checkIPv4, checkIPv6, hostOf, type Runner } from "./run.ts";

/** An address family as `ip -4` / `ip -6` say it. */
export type IpFamily = 4 | 6;

/** One ip rule, canonical. */
export interface RuleSpec {
  readonly pref: number;
  readonly from?: string;
  readonly fwmark?: number;
  readonly mask?: number;
  /** A table id or "main"; absent when `action` is set. */
  readonly table?: string;
  readonly action?: "unreachable" | "blackhole";
  readonly suppress?: number;
}

/** ruleKey is a canonical string identity for a rule. */
export function ruleKey(r: RuleSpec): string {
  const mark = r.fwmark !== undefined ? `${r.fwmark >>> 0}/${(r.mask ?? 0xffffffff) >>> 0}` : "-";
  return [r.pref, r.from ?? "all", mark, r.table ?? "-", r.action ?? "-", r.suppress ?? "-"].join("|");
}

/** ruleArgs renders the selector and action part of `ip rule add|del`. */
export function ruleArgs(r: RuleSpec): string[] {
  const a = ["pref", String(r.pref)];
  if (r.from) a.push("from", r.from);
  if (r.fwmark !== undefined) a.push("fwmark", `0x${(r.fwmark >>> 0).toString(16)}/0x${((r.mask ?? 0xffffffff) >>> 0).toString(16)}`);
  if (r.action) a.push(r.action);
  else a.push("lookup", r.table ?? "main");
  if (r.suppress !== undefined) a.push("suppress_prefixlength", String(r.suppress));
  return a;
}

/** tableOf returns the routing table id of an uplink. */
export function tableOf(settings: RoutingSettings, up: PlanUplink): number {
  return settings.tableBase + up.index;
}

/** Whether the plan routes IPv6 by policy (it has IPv6 carriers, maybe none). */
export function routesIPv6(plan: RoutingPlan): boolean {
  return plan.carriers6 !== undefined;
}

/** Whether an uplink carries IPv6. */
export function carriesIPv6(up: PlanUplink): boolean {
  return up.families?.includes("ipv6") ?? false;
}

/** desiredRules lists every rule the plan needs, in the preference block (IPv4, or IPv6: none without carriers6). */
export function desiredRules(plan: RoutingPlan, settings: RoutingSettings, family: IpFamily = 4): RuleSpec[] {
  if (family === 6 && !routesIPv6(plan)) return [];
  const s = markSpace(settings.markMask);
  const P = settings.rulePriority;
  const mask = s.mask;
  const rules: RuleSpec[] = [{ pref: P, fwmark: s.bypass, mask, table: "main" }];
  const ups = sortedUplinks(plan);
  for (const up of ups) {
    const m = markOf(s, up.index);
    const t = String(tableOf(settings, up));
    rules.push({ pref: P, fwmark: m, mask, table: "main", suppress: 0 });
    rules.push({ pref: P + 10, fwmark: m, mask, table: t });
    rules.push({ pref: P + 30, fwmark: m, mask, action: "unreachable" });
    const own = family === 4 ? up.address : carriesIPv6(up) ? up.address6 : undefined;
    if (up.ready && own) {
      const a = family === 4 ? checkIPv4(hostOf(own)) : checkIPv6(hostOf(own));
      rules.push({ pref: P, from: a, table: "main", suppress: 0 });
      rules.push({ pref: P + 20, from: a, table: t });
    }
  }
  rules.push({ pref: P + 40, fwmark: s.unreachable, mask, action: "unreachable" });
  rules.push({ pref: P + 40, fwmark: s.blackhole, mask, action: "blackhole" });
  return rules;
}

interface JsonRule {
  priority?: number;
  src?: string;
  srclen?: number;
  fwmark?: string;
  fwmask?: string;
  table?: string;
  action?: string;
  suppress_prefixlen?: number;
  [k: string]: unknown;
}

const KNOWN = new Set(["priority", "src", "srclen", "fwmark", "fwmask", "table", "action", "suppress_prefixlen"]);

/** parseRule converts one `ip -json rule` entry; undefined when it uses selectors we never set. */
export function parseRule(j: JsonRule): RuleSpec | undefined {
  if (typeof j.priority !== "number") return undefined;
  const foreign = Object.keys(j).some((k) => !KNOWN.has(k));
  const full = j.src?.includes(":") ? 128 : 32;
  const from = j.src && j.src !== "all" ? (j.srclen !== undefined && j.srclen !== full ? `${j.src}/${j.srclen}` : j.src) : undefined;
  const action = j.action === "unreachable" || j.action === "blackhole" ? j.action : undefined;
  if (j.action && !action) return undefined;
  const spec: RuleSpec = {
    pref: j.priority,
    from,
    fwmark: j.fwmark !== undefined ? Number(j.fwmark) >>> 0 : undefined,
    mask: j.fwmark !== undefined ? (j.fwmask !== undefined ? Number(j.fwmask) : 0xffffffff) >>> 0 : undefined,
    table: action ? undefined : j.table,
    action,
    suppress: j.suppress_prefixlen,
  };
  return foreign ? { ...spec, table: `${spec.table}?foreign` } : spec;
}

/** Reads the rules in the preference block [from, to]; foreign-shaped ones come back with a raw argv. */
export async function readRules(runner: Runner, from: number, to: number, family: IpFamily = 4): Promise<RuleSpec[]> {
  const { stdout } = await runner.run(["ip", `-${family}`, "-json", "rule", "show"]);
  const all = JSON.parse(stdout || "[]") as JsonRule[];
  const out: RuleSpec[] = [];
  for (const j of all) {
    if (typeof j.priority !== "number" || j.priority < from || j.priority > to) continue;
    const r = parseRule(j);
    if (r) out.push(r);
  }
  return out;
}

/** The route an uplink's table holds, as `ip route replace` arguments; undefined when not ready. */
export function routeArgs(settings: RoutingSettings, up: PlanUplink): string[] | undefined {
  if (!up.ready) return undefined;
  const dev = checkDevice(up.device);
  const via = up.gateway ? ["via", checkIPv4(up.gateway)] : [];
  const src = up.address ? ["src", checkIPv4(hostOf(up.address))] : [];
  return ["default", ...via, "dev", dev, ...(up.gateway ? [] : ["scope", "link"]), ...src, "table", String(tableOf(settings, up))];
}

/**
 * The IPv6 route an uplink's table holds, as `ip -6 route replace` arguments; undefined when
 * the uplink is not ready or carries no IPv6. `gateway6` is the one learned from the uplink
 * (the plan's, else read from the main table by the caller); without one the route is on-link.
 */
export function routeArgs6(settings: RoutingSettings, up: PlanUplink, gateway6 = up.gateway6): string[] | undefined {
  if (!up.ready || !carriesIPv6(up)) return undefined;
  const dev = checkDevice(up.device);
  const via = gateway6 ? ["via", checkIPv6(gateway6)] : [];
  const src = up.address6 ? ["src", checkIPv6(hostOf(up.address6))] : [];
  return ["default", ...via, "dev", dev, ...src, "table", String(tableOf(settings, up))];
}

/** The IPv6 default gateway the main table holds for `device` (what a router advertisement left), if any. */
export async function learnedGateway6(runner: Runner, device: string): Promise<string | undefined> {
  const r = await runner.run(["ip", "-6", "-json", "route", "show", "default", "dev", checkDevice(device)], { okCodes: [0, 1] });
  if (r.code !== 0) return undefined;
  const routes = JSON.parse(r.stdout || "[]") as { gateway?: string; metric?: number }[];
  return routes.filter((x) => x.gateway).sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0))[0]?.gateway;
}

/** Empties a routing table; a table that does not exist is already empty. */
export async function flushTable(runner: Runner, table: number, family: IpFamily = 4): Promise<void> {
  await runner.run(["ip", `-${family}`, "route", "flush", "table", String(table)], { okCodes: [0, 2] });
}

/** Connected IPv6 networks (main table, kernel routes, not link-local), for the bypass6 set. */
export async function connectedNetworks6(runner: Runner): Promise<string[]> {
  const { stdout } = await runner.run(["ip", "-6", "-json", "route", "show", "table", "main", "proto", "kernel"]);
  const routes = JSON.parse(stdout || "[]") as { dst?: string }[];
  const out: string[] = [];
  for (const r of routes) {
    if (!r.dst || r.dst === "default" || /^fe[89ab]/i.test(r.dst) || /^ff/i.test(r.dst)) continue;
    out.push(r.dst.includes("/") ? r.dst : `${r.dst}/128`);
  }
  return out;
}

/** Connected IPv4 networks (main table, scope link), for the bypass set. */
export async function connectedNetworks(runner: Runner): Promise<string[]> {
  const { stdout } = await runner.run(["ip", "-4", "-json", "route", "show", "table", "main", "scope", "link"]);
  const routes = JSON.parse(stdout || "[]") as { dst?: string }[];
  const out: string[] = [];
  for (const r of routes) {
    if (!r.dst || r.dst === "default") continue;
    out.push(r.dst.includes("/") ? r.dst : `${r.dst}/32`);
  }
  return out;
}
