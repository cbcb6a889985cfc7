/**
 * Logging with LogTape: a category per kernel part and per plugin instance, levels set from
 * the config, readable console lines for a person, JSON Lines to a file and RFC 5424 to the
 * local syslog socket when configured. Every sink sees records through {@link redactRecord}:
 * passwords, tokens, bearer/basic credentials, credentials in URLs, secret-named properties
 * and every value registered with {@link addLogSecrets} (the config's writeOnly values) are
 * replaced with `<redacted>` before anything is written.
 * @module
 */
import {
  configure,
  dispose,
  getConsoleSink,
  getLogger,
  getTextFormatter,
  jsonLinesFormatter,
  type LogLevel,
  type LogRecord,
  type Sink,
} from "@logtape/logtape";
import type { Facility, SyslogStatus, SyslogTransport } from "./syslog.ts";

/** The logger the kernel lends to plugins; properties fill `{name}` placeholders. */
export interface Logger {
  debug(message: string, props?: Record<string, unknown>): void;
  info(message: string, props?: Record<string, unknown>): void;
  warn(message: string, props?: Record<string, unknown>): void;
  error(message: string, props?: Record<string, unknown>): void;
}

export type Level = "debug" | "info" | "warning" | "error";

export interface LogSettings {
  /** Lowest level logged, for every category unless overridden. */
  readonly level: Level;
  /** Per-category levels, keys like `kernel.health` or `plugin.wan.cellular`. */
  readonly categories?: Readonly<Record<string, Level>>;
  /** JSON Lines file (rotated at 1 MiB, 3 backups). */
  readonly file?: string;
  /** Write to the console (default true). */
  readonly console?: boolean;
  /** RFC 5424 to the local syslog socket (see `syslog.ts` for the transports). */
  readonly syslog?: {
    readonly enabled?: boolean;
    readonly socket?: string;
    readonly transport?: SyslogTransport;
    readonly facility?: Facility;
    readonly appName?: string;
  };
  /** Where the syslog datagram transport binds its socket (the state dir). */
  readonly runDir?: string;
}

/** What readers of any log see instead of a secret. */
export const REDACTED = "<redacted>";

/** Property names whose values are secrets, whatever they hold. */
const SECRET_KEY = /pass(word|phrase|wd)?$|secret|token$|^token|authori[sz]ation|cookie|api[-_]?key|credential|private[-_]?key|^psk$/i;
const TEXT_RULES: readonly [RegExp, string][] = [
  [/\b(Bearer|bearer|BEARER|Basic|BASIC)(\s+)[A-Za-z0-9._~+/=:-]{4,}/g, `$1$2${REDACTED}`],
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi, `$1${REDACTED}@`],
  [/\b((?:access_token|token|key|api[-_]?key|secret|password|pass|passwd|sig|signature|auth|code)=)[^&;#\s"',]*/gi, `$1${REDACTED}`],
];
const secrets = new Set<string>();
let secretList: string[] = [];

/**
 * addLogSecrets registers values that must never be logged (the config's writeOnly values,
 * the admin token); from now on they are replaced wherever they appear. Values shorter than
 * 4 characters are only redacted under a secret-named property.
 */
export function addLogSecrets(values: Iterable<string>): void {
  for (const v of values) if (typeof v === "string" && v.length >= 4) secrets.add(v);
  secretList = [...secrets].sort((a, b) => b.length - a.length);
}

/** redactText removes credentials from free text. */
export function redactText(text: string): string {
  let out = text;
  for (const s of secretList) if (out.includes(s)) out = out.split(s).join(REDACTED);
  for (const [re, to] of TEXT_RULES) out = out.replace(re, to);
  return out;
}

/** redactValue walks a logged value: secret-named keys are replaced, strings cleaned. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return redactText(value.message);
  if (Array.isArray(value)) return value.map((x) => redactValue(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const hidden = SECRET_KEY.test(k) && v !== undefined && v !== null && v !== "" && typeof v !== "boolean";
    Object.defineProperty(out, k, { value: hidden ? REDACTED : redactValue(v, depth + 1), enumerable: true, writable: true });
  }
  return out;
}

/** redactRecord is the record every sink sees: message, its values and properties redacted. */
export function redactRecord(record: LogRecord): LogRecord {
  const props = redactValue(record.properties) as Record<string, unknown>;
  // A value in the message is the property of the same name: it takes that property's fate.
  const names = typeof record.rawMessage === "string" ? [...record.rawMessage.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1].trim()) : [];
  const message = record.message.map((part, i) => {
    if (i % 2 === 0) return redactText(String(part));
    const name = names[(i - 1) / 2];
    return name !== undefined && Object.hasOwn(props, name) ? props[name] : redactValue(part);
  });
  const raw = typeof record.rawMessage === "string" ? redactText(record.rawMessage) : record.rawMessage;
  return { ...record, message, rawMessage: raw, properties: props };
}

/** redacting wraps a sink so that it only ever sees redacted records. */
export function redacting(sink: Sink): Sink {
  const wrapped: Sink = (record) => sink(redactRecord(record));
  const disposable = sink as Partial<AsyncDisposable & Disposable>;
  if (disposable[Symbol.asyncDispose]) Object.assign(wrapped, { [Symbol.asyncDispose]: () => disposable[Symbol.asyncDispose]!() });
  if (disposable[Symbol.dispose]) Object.assign(wrapped, { [Symbol.dispose]: () => disposable[Symbol.dispose]!() });
  return wrapped;
}

/**
 * secretStrings lists the strings of `doc` wherever its redacted copy holds `marker` (the
 * API's schema-driven redaction of writeOnly values), for {@link addLogSecrets}.
 */
export function secretStrings(doc: unknown, redacted: unknown, marker = REDACTED): string[] {
  if (redacted === marker && doc !== marker) return stringsIn(doc);
  if (!doc || !redacted || typeof doc !== "object" || typeof redacted !== "object") return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(doc)) {
    if (Object.hasOwn(redacted, k)) out.push(...secretStrings(v, (redacted as Record<string, unknown>)[k], marker));
  }
  return out;
}

function stringsIn(x: unknown): string[] {
  if (typeof x === "string") return [x];
  if (typeof x === "number") return [String(x)];
  if (x && typeof x === "object") return Object.values(x).flatMap(stringsIn);
  return [];
}

let syslogState: (() => SyslogStatus) | undefined;

/** syslogStatus is what the syslog sink is doing (undefined when syslog is off). */
export function syslogStatus(): SyslogStatus | undefined {
  return syslogState?.();
}

const ROOT = "multiwan";

/** logger returns a logger for a category path under `multiwan`. */
export function logger(...category: string[]): Logger {
  const l = getLogger([ROOT, ...category]);
  return {
    debug: (m, p) => l.debug(m, p ?? {}),
    info: (m, p) => l.info(m, p ?? {}),
    warn: (m, p) => l.warning(m, p ?? {}),
    error: (m, p) => l.error(m, p ?? {}),
  };
}

/** silentLogger drops everything (tests, benchmarks). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** setupLogging (re)configures LogTape; safe to call again when the config changes. */
export async function setupLogging(settings: LogSettings): Promise<void> {
  const sinks: Record<string, Sink> = {};
  const names: string[] = [];
  if (settings.console !== false) {
    sinks.console = redacting(getConsoleSink({
      formatter: getTextFormatter({ timestamp: "time", category: ".", level: "FULL", value: "bare" }),
    }));
    names.push("console");
  }
  // The file and syslog sinks are loaded when configured: they bring Node's fs, net and
  // child_process modules, which cost a Deno daemon that logs only to its console ~3 MB.
  if (settings.file) {
    const { getRotatingFileSink } = await import("@logtape/file");
    sinks.file = redacting(getRotatingFileSink(settings.file, {
      maxSize: 1 << 20,
      maxFiles: 3,
      bufferSize: 0,
      formatter: jsonLinesFormatter,
    }));
    names.push("file");
  }
  syslogState = undefined;
  if (settings.syslog?.enabled) {
    const { socket, transport, facility, appName } = settings.syslog;
    const { syslogSink } = await import("./syslog.ts");
    const sink = syslogSink({ socket, transport, facility, appName, bindDir: settings.runDir });
    syslogState = sink.status;
    sinks.syslog = redacting(sink);
    names.push("syslog");
  }
  const order: Level[] = ["debug", "info", "warning", "error"];
  const rules = Object.entries(settings.categories ?? {})
    .map(([cat, level]) => ({ prefix: [ROOT, ...cat.split(".")], level: order.indexOf(level) }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const base = order.indexOf(settings.level);
  // One filter decides by the longest matching category, so a child can be more verbose
  // than the root and still reach the root's sinks.
  const byCategory = (record: LogRecord) => {
    const rule = rules.find((r) => r.prefix.every((p, i) => record.category[i] === p));
    const level = order.indexOf(record.level === "warning" ? "warning" : record.level as Level);
    return (level === -1 ? order.length : level) >= (rule ? rule.level : base);
  };
  const loggers: { category: string[]; lowestLevel: LogLevel; sinks?: string[]; filters?: string[] }[] = [
    { category: [ROOT], lowestLevel: "debug", sinks: names, filters: ["byCategory"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: names.includes("console") ? ["console"] : names },
  ];
  await configure({ reset: true, sinks, filters: { byCategory }, loggers });
}

/** stopLogging flushes and closes the sinks. */
export async function stopLogging(): Promise<void> {
  await dispose();
}
