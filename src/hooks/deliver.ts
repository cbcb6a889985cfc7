/**
 * Delivery of one hook: run a script (argument array, no shell, timeout) or POST a
 * webhook (timeout, retries with exponential backoff).
 * @module
 */
import { host } from "../host/index.ts";
import type { ScriptHook, Webhook } from "./schema.ts";

/** What a hook is told about the event. */
export interface HookPayload {
  readonly event: string;
  readonly id: number;
  readonly at: string;
  readonly wan?: string;
  readonly device?: string;
  readonly state?: string;
  readonly previous?: string;
  readonly reason?: string;
  readonly summary?: string;
  /** cap events: warning, reached or reset, and the period's bytes. */
  readonly level?: string;
  readonly usedBytes?: number;
  readonly limitBytes?: number;
}

export type Outcome = "ok" | "failed" | "timeout";

/** runScript runs the command with the payload in MULTIWAN_* variables; never rejects. */
export async function runScript(hook: ScriptHook, p: HookPayload): Promise<{ outcome: Outcome; detail: string }> {
  const env: Record<string, string> = {
    PATH: safeEnv("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    MULTIWAN_EVENT: p.event,
    MULTIWAN_EVENT_ID: String(p.id),
    MULTIWAN_AT: p.at,
    MULTIWAN_WAN: p.wan ?? "",
    MULTIWAN_DEVICE: p.device ?? "",
    MULTIWAN_STATE: p.state ?? "",
    MULTIWAN_PREVIOUS: p.previous ?? "",
    MULTIWAN_REASON: p.reason ?? "",
    MULTIWAN_SUMMARY: p.summary ?? "",
    MULTIWAN_LEVEL: p.level ?? "",
    MULTIWAN_USED_BYTES: p.usedBytes === undefined ? "" : String(p.usedBytes),
    MULTIWAN_LIMIT_BYTES: p.limitBytes === undefined ? "" : String(p.limitBytes),
  };
  // Node's child_process is loaded with the first hook program run (it costs Deno ~2 MB resident).
  const { execFile } = await import("node:child_process");
  return new Promise((resolve) => {
    try {
      execFile(
        hook.argv[0],
        hook.argv.slice(1),
        { env, timeout: hook.timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 * 1024, windowsHide: true },
        (err, _stdout, stderr) => {
          if (!err) return resolve({ outcome: "ok", detail: "" });
          const killed = (err as { killed?: boolean }).killed;
          const line = String(stderr).trim().split("\n")[0]?.slice(0, 200) || err.message.slice(0, 200);
          resolve({ outcome: killed ? "timeout" : "failed", detail: line });
        },
      );
    } catch (err) {
      resolve({ outcome: "failed", detail: (err as Error).message });
    }
  });
}

function safeEnv(name: string): string | undefined {
  try {
    return host.env(name);
  } catch {
    return undefined; // Deno without --allow-env
  }
}

/** postWebhook POSTs the payload as JSON; 2xx is success, 5xx/429/network errors are retried. */
export async function postWebhook(
  hook: Webhook,
  p: HookPayload,
  sleep: (ms: number) => Promise<void>,
): Promise<{ outcome: Outcome; detail: string; attempts: number }> {
  let last: { outcome: Outcome; detail: string } = { outcome: "failed", detail: "" };
  for (let attempt = 0; attempt <= hook.retries; attempt++) {
    if (attempt > 0) await sleep(hook.backoffMs * 2 ** (attempt - 1));
    try {
      const res = await fetch(hook.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "multiwan-hooks" },
        body: JSON.stringify(p),
        signal: AbortSignal.timeout(hook.timeoutMs),
        redirect: "manual",
      });
      await res.body?.cancel().catch(() => {});
      if (res.status >= 200 && res.status < 300) return { outcome: "ok", detail: "", attempts: attempt + 1 };
      last = { outcome: "failed", detail: `HTTP ${res.status}` };
      if (res.status < 500 && res.status !== 429) return { ...last, attempts: attempt + 1 };
    } catch (err) {
      const timeout = (err as Error).name === "TimeoutError";
      last = { outcome: timeout ? "timeout" : "failed", detail: (err as Error).message.slice(0, 200) };
    }
  }
  return { ...last, attempts: hook.retries + 1 };
}
