/**
 * Logging with LogTape: a category per kernel part and per plugin instance, levels set from
 * the config, readable console lines for a person, JSON Lines to a file when configured.
 * @module
 */
import { getRotatingFileSink } from "@logtape/file";
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
    sinks.console = getConsoleSink({
      formatter: getTextFormatter({ timestamp: "time", category: ".", level: "FULL", value: "bare" }),
    });
    names.push("console");
  }
  if (settings.file) {
    sinks.file = getRotatingFileSink(settings.file, {
      maxSize: 1 << 20,
      maxFiles: 3,
      bufferSize: 0,
      formatter: jsonLinesFormatter,
    });
    names.push("file");
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
