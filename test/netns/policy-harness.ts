/**
 * The Linux contract harness with policy endpoints: more LAN source addresses
 * (198.18.100.3 and .4 beside .2) and a second destination (198.19.0.2, its own echo
 * server), so rules on sources, destinations and ports can be told apart on real traffic.
 * @module
 */
import { fileURLToPath } from "node:url";
import type { LongFlow } from "../contracts/dataplane.case.ts";
import type { Endpoint, PolicyHarness } from "../contracts/policy.case.ts";
import { FlowDriver } from "./flow-driver.ts";
import { type LinuxHarness, makeLinuxHarness } from "./linux-harness.ts";
import { EXTRA_TARGETS, SERVER, SERVER_PORT, waitReady } from "./testbed.ts";

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

export const LAN_SOURCES: readonly string[] = ["198.18.100.2", "198.18.100.3", "198.18.100.4"];
/** The second destination: another address of the internet namespace, with its own echo server. */
export const SERVER2 = EXTRA_TARGETS[0];

/** makePolicyHarness builds the Linux harness and adds the policy endpoints. */
export async function makePolicyHarness(): Promise<LinuxHarness & PolicyHarness> {
  const h = await makeLinuxHarness();
  try {
    const bed = h.bed;
    for (const a of LAN_SOURCES.slice(1)) await bed.exec(bed.lan, ["ip", "addr", "add", `${a}/24`, "dev", "eth0"]);
    await waitReady(bed.start(bed.internet, here("./http-echo-server.ts"), [SERVER2, String(SERVER_PORT)]));
    const lan = new FlowDriver(bed.start(bed.lan, here("./flow-client.ts")));
    await lan.ready();
    const name = (a: { ok: boolean; source?: string; error?: string }): string => {
      if (!a.ok) throw new Error(`connection failed: ${a.error}`);
      const n = bed.uplinkOf(a.source ?? "");
      if (!n) throw new Error(`server saw unknown source ${a.source}`);
      return n;
    };
    const target = (e: Endpoint) => ({ host: e.host ?? SERVER, port: e.port ?? SERVER_PORT, local: e.src ?? LAN_SOURCES[0] });
    let seq = 0;
    const dispose = h.dispose;
    return Object.assign(h, {
      sources: LAN_SOURCES,
      destinations: [{ host: SERVER, port: SERVER_PORT }, { host: SERVER2, port: SERVER_PORT }],
      connectWith: async (e: Endpoint) => name(await lan.request({ op: "connect", ...target(e), timeoutMs: 1500 })),
      async openLongWith(e: Endpoint): Promise<LongFlow> {
        const flow = `p${++seq}`;
        name(await lan.request({ op: "open", flow, ...target(e), timeoutMs: 1500 }));
        return {
          async uplink() {
            const a = await lan.request({ op: "ask", flow, timeoutMs: 1500 });
            return a.ok ? bed.uplinkOf(a.source ?? "") : undefined;
          },
          async close() {
            await lan.request({ op: "close", flow });
          },
        };
      },
      async dispose() {
        lan.close();
        await dispose();
      },
    });
  } catch (err) {
    await h.dispose();
    throw err;
  }
}
