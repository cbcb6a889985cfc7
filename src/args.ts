/**
 * Command-line options, read the way Node's `util.parseArgs` reads them (the subset the daemon
 * and its launcher use), without `node:util`: on Deno that module alone costs an idle daemon
 * about 0.6 MB. `test/args.test.ts` compares the two on the same command lines.
 * @module
 */

export interface OptionSpec {
  readonly type: "string" | "boolean";
  /** Repeatable: the values are collected in a list. */
  readonly multiple?: boolean;
  /** One letter, `-h` for `--help`. */
  readonly short?: string;
}

export type OptionValue = string | boolean | (string | boolean)[];

export interface ParsedOptions {
  readonly values: Record<string, OptionValue | undefined>;
  readonly positionals: string[];
}

/**
 * parseOptions reads `--name value`, `--name=value`, `-x`, and `--` (the rest are positionals).
 * Strict: an unknown option, a missing or ambiguous value, a value given to a boolean and any
 * positional throw a TypeError. Lenient: unknown options are kept as they come (`true` or the
 * `=` value) and other words are positionals.
 */
export function parseOptions(args: readonly string[], options: Readonly<Record<string, OptionSpec>>, strict: boolean): ParsedOptions {
  const values: Record<string, OptionValue | undefined> = Object.create(null);
  const positionals: string[] = [];
  const specOf = (name: string) => (Object.hasOwn(options, name) ? options[name] : undefined);
  const byShort = new Map(Object.entries(options).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])));
  const store = (name: string, value: string | boolean) => {
    if (specOf(name)?.multiple) ((values[name] ??= []) as (string | boolean)[]).push(value);
    else values[name] = value;
  };
  const unexpected = (arg: string) => new TypeError(`Unexpected argument '${arg}'. This command does not take positional arguments`);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      if (strict && i + 1 < args.length) throw unexpected(args[i + 1]);
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (strict) throw unexpected(arg);
      positionals.push(arg);
      continue;
    }
    // The option's name, how it was written, and a value given with it (--name=value).
    let name: string, flag: string, inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = arg.slice(2, eq < 0 ? undefined : eq);
      flag = `--${name}`;
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else {
      // -h, or a group of one-letter booleans (-hh); a one-letter string option takes the rest.
      const letters = arg.slice(1);
      let k = 0;
      for (; k < letters.length - 1; k++) {
        const long = byShort.get(letters[k]);
        if (long !== undefined && specOf(long)?.type === "string") break;
        if (long === undefined && strict) throw new TypeError(`Unknown option '-${letters[k]}'`);
        store(long ?? letters[k], true);
      }
      name = byShort.get(letters[k]) ?? letters[k];
      flag = `-${letters[k]}`;
      inline = k < letters.length - 1 ? letters.slice(k + 1) : undefined;
    }
    const spec = specOf(name);
    if (!spec) {
      if (strict) throw new TypeError(`Unknown option '${flag}'`);
      store(name, inline ?? true);
      continue;
    }
    if (spec.type === "boolean") {
      if (inline !== undefined && strict) throw new TypeError(`Option '${flag}' does not take an argument`);
      store(name, true);
      continue;
    }
    if (inline !== undefined) {
      store(name, inline);
      continue;
    }
    const next = args[i + 1];
    if (next === undefined) {
      if (strict) throw new TypeError(`Option '${flag} <value>' argument missing`);
      store(name, true);
      continue;
    }
    if (strict && next.length > 1 && next.startsWith("-")) {
      throw new TypeError(`Option '${flag} <value>' argument is ambiguous: to give a value starting with a dash, use '--${name}=${next}'`);
    }
    store(name, next);
    i++;
  }
  return { values: { ...values }, positionals };
}
