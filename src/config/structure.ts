/**
 * Structural limits checked before any schema runs: no `__proto__`, `constructor` or
 * `prototype` key at any depth (valibot's records skip them silently), a bounded nesting
 * depth, and a bounded size. Both checks walk iteratively, so hostile input cannot
 * exhaust the stack.
 * @module
 */
import type { FieldIssue } from "../errors.ts";

/** Keys that would reach an object's prototype machinery; refused everywhere. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);
/** Deepest nesting of objects and arrays accepted (a real config is under 10). */
export const MAX_DEPTH = 64;
/** Largest stored config document, in bytes of JSON. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * jsonDepthExceeds scans JSON text and tells whether its nesting goes deeper than `max`,
 * without parsing it (strings are skipped, so brackets inside them do not count).
 */
export function jsonDepthExceeds(text: string, max = MAX_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) return true;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return false;
}

function pathText(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent === "$" ? "" : parent}[${key}]`;
  return parent === "$" ? key : `${parent}.${key}`;
}

/**
 * structureIssues checks a parsed JSON value: reserved keys (each named by its JSON path)
 * and nesting deeper than {@link MAX_DEPTH}; `maxBytes` also bounds its serialised size.
 */
export function structureIssues(value: unknown, opts: { maxBytes?: number; maxDepth?: number } = {}): FieldIssue[] {
  const maxDepth = opts.maxDepth ?? MAX_DEPTH;
  const issues: FieldIssue[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: "$", depth: 0 }];
  while (stack.length > 0 && issues.length < 20) {
    const at = stack.pop()!;
    if (!at.value || typeof at.value !== "object") continue;
    if (at.depth >= maxDepth) {
      issues.push({ path: at.path, message: `Nested deeper than ${maxDepth} levels` });
      continue;
    }
    if (Array.isArray(at.value)) {
      at.value.forEach((item, i) => stack.push({ value: item, path: pathText(at.path, i), depth: at.depth + 1 }));
      continue;
    }
    for (const key of Object.keys(at.value)) {
      const path = pathText(at.path, key);
      if (RESERVED_KEYS.has(key)) issues.push({ path, message: `The key ${key} is reserved` });
      else stack.push({ value: (at.value as Record<string, unknown>)[key], path, depth: at.depth + 1 });
    }
  }
  if (issues.length === 0 && opts.maxBytes !== undefined) {
    const bytes = new TextEncoder().encode(JSON.stringify(value) ?? "").byteLength;
    if (bytes > opts.maxBytes) {
      issues.push({ path: "$", message: `The document is ${bytes} bytes; at most ${opts.maxBytes} are kept` });
    }
  }
  return issues;
}
