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

/**
 * withNotice adds to a write's answer, when `api.listen` changed, what happens next: confirm
 * by `confirmBy` or it is reverted (the daemon follows api.listen), or it takes effect at the
 * next start (listeners fixed by --listen, or no daemon).
 */
export function withNotice(d: Deps, r: WriteResult, before: unknown, after: unknown): WriteResult & { notice?: string; confirmBy?: string } {
  if (!r.changed || JSON.stringify(listenOf(before)) === JSON.stringify(listenOf(after))) return r;
  const p = d.listeners?.pending();
  if (!p) {
    return { ...r, notice: "api.listen is stored, but this daemon's listeners are fixed (--listen): it takes effect at the next start without --listen" };
  }
  const by = new Date(p.deadline).toISOString();
  return {
    ...r,
    notice: `The API listens on ${p.listen.join(", ")} now, and on the old addresses until confirmed: POST ` +
      `/api/v1/config/confirm by ${by} (ideally through a new address) or api.listen is put back and the new listeners close`,
    confirmBy: by,
  };
}

export const writeResultSchema = {
  type: "object",
  required: ["revision", "changed"],
  properties: {
    revision: { type: "integer", description: "The config revision now in force (also the ETag)" },
    changed: { type: "boolean" },
    notice: { type: "string", description: "Set when api.listen changed: confirm it, or it takes effect at the next start" },
    confirmBy: { type: "string", format: "date-time", description: "api.listen changed: confirm before this or it is reverted" },
  },
};
