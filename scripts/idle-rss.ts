/**
 * Idle memory of the release bundle against the source tree: each variant runs the daemon on
 * the sim world (4 uplinks, demo fault cycle off) in its own temp state dir, and VmRSS is read
 * from /proc after `--wait` seconds (default 20). Variants, one at a time: bundle on node,
 * bundle on deno (the README's permission line), source on node (`node --import tsx`),
 * source on deno (`deno run` with the launcher's permissions for the tree).
 * Run: `npm run build && node --import tsx scripts/idle-rss.ts [--wait 20]`.
 * @module
 */
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { freePort, minimalEnv, startDaemon } from "../test/release/daemon-process.ts";
import { ROOT } from "./build-release.ts";

const DENO = join(ROOT, "node_modules", "deno", "deno");
const BUNDLE = join(ROOT, "dist", "multiwan.mjs");

type Variant = { name: string; cmd: string; args: (state: string, listen: string) => string[] };

const VARIANTS: Variant[] = [
  { name: "bundle, node", cmd: "node", args: () => [BUNDLE] },
  {
    name: "bundle, deno",
    cmd: DENO,
    args: (s, l) => ["run", "--no-prompt", `--allow-net=${l}`, `--allow-read=${s}`, `--allow-write=${s}`, "--allow-env=MULTIWAN_ADMIN_TOKEN,MULTIWAN_ADMIN_PASSWORD", BUNDLE],
  },
  { name: "source, node + tsx", cmd: "node", args: () => ["--import", "tsx", join(ROOT, "src", "main.ts")] },
  {
    name: "source, deno",
    cmd: DENO,
    args: (s, l) => ["run", "--no-prompt", `--allow-net=${l}`, `--allow-read=${ROOT},${s}`, `--allow-write=${s}`, "--allow-env=MULTIWAN_ADMIN_TOKEN,MULTIWAN_ADMIN_PASSWORD", join(ROOT, "src", "main.ts")],
  },
];

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

const i = process.argv.indexOf("--wait");
const waitS = i > 0 ? Number(process.argv[i + 1]) : 20;
console.log(`| variant | VmRSS after ${waitS} s |\n|---|---|`);
for (const v of VARIANTS) {
  const state = await mkdtemp(join(tmpdir(), "multiwan-rss-"));
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const d = await startDaemon(v.cmd, [...v.args(state, listen), "--listen", listen, "--state-dir", state, "--no-scenario"], {
    cwd: ROOT,
    env: minimalEnv({ MULTIWAN_ADMIN_TOKEN: "rss", DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" }),
  });
  await new Promise((r) => setTimeout(r, waitS * 1000));
  const mb = await rssMb(d.pid);
  await d.stop();
  await rm(state, { recursive: true, force: true });
  console.log(`| ${v.name} | ${mb.toFixed(1)} MB |`);
}
