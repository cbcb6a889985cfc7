/**
 * guardClock wraps the clock lent to a plugin so that a timer callback that throws is
 * reported instead of escaping (on the system clock an uncaught exception would end the
 * daemon; on a fake clock it would end the test that moves time).
 * @module
 */
import type { Clock } from "../clock.ts";

export function guardClock(clock: Clock, onError: (err: unknown) => void): Clock {
  return {
    now: () => clock.now(),
    setTimeout: (fn, ms) =>
      clock.setTimeout(() => {
        try {
          fn();
        } catch (err) {
          onError(err);
        }
      }, ms),
  };
}
