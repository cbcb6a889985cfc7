/**
 * A small SSE reader for tests: reads frames from a fetch Response until enough arrive.
 */
export interface SseFrame {
  event: string;
  id?: string;
  data: string;
}

/** readFrames reads until `until(frames)` holds or `timeoutMs` passes; the stream is then cancelled. */
export async function readFrames(res: Response, until: (f: SseFrame[]) => boolean, timeoutMs = 3000): Promise<SseFrame[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const frames: SseFrame[] = [];
  let buf = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (!until(frames) && Date.now() < deadline) {
      const chunk = await Promise.race([
        reader.read(),
        new Promise<{ done: true; value: undefined }>((r) => setTimeout(() => r({ done: true, value: undefined }), deadline - Date.now())),
      ]);
      if (chunk.done) break;
      buf += decoder.decode(chunk.value, { stream: true });
      let at: number;
      while ((at = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        const f: SseFrame = { event: "message", data: "" };
        let seen = false;
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const [k, ...rest] = line.split(":");
          const val = rest.join(":").replace(/^ /, "");
          if (k === "event") f.event = val;
          else if (k === "id") f.id = val;
          else if (k === "data") f.data += val;
          seen = true;
        }
        if (seen) frames.push(f);
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return frames;
}
