/**
 * Hooks: scripts get an argument array and MULTIWAN_* variables; webhooks to a local
 * server on 127.0.0.1 are retried with backoff; failures are counted; nothing blocks.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type HookRunner, startHooks } from "../../src/hooks/index.ts";
import { type ApiRig, makeApiRig } from "./rig.ts";

describe("hooks", () => {
  let r: ApiRig;
  let hooks: HookRunner;
  let dir: string;
  let port: number;
  const received: { body: string; attempt: number }[] = [];
  let failFirst = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ body, attempt: received.length + 1 });
      if (failFirst > 0) {
        failFirst--;
        res.writeHead(503).end();
      } else res.writeHead(204).end();
    });
  });
  before(async () => {
    r = await makeApiRig();
    hooks = startHooks(r.kernel, { sleep: () => Promise.resolve() });
    dir = await mkdtemp(join(tmpdir(), "mwan-hooks-"));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    hooks.close();
    await r.close();
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("runs a script with the WAN, device, state and reason in the environment", async () => {
    const out = join(dir, "out.txt");
    const res = await r.req("PATCH", "/api/v1/config", {
      body: {
        hooks: {
          scripts: [{
            name: "log",
            on: ["down"],
            argv: ["/bin/sh", "-c", 'printf "%s|%s|%s|%s|%s|%s\\n" "$1" "$MULTIWAN_EVENT" "$MULTIWAN_WAN" "$MULTIWAN_DEVICE" "$MULTIWAN_STATE" "$MULTIWAN_REASON" >> "$2"', "sh", "arg one", out],
          }],
        },
      },
    });
    assert.equal(res.status, 200);
    const t0 = performance.now();
    await r.req("POST", "/api/v1/wans/ethernet/actions/down");
    assert.ok(performance.now() - t0 < 200, "the action does not wait for the hook");
    await hooks.idle();
    const line = (await readFile(out, "utf8")).trim();
    assert.equal(line, "arg one|down|ethernet|eth1|down|forced down by operator");
    await r.req("POST", "/api/v1/wans/ethernet/actions/auto");
    await hooks.idle();
  });

  it("counts script failures and timeouts", async () => {
    await r.req("PATCH", "/api/v1/config", {
      body: {
        hooks: {
          scripts: [
            { name: "fails", on: ["down"], argv: ["/bin/sh", "-c", "exit 3"] },
            { name: "slow", on: ["down"], argv: ["/bin/sh", "-c", "sleep 5"], timeoutMs: 200 },
            { name: "missing", on: ["down"], argv: ["/nonexistent/program"] },
          ],
        },
      },
    });
    await r.req("POST", "/api/v1/wans/repeater/actions/down");
    await hooks.idle();
    const c = hooks.counts();
    assert.ok(c.some((x) => x.name === "fails" && x.outcome === "failed"));
    assert.ok(c.some((x) => x.name === "slow" && x.outcome === "timeout"));
    assert.ok(c.some((x) => x.name === "missing" && x.outcome === "failed"));
    assert.match(hooks.metrics(), /multiwan_hook_runs_total\{kind="script",hook="fails",outcome="failed"\} 1/);
    await r.req("POST", "/api/v1/wans/repeater/actions/auto");
    await hooks.idle();
  });

  it("POSTs webhooks and retries 5xx with backoff", async () => {
    failFirst = 2;
    received.length = 0;
    await r.req("PUT", "/api/v1/config", {
      body: {
        ...(r.kernel.config.doc as object),
        hooks: { webhooks: [{ name: "local", on: ["down", "recovered", "plan"], url: `http://127.0.0.1:${port}/hook`, retries: 3, backoffMs: 10 }] },
      },
    });
    await r.req("POST", "/api/v1/wans/tethering/actions/down");
    await hooks.idle();
    const bodies = received.map((x) => JSON.parse(x.body));
    const down = bodies.filter((b) => b.event === "down");
    assert.ok(down.length >= 1);
    assert.equal(down[0].wan, "tethering");
    assert.equal(down[0].device, "usb0");
    assert.ok(received.length >= 3, "two failures, then success");
    assert.ok(hooks.counts().some((x) => x.kind === "webhook" && x.outcome === "ok"));
  });
});
