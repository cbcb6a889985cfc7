/**
 * API tokens (create read or admin tokens, the secret shown once; revoke) and the admin
 * password.
 * @module
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError, get, request } from "./api.ts";
import type { TokenInfo } from "./types.ts";

export function TokensPage() {
  const [tokens, setTokens] = useState<TokenInfo[]>();
  const [created, setCreated] = useState<{ name: string; token: string }>();
  const [error, setError] = useState<string>();
  const [said, setSaid] = useState<string>();
  const load = () => get<{ tokens: TokenInfo[] }>("/tokens").then(({ data }) => setTokens(data.tokens)).catch((e) => setError((e as Error).message));
  useEffect(() => {
    load();
  }, []);

  return (
    <main id="main" tabIndex={-1} class="page narrow-page">
      <h1>API tokens and password</h1>
      <section class="card" aria-labelledby="h-tokens">
        <h2 id="h-tokens">API tokens</h2>
        <p class="help">Scripts send a token as <code>Authorization: Bearer …</code>. A read token can only look; an admin token can change everything.</p>
        {error && <p class="notice error" role="alert">{error}</p>}
        {tokens && tokens.length === 0 && <p class="muted">No tokens yet.</p>}
        {tokens && tokens.length > 0 && (
          <table class="tokens">
            <caption class="sr-only">Existing tokens</caption>
            <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>{t.role}</td>
                  <td>{new Date(t.createdAt).toLocaleString()}</td>
                  <td>{t.lastUsedAt ? new Date(t.lastUsedAt).toLocaleString() : "never"}</td>
                  <td>
                    <button
                      type="button"
                      class="small danger"
                      aria-label={`Revoke ${t.name}`}
                      onClick={async () => {
                        if (!confirm(`Revoke the token ${t.name}? Scripts using it stop working.`)) return;
                        try {
                          await request("DELETE", `/tokens/${encodeURIComponent(t.id)}`);
                          setSaid(`Token ${t.name} revoked.`);
                        } catch (err) {
                          setError((err as Error).message);
                        }
                        load();
                      }}
                    >Revoke</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <form
          class="token-form"
          onSubmit={async (e) => {
            e.preventDefault();
            const f = e.currentTarget;
            const name = (f.elements.namedItem("name") as HTMLInputElement).value.trim();
            const role = (f.elements.namedItem("role") as HTMLSelectElement).value;
            setError(undefined);
            try {
              const { data } = await request<{ token: string; name: string }>("POST", "/tokens", { body: { name, role } });
              setCreated({ name: data.name, token: data.token });
              f.reset();
              load();
            } catch (err) {
              setError(err instanceof ApiError && err.issues.length ? err.issues.map((i) => i.message).join("; ") : (err as Error).message);
            }
          }}
        >
          <h3>New token</h3>
          <div class="field">
            <label for="token-name">Name</label>
            <input id="token-name" name="name" required maxLength={64} autocomplete="off" placeholder="e.g. monitoring" />
          </div>
          <div class="field">
            <label for="token-role">Role</label>
            <select id="token-role" name="role">
              <option value="read">read (look only)</option>
              <option value="admin">admin (change everything)</option>
            </select>
          </div>
          <button type="submit" class="primary">Create token</button>
        </form>
        {created && (
          <div class="notice ok secret" role="status">
            <p>Token <strong>{created.name}</strong> created. Copy it now: it is not shown again.</p>
            <label for="new-token">Token</label>
            <input id="new-token" readOnly value={created.token} onFocus={(e) => e.currentTarget.select()} />
            <button type="button" class="small" onClick={() => setCreated(undefined)}>I have copied it</button>
          </div>
        )}
        <p class="sr-only" aria-live="polite">{said}</p>
      </section>
      <PasswordCard />
    </main>
  );
}

function PasswordCard() {
  const [msg, setMsg] = useState<{ ok: boolean; text: string }>();
  return (
    <section class="card" aria-labelledby="h-password">
      <h2 id="h-password">Admin password</h2>
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const f = e.currentTarget;
          const a = (f.elements.namedItem("pw1") as HTMLInputElement).value;
          const b = (f.elements.namedItem("pw2") as HTMLInputElement).value;
          if (a !== b) return setMsg({ ok: false, text: "The two passwords differ." });
          try {
            await request("PUT", "/auth/password", { body: { password: a } });
            setMsg({ ok: true, text: "Password changed. Every session has ended: log in again with the new password." });
            f.reset();
          } catch (err) {
            setMsg({ ok: false, text: err instanceof ApiError && err.issues.length ? err.issues.map((i) => i.message).join("; ") : (err as Error).message });
          }
        }}
      >
        <div class="field">
          <label for="pw1">New password</label>
          <input id="pw1" name="pw1" type="password" autocomplete="new-password" minLength={8} aria-describedby="pw-help" />
          <small id="pw-help" class="help">At least 8 characters. Changing it logs out every session.</small>
        </div>
        <div class="field">
          <label for="pw2">Repeat the new password</label>
          <input id="pw2" name="pw2" type="password" autocomplete="new-password" minLength={8} />
        </div>
        {msg && <p class={`notice ${msg.ok ? "ok" : "error"}`} role={msg.ok ? "status" : "alert"}>{msg.text}</p>}
        <button type="submit" class="primary">Change password</button>
      </form>
    </section>
  );
}
