/**
 * A LogTape sink that writes RFC 5424 lines to the local syslog socket (`/dev/log`).
 * The usual `/dev/log` is a unix *datagram* socket, which Node cannot open (its `dgram` has
 * no unix sockets) and Deno opens only with `--unstable-net` (`Deno.listenDatagram`). So:
 * - `datagram`: our own RFC 5424 datagrams; Deno with `--unstable-net` only;
 * - `stream`: our own RFC 5424 lines (LF-framed) over a unix stream socket, both runtimes,
 *   for a syslog daemon that listens on one (syslog-ng's `unix-stream()`);
 * - `logger`: util-linux `logger --rfc5424 --socket PATH`, one long-lived child fed a line
 *   per record (`<PRI>` prefix), both runtimes; logger writes the RFC 5424 header itself;
 * - `auto`: `datagram` where the runtime can, else `logger`.
 * What cannot be delivered is never dropped silently: the failure is printed to stderr once
 * per episode and kept in {@link SyslogSink.status}.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { unlinkSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { LogRecord, Sink } from "@logtape/logtape";

export type SyslogTransport = "auto" | "datagram" | "stream" | "logger";

export interface SyslogOptions {
  /** The socket, default `/dev/log`. */
  readonly socket?: string;
  readonly transport?: SyslogTransport;
  /** Facility name, default `daemon`. */
  readonly facility?: Facility;
  /** APP-NAME, default `multiwan`. */
  readonly appName?: string;
  /** Where the datagram transport binds its own (unlinked at once) socket; default the cwd. */
  readonly bindDir?: string;
}

export const FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
} as const;
export type Facility = keyof typeof FACILITIES;

const SEVERITY: Readonly<Record<string, number>> = { fatal: 2, error: 3, warning: 4, info: 6, debug: 7, trace: 7 };

/** What the sink is doing, for the status API and tests. */
export interface SyslogStatus {
  readonly transport: Exclude<SyslogTransport, "auto">;
  readonly socket: string;
  readonly state: "open" | "failed";
  readonly error?: string;
  readonly sent: number;
  readonly failed: number;
}

export type SyslogSink = Sink & AsyncDisposable & { status(): SyslogStatus };

type DatagramConn = {
  send(data: Uint8Array, addr: { transport: "unixpacket"; path: string }): Promise<number>;
  close(): void;
};
type DenoDatagram = { listenDatagram?: (o: { transport: "unixpacket"; path: string }) => DatagramConn };
const denoDatagram = () => (globalThis as { Deno?: DenoDatagram }).Deno?.listenDatagram;

/**
 * The name of the datagram transport's own socket in `bindDir` (bound, then unlinked at once).
 * On Deno the daemon needs `--unstable-net --allow-net=unix:BINDDIR/.multiwan-syslog.sock,unix:SOCKET`.
 */
export const DATAGRAM_BIND_NAME = ".multiwan-syslog.sock";

/** canDatagram says whether this runtime can send unix datagrams (Deno with --unstable-net). */
export function canDatagram(): boolean {
  return typeof denoDatagram() === "function";
}

/** renderMessage puts the record's values into its template: strings bare, others as JSON. */
export function renderMessage(record: LogRecord): string {
  return record.message.map((part, i) => (i % 2 === 0 ? String(part) : typeof part === "string" ? part : safeJson(part))).join("");
}

function safeJson(x: unknown): string {
  if (x instanceof Error) return x.message;
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

/** A header field: printable US-ASCII without spaces, at most `max` characters, else `-`. */
function field(text: string, max: number): string {
  const clean = text.replace(/[^\x21-\x7e]/g, "_").slice(0, max);
  return clean === "" ? "-" : clean;
}

const sdValue = (v: unknown) => (typeof v === "string" ? v : safeJson(v)).replace(/(["\\\]])/g, "\\$1");
const sdName = (k: string) => k.replace(/[^\x21-\x7e]|[= \]"]/g, "_").slice(0, 32);

/** The SD-ID of the properties: the documentation enterprise number (RFC 5612). */
export const SD_ID = "multiwan@32473";

/**
 * formatRfc5424 renders a record as one RFC 5424 line (no framing):
 * `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [multiwan@32473 key="value"...] MSG`;
 * MSGID is the category below the root (`kernel.health`).
 */
export function formatRfc5424(record: LogRecord, o: { facility: number; appName: string; host: string; pid: number }): string {
  const pri = o.facility * 8 + (SEVERITY[record.level] ?? 6);
  const ts = new Date(record.timestamp).toISOString();
  const msgid = field(record.category.slice(1).join(".") || record.category.join("."), 32);
  const props = Object.entries(record.properties).filter(([, v]) => v !== undefined);
  const sd = props.length === 0 ? "-" : `[${SD_ID} ${props.map(([k, v]) => `${sdName(k)}="${sdValue(v)}"`).join(" ")}]`;
  const msg = renderMessage(record).replace(/\n/g, " ");
  return `<${pri}>1 ${ts} ${field(o.host, 255)} ${field(o.appName, 48)} ${o.pid} ${msgid} ${sd} ${msg}`;
}

function hostOf(): string {
  try {
    return hostname();
  } catch {
    return "-"; // Deno without --allow-sys=hostname: NILVALUE; the syslog daemon knows its host
  }
}

/** syslogSink opens the transport and returns the sink; failures are reported, never hidden. */
export function syslogSink(o: SyslogOptions = {}): SyslogSink {
  const socket = o.socket ?? "/dev/log";
  const wanted = o.transport ?? "auto";
  const transport = wanted === "auto" ? (canDatagram() ? "datagram" : "logger") : wanted;
  const fmt = { facility: FACILITIES[o.facility ?? "daemon"], appName: o.appName ?? "multiwan", host: hostOf(), pid: process.pid };
  let state: "open" | "failed" = "open";
  let error: string | undefined;
  let sent = 0;
  let failed = 0;
  let pending: Promise<unknown> = Promise.resolve();
  const fail = (why: string) => {
    failed++;
    // The first reason of an episode is the cause; later ones (closed socket...) follow from it.
    if (state === "failed") return;
    state = "failed";
    error = why;
    console.error(`multiwan: syslog (${transport} to ${socket}) cannot deliver: ${why}; logs still go to the console/file`);
  };
  const ok = () => {
    sent++;
    if (state === "failed") console.error(`multiwan: syslog (${transport} to ${socket}) delivers again`);
    state = "open";
    error = undefined;
  };
  const enc = new TextEncoder();
  let write: (record: LogRecord) => void;
  let close: () => Promise<void>;

  if (transport === "datagram") {
    const listen = denoDatagram();
    let conn: DatagramConn | undefined;
    if (!listen) fail("this runtime cannot open unix datagram sockets (Node never; Deno only with --unstable-net): use transport logger or stream");
    else {
      const path = join(o.bindDir ?? process.cwd(), DATAGRAM_BIND_NAME);
      try {
        try { unlinkSync(path); } catch { /* none left from an earlier run */ }
        conn = listen({ transport: "unixpacket", path });
        try { unlinkSync(path); } catch { /* the socket works unnamed */ }
      } catch (err) {
        fail(`cannot bind a datagram socket at ${path}: ${(err as Error).message}`);
      }
    }
    write = (record) => {
      if (!conn) return fail(error ?? "no socket");
      const line = enc.encode(formatRfc5424(record, fmt));
      pending = pending.then(() => conn!.send(line, { transport: "unixpacket", path: socket }).then(ok, (e: Error) => fail(e.message)));
    };
    close = async () => {
      await pending;
      conn?.close();
    };
  } else if (transport === "stream") {
    let conn: Socket | undefined;
    const connect = (): Socket | undefined => {
      let s: Socket;
      try {
        s = createConnection({ path: socket });
      } catch (err) {
        // Deno throws at once without --allow-read, --allow-write and --allow-net=unix:SOCKET.
        fail((err as Error).message);
        return undefined;
      }
      s.on("error", (e) => {
        fail(e.message);
        if (conn === s) conn = undefined;
      });
      s.on("close", () => void (conn === s && (conn = undefined)));
      s.unref();
      return s;
    };
    conn = connect();
    write = (record) => {
      conn ??= connect();
      if (!conn) return;
      conn.write(`${formatRfc5424(record, fmt)}\n`, (e) => (e ? fail(e.message) : ok()));
    };
    close = () => new Promise<void>((done) => (conn && !conn.destroyed ? conn.end(() => done()) : done()));
  } else {
    let child: ChildProcess | undefined;
    const start = (): ChildProcess | undefined => {
      const args = ["--socket", socket, "--socket-errors=on", "--rfc5424", "--prio-prefix", "--tag", fmt.appName, `--id=${fmt.pid}`];
      let c: ChildProcess;
      try {
        c = spawn("logger", args, { stdio: ["pipe", "ignore", "pipe"], env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
      } catch (err) {
        // Deno throws at once without --allow-run=logger and --allow-env=NODE_V8_COVERAGE.
        fail(`cannot run util-linux logger: ${(err as Error).message}`);
        return undefined;
      }
      let stderr = "";
      c.stderr?.on("data", (d: Buffer) => void (stderr += d.toString()).slice(-500));
      c.on("error", (e) => {
        if (child === c) child = undefined;
        fail(`cannot run util-linux logger: ${e.message}`);
      });
      c.on("exit", (code) => {
        if (child === c) child = undefined;
        if (code !== 0 && code !== null) fail(`logger exited ${code}: ${stderr.trim().slice(-300)}`);
      });
      c.stdin?.on("error", (e) => fail(e.message));
      return c;
    };
    child = start();
    let lastStart = Date.now();
    write = (record) => {
      // A logger that died is started again, at most every 10 s; meanwhile lines count as failed.
      if (!child && Date.now() - lastStart >= 10_000) {
        lastStart = Date.now();
        child = start();
      }
      if (!child) return fail(error ?? "logger is not running");
      const pri = fmt.facility * 8 + (SEVERITY[record.level] ?? 6);
      const cat = record.category.slice(1).join(".");
      child.stdin?.write(`<${pri}>${cat}: ${renderMessage(record).replace(/\n/g, " ")}\n`, (e) => (e ? fail(e.message) : ok()));
    };
    close = () => new Promise<void>((done) => {
      const c = child;
      if (!c || c.exitCode !== null) return done();
      c.on("exit", () => done());
      c.stdin?.end();
    });
  }

  const sink = ((record: LogRecord) => write(record)) as SyslogSink;
  sink.status = () => ({ transport, socket, state, ...(error ? { error } : {}), sent, failed });
  sink[Symbol.asyncDispose] = () => close();
  return sink;
}
