/**
 * UsageMeter counts the traffic of WANs that have a data cap, from their devices' byte
 * counters (the platform's Links: sysfs on Linux, no fork), and keeps the count per period
 * in `STATE_DIR/usage.json` across restarts.
 *
 * It samples every `sampleMs` (15 s) only while some WAN has a cap. Counters that go
 * backwards (the device was recreated, the router rebooted) are counted from zero; a
 * device that is absent is skipped. At `warnPct` of the cap it reports a warning, at the
 * cap "reached", at the end of the period "reset" -- each once per period. A clock that is
 * behind the counted period (no NTP yet, stepped back) neither resets nor loses the count.
 * @module
 */
import type { Clock, TimerHandle } from "../clock.ts";
import { CAP_MB, type CapConfig } from "../config/cap.ts";
import { writeFileAtomic } from "../config/store.ts";
import { host } from "../host/index.ts";
import { messageOf } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Links } from "../platform.ts";

export const USAGE_SAMPLE_MS = 15_000;
export const USAGE_SAVE_MS = 300_000;

export type CapLevel = "warning" | "reached" | "reset";

export interface CapEvent {
  readonly wan: string;
  readonly level: CapLevel;
  readonly usedBytes: number;
  readonly limitBytes: number;
}

/** A WAN to count: its device and cap. */
export interface CappedWan {
  readonly name: string;
  readonly device: string;
  readonly cap: CapConfig;
}

/** What status shows per capped WAN. */
export interface UsageStatus {
  readonly usedBytes: number;
  readonly limitBytes: number;
  /** ISO times of the period's bounds. */
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly capped: boolean;
}

/** The persisted count of one WAN. */
interface Count {
  usedBytes: number;
  periodStart: number;
  periodEnd: number;
  warned: boolean;
  reached: boolean;
  /** The counters last read, to count from after a restart; undefined: no baseline yet. */
  device?: string;
  rx?: number;
  tx?: number;
}

export interface UsageOptions {
  readonly links: Links;
  readonly clock: Clock;
  readonly log: Logger;
  /** Where the counts persist; none: memory only. */
  readonly file?: string;
  readonly sampleMs?: number;
  readonly saveMs?: number;
  readonly onCap: (ev: CapEvent) => void;
  /** A WAN started or stopped being capped: the plan must be recomputed. */
  readonly onCappedChange: () => void;
}

/** Local midnight of day `d` of month `m` (may overflow; Date normalises). */
const day = (y: number, m: number, d: number) => new Date(y, m, d).getTime();

/**
 * periodAt returns the period holding `at`: a calendar month from `resetDay`, or N days
 * counted from `anchor` (a previous period's start; default the month's reset day before `at`).
 */
export function periodAt(cap: Pick<CapConfig, "period" | "resetDay">, at: number, anchor?: number): { start: number; end: number } {
  const d = new Date(at);
  let y = d.getFullYear();
  let m = d.getMonth();
  if (day(y, m, cap.resetDay) > at) m -= 1;
  const monthStart = day(y, m, cap.resetDay);
  if (cap.period === "month") return { start: monthStart, end: day(y, m + 1, cap.resetDay) };
  const n = cap.period.days;
  let s = new Date(anchor !== undefined && anchor <= at ? anchor : monthStart);
  y = s.getFullYear();
  m = s.getMonth();
  let dd = s.getDate();
  // Whole periods of N days from the anchor, by calendar days (DST-safe).
  while (day(y, m, dd + n) <= at) dd += n;
  s = new Date(y, m, dd);
  return { start: s.getTime(), end: day(y, m, dd + n) };
}

export class UsageMeter {
  readonly #o: UsageOptions;
  readonly #records = new Map<string, Count>();
  #wans = new Map<string, CappedWan>();
  #timer?: TimerHandle;
  #busy?: Promise<void>;
  #dirty = false;
  #savedAt: number;
  #closed = false;
  /** WANs whose count's period starts after the clock's now (said once until the clock catches up). */
  readonly #behind = new Set<string>();

  constructor(o: UsageOptions) {
    this.#o = o;
    this.#savedAt = o.clock.now();
  }

  /** Reads the counts kept by an earlier run; a missing or unreadable file starts empty (and says so). */
  async load(): Promise<void> {
    if (!this.#o.file) return;
    let text: string;
    try {
      text = await host.readText(this.#o.file);
    } catch (err) {
      if ((err as { code?: string }).code !== "ENOENT") this.#o.log.warn("usage: cannot read {file}: {e}", { file: this.#o.file, e: messageOf(err) });
      return;
    }
    try {
      const parsed = JSON.parse(text) as { wans?: Record<string, Partial<Count>> };
      for (const [name, r] of Object.entries(parsed.wans ?? {})) {
        if (!Number.isFinite(r.usedBytes) || !Number.isFinite(r.periodStart) || !Number.isFinite(r.periodEnd)) continue;
        const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) && x >= 0 ? x : undefined);
        this.#records.set(name, {
          usedBytes: Math.max(0, r.usedBytes!),
          periodStart: r.periodStart!,
          periodEnd: r.periodEnd!,
          warned: r.warned === true,
          reached: r.reached === true,
          device: typeof r.device === "string" ? r.device : undefined,
          rx: num(r.rx),
          tx: num(r.tx),
        });
      }
    } catch (err) {
      this.#o.log.warn("usage: {file} is not valid JSON, counting from zero: {e}", { file: this.#o.file, e: messageOf(err) });
    }
  }

  /**
   * The WANs to count now (every config change). The count of a WAN no longer counted (disabled
   * for a while, its cap taken off) is kept until its period ends, so putting it back does not
   * start the period from zero; it is dropped after.
   */
  configure(wans: readonly CappedWan[]): void {
    const before = new Set([...this.#wans.keys()].filter((n) => this.capOf(n)));
    this.#wans = new Map(wans.map((w) => [w.name, w]));
    const now = this.#o.clock.now();
    for (const [name, r] of this.#records) {
      if (!this.#wans.has(name) && now >= r.periodEnd) {
        this.#records.delete(name);
        this.#dirty = true;
      }
    }
    let changed = false;
    for (const w of wans) changed = this.#roll(w, now) || changed;
    const after = new Set([...this.#wans.keys()].filter((n) => this.capOf(n)));
    if (changed || before.size !== after.size || [...after].some((n) => !before.has(n))) this.#o.onCappedChange();
    if (this.#wans.size > 0 && !this.#timer && !this.#closed) this.#schedule();
    // A WAN counted from now on (or on a new device): read its counters at once as the baseline.
    if (!this.#closed && wans.some((w) => this.#records.get(w.name)?.device !== w.device)) void this.sample();
    if (this.#wans.size === 0) {
      this.#timer?.cancel();
      this.#timer = undefined;
    }
  }

  /** How a capped WAN is to be used, or undefined while it is under its cap. */
  capOf(wan: string): CapConfig["atCap"] | undefined {
    const w = this.#wans.get(wan);
    const r = this.#records.get(wan);
    if (!w || !r) return undefined;
    return r.usedBytes >= w.cap.limitMB * CAP_MB ? w.cap.atCap : undefined;
  }

  usage(wan: string): UsageStatus | undefined {
    const w = this.#wans.get(wan);
    const r = this.#records.get(wan);
    if (!w || !r) return undefined;
    const limitBytes = w.cap.limitMB * CAP_MB;
    return {
      usedBytes: r.usedBytes,
      limitBytes,
      periodStart: new Date(r.periodStart).toISOString(),
      periodEnd: new Date(r.periodEnd).toISOString(),
      capped: r.usedBytes >= limitBytes,
    };
  }

  #schedule(): void {
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      void this.sample().finally(() => {
        if (!this.#closed && this.#wans.size > 0 && !this.#timer) this.#schedule();
      });
    }, this.#o.sampleMs ?? USAGE_SAMPLE_MS);
  }

  /** Reads every capped WAN's counters once and updates the counts (one sample at a time). */
  sample(): Promise<void> {
    this.#busy ??= this.#sample().finally(() => (this.#busy = undefined));
    return this.#busy;
  }

  async #sample(): Promise<void> {
    let changed = false;
    let urgent = false;
    for (const w of this.#wans.values()) {
      let info;
      try {
        info = await this.#o.links.get(w.device);
      } catch {
        continue; // unreadable now: the next sample counts what this one missed
      }
      const now = this.#o.clock.now();
      if (this.#roll(w, now)) changed = urgent = true;
      if (!info.present) continue;
      const r = this.#records.get(w.name)!;
      const rx = info.rxBytes;
      const tx = info.txBytes;
      if (r.device === w.device && r.rx !== undefined && r.tx !== undefined) {
        // Counters that went backwards belong to a new device (or boot): count them from zero.
        const added = (rx >= r.rx ? rx - r.rx : rx) + (tx >= r.tx ? tx - r.tx : tx);
        if (added > 0) {
          r.usedBytes += added;
          this.#dirty = true;
        }
      }
      if (r.device !== w.device || r.rx !== rx || r.tx !== tx) this.#dirty = true;
      r.device = w.device;
      r.rx = rx;
      r.tx = tx;
      if (this.#levels(w, r)) changed = urgent = true;
    }
    if (changed) this.#o.onCappedChange();
    if (this.#dirty && (urgent || this.#o.clock.now() - this.#savedAt >= (this.#o.saveMs ?? USAGE_SAVE_MS))) await this.save();
  }

  /** Starts the WAN's record or a new period when the old one ended; returns true when it reset. */
  #roll(w: CappedWan, now: number): boolean {
    const r = this.#records.get(w.name);
    const anchor = r && w.cap.period !== "month" ? r.periodStart : undefined;
    const p = periodAt(w.cap, now, anchor);
    if (!r) {
      this.#records.set(w.name, { usedBytes: 0, periodStart: p.start, periodEnd: p.end, warned: false, reached: false });
      this.#dirty = true;
      return false;
    }
    if (now < r.periodStart) {
      // The clock is behind the period this count belongs to (a router without a real-time
      // clock before NTP, a clock stepped back across the reset day): the clock is wrong, not
      // the count. Keep counting into it; only a clock past its end starts a new period.
      if (!this.#behind.has(w.name)) {
        this.#behind.add(w.name);
        this.#o.log.warn("usage: the clock ({now}) is before {wan}'s period ({start}): keeping its count", {
          now: new Date(now).toISOString(), wan: w.name, start: new Date(r.periodStart).toISOString(),
        });
      }
      return this.#levels(w, r);
    }
    this.#behind.delete(w.name);
    if (now < r.periodEnd && p.start === r.periodStart && p.end === r.periodEnd) return this.#levels(w, r);
    if (now < r.periodEnd && now >= r.periodStart) {
      // The cap's period changed in the config mid-period: new bounds, same count.
      r.periodStart = p.start;
      r.periodEnd = p.end;
      this.#dirty = true;
      return this.#levels(w, r);
    }
    this.#o.onCap({ wan: w.name, level: "reset", usedBytes: r.usedBytes, limitBytes: w.cap.limitMB * CAP_MB });
    r.usedBytes = 0;
    r.periodStart = p.start;
    r.periodEnd = p.end;
    r.warned = false;
    r.reached = false;
    this.#dirty = true;
    return true;
  }

  /** Fires warning and reached once per crossing; returns true when one fired or cleared. */
  #levels(w: CappedWan, r: Count): boolean {
    const limit = w.cap.limitMB * CAP_MB;
    let fired = false;
    const warnAt = (limit * w.cap.warnPct) / 100;
    if (!r.warned && r.usedBytes >= warnAt && r.usedBytes < limit) {
      r.warned = true;
      fired = true;
      this.#o.onCap({ wan: w.name, level: "warning", usedBytes: r.usedBytes, limitBytes: limit });
    }
    if (!r.reached && r.usedBytes >= limit) {
      r.warned = true;
      r.reached = true;
      fired = true;
      this.#o.onCap({ wan: w.name, level: "reached", usedBytes: r.usedBytes, limitBytes: limit });
    }
    // A raised cap (config change) re-arms the events.
    if (r.reached && r.usedBytes < limit) {
      r.reached = false;
      fired = true;
    }
    if (r.warned && r.usedBytes < warnAt) r.warned = false;
    if (fired) this.#dirty = true;
    return fired;
  }

  /** Writes the counts atomically (temp file, fsync, rename). */
  async save(): Promise<void> {
    this.#savedAt = this.#o.clock.now();
    if (!this.#o.file) {
      this.#dirty = false;
      return;
    }
    const wans: Record<string, Count> = {};
    for (const [name, r] of this.#records) wans[name] = { ...r };
    try {
      await writeFileAtomic(this.#o.file, JSON.stringify({ version: 1, wans }, null, 2) + "\n");
      this.#dirty = false;
    } catch (err) {
      this.#o.log.warn("usage: cannot write {file}: {e}", { file: this.#o.file, e: messageOf(err) });
    }
  }

  /** Stops sampling after one last sample, and saves. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    if (this.#wans.size > 0) await this.sample().catch(() => {});
    this.#closed = true;
    await this.#busy?.catch(() => {});
    if (this.#dirty) await this.save();
  }
}

/** Days in the month `probeBytesPerMonth` estimates. */
const MONTH_DAYS = 30;
/** IPv4 (20) and ICMP (8) headers around an echo's payload. */
const ECHO_HEADERS = 28;
/** One HTTP HEAD/GET probe on the wire, both ways, with TCP setup and teardown (an estimate). */
export const HTTP_PROBE_BYTES = 1_000;
/** The same over TLS: the handshake and certificates dominate (an estimate). */
export const HTTPS_PROBE_BYTES = 6_000;

/**
 * probeBytesPerMonth estimates what a WAN's probes cost in 30 days at its steady cadence
 * (targets take turns: one probe per interval), or at `meteredIdleIntervalMs` for a
 * metered uplink that carries nothing else. 0 for trackers that send nothing.
 */
export function probeBytesPerMonth(
  tracker: Readonly<Record<string, unknown>>,
  opts: { readonly metered: boolean; readonly meteredIdleIntervalMs?: number },
): number {
  const steady = typeof tracker.intervalMs === "number" && tracker.intervalMs > 0 ? tracker.intervalMs : undefined;
  if (steady === undefined) return 0;
  let perProbe: number;
  if (Array.isArray(tracker.targets) && typeof tracker.size === "number") {
    const count = typeof tracker.count === "number" ? tracker.count : 1;
    perProbe = 2 * (ECHO_HEADERS + tracker.size) * count;
  } else if (Array.isArray(tracker.urls)) {
    perProbe = tracker.urls.some((u) => typeof u === "string" && u.startsWith("https:")) ? HTTPS_PROBE_BYTES : HTTP_PROBE_BYTES;
  } else return 0;
  const interval = opts.metered ? Math.max(steady, opts.meteredIdleIntervalMs ?? steady) : steady;
  return Math.round(((MONTH_DAYS * 86_400_000) / interval) * perProbe);
}
