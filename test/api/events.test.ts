/**
 * Server-Sent Events over a real server on 127.0.0.1 (Deno.serve or @hono/node-server):
 * live events, resume with Last-Event-ID, `reset` when the buffer no longer reaches back;
 * and the Prometheus metrics.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Server, serve } from "../../src/serve.ts";
import { ADMIN, type ApiRig, makeApiRig } from "./rig.ts";
import { readFrames } from "./sse.ts";

describe("events (SSE) and metrics", () => {
  let r: ApiRig;
  let server: Server;
  let base: string;
  before(async () => {
    r = await makeApiRig();
    server = await serve(r.api.fetch, 0, "127.0.0.1");
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await r.close();
    await server.close();
  });
  const auth = { authorization: `Bearer ${ADMIN}` };
  const open = (headers: Record<string, string> = {}) => fetch(`${base}/api/v1/events`, { headers: { ...auth, ...headers } });

  it("needs a credential", async () => {
    const res = await fetch(`${base}/api/v1/events`);
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });

  it("streams state and plan changes as they happen, then resumes from Last-Event-ID", async () => {
    const res = await open();
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const reading = readFrames(res, (f) => f.some((x) => x.event === "plan.changed"));
    await new Promise((ok) => setTimeout(ok, 100));
    await r.req("POST", "/api/v1/wans/ethernet/actions/down");
    const frames = await reading;
    assert.equal(frames[0].event, "ready");
    const state = frames.find((f) => f.event === "wan.state")!;
    assert.deepEqual(JSON.parse(state.data).data.to, "down");
    const lastSeen = Number(frames.at(-1)!.id);

    // while disconnected: two more changes
    await r.req("POST", "/api/v1/wans/ethernet/actions/auto");
    await r.req("PATCH", "/api/v1/mode", { body: { forcedRefresh: true } });
    const again = await open({ "last-event-id": String(lastSeen) });
    const replay = await readFrames(again, (f) => f.some((x) => x.event === "ready"));
    const ids = replay.filter((f) => f.event !== "ready").map((f) => Number(f.id));
    assert.ok(ids.length >= 2, JSON.stringify(replay));
    assert.equal(ids[0], lastSeen + 1);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.ok(replay.some((f) => f.event === "config.changed"));
    assert.equal(Number(replay.at(-1)!.id), r.kernel.events.lastId);
    // the query parameter works too, for clients that cannot set headers
    const q = await fetch(`${base}/api/v1/events?lastEventId=${lastSeen}`, { headers: auth });
    const qf = await readFrames(q, (f) => f.some((x) => x.event === "ready"));
    assert.equal(Number(qf[0].id), lastSeen + 1);
  });

  it("says reset when the buffer no longer reaches back, and 400 on a malformed id", async () => {
    for (let i = 0; i < 1100; i++) r.kernel.events.emit("config.changed", { revision: -1 });
    const res = await open({ "last-event-id": "1" });
    const frames = await readFrames(res, (f) => f.some((x) => x.event === "ready"));
    assert.equal(frames[0].event, "reset");
    const bad = await open({ "last-event-id": "abc" });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  });

  it("resets and replays from the start when Last-Event-ID is past the newest id (the daemon restarted)", async () => {
    const newest = r.kernel.events.lastId;
    const res = await open({ "last-event-id": String(newest + 500) });
    const frames = await readFrames(res, (f) => f.some((x) => x.event === "ready"));
    assert.equal(frames[0].event, "reset");
    assert.match(frames[0].data, /restarted/);
    const ready = frames.find((x) => x.event === "ready")!;
    assert.ok(Number(ready.id) <= newest, `ready id ${ready.id} must not run ahead of ${newest}`);
  });

  it("close() ends open streams so the server can stop", async () => {
    const res = await open();
    const reading = readFrames(res, () => false, 5000);
    await new Promise((ok) => setTimeout(ok, 100));
    const t0 = Date.now();
    r.api.close();
    await reading;
    assert.ok(Date.now() - t0 < 2000);
  });

  it("/metrics is Prometheus text with per-WAN state, RTT, loss, probes, flows and failovers", async () => {
    await r.platform.dataplane.flows();
    const res = await fetch(`${base}/metrics`, { headers: auth });
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0.0.4/);
    const text = await res.text();
    for (const name of ["multiwan_wan_state", "multiwan_wan_loss_ratio", "multiwan_wan_probes_sent_total", "multiwan_wan_flows", "multiwan_failovers_total", "process_resident_memory_bytes"]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), name);
    }
    assert.match(text, /^multiwan_wan_state\{wan="ethernet",state="up"\} [01]$/m);
    for (const line of text.trim().split("\n")) {
      assert.match(line, /^(# (HELP|TYPE) \w+ .+|[a-z_]+(\{[^}]*\})? -?[0-9.e+-]+)$/, line);
    }
    assert.equal((await fetch(`${base}/metrics`)).status, 401);
  });
});
