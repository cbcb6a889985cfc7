/**
 * A typed event bus with a bounded history, so late subscribers (SSE with
 * `Last-Event-ID`) can resume.
 * @module
 */
import type { HealthState } from "./health/types.ts";

/** Every event the kernel publishes, by type. */
export interface EventMap {
  "wan.state": { wan: string; from: HealthState; to: HealthState; reason: string };
  "plan.changed": { summary: string; carriers: { wan: string; weight: number }[]; flushed: string[] };
  "config.changed": { revision: number };
  "plugin.error": { plugin: string; instance: string; code: string; message: string };
  /** A WAN's data cap: `warning` at warnPct, `reached` at the cap, `reset` when a new period starts (each once). */
  "wan.cap": { wan: string; level: "warning" | "reached" | "reset"; usedBytes: number; limitBytes: number };
}

export type EventType = keyof EventMap;

/** One published event. `id` increases by one per event. */
export type KernelEvent = {
  [K in EventType]: { readonly id: number; readonly at: number; readonly type: K; readonly data: EventMap[K] };
}[EventType];

export type Listener = (ev: KernelEvent) => void;

/** EventBus delivers events synchronously to listeners and keeps the last `capacity`. */
export class EventBus {
  #listeners = new Set<Listener>();
  #history: KernelEvent[] = [];
  #nextId = 1;
  readonly #capacity: number;
  readonly #now: () => number;

  constructor(opts: { capacity?: number; now?: () => number } = {}) {
    this.#capacity = opts.capacity ?? 1000;
    this.#now = opts.now ?? Date.now;
  }

  /** Publishes an event; a throwing listener never stops the others. */
  emit<K extends EventType>(type: K, data: EventMap[K]): KernelEvent {
    const ev = { id: this.#nextId++, at: this.#now(), type, data } as KernelEvent;
    this.#history.push(ev);
    if (this.#history.length > this.#capacity) this.#history.shift();
    for (const listener of this.#listeners) {
      try {
        listener(ev);
      } catch {
        // A listener's failure is its own; delivery goes on.
      }
    }
    return ev;
  }

  /** Subscribes; returns the unsubscribe function. */
  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Events after `lastId` still in the buffer. `complete` is false when some were
   * already dropped, so a client knows to refetch the full state.
   */
  since(lastId: number): { events: KernelEvent[]; complete: boolean } {
    const events = this.#history.filter((e) => e.id > lastId);
    const oldest = this.#history[0]?.id ?? this.#nextId;
    return { events, complete: lastId + 1 >= oldest };
  }

  get lastId(): number {
    return this.#nextId - 1;
  }
}
