/**
 * The platform port: everything outside the process that the kernel and plugins touch.
 *
 * Two implementations sit behind it: `src/platform/sim/` (a simulated world, the default)
 * and `src/platform/linux/` (nftables, policy routing, conntrack, real probes). Both pass
 * the contract suite in `test/contracts/`. The kernel imports this file, never an
 * implementation; only the composition root (`src/main.ts`) chooses one.
 * @module
 */
import type { Family, PlanDiff, RoutingPlan } from "./plan.ts";

/** Dataplane routing settings from the config document (`routing`). */
export interface RoutingSettings {
  /** fwmark bits owned by multiwan; other bits are left untouched. */
  readonly markMask: number;
  /** First `ip rule` preference multiwan may use; it uses a block of 100 from here. */
  readonly rulePriority: number;
  /** First routing table id; uplink N uses `tableBase + N`. */
  readonly tableBase: number;
  /** Networks never policy-routed (LAN, management), CIDR. Connected networks are added automatically. */
  readonly bypass: readonly string[];
}

/** The dataplane realises routing plans. */
export interface Dataplane {
  /** Adopts state left by an earlier run (after a crash) and prepares an empty ruleset. */
  init(settings: RoutingSettings): Promise<void>;
  /** Makes the live state match `plan`. Applying the same plan twice changes nothing. */
  apply(plan: RoutingPlan, diff: PlanDiff): Promise<void>;
  /**
   * Deletes the tracked flows of these uplinks only (of one address family when `family` is
   * given, else of both); returns how many were deleted.
   */
  flush(uplinks: readonly string[], family?: Family): Promise<number>;
  /** Flows and bytes per uplink (conntrack view), for status. */
  flows(): Promise<Record<string, FlowStats>>;
  /** Stops; with `cleanup` removes everything it added, otherwise leaves routing as last applied. */
  close(opts: { cleanup: boolean }): Promise<void>;
}

export interface FlowStats {
  readonly flows: number;
  readonly bytes: number;
}

/** Identifies the uplink a probe must leave through, whatever the routing policy. */
export interface ProbeBinding {
  readonly wan: string;
  readonly device: string;
  /** Source address to bind, when known. */
  readonly address?: string;
  /** IPv6 source address to bind for IPv6 targets, when the uplink has one. */
  readonly address6?: string;
  /** Uplink index from the plan (the dataplane maps it to its mark/table). */
  readonly index: number;
}

/** One ICMP echo result. */
export interface EchoResult {
  readonly target: string;
  readonly ok: boolean;
  readonly rttMs?: number;
  /** Short reason when not ok: "timeout", "unreachable", ... */
  readonly error?: string;
}

export interface EchoStreamOptions {
  readonly binding: ProbeBinding;
  readonly target: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** ICMP payload bytes. */
  readonly size: number;
}

/** A long-lived echo stream to one target; reports every reply or timeout. */
export interface EchoStream {
  setIntervalMs(ms: number): void;
  /** Changes how long a reply may take before the echo counts as lost (no restart). */
  setTimeoutMs?(ms: number): void;
  close(): Promise<void>;
}

export interface HttpProbeRequest {
  readonly binding: ProbeBinding;
  readonly url: string;
  readonly method: "GET" | "HEAD";
  readonly timeoutMs: number;
}

export interface HttpProbeResult {
  readonly ok: boolean;
  readonly status?: number;
  /** Time to first byte. */
  readonly ttfbMs?: number;
  readonly error?: string;
}

/** Probes the world through one uplink. */
export interface Probes {
  /** Starts a long-lived ICMP echo stream; `onResult` runs once per echo. */
  echo(opts: EchoStreamOptions, onResult: (r: EchoResult) => void): EchoStream;
  /** One HTTP(S) request from the uplink; redirects are never followed. */
  http(req: HttpProbeRequest, signal: AbortSignal): Promise<HttpProbeResult>;
}

/** What the platform knows about one network device. */
export interface LinkInfo {
  readonly device: string;
  /** The device exists (a USB phone may vanish). */
  readonly present: boolean;
  /** Physical carrier. */
  readonly carrier: boolean;
  /** Kernel operational state: "up", "down", "dormant", "unknown", ... */
  readonly operstate: string;
  /** First IPv4 address with prefix, e.g. "198.18.1.2/30". */
  readonly address?: string;
  /** IPv4 default gateway learned on this device (routing table / DHCP), if any. */
  readonly gateway?: string;
  /** First global IPv6 address with prefix, e.g. "2001:2:0:1::2/64". */
  readonly address6?: string;
  /** IPv6 default gateway on this device (router advertisement / DHCPv6; often link-local), if any. */
  readonly gateway6?: string;
  /** IPv6-only counters, when the platform can tell them apart (absent: unknown). */
  readonly ipv6?: FamilyCounters;
  /**
   * Link-local control packets among the totals (IPv6 neighbour discovery, router
   * solicitations and advertisements, MLD), when the platform counts them (absent: unknown).
   * They flow while the upstream is silent and are never answered in kind: not evidence.
   */
  readonly linkControl?: { readonly rxPackets: number; readonly txPackets: number };
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly rxPackets: number;
  readonly txPackets: number;
}

/** Packet and byte counters of one address family on a device. */
export interface FamilyCounters {
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly rxPackets: number;
  readonly txPackets: number;
}

export interface LinkEvent {
  readonly device: string;
  readonly at: number;
}

/** Network devices: state, counters and change events. */
export interface Links {
  get(device: string): Promise<LinkInfo>;
  /** Calls `listener` when a device appears, vanishes or changes carrier; returns an unsubscribe. */
  watch(listener: (ev: LinkEvent) => void): () => void;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs an optional helper tool (`iw`, `mmcli`) with an argument array; never a shell. */
export interface Exec {
  /** Resolves `undefined` when the tool is not installed. */
  run(argv: readonly string[], opts?: { timeoutMs?: number }): Promise<ExecResult | undefined>;
}

/** Everything a platform provides. */
export interface Platform {
  readonly name: string;
  readonly dataplane: Dataplane;
  readonly probes: Probes;
  readonly links: Links;
  readonly exec: Exec;
  /** Releases watchers and processes. */
  close(): Promise<void>;
}
