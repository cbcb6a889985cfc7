/**
 * The API's listeners follow `api.listen` at run time, confirm-or-revert as on commercial
 * routers: new addresses are bound beside the old ones, which stay open until the change
 * is confirmed (`POST /api/v1/config/confirm`); unconfirmed within the time given, or when
 * a new address cannot be bound, `api.listen` is put back (a new revision) and the new
 * listeners close. A write therefore cannot lock the operator out.
 * @module
 */
import type { Clock, TimerHandle } from "./clock.ts";
import { DEFAULT_CONFIRM_S } from "./config/history.ts";
import { messageOf } from "./errors.ts";
import type { Kernel } from "./kernel.ts";
import type { Logger } from "./log.ts";

/** A listener that can be closed (src/serve.ts's Server). */
export interface Closable {
  close(): Promise<void>;
}

export interface ListenersOptions {
  /** Binds `HOST:PORT`; rejects when it cannot. */
  readonly bind: (addr: string) => Promise<Closable>;
  readonly clock: Clock;
  readonly log: Logger;
  /** Puts `api.listen` back to `previous` (undefined: remove the key) as a new revision. */
  readonly revert: (previous: readonly string[] | undefined, why: string) => Promise<void>;
}

/** A change of the listen addresses that waits for confirmation. */
export interface PendingListen {
  readonly listen: readonly string[];
  /** The config value to restore (undefined: api.listen was absent). */
  readonly previous: readonly string[] | undefined;
  /** Epoch ms after which the change is reverted. */
  readonly deadline: number;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** Listeners owns the API's servers and the confirm timer. */
export class Listeners {
  readonly #o: ListenersOptions;
  readonly #bound = new Map<string, Promise<Closable | undefined>>();
  #confirmed: string[] = [];
  #confirmedConfig: readonly string[] | undefined;
  #pending?: PendingListen & { readonly timer: TimerHandle };

  constructor(o: ListenersOptions) {
    this.#o = o;
  }

  /** start binds the addresses the daemon starts with (`config`: the api.listen value they come from). */
  async start(addrs: readonly string[], config: readonly string[] | undefined): Promise<void> {
    for (const a of addrs) {
      const s = await this.#o.bind(a);
      this.#bound.set(a, Promise.resolve(s));
    }
    this.#confirmed = [...addrs];
    this.#confirmedConfig = config;
  }

  /** The addresses bound now (confirmed and pending). */
  get bound(): string[] {
    return [...this.#bound.keys()];
  }

  pending(): PendingListen | undefined {
    const p = this.#pending;
    return p && { listen: p.listen, previous: p.previous, deadline: p.deadline };
  }

  /**
   * change follows a config change to `addrs` (from api.listen `config`). Back to the
   * confirmed set: the pending change ends. Else the new addresses are bound and a timer
   * of `confirmMs` starts; the pending state is set before this returns.
   */
  change(addrs: readonly string[], config: readonly string[] | undefined, confirmMs: number): PendingListen | undefined {
    if (this.#pending && sameSet(addrs, this.#pending.listen)) return this.pending();
    this.#pending?.timer.cancel();
    if (sameSet(addrs, this.#confirmed)) {
      this.#pending = undefined;
      this.#confirmedConfig = config;
      void this.#closeExcept(this.#confirmed);
      return undefined;
    }
    const previous = this.#confirmedConfig;
    const timer = this.#o.clock.setTimeout(
      () => void this.#revert(previous, `api.listen was not confirmed within ${Math.round(confirmMs / 1000)} s`),
      confirmMs,
    );
    this.#pending = { listen: [...addrs], previous, deadline: this.#o.clock.now() + confirmMs, timer };
    void this.#closeExcept([...this.#confirmed, ...addrs]);
    for (const a of addrs) if (!this.#bound.has(a)) this.#bound.set(a, this.#bindOrRevert(a, previous));
    this.#o.log.warn("api.listen changed to {listen}: confirm within {s} s or it is reverted", {
      listen: addrs.join(", "),
      s: Math.round(confirmMs / 1000),
    });
    return this.pending();
  }

  /** confirm keeps the pending addresses and closes the others; false when nothing waits. */
  async confirm(): Promise<boolean> {
    const p = this.#pending;
    if (!p) return false;
    p.timer.cancel();
    this.#pending = undefined;
    this.#confirmed = [...p.listen];
    this.#confirmedConfig = p.listen;
    await this.#closeExcept(this.#confirmed);
    this.#o.log.info("api.listen confirmed: {listen}", { listen: p.listen.join(", ") });
    return true;
  }

  async #bindOrRevert(addr: string, previous: readonly string[] | undefined): Promise<Closable | undefined> {
    try {
      return await this.#o.bind(addr);
    } catch (err) {
      this.#bound.delete(addr);
      await this.#revert(previous, `cannot listen on ${addr}: ${messageOf(err)}`);
      return undefined;
    }
  }

  async #revert(previous: readonly string[] | undefined, why: string): Promise<void> {
    if (!this.#pending) return;
    this.#o.log.error("{why}: api.listen goes back to the confirmed addresses", { why });
    try {
      await this.#o.revert(previous, why);
    } catch (err) {
      this.#o.log.error("reverting api.listen failed: {e}", { e: messageOf(err) });
    }
  }

  async #closeExcept(keep: readonly string[]): Promise<void> {
    for (const [addr, server] of [...this.#bound]) {
      if (keep.includes(addr)) continue;
      this.#bound.delete(addr);
      await (await server)?.close().catch(() => {});
    }
  }

  /** close stops every listener and the timer. */
  async close(): Promise<void> {
    this.#pending?.timer.cancel();
    this.#pending = undefined;
    await this.#closeExcept([]);
  }
}

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => !!x && typeof x === "object" && !Array.isArray(x);

/** configuredListen reads `api.listen` (HOST:PORT strings) from a document; undefined when absent. */
export function configuredListen(doc: unknown): string[] | undefined {
  const api = isObject(doc) ? doc.api : undefined;
  const list = isObject(api) ? api.listen : undefined;
  return Array.isArray(list) ? list.filter((x): x is string => typeof x === "string") : undefined;
}

/** withListen is `doc` with `api.listen` set to `listen` (undefined: the key removed). */
export function withListen(doc: unknown, listen: readonly string[] | undefined): Json {
  const out: Json = isObject(doc) ? { ...doc } : {};
  const api: Json = isObject(out.api) ? { ...out.api } : {};
  if (listen === undefined) delete api.listen;
  else api.listen = [...listen];
  out.api = api;
  return out;
}

/** revertListen puts api.listen back as a new revision whose summary says why. */
export async function revertListen(kernel: Kernel, previous: readonly string[] | undefined, why: string): Promise<void> {
  await kernel.applyConfig(withListen(kernel.config.doc, previous), {
    change: { author: "daemon", summary: `api.listen reverted: ${why}` },
  });
}

/**
 * followConfig makes `listeners` follow the kernel's `api.listen` (`fallback` when it is
 * absent), with `history.confirmS` to confirm; returns the unsubscribe function.
 */
export function followConfig(kernel: Kernel, listeners: Listeners, fallback: readonly string[]): () => void {
  return kernel.events.on((ev) => {
    if (ev.type !== "config.changed") return;
    const doc = kernel.effective;
    const h = isObject(doc) && isObject(doc.history) ? doc.history : {};
    const confirmS = typeof h.confirmS === "number" ? h.confirmS : DEFAULT_CONFIRM_S;
    const config = configuredListen(kernel.config.doc);
    listeners.change(config ?? fallback, config, confirmS * 1000);
  });
}
