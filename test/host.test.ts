/**
 * The host port, on the runtime the suite runs on: `npm test` checks Node's adapter,
 * `npm run test:deno` Deno's (the same cases).
 */
import { strict as assert } from "node:assert";
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type Child, type ChildExit, host } from "../src/host/index.ts";
import { CommandError, createRunner, lineSplitter } from "../src/platform/linux/run.ts";

const ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" };
const onDeno = "Deno" in globalThis;

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "multiwan-host-"));
  dirs.push(d);
  return d;
}

/** Runs argv to its end, collecting its output. */
async function collect(argv: string[], input?: string): Promise<{ out: string; err: string; exit: ChildExit; child: Child }> {
  let out = "", err = "";
  const child = host.spawn(argv, { env: ENV, stdin: input !== undefined, onStdout: (t) => (out += t), onStderr: (t) => (err += t) });
  if (input !== undefined) child.end(input);
  const exit = await child.closed;
  return { out, err, exit, child };
}

describe(`host (${onDeno ? "Deno" : "Node"})`, () => {
  it("is the adapter of the runtime it runs on", () => {
    assert.equal(host.runtime, onDeno ? "deno" : "node");
  });

  it("runs a child: output, exit code, stdin, and no shell", async () => {
    const r = await collect(["sh", "-c", 'echo "out $1"; echo err >&2; exit 3', "sh", "a;b"]);
    assert.deepEqual([r.out, r.err, r.exit.code, r.exit.signal], ["out a;b\n", "err\n", 3, null]);
    assert.equal(r.child.running, false);
    const echo = await collect(["cat"], "fed through stdin\n");
    assert.equal(echo.out, "fed through stdin\n");
    assert.equal(echo.exit.code, 0);
  });

  it("hands on all of a large output, in order, and its environment is only what it was given", async () => {
    const r = await collect(["sh", "-c", "seq 1 20000; env"]);
    const lines = r.out.trim().split("\n");
    assert.deepEqual(lines.slice(0, 20000).map(Number), Array.from({ length: 20000 }, (_, i) => i + 1));
    const env = lines.slice(20000).filter((l) => !/^(PWD|SHLVL|_)=/.test(l)).sort();
    assert.deepEqual(env, ["LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]);
  });

  it("writes to a long-lived child several times, then kills it", async () => {
    let out = "";
    const child = host.spawn(["cat"], { env: ENV, stdin: true, onStdout: (t) => (out += t) });
    assert.equal(child.running, true);
    assert.ok(child.pid !== undefined && child.pid > 0);
    child.write("one\n");
    child.write("two\n");
    for (let i = 0; i < 100 && out !== "one\ntwo\n"; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(out, "one\ntwo\n");
    child.kill("SIGTERM");
    const exit = await child.closed;
    assert.deepEqual([exit.code, exit.signal], [null, "SIGTERM"]);
    child.kill("SIGKILL"); // after the end: nothing happens
    child.write("ignored\n");
  });

  it("stops waiting for output a grandchild holds open when asked (a timeout)", async () => {
    const child = host.spawn(["sh", "-c", "sleep 30 & echo started"], { env: ENV, onStdout: () => {} });
    const race = await Promise.race([child.closed.then(() => "closed"), new Promise((r) => setTimeout(() => r("waiting"), 300))]);
    assert.equal(race, "waiting", "the sleep holds stdout open after sh exited");
    assert.equal(child.running, false, "sh itself has exited");
    child.abortOutput();
    const exit = await child.closed;
    assert.equal(exit.code, 0);
  });

  it("reports a missing binary as ENOENT instead of throwing", async () => {
    const r = await collect(["multiwan-no-such-binary"]);
    assert.equal(r.exit.error?.code, "ENOENT");
    assert.equal(r.child.running, false);
    const bad = await collect(["echo", "a\u0000b"]);
    assert.ok(bad.exit.error || bad.exit.code !== 0 || bad.out !== "a\u0000b\n", "a NUL byte in an argument ends, never throws");
  });

  it("files: durable exclusive create with a mode, read, list, rename, remove", async () => {
    const d = await tempDir();
    const f = join(d, "a.json");
    await host.writeNewDurable(f, "héllo\n", 0o600);
    assert.equal(await readFile(f, "utf8"), "héllo\n");
    assert.equal((await stat(f)).mode & 0o777, 0o600);
    await assert.rejects(host.writeNewDurable(f, "again", 0o600), (e: { code?: string }) => e.code === "EEXIST");
    assert.equal(await host.readText(f), "héllo\n");
    assert.deepEqual([...await host.readBytes(f)].slice(0, 2), [0x68, 0xc3]);
    assert.equal(host.readTextSync(f), "héllo\n");
    await host.mkdir(join(d, "sub", "deeper"), 0o700);
    await host.mkdir(join(d, "sub")); // exists: fine
    assert.equal((await stat(join(d, "sub", "deeper"))).mode & 0o777, 0o700);
    await symlink(join(d, "sub"), join(d, "link"));
    const list = (await host.readDir(d)).sort((x, y) => x.name.localeCompare(y.name));
    assert.deepEqual(list.map((e) => [e.name, e.isFile, e.isDirectory, e.isSymlink]), [
      ["a.json", true, false, false],
      ["link", false, false, true],
      ["sub", false, true, false],
    ]);
    const info = await host.stat(join(d, "link"));
    assert.equal(info.isDirectory, true, "stat follows a link");
    assert.ok(Math.abs(info.mtimeMs - Date.now()) < 60_000);
    await host.rename(f, join(d, "b.json"));
    await host.syncDir(d);
    await assert.rejects(host.readText(f), (e: { code?: string }) => e.code === "ENOENT");
    await assert.rejects(host.remove(join(d, "sub")), "a folder with content stays");
    await host.remove(join(d, "never-there"));
    await host.remove(join(d, "link"));
    assert.deepEqual((await host.readDir(d)).map((e) => e.name).sort(), ["b.json", "sub"]);
    await writeFile(join(d, "plain"), "x");
    await assert.rejects(host.readDir(join(d, "plain")));
    await host.mkdir(join(d, "empty"));
    await host.remove(join(d, "empty"));
    assert.ok(!(await host.readDir(d)).some((e) => e.name === "empty"), "an empty folder is removed");
  });
});

describe("Runner.run timeouts", () => {
  it("a command past its time is stopped and reported; one that exits leaving a background job is not waited for", async () => {
    const runner = createRunner();
    const t0 = Date.now();
    await assert.rejects(runner.run(["sleep", "5"], { timeoutMs: 200 }), (e: CommandError) => /timed out or killed \(SIGTERM\)/.test(e.message));
    const r = await runner.run(["sh", "-c", "sleep 30 & echo done"], { timeoutMs: 300 });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "done\n");
    assert.ok(Date.now() - t0 < 3000, "neither call waited for its sleep");
    const trap = await runner.run(["sh", "-c", "trap 'exit 0' TERM; sleep 5 & wait"], { timeoutMs: 200 });
    assert.equal(trap.code, 0, "a command that exits by itself after the signal is judged by its code");
  });
});

describe("lineSplitter", () => {
  it("gives whole lines whatever the chunks, without CR or LF", () => {
    const lines: string[] = [];
    const feed = lineSplitter((l) => lines.push(l));
    for (const chunk of ["PING 198.19", ".0.1\n64 bytes", " from\r\n", "\n", "no end yet"]) feed(chunk);
    assert.deepEqual(lines, ["PING 198.19.0.1", "64 bytes from", ""]);
    feed("\n");
    assert.equal(lines.at(-1), "no end yet");
  });
});
