/**
 * Conntrack access: delete only the flows carrying one uplink's mark, and count flows
 * per mark for status.
 * @module
 */
import { hex } from "./marks.ts";
import type { Runner } from "./run.ts";

/** flushMark deletes the flows (of one family, else of both) whose ct mark matches `mark` under `mask`; returns how many. */
export async function flushMark(runner: Runner, mark: number, mask: number, family?: "ipv4" | "ipv6"): Promise<number> {
  // Exit code 1 with "0 flow entries have been deleted" means there was nothing to delete.
  // Without -f conntrack deletes the flows of both families (conntrack-tools 1.4.7): one fork.
  const r = await runner.run(["conntrack", "-D", ...(family ? ["-f", family] : []), "--mark", `${hex(mark)}/${hex(mask)}`], { okCodes: [0, 1] });
  const m = /(\d+) flow entr(?:y|ies) ha(?:s|ve) been deleted/.exec(r.stderr);
  if (m) return Number(m[1]);
  if (r.code !== 0) throw new Error(`conntrack -D failed: ${r.stderr.trim()}`);
  return r.stdout.split("\n").filter((l) => l.trim()).length;
}

/** countByMark lists all flows (of one family, else of both) once and counts them per masked ct mark. */
export async function countByMark(runner: Runner, mask: number, family?: "ipv4" | "ipv6"): Promise<Map<number, number>> {
  const r = await runner.run(["conntrack", "-L", ...(family ? ["-f", family] : [])], { okCodes: [0, 1], timeoutMs: 30_000 });
  return parseCounts(r.stdout, mask);
}

/** parseCounts counts `mark=N` occurrences per masked value in `conntrack -L` output. */
export function parseCounts(text: string, mask: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const line of text.split("\n")) {
    const m = / mark=(\d+)/.exec(line);
    if (!m) continue;
    const v = (Number(m[1]) & mask) >>> 0;
    if (v === 0) continue;
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}
