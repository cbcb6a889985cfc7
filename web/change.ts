/**
 * Who writes the config and what the answer says: the author and remote address that go
 * into the config history, and the notice a change of `api.listen` gets.
 * @module
 */
import type { ChangeMeta } from "../src/config/history.ts";
import { clientAddress } from "./auth/guard.ts";
import type { WriteResult } from "./config-ops.ts";
import type { Deps } from "./deps.ts";
import { listenOf } from "./listen-guard.ts";
import type { ApiContext } from "./router.ts";

/** changeOf names who writes (token name, the environment's token, the session) and from where. */
export function changeOf(d: Deps, c: ApiContext, what: { summary?: string; label?: string } = {}): ChangeMeta {
  const who = c.get("principal");
  const name = who?.kind === "token"
    ? `token:${d.guard.store.listTokens().find((t) => t.id === who.id)?.name ?? who.id}`
    : who?.kind === "env"
    ? "token:MULTIWAN_ADMIN_TOKEN"
    : who?.kind === "session"
    ? "session:admin"
    : "unknown";
  const via = /^multiwan-cli\//.test(c.req.header("user-agent") ?? "") ? " via cli" : "";
  return { author: name + via, remote: clientAddress(c), ...what };
}

/** A write's answer, with a notice when `api.listen` changed (it takes effect at the next start). */
export function withNotice(r: WriteResult, before: unknown, after: unknown): WriteResult & { notice?: string } {
  if (!r.changed || JSON.stringify(listenOf(before)) === JSON.stringify(listenOf(after))) return r;
  return { ...r, notice: "api.listen takes effect at the next start of the daemon (the current listeners stay until then)" };
}

export const writeResultSchema = {
  type: "object",
  required: ["revision", "changed"],
  properties: {
    revision: { type: "integer", description: "The config revision now in force (also the ETag)" },
    changed: { type: "boolean" },
    notice: { type: "string", description: "Set when api.listen changed: it takes effect at the next start" },
  },
};
