/**
 * The Exec port for optional helper tools (`iw`, `mmcli`): argument arrays only, any
 * exit code is a result, a missing tool resolves `undefined` (and is not looked for again
 * for {@link MISSING_RETRY_MS}: no process start per inspection for a tool that is not there).
 * @module
 */
import type { Exec, ExecResult } from "../../platform.ts";
import { CommandError, type Runner } from "./run.ts";

/** How long a tool found missing is taken as missing (installing it is noticed after this). */
export const MISSING_RETRY_MS = 10 * 60_000;

const ANY_CODE = Array.from({ length: 256 }, (_, i) => i);

export class LinuxExec implements Exec {
  #runner: Runner;
  #now: () => number;
  #missing = new Map<string, number>();

  constructor(runner: Runner, now: () => number = () => performance.now()) {
    this.#runner = runner;
    this.#now = now;
  }

  async run(argv: readonly string[], opts: { timeoutMs?: number } = {}): Promise<ExecResult | undefined> {
    if (argv.length === 0 || !/^[A-Za-z0-9_.+-]+$/.test(argv[0])) throw new TypeError(`invalid tool name ${JSON.stringify(argv[0])}`);
    const until = this.#missing.get(argv[0]);
    if (until !== undefined && this.#now() < until) return undefined;
    try {
      const r = await this.#runner.run(argv, { timeoutMs: opts.timeoutMs ?? 10_000, okCodes: ANY_CODE });
      this.#missing.delete(argv[0]);
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      if (err instanceof CommandError && err.notInstalled) {
        this.#missing.set(argv[0], this.#now() + MISSING_RETRY_MS);
        return undefined;
      }
      throw err;
    }
  }
}
