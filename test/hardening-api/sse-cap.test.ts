/**
 * The event-stream cap is per credential (8) as well as global (64): one read token cannot
 * take every stream. Also: device names Linux refuses fail the schema, not the apply.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MAX_STREAMS, MAX_STREAMS_PER_CREDENTIAL } from "../../web/routes/events.ts";
import { type ApiRig, makeApiRig } from "../api/rig.ts";

describe("event streams per credential", () => {
  let r: ApiRig;
  const open: Response[] = [];
  let tokenA = "";
  before(async () => (r = await makeApiRig()));
  after(async () => {
    for (const res of open) await res.body?.cancel().catch(() => {});
    await r.close();
  });

  const stream = async (token: string) => {
    const res = await r.req("GET", "/api/v1/events", { token });
    if (res.status === 200) open.push(res);
    return res;
  };

  it(`a ${MAX_STREAMS_PER_CREDENTIAL + 1}th stream for one token is 429; another token still gets one`, async () => {
    const a = tokenA = (await r.auth.createToken("a", "read")).token;
    const b = (await r.auth.createToken("b", "read")).token;
    for (let i = 0; i < MAX_STREAMS_PER_CREDENTIAL; i++) assert.equal((await stream(a)).status, 200);
    const refused = await stream(a);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("content-type"), "application/problem+json");
    assert.match((await refused.json()).detail, /This credential already has 8 open event streams/);
    assert.equal((await stream(b)).status, 200);
  });

  it("closing a stream gives its credential the slot back", async () => {
    const first = open.shift()!;
    await first.body?.cancel();
    // The server sees the cancel asynchronously: poll until the slot is free (no timing asserted).
    let status = 429;
    for (let i = 0; i < 300 && status === 429; i++) {
      await new Promise((res) => setTimeout(res, 10));
      status = (await stream(tokenA)).status;
    }
    assert.equal(status, 200);
    assert.equal((await stream(tokenA)).status, 429);
  });

  it(`${MAX_STREAMS} streams in all, whatever the credentials`, async () => {
    const tokens: string[] = [];
    for (let i = 0; i < MAX_STREAMS / MAX_STREAMS_PER_CREDENTIAL + 1; i++) tokens.push((await r.auth.createToken(`t${i}`, "read")).token);
    let ok = open.length;
    let refused = 0;
    for (const t of tokens) {
      for (let i = 0; i < MAX_STREAMS_PER_CREDENTIAL; i++) {
        const res = await stream(t);
        if (res.status === 200) ok++;
        else {
          assert.equal(res.status, 429);
          assert.equal((await res.json()).detail, "Too many open event streams");
          refused++;
        }
      }
    }
    assert.ok(ok <= MAX_STREAMS, `${ok} open`);
    assert.ok(refused > 0);
  });
});

describe("device names", () => {
  let r: ApiRig;
  before(async () => (r = await makeApiRig()));
  after(() => r.close());

  for (const device of [".", "..", "a".repeat(16), "eth/0", "eth 0", "eth:0", ""]) {
    it(`${JSON.stringify(device)} fails validation with the field's path`, async () => {
      const res = await r.req("PUT", "/api/v1/wans/bad", { body: { type: "wan.ethernet", device } });
      assert.equal(res.status, 400);
      const p = await res.json();
      assert.deepEqual(p.issues.map((i: { path: string }) => i.path), ["wans.bad.device"]);
    });
  }
  for (const device of ["eth0", "a".repeat(15), "wan.2", "..x"]) {
    it(`${JSON.stringify(device)} is a valid device name`, () => {
      const doc = { ...r.kernel.config.doc as object, wans: { x: { type: "wan.ethernet", device } } };
      assert.deepEqual(r.kernel.validate(doc), []);
    });
  }
});
