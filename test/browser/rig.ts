/**
 * Rig for the panel's browser tests: the real daemon as a child process on the sim world
 * (with the test-only WAN type loaded by `--plugins`), Debian's Chromium driven by playwright-core (never a
 * downloaded browser; no traffic leaves loopback), an admin API client, and axe-core.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, BrowserType, Locator, Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const PASSWORD = "browser-test-pass-1";
export const ADMIN_TOKEN = "browser-test-admin-token-0123456789";
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const ARTIFACTS = join(ROOT, "test/artifacts");

let chromium: BrowserType | undefined;

/**
 * Why the suite cannot run here, or undefined: no Chromium, or playwright-core cannot load
 * (on Deno it reads /proc at import, which needs --allow-all).
 */
export async function missingChromium(): Promise<string | undefined> {
  if (!existsSync(CHROMIUM)) return `needs chromium (${CHROMIUM}; apt-get install chromium)`;
  try {
    chromium = (await import("playwright-core")).chromium;
    return undefined;
  } catch (err) {
    return `needs playwright-core to load (on Deno: --allow-all; it reads /proc): ${(err as Error).message.split("\n")[0]}`;
  }
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The daemon under test. */
export class Daemon {
  readonly base: string;
  readonly stateDir: string;
  #child: ChildProcess | undefined;
  #port: number;
  output = "";

  private constructor(port: number, stateDir: string) {
    this.#port = port;
    this.base = `http://127.0.0.1:${port}`;
    this.stateDir = stateDir;
  }

  /**
   * start builds the panel if needed and starts the daemon. With `followListen` the port goes
   * into the config's api.listen instead of --listen, so the listeners follow api.listen
   * (confirm-or-revert, within `confirmS` seconds).
   */
  static async start(opts: { followListen?: boolean; confirmS?: number } = {}): Promise<Daemon> {
    if (!existsSync(join(ROOT, "web/panel/dist/index.html"))) {
      const { buildPanel } = await import("../../web/panel/build.ts");
      await buildPanel({ quiet: true });
    }
    const d = new Daemon(await freePort(), await mkdtemp(join(tmpdir(), "multiwan-browser-")));
    if (opts.followListen) {
      const { demoConfig } = await import("../../src/platform/sim/demo.ts");
      const doc = { revision: 1, ...demoConfig, api: { listen: [`127.0.0.1:${d.#port}`] }, history: { confirmS: opts.confirmS ?? 60 } };
      await writeFile(join(d.stateDir, "config.json"), JSON.stringify(doc, null, 2));
      d.#fixed = false;
    }
    await d.launch();
    return d;
  }

  #fixed = true;

  /** freePort finds a loopback port nobody listens on (for a second listen address). */
  static freePort(): Promise<number> {
    return freePort();
  }

  async launch(): Promise<void> {
    const args = [
      "--import", "tsx", "src/main.ts", "--plugins", "test/fixtures/plugins/wan-testonly",
      "--no-scenario", ...(this.#fixed ? ["--listen", `127.0.0.1:${this.#port}`] : []), "--state-dir", this.stateDir,
    ];
    const child = spawn("node", args, {
      cwd: ROOT,
      env: { ...process.env, MULTIWAN_ADMIN_PASSWORD: PASSWORD, MULTIWAN_ADMIN_TOKEN: ADMIN_TOKEN },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    child.stdout!.on("data", (b) => (this.output += b));
    child.stderr!.on("data", (b) => (this.output += b));
    for (let i = 0; i < 150; i++) {
      if (child.exitCode !== null) throw new Error(`daemon exited (${child.exitCode}):\n${this.output}`);
      try {
        const res = await fetch(`${this.base}/api/v1/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        await res.body?.cancel();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`daemon did not answer:\n${this.output}`);
  }

  /** stop ends the daemon (SIGTERM, then SIGKILL) and waits for it. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    await gone;
    clearTimeout(t);
  }

  async close(): Promise<void> {
    await this.stop();
    await rm(this.stateDir, { recursive: true, force: true });
  }

  /** api calls the daemon with the admin token; returns status, body and ETag. */
  async api<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${this.base}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, etag: res.headers.get("etag"), data: (text ? JSON.parse(text) : undefined) as T };
  }
}

/**
 * launchBrowser starts Debian's Chromium headless with no background traffic; playwright
 * gives it a fresh temporary profile (user-data dir) of its own and removes it on close.
 */
export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  if (!chromium) throw new Error("call missingChromium() first");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync",
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => {});
    },
  };
}

/** A page that records CSP violations, page errors and every request's URL. */
export interface Watched {
  readonly page: Page;
  readonly ctx: BrowserContext;
  readonly problems: string[];
  readonly urls: string[];
}

export async function openPage(
  browser: Browser,
  opts: { width?: number; height?: number; scheme?: "light" | "dark" } = {},
): Promise<Watched> {
  const ctx = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
    colorScheme: opts.scheme ?? "light",
    serviceWorkers: "block",
  });
  const page = await ctx.newPage();
  const problems: string[] = [];
  const urls: string[] = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  page.on("request", (r) => urls.push(r.url()));
  return { page, ctx, problems, urls };
}

/** login fills the login form and waits for the Multi-WAN page. */
export async function login(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/#/`);
  await page.locator("#password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.locator("li.wan").first().waitFor();
}

let axeSource: string | undefined;

/** axe runs axe-core in the page (injected through the debugger, so the CSP stays strict). */
export async function axe(page: Page): Promise<{ id: string; impact: string; help: string; nodes: string[] }[]> {
  axeSource ??= await readFile(join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");
  await page.evaluate(axeSource);
  return await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const axe = (globalThis as any).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    // deno-lint-ignore no-explicit-any
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      // deno-lint-ignore no-explicit-any
      nodes: v.nodes.slice(0, 3).map((n: any) => n.target.join(" ")),
    }));
  });
}

/** shot saves a screenshot under test/artifacts/ (git-ignored). */
export async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}

/** What a browser test file shares: why it skips (if it does), the daemon, the browser, a logged-in page. */
export interface Suite {
  readonly skip: string | undefined;
  daemon: Daemon;
  browser: Browser;
  main: Watched;
}

/**
 * suite sets up a browser test file: says loudly when Chromium is missing (the tests skip),
 * else starts the daemon (with `opts`) and the browser before the tests, logs a page in,
 * calls `ready`, and stops both after them.
 */
export async function suite(opts: Parameters<typeof Daemon.start>[0], ready: (s: Suite) => void): Promise<Suite> {
  const missing = await missingChromium();
  if (missing) console.warn(`\n*** skipped: ${missing} ***\n`);
  const s = { skip: missing ? `skipped: ${missing}` : undefined } as Suite;
  let close: (() => Promise<void>) | undefined;
  before(async () => {
    if (missing) return;
    s.daemon = await Daemon.start(opts);
    ({ browser: s.browser, close } = await launchBrowser());
    s.main = await openPage(s.browser);
    await login(s.main.page, s.daemon.base);
    ready(s);
  });
  after(async () => {
    if (missing) return;
    await close?.();
    await s.daemon?.close();
  });
  return s;
}

/** shotOf saves a screenshot of one element (a card) under test/artifacts/. */
export async function shotOf(target: Locator, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await target.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** until polls `fn` until it returns a truthy value or `ms` pass; returns the value or throws. */
export async function until<T>(what: string, ms: number, fn: () => Promise<T> | T, every = 100): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${String(last)})`);
    await sleep(every);
  }
}
