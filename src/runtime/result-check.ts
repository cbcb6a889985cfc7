/**
 * checkResult is the kernel's gate for tracker results: a result with an impossible
 * figure (negative or non-finite RTT, counts that are not counts, more received than
 * sent, absurd sizes) or a target the tracker never declared is rejected, so nothing the
 * health machine stores or the API shows can be garbage. {@link ResultGate} keeps why, for
 * the WAN's status, and reports it without flooding.
 * @module
 */
import { PluginResultError } from "../errors.ts";
import type { TargetResult } from "../plugin.ts";

/** A tracker that keeps sending the same garbage is reported once a minute, not per result. */
const REPORT_EVERY_MS = 60_000;

/** No probe takes longer than this; a longer RTT is a unit or arithmetic error. */
export const MAX_RTT_MS = 120_000;
/** No single result stands for more probes than this. */
export const MAX_PROBES_PER_RESULT = 10_000;

function isCount(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0;
}

function countProblem(name: string, n: unknown): string | undefined {
  if (n === undefined) return undefined;
  if (!isCount(n)) return `${name} ${String(n)} is not a count`;
  if (n > MAX_PROBES_PER_RESULT) return `${name} ${n} is absurd (more than ${MAX_PROBES_PER_RESULT} probes)`;
  return undefined;
}

/** Returns why `r` is rejected, or undefined when it is plausible. */
export function checkResult(r: unknown, targets: readonly string[]): string | undefined {
  if (typeof r !== "object" || r === null) return "not a result";
  const x = r as Record<string, unknown>;
  if (typeof x.target !== "string" || !targets.includes(x.target)) return `unknown target ${String(x.target)}`;
  if (typeof x.ok !== "boolean") return "ok is not true or false";
  if (x.rttMs !== undefined) {
    const rtt = x.rttMs;
    if (typeof rtt !== "number" || !Number.isFinite(rtt)) return `rttMs ${String(rtt)} is not a finite number`;
    if (rtt < 0) return `rttMs ${rtt} is negative`;
    if (rtt > MAX_RTT_MS) return `rttMs ${rtt} is absurd (more than ${MAX_RTT_MS / 1000} s)`;
  }
  const counts = countProblem("sent", x.sent) ?? countProblem("received", x.received);
  if (counts) return counts;
  const sent = x.sent as number | undefined;
  const received = x.received as number | undefined;
  // A result without `sent` stands for one probe.
  if (received !== undefined && received > (sent ?? 1)) return `received ${received} > sent ${sent ?? 1}`;
  return undefined;
}

/** ResultGate admits plausible results and remembers, per target, why the last one was not. */
export class ResultGate {
  readonly #targets: readonly string[];
  readonly #report: (err: PluginResultError) => void;
  readonly #rejected = new Map<string, string>();
  #last?: { readonly text: string; readonly at: number };

  constructor(targets: readonly string[], report: (err: PluginResultError) => void) {
    this.#targets = targets;
    this.#report = report;
  }

  /** True when `r` may be judged; otherwise it is recorded (and reported, rate-limited). */
  admit(r: TargetResult, now: number): boolean {
    const why = checkResult(r, this.#targets);
    if (!why) {
      this.#rejected.delete(r.target);
      return true;
    }
    this.#rejected.set(typeof r?.target === "string" ? r.target : "", why);
    if (!this.#last || this.#last.text !== why || now - this.#last.at >= REPORT_EVERY_MS) {
      this.#last = { text: why, at: now };
      this.#report(new PluginResultError(`tracker result rejected: ${why}`));
    }
    return false;
  }

  /** Why a target's latest result was rejected (the first such target), if any. */
  get problem(): string | undefined {
    const first = this.#rejected.values().next();
    return first.done ? undefined : `tracker result rejected: ${first.value}`;
  }
}
