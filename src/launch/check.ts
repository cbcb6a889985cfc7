/**
 * The running daemon's pre-apply check: a config change that needs a Deno permission this
 * process lacks (a new webhook host, hook command, tracker URL, log folder) is refused with
 * the permission's name and how to restart, instead of being accepted and failing at run
 * time. On Node every permission is granted, so nothing is refused.
 * @module
 */
import type { FieldIssue } from "../errors.ts";
import { configNeeds, type Need } from "./permissions.ts";

type Descriptor =
  | { name: "net"; host: string }
  | { name: "read" | "write"; path: string }
  | { name: "run"; command: string }
  | { name: "env"; variable: string }
  | { name: "sys"; kind: string };
type Query = (d: Descriptor) => { state: string };

function descriptorOf(n: Need): Descriptor {
  switch (n.kind) {
    case "net":
      return { name: "net", host: n.value };
    case "run":
      return { name: "run", command: n.value };
    case "env":
      return { name: "env", variable: n.value };
    case "sys":
      return { name: "sys", kind: n.value };
    default:
      return { name: n.kind, path: n.value };
  }
}

/** denoQuery is Deno's synchronous permission query, or undefined on Node. */
export function denoQuery(): Query | undefined {
  const deno = (globalThis as { Deno?: { permissions?: { querySync?: Query } } }).Deno;
  const q = deno?.permissions?.querySync;
  return typeof q === "function" ? (d) => q.call(deno!.permissions, d) : undefined;
}

/**
 * missingPermissions lists, as field issues, what `doc` needs that `query` does not grant.
 * Listen addresses are left out: the API's listen guard (web/listen-guard.ts) checks them.
 */
export function missingPermissions(doc: unknown, o: { query?: Query; cwd?: string } = {}): FieldIssue[] {
  const query = o.query ?? denoQuery();
  if (!query) return [];
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  const deno = (globalThis as { Deno?: { cwd(): string } }).Deno;
  for (const need of configNeeds(doc, o.cwd ?? deno?.cwd() ?? process.cwd())) {
    if (need.from.startsWith("api.listen")) continue;
    const flag = `--allow-${need.kind}=${need.value}`;
    let state = "denied";
    try {
      state = query(descriptorOf(need)).state;
    } catch {
      // An invalid descriptor (e.g. a malformed host) is not granted.
    }
    if (state === "granted" || seen.has(`${need.from} ${flag}`)) continue;
    seen.add(`${need.from} ${flag}`);
    issues.push({
      path: need.from,
      message: `Needs ${flag}, which the running daemon lacks; save the change in the config file and restart ` +
        "through the launcher (npm start, deno task start or multiwan daemon), which derives the permissions " +
        "from the config (audit them with multiwan permissions)",
    });
  }
  return issues;
}
