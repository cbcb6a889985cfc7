/**
 * A kernel on the sim world with the API over it, like the daemon wires them: the listen
 * guard as preApply (router addresses given by the test) and, optionally, the listeners.
 */
import { FakeClock } from "../../src/clock.ts";
import { MemoryConfigStore } from "../../src/config/store.ts";
import { hooksSection } from "../../src/hooks/index.ts";
import { Kernel } from "../../src/kernel.ts";
import type { ListenConfirm } from "../../web/deps.ts";
import { silentLogger } from "../../src/log.ts";
import { createSimPlatform } from "../../src/platform/sim/index.ts";
import { Registry } from "../../src/registry.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { apiSection } from "../../web/api-schemas.ts";
import { type Api, createApp } from "../../web/app.ts";
import { AuthStore } from "../../web/auth/store.ts";
import { foreignListen } from "../../web/listen-guard.ts";
import { fourWans, UPLINKS } from "../helpers.ts";

export const TOKEN = "t0123456789abcdef";

export interface GuardRig {
  readonly kernel: Kernel;
  readonly clock: FakeClock;
  readonly api: Api;
  req(method: string, path: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

export async function makeGuardRig(o: { listen: string[]; addresses: string[]; listeners?: ListenConfirm }): Promise<GuardRig> {
  const clock = new FakeClock(1_000_000);
  const store = new MemoryConfigStore();
  store.current = { doc: { ...fourWans(), api: { listen: o.listen } }, revision: 1 };
  const registry = new Registry();
  registry.registerAll(builtinPlugins);
  const kernel: Kernel = new Kernel({
    registry,
    platform: createSimPlatform({ clock, uplinks: UPLINKS, seed: 1 }),
    store,
    clock,
    sections: { api: apiSection, hooks: hooksSection },
    preApply: (doc) => foreignListen(doc, kernel.config.doc, { addresses: () => o.addresses }),
    log: silentLogger,
    pluginLogger: () => silentLogger,
  });
  await kernel.boot();
  const api = createApp(kernel, {
    store: new AuthStore({ adminToken: TOKEN }),
    log: silentLogger,
    clock,
    listeners: o.listeners,
  });
  const req = (method: string, path: string, body?: unknown) =>
    Promise.resolve(api.app.request(path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }));
  return {
    kernel,
    clock,
    api,
    req,
    close: async () => {
      api.close();
      await kernel.shutdown({ cleanup: false });
    },
  };
}
