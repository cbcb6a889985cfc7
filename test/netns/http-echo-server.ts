/**
 * The testbed's internet server: answers every HTTP request with the source address it
 * saw, so a test knows which uplink (ISP NAT address) carried the connection.
 * Usage: http-echo-server.ts <address> <port>; prints "ready" once listening.
 * @module
 */
import { createServer } from "node:http";

const [address = "127.0.0.1", port = "8080"] = process.argv.slice(2);
const server = createServer((req, res) => {
  const body = `${req.socket.remoteAddress ?? "?"}\n`;
  res.writeHead(200, { "content-type": "text/plain", "content-length": String(Buffer.byteLength(body)) });
  res.end(req.method === "HEAD" ? undefined : body);
});
server.keepAliveTimeout = 600_000;
server.headersTimeout = 610_000;
server.listen(Number(port), address, () => process.stdout.write("ready\n"));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
