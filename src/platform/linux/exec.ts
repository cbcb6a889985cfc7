/**
 * The Exec port for optional helper tools (`iw`, `mmcli`): argument arrays only, any
 * exit code is a result, a missing tool resolves `undefined`.
 * @module
 */
import type { Exec, ExecResult } from "../../platform.ts";
import { CommandError, type Runner } from "./run.ts";

export class LinuxExec implements Exec {
  #runner: Runner;

  constructor(runner: Runner) {
    this.#runner = runner;
  }

  async run(argv: readonly string[], opts: { timeoutMs?: number } = {}): Promise<ExecResult | undefined> {
    if (argv.length === 0 || !/^[A-Za-z0-9_.+-]+$/.test(argv[0])) throw new TypeError(`invalid tool name ${JSON.stringify(argv[0])}`);
    const any = Array.from({ length: 256 }, (_, i) => i);
    try {
      const r = await this.#runner.run(argv, { timeoutMs: opts.timeoutMs ?? 10_000, okCodes: any });
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      if (err instanceof CommandError && err.notInstalled) return undefined;
      throw err;
    }
  }
}
