/**
 * EventStreams ends every open stream at shutdown without one listener per stream on a shared
 * AbortSignal (Node warned "MaxListenersExceededWarning: 11 abort listeners" past ten streams).
 */
import { strict as assert } from "node:assert";
import { getEventListeners } from "node:events";
import { describe, it } from "node:test";
import { EventStreams } from "../../web/routes/events.ts";

describe("EventStreams", () => {
  it("50 streams: close ends each once, an unregistered one not at all, and the signal holds no listener", () => {
    const s = new EventStreams();
    const ended: number[] = [];
    const offs = Array.from({ length: 50 }, (_, i) => s.onClose(() => ended.push(i)));
    offs[7]();
    assert.equal(s.listening, 49);
    assert.equal(getEventListeners(s.signal, "abort").length, 0);
    s.close();
    assert.equal(s.signal.aborted, true);
    assert.deepEqual(ended, Array.from({ length: 50 }, (_, i) => i).filter((i) => i !== 7));
    s.close();
    assert.equal(ended.length, 49, "a second close ends nothing again");
    assert.equal(s.listening, 0);
  });

  it("a stream that registers after close is ended at once", () => {
    const s = new EventStreams();
    s.close();
    let ended = 0;
    s.onClose(() => ended++);
    assert.equal(ended, 1);
    assert.equal(s.listening, 0);
  });
});
