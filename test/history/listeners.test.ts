/**
 * Confirm-or-revert of api.listen with real listeners on loopback (127.0.0.1 and
 * 127.0.0.2) and a fake clock: a change binds the new address beside the old one; without
 * POST /config/confirm within history.confirmS it is reverted (a new revision) and the new
 * listener closes; confirmed, the old one closes; an address that cannot be bound reverts at once.
 */
import assert from "node:assert/strict";
import { createServer, type Server as NetServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { followConfig, Listeners, revertListen } from "../../src/listeners.ts";
import { silentLogger } from "../../src/log.ts";
import { serve } from "../../src/serve.ts";
import { type GuardRig, makeGuardRig, TOKEN } from "./rig.ts";

function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** answers tells whether the API answers on `addr` (false: nothing listens). */
async function answers(addr: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${addr}/api/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** until waits (a bounded number of short turns) for something asynchronous to have happened. */
async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`never happened: ${what}`);
}

describe("api.listen: confirm or revert", () => {
  let rig: GuardRig;
  let listeners: Listeners;
  let a: string;
  let b: string;
  let busy: NetServer;
  let busyAddr: string;
  before(async () => {
    a = `127.0.0.1:${await freePort()}`;
    b = `127.0.0.2:${await freePort("127.0.0.2")}`;
    busy = createServer();
    await new Promise<void>((ok) => busy.listen(0, "127.0.0.1", () => ok()));
    busyAddr = `127.0.0.1:${(busy.address() as { port: number }).port}`;
    rig = await makeGuardRig({
      listen: [a],
      addresses: ["127.0.0.1"],
      listeners: { pending: () => listeners.pending(), confirm: () => listeners.confirm() },
    });
    listeners = new Listeners({
      bind: (addr) => {
        const [, host, port] = /^(.*):(\d+)$/.exec(addr)!;
        return serve(rig.api.fetch, Number(port), host);
      },
      clock: rig.clock,
      log: silentLogger,
      revert: (previous, why) => revertListen(rig.kernel, previous, why),
    });
    await listeners.start([a], [a]);
    followConfig(rig.kernel, listeners, ["127.0.0.1:8080"]);
  });
  after(async () => {
    await listeners.close();
    await rig.close();
    await new Promise<void>((ok) => busy.close(() => ok()));
  });

  it("unconfirmed within 60 s: api.listen goes back (a new revision) and the new listener closes", async () => {
    assert.ok(await answers(a));
    const res = await rig.req("PATCH", "/api/v1/config", { api: { listen: [b] } });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.confirmBy, new Date(1_000_000 + 60_000).toISOString());
    assert.match(body.notice, /listens on 127\.0\.0\.2:\d+ now, and on the old addresses until confirmed: POST \/api\/v1\/config\/confirm by /);
    await until(() => answers(b), "the new address answers");
    assert.ok(await answers(a), "the old address still answers until confirmed");
    const pending = await (await rig.req("GET", "/api/v1/config/confirm")).json();
    assert.deepEqual(pending.pending.listen, [b]);
    rig.clock.advance(59_000);
    assert.equal(rig.kernel.revision, 2, "not yet");
    rig.clock.advance(1_000);
    await until(() => rig.kernel.revision === 3, "the revert is applied");
    assert.deepEqual((rig.kernel.config.doc as { api: { listen: string[] } }).api.listen, [a]);
    await until(async () => !(await answers(b)), "the new listener closes");
    assert.ok(await answers(a));
    const top = (await rig.kernel.history!.list())[0];
    assert.deepEqual([top.author, top.summary], ["daemon", "api.listen reverted: api.listen was not confirmed within 60 s"]);
    assert.equal((await (await rig.req("GET", "/api/v1/config/confirm")).json()).pending, null);
  });

  it("confirmed: the new address stays, the old one closes, the timer no longer reverts", async () => {
    await rig.req("PATCH", "/api/v1/config", { api: { listen: [b] }, history: { confirmS: 30 } });
    await until(() => answers(b), "the new address answers");
    const res = await rig.req("POST", "/api/v1/config/confirm");
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()).confirmed, [b]);
    await until(async () => !(await answers(a)), "the old listener closes");
    const revision = rig.kernel.revision;
    rig.clock.advance(120_000);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(rig.kernel.revision, revision);
    assert.ok(await answers(b));
    assert.equal((await rig.req("POST", "/api/v1/config/confirm")).status, 409);
  });

  it("an address that cannot be bound is reverted at once, and the confirmed one keeps serving", async () => {
    const before = rig.kernel.revision;
    const res = await rig.req("PATCH", "/api/v1/config", { api: { listen: [b, busyAddr] } });
    assert.equal(res.status, 200);
    await until(() => rig.kernel.revision === before + 2, "the revert is applied");
    assert.deepEqual((rig.kernel.config.doc as { api: { listen: string[] } }).api.listen, [b]);
    const top = (await rig.kernel.history!.list())[0];
    assert.match(top.summary, new RegExp(`^api.listen reverted: cannot listen on ${busyAddr.replaceAll(".", "\\.")}`));
    assert.ok(await answers(b));
    assert.equal(listeners.pending(), undefined);
  });
});
