/**
 * Number, byte and time formatting for the panel; and the words for a WAN's state.
 * @module
 */
import type { WanStatus } from "./types.ts";

export function ms(v: number | undefined | null): string {
  if (v === undefined || v === null || !Number.isFinite(v)) return "—";
  return v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`;
}

export function pct(v: number | undefined | null, digits = 0): string {
  if (v === undefined || v === null || !Number.isFinite(v)) return "—";
  return `${v.toFixed(digits)} %`;
}

export function bytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** clock formats epoch ms as HH:MM:SS in the browser's time zone. */
export function clock(at: number | string): string {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

/** A status field's value with its unit. */
export function fieldValue(v: string | number | boolean | null | undefined, unit?: string): string {
  if (v === undefined || v === null) return "—";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (unit === "B" && typeof v === "number") return bytes(v);
  return unit ? `${v} ${unit}` : String(v);
}

/** The dot colour and the word for a WAN: green up, amber degraded, gray down or disabled. */
export function stateOf(w: WanStatus): { dot: "up" | "degraded" | "down"; word: string } {
  if (!w.enabled) return { dot: "down", word: "Disabled" };
  if (w.override === "down") return { dot: "down", word: "Forced down" };
  if (w.state === "up") return { dot: "up", word: w.override === "up" ? "Forced up" : "Up" };
  if (w.state === "degraded") return { dot: "degraded", word: "Degraded" };
  return { dot: "down", word: w.state === "unknown" ? "Checking" : "Down" };
}

/** Mean jitter over the targets that have a figure. */
export function jitter(w: WanStatus): number | undefined {
  const js = w.targets.map((t) => t.jitterMs).filter((j): j is number => typeof j === "number");
  return js.length ? js.reduce((a, b) => a + b, 0) / js.length : undefined;
}

export function labelOf(w: { name: string; label?: string }): string {
  return w.label || w.name;
}
