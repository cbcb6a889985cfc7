/**
 * The testbed's UDP echo: answers every datagram with the source address it saw, so a test
 * knows which uplink (ISP NAT address) carried a UDP flow.
 * Usage: udp-echo-server.ts <address> <port>[,<port>…]; prints "ready" once every port is bound.
 * @module
 */
import { createSocket } from "node:dgram";

const [address = "127.0.0.1", ports = "5060"] = process.argv.slice(2);
const list = ports.split(",").map(Number);
let bound = 0;
for (const port of list) {
  const sock = createSocket(address.includes(":") ? "udp6" : "udp4");
  sock.on("message", (_m, rinfo) => sock.send(`${rinfo.address}\n`, rinfo.port, rinfo.address));
  sock.bind(port, address, () => {
    if (++bound === list.length) process.stdout.write("ready\n");
  });
}
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
