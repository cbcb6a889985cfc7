/**
 * `multiwan import mwan3 FILE [--network FILE] [--wireless FILE]`: the document as JSON on
 * stdout, one warning per line on stderr. Works offline (no daemon, no network); the
 * caller passes the validator built from the plugin registry.
 * @module
 */
import { readFile } from "node:fs/promises";
import type { FieldIssue } from "../errors.ts";
import { importMwan3 } from "./mwan3.ts";
import type { ImportWarning } from "./reader.ts";
import { UciSyntaxError } from "./uci.ts";

export interface ImportIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Exit codes, as the rest of the CLI: 0 ok, 1 error, 2 usage, 6 invalid. */
const EXIT = { ok: 0, error: 1, usage: 2, invalid: 6 } as const;

/** warningLine renders one warning as `mwan3.wan.track_ip: message`. */
export function warningLine(w: ImportWarning): string {
  return `${w.section}${w.option === null ? "" : `.${w.option}`}: ${w.message}`;
}

/** importCommand runs the import; returns the exit code (6 when a file is not UCI or the result is invalid). */
export async function importCommand(
  file: string | undefined,
  opts: { network?: string; wireless?: string; validate: (doc: unknown) => FieldIssue[] },
  io: ImportIo,
): Promise<number> {
  if (!file) {
    io.err("multiwan: import mwan3 needs the mwan3 file, e.g. /etc/config/mwan3\n");
    return EXIT.usage;
  }
  let texts;
  try {
    texts = {
      mwan3: await readFile(file, "utf8"),
      network: opts.network === undefined ? undefined : await readFile(opts.network, "utf8"),
      wireless: opts.wireless === undefined ? undefined : await readFile(opts.wireless, "utf8"),
    };
  } catch (err) {
    io.err(`multiwan: ${(err as Error).message}\n`);
    return EXIT.error;
  }
  let result;
  try {
    result = importMwan3(texts);
  } catch (err) {
    if (!(err instanceof UciSyntaxError)) throw err;
    io.err(`multiwan: ${err.message}\n`);
    return EXIT.invalid;
  }
  for (const w of result.warnings) io.err(`warning: ${warningLine(w)}\n`);
  io.out(JSON.stringify(result.config, null, 2) + "\n");
  const issues = opts.validate(result.config);
  for (const i of issues) io.err(`invalid: ${i.path}: ${i.message}\n`);
  return issues.length === 0 ? EXIT.ok : EXIT.invalid;
}
