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
  const values: Record<string, OptionValue | undefined> = {};
  const positionals: string[] = [];
  const byShort = new Map(Object.entries(options).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])));
  const store = (name: string, value: string | boolean) => {
    const spec = options[name];
    if (spec?.multiple) ((values[name] ??= []) as (string | boolean)[]).push(value);
    else values[name] = value;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      if (strict && i + 1 < args.length) throw new TypeError(`Unexpected argument '${args[i + 1]}'. This command does not take positional arguments`);
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (strict) throw new TypeError(`Unexpected argument '${arg}'. This command does not take positional arguments`);
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const eq = long ? arg.indexOf("=") : -1;
    const key = long ? arg.slice(2, eq < 0 ? undefined : eq) : arg.slice(1);
    const name = long ? key : byShort.get(key) ?? key;
    const flag = long ? `--${key}` : `-${key}`;
    const spec = options[name];
    if (!spec) {
      if (strict) throw new TypeError(`Unknown option '${flag}'`);
      store(name, eq < 0 ? true : arg.slice(eq + 1));
      continue;
    }
    if (spec.type === "boolean") {
      if (eq >= 0 && strict) throw new TypeError(`Option '${flag}' does not take an argument`);
      store(name, true);
      continue;
    }
    if (eq >= 0) {
      store(name, arg.slice(eq + 1));
      continue;
    }
    const next = args[i + 1];
    if (next === undefined) {
      if (strict) throw new TypeError(`Option '${flag} <value>' argument missing`);
      store(name, true);
      continue;
    }
    if (strict && next.startsWith("-")) {
      throw new TypeError(`Option '${flag} <value>' argument is ambiguous: to give a value starting with a dash, use '--${name}=${next}'`);
    }
    store(name, next);
    i++;
  }
  return { values, positionals };
}
