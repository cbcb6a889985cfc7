/**
 * Policy routing: one table per uplink (`tableBase + index`) and `ip rule`s inside the
 * preference block `rulePriority … rulePriority + 99`. Rules are diffed against
 * `ip -json rule show`, so a re-run adds nothing and rules left by a crash are adopted.
 *
 * Layout (P = rulePriority):
 * - P+0  bypass mark → main; uplink marks / uplink sources → main with `suppress_prefixlength 0`
 *        (connected and other specific routes win; only the default route is policy-routed)
 * - P+10 `fwmark <mark>/<mask> lookup <table>`
 * - P+20 `from <uplink address> lookup <table>` (sockets bound to an uplink address, ready uplinks).
 *        After the marks: the kernel re-does a connect's lookup with the source it picked
 *        from the main default route, so a `from` rule first would pin all router traffic.
 * - P+30 `fwmark <mark>/<mask> unreachable` (a marked flow never leaks into main)
 * - P+40 reserved marks: unreachable, blackhole
 * @module
 */
import type { RoutingSettings } from "../../platform.ts";
import type { PlanUplink, RoutingPlan } from "../../plan.ts";
import { markOf, markSpace } from "./marks.ts";
import { sortedUplinks } from "./nft.ts";
import { checkDevice, checkIPv4, hostOf, type Runner } from "./run.ts";

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

/** desiredRules lists every rule the plan needs, in the preference block. */
export function desiredRules(plan: RoutingPlan, settings: RoutingSettings): RuleSpec[] {
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
    if (up.ready && up.address) {
      const a = checkIPv4(hostOf(up.address));
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
  const from = j.src && j.src !== "all" ? (j.srclen !== undefined && j.srclen !== 32 ? `${j.src}/${j.srclen}` : j.src) : undefined;
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
export async function readRules(runner: Runner, from: number, to: number): Promise<RuleSpec[]> {
  const { stdout } = await runner.run(["ip", "-4", "-json", "rule", "show"]);
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

/** Empties a routing table; a table that does not exist is already empty. */
export async function flushTable(runner: Runner, table: number): Promise<void> {
  await runner.run(["ip", "-4", "route", "flush", "table", String(table)], { okCodes: [0, 2] });
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
