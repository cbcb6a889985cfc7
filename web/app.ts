/**
 * The HTTP API on Hono: every route comes from the route table (`router.ts`), guarded by
 * credentials; errors are problem+json. It depends only on the kernel's public facade.
 * @module
 */
import { Hono } from "hono";
import { type Clock, systemClock } from "../src/clock.ts";
import { host } from "../src/host/index.ts";
import type { Kernel } from "../src/kernel.ts";
import { logger, type Logger } from "../src/log.ts";
import { Guard } from "./auth/guard.ts";
import { randomPassword } from "./auth/password.ts";
import { AuthStore } from "./auth/store.ts";
import { DEFAULT_BODY_LIMIT } from "./body.ts";
import { field } from "./config-ops.ts";
import { type Deps, type ListenConfirm, type SchemaBook, schemaBook } from "./deps.ts";
import { HealthHistory } from "./history.ts";
import { HttpError, problemResponse, toHttpError } from "./problem.ts";
import { type ApiEnv, mount, type Route } from "./router.ts";
import { authRoutes } from "./routes/auth.ts";
import { configRoutes } from "./routes/config.ts";
import { EventStreams, eventRoutes } from "./routes/events.ts";
import { historyRoutes } from "./routes/history.ts";
import { importRoutes } from "./routes/import.ts";
import { metaRoutes } from "./routes/meta.ts";
import { modeRoutes } from "./routes/mode.ts";
import { revisionRoutes } from "./routes/revisions.ts";
import { simRoutes } from "./routes/sim.ts";
import { statusRoutes } from "./routes/status.ts";
import type { SimControl } from "./sim-control.ts";
import { mountPanel } from "./static.ts";
import { wanRoutes } from "./routes/wans.ts";

export interface ApiOptions {
  /** Credentials (hashed); default: in memory only. */
  readonly store?: AuthStore;
  /** Largest request body in bytes (default 256 KiB). */
  readonly bodyLimit?: number;
  readonly loginsPerMinute?: number;
  /** Extra Prometheus text appended to /metrics (hook counters). */
  readonly extraMetrics?: () => string;
  /** SSE keep-alive period (default 15 s). */
  readonly heartbeatMs?: number;
  readonly log?: Logger;
  /** The built panel (default `web/panel/dist/`). */
  readonly panelDir?: string;
  /** The simulator, on the sim dataplane only: enables `/api/v1/sim...`. */
  readonly sim?: SimControl;
  /** Time for the health history's sampling (default the system clock; tests pass the kernel's). */
  readonly clock?: Clock;
  /** The daemon's listeners: api.listen changes wait for POST /api/v1/config/confirm. */
  readonly listeners?: ListenConfirm;
}

/** The API: the Hono app, its route table, and `close()` to end open event streams. */
export interface Api {
  readonly app: Hono<ApiEnv>;
  readonly routes: readonly Route[];
  readonly guard: Guard;
  fetch(req: Request, env?: unknown): Response | Promise<Response>;
  close(): void;
}

/** createApp builds the API over a booted kernel. */
export function createApp(kernel: Kernel, opts: ApiOptions = {}): Api {
  const log = opts.log ?? logger("api");
  const guard = new Guard({
    store: opts.store ?? new AuthStore(),
    configHash: () => field(field(kernel.config.doc, "api"), "passwordHash") as string | undefined,
    loginsPerMinute: opts.loginsPerMinute,
  });
  // The JSON Schemas follow the kernel's schema, which grows when a config write loads plugins.
  let book: { of: Kernel["schema"]; book: SchemaBook } | undefined;
  const deps: Deps = {
    kernel,
    guard,
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    get book() {
      if (book?.of !== kernel.schema) book = { of: kernel.schema, book: schemaBook(kernel) };
      return book.book;
    },
    extraMetrics: opts.extraMetrics,
    listeners: opts.listeners,
  };
  const streams = new EventStreams(opts.heartbeatMs);
  const history = new HealthHistory({ read: () => kernel.status({ flows: false }), clock: opts.clock ?? systemClock });
  const routes: Route[] = [];
  routes.push(
    ...statusRoutes(deps),
    ...configRoutes(deps),
    ...revisionRoutes(deps),
    ...importRoutes(deps),
    ...wanRoutes(deps),
    ...modeRoutes(deps),
    ...eventRoutes(deps, streams),
    ...historyRoutes(deps, history),
    ...simRoutes(deps, opts.sim),
    ...authRoutes(deps),
    ...metaRoutes(deps, () => routes),
  );

  const app = new Hono<ApiEnv>();
  app.use(async (c, next) => {
    await next();
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
    if (!c.res.headers.has("cache-control")) c.header("cache-control", "no-store");
  });
  mount(app, routes, guard);
  mountPanel(app, { dir: opts.panelDir });
  app.notFound(async (c) => {
    const p = c.req.path;
    if (p.startsWith("/api/") || p === "/metrics") await guard.authenticate(c).catch((err) => Promise.reject(err));
    if (!opts.sim && /^\/api\/v1\/sim(\/|$)/.test(p)) throw new HttpError(404, "E_NOT_SIM", "The simulator exists only on the sim dataplane");
    return problemResponse(c, new HttpError(404, "E_NOT_FOUND", "No such resource"));
  });
  app.onError((err, c) => {
    const e = toHttpError(err);
    if (e.status >= 500) log.error("{method} {path}: {error}", { method: c.req.method, path: c.req.path, error: String(err) });
    return problemResponse(c, e);
  });
  history.start();
  return {
    app,
    routes,
    guard,
    fetch: app.fetch,
    close: () => {
      history.close();
      streams.close();
    },
  };
}

/**
 * startApi loads the credential store from `stateDir/auth.json` and, on first start,
 * sets the admin password (MULTIWAN_ADMIN_PASSWORD, or a random one printed once).
 */
export async function startApi(
  kernel: Kernel,
  opts: ApiOptions & { stateDir?: string; adminToken?: string; initialPassword?: string } = {},
): Promise<Api> {
  const adminToken = opts.adminToken ?? envVar("MULTIWAN_ADMIN_TOKEN");
  const store = new AuthStore({ path: opts.stateDir && `${opts.stateDir}/auth.json`, adminToken });
  await store.load();
  const fromConfig = field(field(kernel.config.doc, "api"), "passwordHash");
  if (!store.hasPassword && fromConfig === undefined) {
    const given = opts.initialPassword ?? envVar("MULTIWAN_ADMIN_PASSWORD");
    const password = given ?? randomPassword();
    await store.setPassword(password);
    if (!given) {
      console.warn(`multiwan: first start: the admin password is ${password} (change it: PUT /api/v1/auth/password)`);
    }
  }
  return createApp(kernel, { ...opts, store });
}

/** envVar reads the environment; Deno without --allow-env gives undefined rather than throwing. */
function envVar(name: string): string | undefined {
  try {
    return host.env(name) || undefined;
  } catch {
    return undefined;
  }
}
