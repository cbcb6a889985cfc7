/**
 * Typed reads of one UCI section for an importer, with warnings: every value that cannot be
 * carried over is reported with its section and option, and `unread()` reports the options
 * nobody consumed, so nothing is dropped silently.
 * @module
 */
import type { UciFile, UciSection } from "./uci.ts";

/** One thing that could not be carried over (or was carried over differently). */
export interface ImportWarning {
  /** UCI path of the section, e.g. `mwan3.wan` or `wireless.@wifi-iface[0]`. */
  readonly section: string;
  /** The option, or null when the warning is about the whole section. */
  readonly option: string | null;
  readonly message: string;
}

/** Warnings collects warnings with the position they came from, to report them in file order. */
export class Warnings {
  readonly #all: { w: ImportWarning; file: number; line: number; seq: number }[] = [];
  readonly #files: string[] = [];

  add(file: string, line: number, w: ImportWarning): void {
    if (!this.#files.includes(file)) this.#files.push(file);
    this.#all.push({ w, file: this.#files.indexOf(file), line, seq: this.#all.length });
  }

  /** list returns the warnings ordered by file (in order of first use), then line. */
  list(order: readonly string[] = []): ImportWarning[] {
    const rank = (f: number) => {
      const k = order.indexOf(this.#files[f]);
      return k < 0 ? order.length + f : k;
    };
    return [...this.#all]
      .sort((a, b) => rank(a.file) - rank(b.file) || a.line - b.line || a.seq - b.seq)
      .map((x) => x.w);
  }
}

/** A dotted-quad IPv4 address. */
export const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

const TRUE = new Set(["1", "yes", "on", "true", "enabled"]);
const FALSE = new Set(["0", "no", "off", "false", "disabled"]);

/** SectionReader reads options of one section, remembering which were consumed. */
export class SectionReader {
  readonly section: UciSection;
  readonly path: string;
  readonly #file: string;
  readonly #warnings: Warnings;
  readonly #read = new Set<string>();

  constructor(file: UciFile, section: UciSection, warnings: Warnings) {
    this.section = section;
    this.#file = file.file;
    this.path = `${file.file}.${section.ref}`;
    this.#warnings = warnings;
  }

  /** warn reports on an option (or on the whole section with null). */
  warn(option: string | null, message: string): void {
    const line = option === null ? this.section.line : this.section.options.get(option)?.line ?? this.section.line;
    this.#warnings.add(this.#file, line, { section: this.path, option, message });
  }

  has(name: string): boolean {
    return this.section.options.has(name);
  }

  /** raw returns an option's values without interpretation and marks it consumed. */
  raw(name: string): readonly string[] | undefined {
    this.#read.add(name);
    return this.section.options.get(name)?.values;
  }

  /** str reads a scalar; a list where a scalar belongs keeps its last item, with a warning. */
  str(name: string): string | undefined {
    const o = this.section.options.get(name);
    this.#read.add(name);
    if (!o) return undefined;
    if (o.list) this.warn(name, `expected one value, got a list; using the last item ${JSON.stringify(o.values.at(-1))}`);
    return o.values.at(-1);
  }

  /** list reads a list; a value written with `option` is accepted with the given warning. */
  list(name: string, whenOption?: string): string[] {
    const o = this.section.options.get(name);
    this.#read.add(name);
    if (!o) return [];
    if (!o.list && whenOption) this.warn(name, whenOption);
    return [...o.values];
  }

  /** bool reads OpenWrt's boolean words; anything else is warned and read as absent. */
  bool(name: string): boolean | undefined {
    const text = this.str(name);
    if (text === undefined) return undefined;
    if (TRUE.has(text)) return true;
    if (FALSE.has(text)) return false;
    this.warn(name, `${JSON.stringify(text)} is not a boolean (1/0, yes/no, on/off, true/false); ignored`);
    return undefined;
  }

  /** int reads a whole number in [min, max]; otherwise warns and returns undefined. */
  int(name: string, min: number, max: number): number | undefined {
    const text = this.str(name);
    if (text === undefined) return undefined;
    const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.warn(name, `${JSON.stringify(text)} is not a whole number from ${min} to ${max}; not carried over`);
      return undefined;
    }
    return n;
  }

  /** drop consumes an option that cannot be carried over, with a warning when it is set. */
  drop(name: string, message: string): void {
    if (this.has(name)) this.warn(name, message);
    this.#read.add(name);
  }

  /** consume marks options as handled without reading them (e.g. covered by a section warning). */
  consume(...names: string[]): void {
    for (const n of names) this.#read.add(n);
  }

  /** unread warns about every option nobody consumed. */
  unread(what: string): void {
    for (const name of this.section.options.keys()) {
      if (!this.#read.has(name)) this.warn(name, `unknown ${what} option; not carried over`);
    }
  }
}
