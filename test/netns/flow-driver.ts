/**
 * Drives a flow-client.ts process (inside a namespace) from the test: one JSON line per
 * request, answers matched by id.
 * @module
 */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface FlowAnswer {
  readonly id: number;
  readonly ok: boolean;
  readonly source?: string;
  readonly error?: string;
  readonly ready?: boolean;
}

export class FlowDriver {
  #child: ChildProcess;
  #next = 1;
  #pending = new Map<number, (a: FlowAnswer) => void>();
  #ready: Promise<void>;

  constructor(child: ChildProcess) {
    this.#child = child;
    let markReady = () => {};
    this.#ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      child.once("exit", (code) => reject(new Error(`flow client exited with ${code}`)));
    });
    this.#ready.catch(() => {});
    const rl = createInterface({ input: child.stdout! });
    rl.on("line", (line) => {
      const a = JSON.parse(line) as FlowAnswer;
      if (a.ready) return markReady();
      this.#pending.get(a.id)?.(a);
      this.#pending.delete(a.id);
    });
    child.on("exit", () => {
      for (const [id, r] of this.#pending) r({ id, ok: false, error: "flow client exited" });
      this.#pending.clear();
    });
  }

  ready(timeoutMs = 20_000): Promise<void> {
    return Promise.race([
      this.#ready,
      new Promise<void>((_, reject) => setTimeout(() => reject(new Error("flow client not ready")), timeoutMs).unref()),
    ]);
  }

  request(cmd: Record<string, unknown>): Promise<FlowAnswer> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#child.stdin!.write(JSON.stringify({ ...cmd, id }) + "\n");
    });
  }

  close(): void {
    this.#child.stdin?.end();
    this.#child.kill("SIGTERM");
  }
}
