/**
 * The Linux dataplane harness for the contract suite: a testbed of namespaces, the real
 * LinuxDataplane driving `ip`/`nft`/`conntrack` inside the router namespace, and flow
 * clients on the LAN and on the router.
 * @module
 */
import { fileURLToPath } from "node:url";
import type { DataplaneHarness, LongFlow } from "../contracts/dataplane.case.ts";
import type { PlanUplink } from "../../src/plan.ts";
import type { RoutingSettings } from "../../src/platform.ts";
import { LinuxDataplane } from "../../src/platform/linux/dataplane.ts";
import { createRunner } from "../../src/platform/linux/run.ts";
import { createTestbed, SERVER, SERVER6, SERVER_PORT, type Testbed, waitReady } from "./testbed.ts";
import { FlowDriver } from "./flow-driver.ts";

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

export const TEST_SETTINGS: RoutingSettings = { markMask: 0x3f00, rulePriority: 1000, tableBase: 200, bypass: [] };


export interface LinuxHarness extends DataplaneHarness {
  readonly bed: Testbed;
  readonly dataplane: LinuxDataplane;
  /** One new IPv6 connection from the LAN (the contract's dual-stack cases). */
  connect6(): Promise<string>;
  openLong6(): Promise<LongFlow>;
}

/** makeLinuxHarness builds the bed and starts the server and the clients. */
export async function makeLinuxHarness(): Promise<LinuxHarness> {
  const bed = await createTestbed();
  try {
    const server = bed.start(bed.internet, here("./http-echo-server.ts"), [`${SERVER},${SERVER6}`, String(SERVER_PORT)]);
    await waitReady(server);
    const lan = new FlowDriver(bed.start(bed.lan, here("./flow-client.ts")));
    const onRouter = new FlowDriver(bed.start(bed.router, here("./flow-client.ts")));
    await Promise.all([lan.ready(), onRouter.ready()]);
    const runner = createRunner({ netns: bed.router });
    const dataplane = new LinuxDataplane(runner);
    const uplinks: PlanUplink[] = bed.uplinks.map((u) => ({
      name: u.name, device: u.device, gateway: u.gateway, address: u.address, nat: true, index: u.k, ready: true,
      // IPv6 facts (used once a plan gives families and carriers6): NAT66 where the ISP does not route the LAN prefix.
      address6: u.address6, gateway6: u.gateway6, nat6: !u.routed6,
    }));
    const target = { host: SERVER, port: SERVER_PORT };
    const name = (a: { ok: boolean; source?: string; error?: string }): string => {
      if (!a.ok) throw new Error(`connection failed: ${a.error}`);
      const n = bed.uplinkOf(a.source ?? "");
      if (!n) throw new Error(`server saw unknown source ${a.source}`);
      return n;
    };
    const target6 = { host: SERVER6, port: SERVER_PORT };
    let flowSeq = 0;
    const openLong = async (t: typeof target): Promise<LongFlow> => {
      const flow = `f${++flowSeq}`;
      name(await lan.request({ op: "open", flow, ...t, timeoutMs: 1500 }));
      return {
        async uplink() {
          const a = await lan.request({ op: "ask", flow, timeoutMs: 1500 });
          return a.ok ? bed.uplinkOf(a.source ?? "") : undefined;
        },
        async close() {
          await lan.request({ op: "close", flow });
        },
      };
    };
    return {
      bed, dataplane, uplinks, settings: TEST_SETTINGS,
      connect: async () => name(await lan.request({ op: "connect", ...target, timeoutMs: 1500 })),
      routerConnect: async () => name(await onRouter.request({ op: "connect", ...target, timeoutMs: 1500 })),
      openLong: () => openLong(target),
      connect6: async () => name(await lan.request({ op: "connect", ...target6, timeoutMs: 1500 })),
      openLong6: () => openLong(target6),
      async snapshot() {
        const r = createRunner({ netns: bed.router });
        const nft = await r.run(["nft", "-a", "list", "table", "inet", "multiwan"]);
        const rules = await r.run(["ip", "-4", "rule", "show"]);
        const routes = await r.run(["ip", "-4", "route", "show", "table", "all"]);
        const rules6 = await r.run(["ip", "-6", "rule", "show"]);
        const routes6 = await r.run(["ip", "-6", "route", "show", "table", "all"]);
        return [nft.stdout.replace(/packets \d+ bytes \d+/g, ""), rules.stdout, routes.stdout, rules6.stdout, routes6.stdout].join("\n");
      },
      async dispose() {
        try {
          await dataplane.close({ cleanup: true });
        } finally {
          lan.close();
          onRouter.close();
          await bed.destroy();
        }
      },
    };
  } catch (err) {
    await bed.destroy();
    throw err;
  }
}
