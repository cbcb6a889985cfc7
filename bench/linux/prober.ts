/**
 * A fast client inside a namespace for failover timing. On "go" it starts a new TCP
 * connection + GET every `everyMs` (each with a short timeout) until "stop"; it prints one
 * JSON line per success: {"at": <ms on this process's clock, sub-ms>, "source": "<address the
 * server saw>"}. "sync" answers {"sync": <now>} at once, so the driver can measure the offset
 * between its clock and this one. On "stop" it prints {"stopped": true, "cpuMs": <CPU used
 * since "go">} so the driver can check the prober does not eat the daemon's CPU.
 * Usage: prober.ts <host> <port> [everyMs=2] [timeoutMs=100]
 * @module
 */
import { connect } from "node:net";
import { createInterface } from "node:readline";

const [host = "198.19.0.1", port = "80", every = "2", tmo = "100"] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();
let timer: ReturnType<typeof setInterval> | undefined;
let cpu0 = process.cpuUsage();

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
      const at = now();
      clearTimeout(t);
      process.stdout.write(JSON.stringify({ at, source: m[1] }) + "\n");
      sock.destroy();
    }
  });
  sock.on("error", () => clearTimeout(t));
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const cmd = line.trim();
  if (cmd === "sync") process.stdout.write(JSON.stringify({ sync: now() }) + "\n");
  if (cmd === "go" && !timer) {
    cpu0 = process.cpuUsage();
    timer = setInterval(attempt, Number(every));
  }
  if (cmd === "stop") {
    clearInterval(timer);
    timer = undefined;
    const c = process.cpuUsage(cpu0);
    process.stdout.write(JSON.stringify({ stopped: true, cpuMs: (c.user + c.system) / 1000 }) + "\n");
  }
}).on("close", () => process.exit(0));
process.stdout.write("ready\n");
