/**
 * A daemon run as its own process (the release bundle, or the source tree), for the bundle
 * test and the idle-memory script: started with a given command, ready once it prints where
 * it listens, stopped with SIGTERM. The output is kept for failure messages.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import process from "node:process";

export interface DaemonProcess {
  readonly pid: number;
  /** `http://127.0.0.1:PORT` as the daemon printed it. */
  readonly url: string;
  /** Everything it wrote so far (stdout and stderr). */
  output(): string;
  /** stop sends SIGTERM and resolves with how it ended: an exit code or a signal name. */
  stop(): Promise<string>;
}

/** freePort asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

/** startDaemon runs `cmd args` in `cwd` and waits (at most `readyMs`) for its listen line. */
export function startDaemon(
  cmd: string,
  args: readonly string[],
  o: { cwd: string; env: Record<string, string>; readyMs?: number },
): Promise<DaemonProcess> {
  const child = spawn(cmd, [...args], { cwd: o.cwd, env: o.env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const ended = new Promise<string>((done) => {
    child.on("exit", (code, signal) => done(code !== null ? String(code) : String(signal)));
    child.on("error", (err) => done(`error: ${err.message}`));
  });
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`${cmd} did not say where it listens within ${o.readyMs ?? 20_000} ms:\n${out}`));
    }, o.readyMs ?? 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /panel and API at (http:\/\/[^\s/]+)\//.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off("data", onData);
      child.stdout.on("data", (c: Buffer) => void (out += c.toString()));
      done({
        pid: child.pid!,
        url: m[1],
        output: () => out,
        stop: () => {
          child.kill("SIGTERM");
          return ended;
        },
      });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (c: Buffer) => void (out += c.toString()));
    void ended.then((how) => {
      clearTimeout(timer);
      fail(new Error(`${cmd} ended (${how}) before listening:\n${out}`));
    });
  });
}

/** runInherited runs a command with its output on ours; resolves its exit code (127 when it cannot start). */
export function runInherited(cmd: string, args: readonly string[]): Promise<number> {
  return new Promise((done) => {
    const child = spawn(cmd, [...args], { stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", () => done(127));
    child.on("exit", (code) => done(code ?? 1));
  });
}

/** A clean stop: exit 0 (our handler), or 143/SIGTERM as Deno's node:child_process may report it. */
export const CLEAN_STOP = ["0", "143", "SIGTERM"];

/** minimalEnv is PATH plus the given variables: nothing from the caller leaks in (no NODE_PATH). */
export function minimalEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", ...extra };
}

/** checkServes: the panel at `/`, its script, `/docs`, and the status API (401 without the token). */
export async function checkServes(d: DaemonProcess, token: string): Promise<void> {
  const page = await fetch(`${d.url}/`);
  const html = await page.text();
  assert.equal(page.status, 200, d.output());
  assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
  const js = /<script type="module" src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(js, `the panel page names its script: ${html.slice(0, 300)}`);
  const asset = await fetch(`${d.url}${js}`);
  assert.equal(asset.status, 200);
  assert.ok((await asset.arrayBuffer()).byteLength > 1000);
  const docs = await fetch(`${d.url}/docs`);
  assert.equal(docs.status, 200);
  assert.match(await docs.text(), /<html/i);
  const anonymous = await fetch(`${d.url}/api/v1/status`);
  await anonymous.body?.cancel();
  assert.equal(anonymous.status, 401);
  const status = await fetch(`${d.url}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(status.status, 200, d.output());
  const body = await status.json() as { wans?: unknown; plan?: { carriers?: unknown[] } };
  assert.ok(body.wans && typeof body.wans === "object", JSON.stringify(body).slice(0, 300));
  assert.ok(Array.isArray(body.plan?.carriers));
}

/** A third-party plugin folder in plain JavaScript, next to the bundle (no node_modules). */
export const PLUGIN = `export function setup({ v, defineWan }) {
  return defineWan({
    id: "wan.bundletest", version: "1.0.0", kernel: "^1.0.0", title: "Bundle test", description: "Loaded by the release bundle.",
    schema: v.strictObject({ device: v.string() }),
    create: (_ctx, c) => ({
      device: c.device,
      start: () => Promise.resolve(),
      inspect: () => Promise.resolve({ device: c.device, present: true, carrier: true }),
    }),
  });
}
`;

/** checkPlugin: the plugin folder given with --plugins was imported and registered. */
export async function checkPlugin(d: DaemonProcess, token: string): Promise<void> {
  const r = await fetch(`${d.url}/api/v1/plugins/wan.bundletest`, { headers: { authorization: `Bearer ${token}` } });
  const text = await r.text();
  assert.equal(r.status, 200, `${text}\n${d.output()}`);
  assert.equal((JSON.parse(text) as { id?: string }).id, "wan.bundletest");
}
