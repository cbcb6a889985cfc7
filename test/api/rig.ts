/**
 * Test rig for the API: a booted kernel on the sim world (fake clock, memory store), the
 * `api` and `hooks` sections, a test-only WAN plugin registered at start-up, and the app.
 */
import * as v from "valibot";
import { FakeClock } from "../../src/clock.ts";
import { MemoryConfigStore } from "../../src/config/store.ts";
import { hooksSection } from "../../src/hooks/index.ts";
import { Kernel } from "../../src/kernel.ts";
import { silentLogger } from "../../src/log.ts";
import type { AnyPlugin, WanPlugin } from "../../src/plugin.ts";
import { createSimPlatform, type SimPlatform } from "../../src/platform/sim/index.ts";
import { Registry } from "../../src/registry.ts";
import { builtinPlugins } from "../../plugins/builtin.ts";
import { apiSection } from "../../web/api-schemas.ts";
import { type Api, createApp } from "../../web/app.ts";
import { AuthStore } from "../../web/auth/store.ts";
import { fourWans, UPLINKS } from "../helpers.ts";

export const ADMIN = "test-admin-token-0123456789";

const testonlySchema = v.strictObject({
  device: v.pipe(v.string(), v.minLength(1), v.title("Device")),
  failStart: v.optional(v.pipe(v.boolean(), v.title("Fail on start (tests)")), false),
  marker: v.optional(v.pipe(v.string(), v.title("Test-only marker"), v.description("Proves generation from the registry"))),
});

/** A WAN type that exists only in tests; `failStart` makes its start throw (rollback tests). */
export const testonlyWan = {
  id: "wan.testonly",
  version: "0.0.1",
  kernel: "^1.0.0",
  title: "Test only",
  description: "Registered by the API tests at start-up.",
  schema: testonlySchema,
  create(_ctx, config) {
    return {
      device: config.device,
      start: () => (config.failStart ? Promise.reject(new Error("refused to start (test)")) : Promise.resolve()),
      inspect: () => Promise.resolve({ device: config.device, present: true, carrier: true, details: {} }),
    };
  },
} satisfies WanPlugin<typeof testonlySchema>;

export interface ApiRig {
  readonly kernel: Kernel;
  readonly store: MemoryConfigStore;
  readonly auth: AuthStore;
  readonly api: Api;
  readonly clock: FakeClock;
  readonly platform: SimPlatform;
  /** request sends to the app in-process; `token` false sends no credential. */
  req(method: string, path: string, o?: ReqOptions): Promise<Response>;
  close(): Promise<void>;
}

export interface ReqOptions {
  readonly body?: unknown;
  readonly raw?: string;
  readonly token?: string | false;
  readonly headers?: Record<string, string>;
}

export async function makeApiRig(
  opts: { config?: unknown; loginsPerMinute?: number; password?: string; plugins?: readonly AnyPlugin[] } = {},
): Promise<ApiRig> {
  const clock = new FakeClock(1_000_000);
  const platform = createSimPlatform({ clock, uplinks: UPLINKS, seed: 7 });
  const store = new MemoryConfigStore();
  store.current = { doc: opts.config ?? fourWans(), revision: 1 };
  const registry = new Registry();
  registry.registerAll([...builtinPlugins, testonlyWan, ...(opts.plugins ?? [])]);
  const kernel = new Kernel({
    registry,
    platform,
    store,
    clock,
    sections: { api: apiSection, hooks: hooksSection },
    log: silentLogger,
    pluginLogger: () => silentLogger,
  });
  await kernel.boot();
  const auth = new AuthStore({ adminToken: ADMIN });
  await auth.setPassword(opts.password ?? "correct horse");
  const api = createApp(kernel, { store: auth, loginsPerMinute: opts.loginsPerMinute ?? 1000, log: silentLogger, bodyLimit: 64 * 1024, clock });
  const req = (method: string, path: string, o: ReqOptions = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== false) headers.authorization ??= `Bearer ${o.token ?? ADMIN}`;
    let body: string | undefined = o.raw;
    if (o.body !== undefined && method !== "GET" && method !== "HEAD") {
      body = JSON.stringify(o.body);
      headers["content-type"] ??= "application/json";
    }
    return Promise.resolve(api.app.request(path, { method, headers, body }));
  };
  return {
    kernel,
    store,
    auth,
    api,
    clock,
    platform,
    req,
    close: async () => {
      api.close();
      await kernel.shutdown({ cleanup: false });
    },
  };
}
