/**
 * A long-lived client inside a namespace, driven by JSON lines on stdin:
 *   {"id":1,"op":"connect","host":"198.19.0.1","port":80,"timeoutMs":1500}  → a new connection, one GET
 *   {"id":2,"op":"open","flow":"f1",…} → a kept-alive connection; {"op":"ask","flow":"f1"} → one GET on it
 *   {"id":3,"op":"close","flow":"f1"}
 * `connect` and `open` take an optional "local" source address (one of the namespace's own).
 *   {"id":4,"op":"udp","host":…,"port":5060,"local":…} → one datagram from a new socket (a new
 *   conntrack flow); the answer's source is what the UDP echo server saw (sent up to 3 times).
 * Each answer is one JSON line {"id":…,"ok":true,"source":"198.19.1.1"} or {"id":…,"ok":false,"error":…}.
 * @module
 */
import { connect, type Socket } from "node:net";
import { createSocket } from "node:dgram";
import { createInterface } from "node:readline";

interface Cmd {
  id: number;
  op: "connect" | "open" | "ask" | "close" | "udp";
  host?: string;
  port?: number;
  flow?: string;
  timeoutMs?: number;
  local?: string;
}

const flows = new Map<string, { sock: Socket; buf: string; dead?: string; wait?: (e?: string) => void }>();

function reply(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function open(host: string, port: number, timeoutMs: number, local?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port, ...(local ? { localAddress: local } : {}) });
    const t = setTimeout(() => {
      sock.destroy();
      reject(new Error("connect timeout"));
    }, timeoutMs);
    sock.once("connect", () => {
      clearTimeout(t);
      resolve(sock);
    });
    sock.once("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

/** One GET on a connected socket; resolves the body (the source address the server saw). */
function ask(f: { sock: Socket; buf: string; dead?: string; wait?: (e?: string) => void }, timeoutMs: number): Promise<string> {
  if (f.dead) return Promise.reject(new Error(f.dead));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => done("answer timeout"), timeoutMs);
    const done = (err?: string) => {
      clearTimeout(t);
      f.wait = undefined;
      if (err) return reject(new Error(err));
      const m = /\r\n\r\n([\s\S]*)$/.exec(f.buf);
      f.buf = "";
      resolve((m?.[1] ?? "").trim());
    };
    f.wait = done;
    f.sock.write("GET / HTTP/1.1\r\nHost: test\r\nConnection: keep-alive\r\n\r\n");
  });
}

function track(sock: Socket) {
  const f: { sock: Socket; buf: string; dead?: string; wait?: (e?: string) => void } = { sock, buf: "" };
  sock.setEncoding("utf8");
  sock.on("data", (d: string) => {
    f.buf += d;
    const head = f.buf.indexOf("\r\n\r\n");
    const len = /content-length: (\d+)/i.exec(f.buf);
    if (head >= 0 && len && f.buf.length >= head + 4 + Number(len[1])) f.wait?.();
  });
  const die = (why: string) => {
    f.dead ??= why;
    f.wait?.(why);
  };
  sock.on("error", (e) => die(e.message));
  sock.on("close", () => die("closed"));
  return f;
}

/** One UDP exchange from a fresh socket; resolves the address the server saw. */
function udp(host: string, port: number, timeoutMs: number, local?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(host.includes(":") ? "udp6" : "udp4");
    const timers: ReturnType<typeof setTimeout>[] = [];
    const done = (err?: Error, source?: string) => {
      for (const t of timers) clearTimeout(t);
      sock.close();
      if (err) reject(err);
      else resolve(source ?? "");
    };
    sock.on("error", (e) => done(e));
    sock.on("message", (m) => done(undefined, m.toString().trim()));
    sock.bind({ address: local, port: 0 }, () => {
      for (let i = 0; i < 3; i++) timers.push(setTimeout(() => sock.send("?", port, host), (i * timeoutMs) / 3));
      timers.push(setTimeout(() => done(new Error("udp answer timeout")), timeoutMs));
    });
  });
}

async function handle(c: Cmd): Promise<void> {
  const timeoutMs = c.timeoutMs ?? 1500;
  try {
    if (c.op === "udp") return reply({ id: c.id, ok: true, source: await udp(c.host ?? "", c.port ?? 0, timeoutMs, c.local) });
    if (c.op === "connect") {
      const f = track(await open(c.host ?? "", c.port ?? 80, timeoutMs, c.local));
      const source = await ask(f, timeoutMs).finally(() => f.sock.destroy());
      return reply({ id: c.id, ok: true, source });
    }
    if (c.op === "open") {
      const f = track(await open(c.host ?? "", c.port ?? 80, timeoutMs, c.local));
      flows.set(c.flow ?? "", f);
      return reply({ id: c.id, ok: true, source: await ask(f, timeoutMs) });
    }
    const f = flows.get(c.flow ?? "");
    if (!f) throw new Error(`no flow ${c.flow}`);
    if (c.op === "ask") return reply({ id: c.id, ok: true, source: await ask(f, timeoutMs) });
    f.sock.destroy();
    flows.delete(c.flow ?? "");
    reply({ id: c.id, ok: true });
  } catch (e) {
    reply({ id: c.id, ok: false, error: e instanceof Error ? e.message : String(e) });
  }
}

const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (line.trim()) void handle(JSON.parse(line) as Cmd);
});
rl.on("close", () => process.exit(0));
process.stdout.write(JSON.stringify({ id: 0, ok: true, ready: true }) + "\n");
