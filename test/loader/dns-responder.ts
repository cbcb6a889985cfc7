/**
 * A tiny DNS responder for tests: answers every question with one A record (198.18.0.53),
 * or with the response code it is given. As a script (`dns-responder.ts HOST PORT`) it
 * prints "ready" once listening, for the namespace testbed's internet namespace; with a third
 * argument it keeps its stats (queries, last source) in that JSON file.
 * @module
 */
import { createSocket } from "node:dgram";
import { writeFileSync } from "node:fs";
import process from "node:process";

export interface DnsResponder {
  readonly port: number;
  /** Questions answered so far, and the source address of the last one. */
  readonly stats: { queries: number; lastFrom?: string };
  /** Response code to send (0 NOERROR, 5 REFUSED); `undefined` answers nothing. */
  rcode: number | undefined;
  close(): Promise<void>;
}

/** reply answers a query with `rcode`; with NOERROR it adds one A record. */
export function reply(q: Uint8Array, rcode: number): Uint8Array {
  let end = 12;
  while (end < q.length && q[end] !== 0) end += q[end] + 1;
  const question = q.subarray(12, end + 5);
  const head = [q[0], q[1], 0x81, 0x80 | rcode, 0, 1, 0, rcode === 0 ? 1 : 0, 0, 0, 0, 0];
  const answer = rcode === 0 ? [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 18, 0, 53] : [];
  return new Uint8Array([...head, ...question, ...answer]);
}

export function startDnsResponder(host: string, port = 0): Promise<DnsResponder> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    const r: DnsResponder = {
      port: 0,
      stats: { queries: 0 },
      rcode: 0,
      close: () => new Promise((done) => socket.close(() => done())),
    };
    socket.on("message", (msg, from) => {
      r.stats.queries++;
      r.stats.lastFrom = from.address;
      if (r.rcode !== undefined && msg.length >= 12) socket.send(reply(new Uint8Array(msg), r.rcode), from.port, from.address);
    });
    socket.once("error", reject);
    socket.bind(port, host, () => {
      (r as { port: number }).port = socket.address().port;
      resolve(r);
    });
  });
}

const isMain = (import.meta as { main?: boolean }).main ??
  (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, "/")));
if (isMain) {
  const [host, port, statsFile] = process.argv.slice(2);
  startDnsResponder(host, Number(port)).then((r) => {
    if (statsFile) setInterval(() => writeFileSync(statsFile, JSON.stringify(r.stats)), 100);
    console.log("ready");
  });
}
