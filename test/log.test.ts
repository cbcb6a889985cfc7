import { strict as assert } from "node:assert";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  addLogSecrets,
  logger,
  REDACTED,
  redactText,
  redactValue,
  secretStrings,
  setupLogging,
  stopLogging,
  syslogStatus,
} from "../src/log.ts";
import { canDatagram } from "../src/syslog.ts";
import { redactSecrets } from "../web/secrets.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DENO = join(ROOT, "node_modules", "deno", "deno");

/** An RFC 5424 line: PRI, VERSION, TIMESTAMP, HOSTNAME, APP-NAME, PROCID, MSGID, SD, MSG. */
const RFC5424 = /^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (\S+) (\S+) (\S+) (\S+) (-|\[.*?[^\\]\]) (.*)$/;

/** A unix stream socket standing in for the syslog daemon; keeps every line it receives. */
async function syslogServer(path: string): Promise<{ server: Server; lines: () => string[] }> {
  let text = "";
  const server = createServer((c) => c.on("data", (d: Buffer) => void (text += d.toString())));
  await new Promise<void>((done) => server.listen(path, done));
  return { server, lines: () => text.split("\n").filter((l) => l !== "") };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(check(), `timed out waiting for ${what}`);
}

/** captureConsole collects what the console sink prints, until the returned function is called. */
function captureConsole(): { text: () => string; restore: () => void } {
  const methods = ["debug", "info", "warn", "error", "log"] as const;
  const saved = methods.map((m) => console[m]);
  let text = "";
  for (const m of methods) console[m] = (...args: unknown[]) => void (text += `${args.map(String).join(" ")}\n`);
  return { text: () => text, restore: () => methods.forEach((m, i) => (console[m] = saved[i])) };
}

const loggerWorks = await new Promise<boolean>((done) => execFile("logger", ["--help"], (err, out) => done(!err && /--rfc5424/.test(String(out)))));
if (!loggerWorks) console.warn("\n*** skipped: needs util-linux logger (bsdutils) for the logger transport ***\n");

describe("logging", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "multiwan-log-"));
  });
  after(async () => {
    await stopLogging();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("writes JSON Lines per category, with levels set per category", async () => {
    const file = join(dir, "levels.jsonl");
    await setupLogging({ level: "info", file, console: false, categories: { "plugin.wan": "error", "kernel.health": "debug" } });
    logger("kernel").info("plan: {summary}", { summary: "ethernet carries" });
    logger("kernel").debug("hidden at info");
    logger("kernel", "health").debug("shown: {wan}", { wan: "ethernet" });
    logger("plugin", "wan", "cellular", "lte").warn("hidden below error");
    logger("plugin", "wan", "cellular", "lte").error("modem gone");
    await stopLogging();
    const lines = (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.logger, l.level, l.message]), [
      ["multiwan.kernel", "INFO", 'plan: "ethernet carries"'],
      ["multiwan.kernel.health", "DEBUG", 'shown: "ethernet"'],
      ["multiwan.plugin.wan.cellular.lte", "ERROR", "modem gone"],
    ]);
    assert.equal(lines[0].properties.summary, "ethernet carries");
  });

  it("redacts credentials in text: bearer and basic headers, URL userinfo, secret query parameters", () => {
    assert.equal(redactText("Authorization: Bearer abc.def-123"), `Authorization: Bearer ${REDACTED}`);
    assert.equal(redactText("Basic dXNlcjpwYXNz"), `Basic ${REDACTED}`);
    assert.equal(redactText("POST https://bot:hunter2@198.18.0.9/hook failed"), `POST https://${REDACTED}@198.18.0.9/hook failed`);
    assert.equal(redactText("GET /x?user=a&token=abc123&n=1"), `GET /x?user=a&token=${REDACTED}&n=1`);
    assert.equal(redactText("ethernet up: 3 of 3 targets answer, basic checks ok"), "ethernet up: 3 of 3 targets answer, basic checks ok");
    assert.deepEqual(redactValue({ password: "pw-123456", name: "ci", nested: [{ apiKey: "k-99999" }], ok: true }), {
      password: REDACTED,
      name: "ci",
      nested: [{ apiKey: REDACTED }],
      ok: true,
    });
  });

  it("finds the config's writeOnly values through the API's schema-driven redaction", () => {
    const schema = {
      type: "object",
      properties: {
        hooks: { type: "object", properties: { argv: { type: "array", items: { type: "string" }, writeOnly: true } } },
        name: { type: "string" },
        pin: { type: "string", writeOnly: true },
      },
    };
    const doc = { hooks: { argv: ["/bin/notify", "--key=k3y-abcdef"] }, name: "router", pin: "0000-1111" };
    assert.deepEqual(secretStrings(doc, redactSecrets(doc, schema)).sort(), ["--key=k3y-abcdef", "/bin/notify", "0000-1111"]);
  });

  it("no secret reaches the console, the file or syslog; the rest of each line does", async () => {
    const file = join(dir, "secrets.jsonl");
    const sock = join(dir, "secrets.sock");
    const syslog = await syslogServer(sock);
    const schema = { type: "object", properties: { webhook: { type: "string", writeOnly: true } } };
    const doc = { webhook: "wo-value-7f3a9c" };
    addLogSecrets(secretStrings(doc, redactSecrets(doc, schema)));
    addLogSecrets(["admin-token-55aa77"]);
    const secrets = ["wo-value-7f3a9c", "admin-token-55aa77", "hunter2", "pw-998877", "tok-xyz-123", "eyJhbGciOi.payload.sig"];
    const out = captureConsole();
    try {
      await setupLogging({ level: "debug", file, syslog: { enabled: true, socket: sock, transport: "stream" } });
      const log = logger("web", "auth");
      log.info("login {user} with {password}", { user: "admin", password: "pw-998877" });
      log.warn("webhook {url} failed: Authorization: Bearer eyJhbGciOi.payload.sig", { url: "https://bot:hunter2@198.18.0.9/h?token=tok-xyz-123" });
      log.error("hook says {text}", { text: "value wo-value-7f3a9c and admin-token-55aa77 leaked", err: new Error("token=tok-xyz-123") });
      log.debug("headers {h}", { h: { authorization: "Bearer tok-xyz-123", cookie: "s=wo-value-7f3a9c" } });
      await until(() => syslog.lines().length >= 4, "4 syslog lines");
      await stopLogging();
    } finally {
      out.restore();
      syslog.server.close();
    }
    const outputs = { console: out.text(), file: await readFile(file, "utf8"), syslog: syslog.lines().join("\n") };
    for (const [sink, text] of Object.entries(outputs)) {
      for (const s of secrets) assert.ok(!text.includes(s), `${sink} shows ${s}:\n${text}`);
      assert.ok(text.includes(REDACTED), `${sink} has no redaction marker:\n${text}`);
      assert.ok(text.includes("webhook") && text.includes("198.18.0.9") && text.includes("login"), `${sink} lost the message:\n${text}`);
    }
  });

  it("syslog lines are RFC 5424: facility and severity, timestamp, app, pid, category as MSGID, properties as SD", async () => {
    const sock = join(dir, "rfc.sock");
    const syslog = await syslogServer(sock);
    try {
      await setupLogging({ level: "info", console: false, syslog: { enabled: true, socket: sock, transport: "stream", facility: "local3" } });
      logger("kernel", "health").info("ethernet {from} → {to}", { from: "unknown", to: "up", note: 'a "quoted" ] value' });
      logger("kernel").error("plain");
      await until(() => syslog.lines().length >= 2, "2 syslog lines");
      assert.deepEqual(syslogStatus(), { transport: "stream", socket: sock, state: "open", sent: 2, failed: 0 });
      await stopLogging();
    } finally {
      syslog.server.close();
    }
    const [a, b] = syslog.lines().map((l) => RFC5424.exec(l));
    assert.ok(a && b, syslog.lines().join("\n"));
    assert.equal(Number(a[1]), 19 * 8 + 6); // local3.info
    assert.equal(Number(b[1]), 19 * 8 + 3); // local3.err
    assert.ok(Math.abs(Date.parse(a[2]) - Date.now()) < 60_000);
    assert.deepEqual([a[4], a[5], a[6]], ["multiwan", String(process.pid), "kernel.health"]);
    assert.equal(a[7], '[multiwan@32473 from="unknown" to="up" note="a \\"quoted\\" \\] value"]');
    assert.equal(a[8], "ethernet unknown → up");
    assert.deepEqual([b[6], b[7], b[8]], ["kernel", "-", "plain"]);
  });

  it("datagram on a runtime that cannot open one fails loudly and says why", { skip: canDatagram() ? "this runtime can" : false }, async () => {
    const out = captureConsole();
    try {
      await setupLogging({ level: "info", console: false, syslog: { enabled: true, socket: join(dir, "none.sock"), transport: "datagram" } });
      logger("kernel").info("lost?");
      const st = syslogStatus();
      assert.equal(st?.state, "failed");
      assert.match(st?.error ?? "", /cannot open unix datagram sockets/);
      assert.ok(st!.failed >= 1);
      await stopLogging();
    } finally {
      out.restore();
    }
    assert.match(out.text(), /syslog \(datagram to .*\) cannot deliver: this runtime cannot open unix datagram sockets/);
  });

  it("a syslog socket nobody listens on is reported on stderr and in the status", async () => {
    const out = captureConsole();
    try {
      await setupLogging({ level: "info", console: false, syslog: { enabled: true, socket: join(dir, "absent.sock"), transport: "stream" } });
      logger("kernel").info("into the void?");
      await until(() => syslogStatus()?.state === "failed", "the failure");
      assert.match(syslogStatus()?.error ?? "", /ENOENT|No such file/);
      await stopLogging();
    } finally {
      out.restore();
    }
    assert.match(out.text(), /syslog \(stream to .*absent\.sock\) cannot deliver/);
  });

  it("datagram transport on Deno with --unstable-net (a child process)", async () => {
    const d = await mkdtemp(join(tmpdir(), "multiwan-dgram-"));
    try {
      const args = ["run", "--no-prompt", "--unstable-net", `--allow-read=${d}`, `--allow-write=${d}`,
        `--allow-net=unix:${d}/log.sock,unix:${d}/.multiwan-syslog.sock`, join(ROOT, "test", "fixtures", "syslog-datagram.ts"), d];
      const out = await new Promise<string>((done, fail) => {
        const c = spawn(DENO, args, { env: { PATH: process.env.PATH ?? "", NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" } });
        let text = "";
        let err = "";
        const timer = setTimeout(() => c.kill("SIGKILL"), 20_000);
        c.stdout.on("data", (x: Buffer) => void (text += x.toString()));
        c.stderr.on("data", (x: Buffer) => void (err += x.toString()));
        c.on("exit", (code) => {
          clearTimeout(timer);
          if (code === 0) done(text);
          else fail(new Error(`child exited ${code}: ${err}`));
        });
      });
      const lines = JSON.parse(out) as string[];
      const [a, b] = lines.map((l) => RFC5424.exec(l));
      assert.ok(a && b, lines.join("\n"));
      assert.deepEqual([Number(a[1]), a[6], a[8]], [3 * 8 + 6, "kernel.health", "ethernet up"]);
      assert.ok(!out.includes("s3cr3t-token-value") && !out.includes("hunter2"), out);
      assert.equal(Number(b[1]), 3 * 8 + 3);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });

  it("logger transport: util-linux logger writes RFC 5424 to the socket", { skip: loggerWorks ? false : "needs util-linux logger" }, async () => {
    const sock = join(dir, "logger.sock");
    const syslog = await syslogServer(sock);
    try {
      await setupLogging({ level: "info", console: false, syslog: { enabled: true, socket: sock, transport: "logger", appName: "mwtest" } });
      logger("kernel", "health").warn("cellular {state} (Bearer abcdef123456)", { state: "down" });
      await until(() => syslog.lines().length >= 1, "a line from logger");
      await stopLogging();
    } finally {
      syslog.server.close();
    }
    const m = RFC5424.exec(syslog.lines()[0]);
    assert.ok(m, syslog.lines().join("\n"));
    assert.equal(Number(m[1]), 3 * 8 + 4); // daemon.warning
    assert.deepEqual([m[4], m[5]], ["mwtest", String(process.pid)]);
    assert.equal(m[8], `kernel.health: cellular down (Bearer ${REDACTED})`);
  });
});
