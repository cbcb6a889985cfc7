/**
 * A fast client inside a namespace for failover timing. On "go" it starts a new TCP
 * connection + GET every `everyMs` (each with a short timeout) until "stop"; it prints one
 * JSON line per success: {"at": <epoch ms, sub-ms>, "source": "<address the server saw>"}.
 * Usage: prober.ts <host> <port> [everyMs=2] [timeoutMs=100]
 * @module
 */
import { connect } from "node:net";
import { createInterface } from "node:readline";

const [host = "198.19.0.1", port = "80", every = "2", tmo = "100"] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();
let timer: ReturnType<typeof setInterval> | undefined;

function attempt(): void {
  const sock = connect({ host, port: Number(port) });
  let buf = "";
  const t = setTimeout(() => sock.destroy(), Number(tmo));
  sock.setEncoding("utf8");
  sock.on("connect", () => sock.write("GET / HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n"));
  sock.on("data", (d: string) => {
    buf += d;
    const m = /\r\n\r\n(\S+)/.exec(buf);
    if (m) {
      clearTimeout(t);
      process.stdout.write(JSON.stringify({ at: now(), source: m[1] }) + "\n");
      sock.destroy();
    }
  });
  sock.on("error", () => clearTimeout(t));
}

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "go" && !timer) timer = setInterval(attempt, Number(every));
  if (line.trim() === "stop") {
    clearInterval(timer);
    timer = undefined;
    process.stdout.write(JSON.stringify({ stopped: true }) + "\n");
  }
}).on("close", () => process.exit(0));
process.stdout.write("ready\n");
