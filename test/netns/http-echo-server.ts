/**
 * The testbed's internet server: answers every HTTP request with the source address it
 * saw, so a test knows which uplink (ISP NAT address) carried the connection.
 * Usage: http-echo-server.ts <address>[,<address>…] <port> (IPv4 and/or IPv6 addresses, one
 * listener each, so an IPv4 client is seen as a dotted quad, an IPv6 one in its compressed
 * form); prints "ready" once every listener listens.
 * @module
 */
import { createServer } from "node:http";

const [addresses = "127.0.0.1", port = "8080"] = process.argv.slice(2);
const list = addresses.split(",").filter(Boolean);
let listening = 0;
for (const address of list) {
  const server = createServer((req, res) => {
    const body = `${req.socket.remoteAddress ?? "?"}\n`;
    res.writeHead(200, { "content-type": "text/plain", "content-length": String(Buffer.byteLength(body)) });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  server.keepAliveTimeout = 600_000;
  server.headersTimeout = 610_000;
  server.listen({ port: Number(port), host: address, ipv6Only: address.includes(":") }, () => {
    if (++listening === list.length) process.stdout.write("ready\n");
  });
}
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
