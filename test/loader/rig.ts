/**
 * Test rig for loaded plugins: copies plugin folders to a temp directory outside the
 * project (no node_modules there), loads them with the loader, and boots a kernel plus the
 * API over the sim world the way src/main.ts wires them.
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FakeClock } from "../../src/clock.ts";
import { MemoryConfigStore } from "../../src/config/store.ts";
import { hooksSection } from "../../src/hooks/index.ts";
import { Kernel } from "../../src/kernel.ts";
import { PluginLoader, pluginDirsOf, pluginsSection } from "../../src/loader/index.ts";
import { silentLogger } from "../../src/log.ts";
import { createSimPlatform, type SimPlatform, type SimUplinkSpec } from "../../src/platform/sim/index.ts";
import { Registry } from "../../src/registry.ts";
import type { PluginLimits } from "../../src/runtime/bounded.ts";
import * as sdk from "../../src/sdk/index.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { apiSection } from "../../web/api-schemas.ts";
import { type Api, createApp } from "../../web/app.ts";
import { AuthStore } from "../../web/auth/store.ts";
import { UPLINKS } from "../helpers.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const EXAMPLES = join(ROOT, "examples/plugins");
export const BAD = join(ROOT, "test/fixtures/plugins-bad");
const ADMIN = "loader-admin-token-0123456789";

/** A sim uplink for the tunnel device `wan.vxlan` would create. */
export const VXLAN_UPLINK: SimUplinkSpec = { device: "vx42", address: "198.18.51.2/30", gateway: "198.18.51.1", latencyMs: 8, jitterMs: 1 };

/** copyOut copies folders (by path) into one fresh temp directory; returns it. */
export async function copyOut(folders: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "multiwan-plugins-"));
  for (const f of folders) await cp(f, join(dir, f.split("/").pop()!), { recursive: true });
  return dir;
}

export interface LoaderRig {
  readonly registry: Registry;
  readonly loader: PluginLoader;
  readonly kernel: Kernel;
  readonly api: Api;
  readonly clock: FakeClock;
  readonly platform: SimPlatform;
  req(method: string, path: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

/** makeLoaderRig loads `dirs` (as --plugins would) and boots `config`. */
export async function makeLoaderRig(
  dirs: readonly string[],
  config: unknown,
  o: { timeoutMs?: number; limits?: Partial<PluginLimits> } = {},
): Promise<LoaderRig> {
  const registry = new Registry();
  registry.registerAll(builtinPlugins);
  const loader = new PluginLoader(registry, { sdk, log: silentLogger, timeoutMs: o.timeoutMs });
  await loader.load(dirs);
  const clock = new FakeClock(1_000_000);
  const platform = createSimPlatform({ clock, uplinks: [...UPLINKS, VXLAN_UPLINK], seed: 7 });
  const store = new MemoryConfigStore();
  store.current = { doc: config, revision: 1 };
  const kernel = new Kernel({
    registry,
    platform,
    store,
    clock,
    sections: { api: apiSection, hooks: hooksSection, plugins: pluginsSection },
    beforeValidate: async (doc) => void await loader.load(pluginDirsOf(doc)),
    log: silentLogger,
    pluginLogger: () => silentLogger,
    limits: o.limits,
  });
  await kernel.boot();
  const auth = new AuthStore({ adminToken: ADMIN });
  await auth.setPassword("correct horse");
  const api = createApp(kernel, { store: auth, log: silentLogger, clock });
  const req = (method: string, path: string, body?: unknown) =>
    Promise.resolve(api.app.request(path, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }));
  return {
    registry, loader, kernel, api, clock, platform, req,
    close: async () => {
      api.close();
      await kernel.shutdown({ cleanup: false });
    },
  };
}

/** removeDir deletes a temp directory made by copyOut. */
export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}
