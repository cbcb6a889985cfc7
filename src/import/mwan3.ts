/**
 * Import from OpenWrt mwan3: `/etc/config/mwan3` (plus, optionally, `network` and
 * `wireless`) -> our config document. Interfaces become WANs (device and type from the
 * network files), tracking options become the tracker and `health`, the members of the
 * policy the catch-all rule uses give priority and load ratio and choose the mode. Whatever
 * cannot be carried over is a warning naming the UCI section and option. The addresses in
 * the files are data only: nothing is contacted. The result is not validated here; the
 * caller validates it with the registry's schema.
 * @module
 */
import { type NetworkFiles, resolveUplink, sameUplink } from "./network.ts";
import {
  BUILTIN_POLICIES,
  describeRule,
  isCatchAll,
  type Member,
  type Policy,
  readGlobals,
  readMember,
  readPolicy,
  readRule,
  type Rule,
} from "./mwan3-sections.ts";
import { type ImportWarning, SectionReader, Warnings } from "./reader.ts";
import { readTracking, type Tracking } from "./tracking.ts";
import { parseUci } from "./uci.ts";

/** The files' text; `network` and `wireless` are optional. */
export interface Mwan3Files {
  readonly mwan3: string;
  readonly network?: string;
  readonly wireless?: string;
}

export interface Mwan3Import {
  readonly config: Record<string, unknown>;
  readonly warnings: ImportWarning[];
}

interface Iface {
  readonly name: string;
  readonly r: SectionReader;
  readonly enabled: boolean;
  readonly tracking: Tracking;
}

const WAN_NAME = /^[a-z][a-z0-9_-]{0,23}$/;
const MAX_WANS = 32;
const INTERFACE_OPTIONS = [
  "track_ip", "track_method", "httping_ssl", "reliability", "count", "size", "max_ttl", "timeout", "interval",
  "failure_interval", "recovery_interval", "keep_failure_interval", "down", "up", "check_quality",
  "failure_latency", "recovery_latency", "failure_loss", "recovery_loss", "flush_conntrack", "initial_state",
];

/** importMwan3 converts mwan3's config; throws `UciSyntaxError` when a file is not valid UCI. */
export function importMwan3(files: Mwan3Files): Mwan3Import {
  const warnings = new Warnings();
  const mwan3 = parseUci(files.mwan3, "mwan3");
  const net: NetworkFiles = {
    network: files.network === undefined ? undefined : parseUci(files.network, "network"),
    wireless: files.wireless === undefined ? undefined : parseUci(files.wireless, "wireless"),
  };
  const routing: Record<string, unknown> = {};
  const v4: Iface[] = [];
  const v6: SectionReader[] = [];
  const members = new Map<string, Member>();
  const policies = new Map<string, Policy>();
  const rules: Rule[] = [];
  for (const section of mwan3.sections) {
    const r = new SectionReader(mwan3, section, warnings);
    if (section.type === "globals") readGlobals(r, routing);
    else if (section.type === "interface") readInterface(r, v4, v6);
    else if (section.type === "member") members.set(section.ref, readMember(r));
    else if (section.type === "policy") policies.set(section.ref, readPolicy(r));
    else if (section.type === "rule") rules.push(readRule(r));
    else {
      r.warn(null, `unknown section type ${JSON.stringify(section.type)}; not carried over`);
      r.consume(...section.options.keys());
    }
  }
  for (const r of v6) {
    const twin = v4.find((i) => sameUplink(net.network, r.section.ref, i.name));
    r.warn("family", `multiwan routes IPv4 only, so this IPv6 interface is not imported${twin ? `; its IPv4 twin ${twin.name} is` : ""}`);
  }
  checkReferences(members, policies, new Set([...v4.map((i) => i.name), ...v6.map((r) => r.section.ref)]));
  const chosen = defaultPolicy(rules, policies, warnings);
  const wans = buildWans(v4, chosen, members, net, warnings);
  const mode = modeOf(chosen, members, new Set(Object.values(wans).map((w) => w.iface)));
  if (chosen?.lastResort) routing.lastResort = chosen.lastResort;
  for (const r of [...members.values(), ...policies.values(), ...rules].map((x) => x.r)) r.unread(r.section.type);
  const config: Record<string, unknown> = { mode: { type: mode } };
  if (Object.keys(routing).length > 0) config.routing = routing;
  config.wans = Object.fromEntries(Object.entries(wans).map(([k, w]) => [k, w.entry]));
  return { config, warnings: warnings.list(["mwan3", "network", "wireless"]) };
}

function readInterface(r: SectionReader, v4: Iface[], v6: SectionReader[]): void {
  const family = r.str("family") ?? "ipv4";
  const enabledOption = r.bool("enabled");
  if (r.section.name === undefined) {
    r.warn(null, "an anonymous interface section matches no network interface (mwan3 leaves it inert); not carried over");
    r.consume(...r.section.options.keys());
    return;
  }
  if (family === "ipv6") {
    r.consume(...INTERFACE_OPTIONS);
    v6.push(r);
    r.unread("interface");
    return;
  }
  if (family !== "ipv4") r.warn("family", `${JSON.stringify(family)} is not ipv4 or ipv6; read as ipv4`);
  if (!r.has("enabled")) r.warn(null, "no `enabled` option: mwan3 treats the interface as disabled, and so is the WAN");
  const initial = r.str("initial_state");
  if (initial === "offline") r.warn("initial_state", "multiwan counts an uplink as usable until probes say otherwise; not carried over");
  else if (initial !== undefined && initial !== "online") r.warn("initial_state", `${JSON.stringify(initial)} is not online or offline; ignored`);
  r.drop("flush_conntrack", "multiwan ends connections by its mode's Forced Refresh Streams setting instead; not carried over");
  const tracking = readTracking(r);
  r.unread("interface");
  v4.push({ name: r.section.ref, r, enabled: enabledOption === true, tracking });
}

function checkReferences(members: Map<string, Member>, policies: Map<string, Policy>, ifaces: Set<string>): void {
  const used = new Set<string>();
  for (const p of policies.values()) {
    for (const m of p.members) {
      if (members.has(m)) used.add(m);
      else p.r.warn("use_member", `member ${m} does not exist; ignored`);
    }
  }
  for (const m of members.values()) {
    if (m.iface !== undefined && !ifaces.has(m.iface)) m.r.warn("interface", `interface ${m.iface} does not exist in mwan3; ignored`);
    else if (!used.has(m.name) && !m.skipped) m.r.warn(null, "used by no policy (no effect in mwan3); not carried over");
  }
}

/** defaultPolicy finds the policy of the first catch-all IPv4 rule and warns about every other rule and policy. */
function defaultPolicy(rules: Rule[], policies: Map<string, Policy>, warnings: Warnings): Policy | undefined {
  const catchAll = rules.find((r) => isCatchAll(r) && r.policy !== undefined);
  let chosen: Policy | undefined;
  if (catchAll) {
    const name = catchAll.policy!;
    chosen = policies.get(name);
    if (BUILTIN_POLICIES.has(name)) {
      catchAll.r.warn("use_policy", `the catch-all rule uses mwan3's built-in policy ${name}, which multiwan has no equivalent for`);
    } else if (!chosen) catchAll.r.warn("use_policy", `policy ${name} does not exist`);
    if (catchAll.r.bool("sticky") === true) {
      catchAll.r.warn("sticky", "connections stay on their uplink, but new ones from the same source may take another (no per-source stickiness yet); not carried over");
    }
    if (catchAll.r.bool("logging") === true) catchAll.r.warn("logging", "per-rule logging is not carried over");
  }
  if (!chosen) {
    chosen = policies.values().next().value;
    const why = catchAll ? "" : "no catch-all rule (dest_ip 0.0.0.0/0): mwan3 left unmatched traffic on the main table; ";
    if (chosen) chosen.r.warn(null, `${why}multiwan routes all traffic by the first policy, ${chosen.name}`);
    else warnings.add("mwan3", 0, { section: "mwan3", option: null, message: `${why}no policy: every enabled WAN gets priority 1 (failover)` });
  }
  for (const rule of rules) {
    if (rule === catchAll) continue;
    let why: string;
    if (rule.policy === undefined) why = "no use_policy, so mwan3 ignores this rule";
    else if (rule.family === "ipv6" || rule.dest === "::/0") why = "IPv6 rule; multiwan routes IPv4 only";
    else why = `rules other than the default route cannot be carried over yet: ${describeRule(rule)} (\u2192 ${rule.policy}) now follows the default policy${chosen ? ` ${chosen.name}` : ""}`;
    rule.r.warn(null, `${why}; not carried over`);
  }
  for (const p of policies.values()) {
    if (p === chosen) continue;
    const users = rules.filter((r) => r.policy === p.name).map((r) => r.name);
    p.r.warn(null, users.length > 0
      ? `only the catch-all rule's policy is carried over; this one serves ${users.join(", ")}, which cannot be carried over yet`
      : "used by no rule (no effect in mwan3); not carried over");
  }
  return chosen;
}

interface Wan {
  readonly iface: string;
  readonly entry: Record<string, unknown>;
}

function wanName(iface: string, taken: Set<string>): string {
  let base = iface.toLowerCase().replace(/[^a-z0-9_-]/g, "-");
  if (!/^[a-z]/.test(base)) base = `wan-${base}`;
  base = base.slice(0, 24);
  let name = base;
  for (let k = 2; taken.has(name) || !WAN_NAME.test(name); k++) name = `${base.slice(0, 21)}-${k}`;
  taken.add(name);
  return name;
}

function buildWans(
  ifaces: Iface[],
  policy: Policy | undefined,
  members: Map<string, Member>,
  net: NetworkFiles,
  warnings: Warnings,
): Record<string, Wan> {
  const inPolicy = (iface: string) =>
    (policy?.members ?? []).map((m) => members.get(m)).filter((m): m is Member => !!m && !m.skipped && m.iface === iface)
      .sort((a, b) => a.metric - b.metric);
  const metrics = [...new Set(ifaces.flatMap((i) => inPolicy(i.name).slice(0, 1).map((m) => m.metric)))].sort((a, b) => a - b);
  const rank = metrics.length > 0 && metrics[metrics.length - 1] > 99;
  const wans: Record<string, Wan> = {};
  const taken = new Set<string>();
  for (const iface of ifaces) {
    if (Object.keys(wans).length >= MAX_WANS) {
      iface.r.warn(null, `multiwan takes at most ${MAX_WANS} WANs; not carried over`);
      continue;
    }
    const uplink = resolveUplink(iface.name, net, iface.r, warnings);
    const mine = inPolicy(iface.name);
    const entry: Record<string, unknown> = { type: uplink.type };
    const name = wanName(iface.name, taken);
    if (name !== iface.name) {
      entry.label = iface.name;
      iface.r.warn(null, `WAN names are lowercase letters, digits, - and _ (at most 24): imported as ${name}`);
    }
    entry.device = uplink.device;
    if (uplink.gateway) entry.gateway = uplink.gateway;
    let enabled = iface.enabled && uplink.enabled;
    if (policy && mine.length === 0) {
      if (iface.enabled) iface.r.warn(null, `not a member of the default policy ${policy.name}: it served only rules that cannot be carried over yet; imported disabled`);
      enabled = false;
    }
    entry.enabled = enabled;
    if (mine.length > 0) {
      const m = mine[0];
      if (mine.length > 1) policy!.r.warn("use_member", `${iface.name} is in this policy ${mine.length} times; its lowest metric (${m.name}) is used`);
      const priority = rank ? metrics.indexOf(m.metric) + 1 : m.metric;
      if (rank) m.r.warn("metric", `the default policy has metrics above multiwan's priorities (1\u201399), so they are ranked: metric ${m.metric} \u2192 priority ${priority}`);
      entry.priority = priority;
      entry.weight = m.weight;
    }
    entry.tracker = iface.tracking.tracker;
    if (Object.keys(iface.tracking.health).length > 0) entry.health = iface.tracking.health;
    wans[name] = { iface: iface.name, entry };
  }
  return wans;
}

/** modeOf: two WANs sharing a metric in the default policy -> load balance; all metrics distinct -> failover. */
function modeOf(policy: Policy | undefined, members: Map<string, Member>, imported: Set<string>): string {
  const best = new Map<string, number>();
  for (const m of (policy?.members ?? []).map((n) => members.get(n))) {
    if (!m || m.skipped || !imported.has(m.iface!)) continue;
    best.set(m.iface!, Math.min(m.metric, best.get(m.iface!) ?? Infinity));
  }
  const metrics = [...best.values()];
  return new Set(metrics).size < metrics.length ? "mode.load-balance" : "mode.failover";
}
