/**
 * The login page: the API's password login (session cookie + CSRF token).
 * @module
 */
import { useState } from "preact/hooks";
import { ApiError, request, setCsrf } from "./api.ts";

export function LoginPage(p: { onLogin: () => void; ended?: boolean }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" tabIndex={-1} class="page login">
      <form
        class="card login-card"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const input = e.currentTarget.elements.namedItem("password") as HTMLInputElement;
          setBusy(true);
          setError(undefined);
          try {
            const { data } = await request<{ csrfToken: string }>("POST", "/auth/login", { body: { password: input.value }, quiet401: true });
            setCsrf(data.csrfToken);
            p.onLogin();
          } catch (err) {
            const status = err instanceof ApiError ? err.status : 0;
            setError(
              status === 401 ? "Wrong password. Try again." : status === 429 ? "Too many attempts. Wait a minute, then try again." : (err as Error).message,
            );
            input.select();
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>multiwan</h1>
        <p class="muted">Log in to manage the router's uplinks.</p>
        {p.ended && (
          <p class="notice info" role="status">Your session ended (the daemon restarted, or the password changed). Log in again.</p>
        )}
        <label for="password">Admin password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          autofocus
          aria-invalid={error ? "true" : undefined}
          aria-describedby={error ? "login-error" : undefined}
        />
        {error && <p id="login-error" class="field-error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>{busy ? "Logging in…" : "Log in"}</button>
      </form>
    </main>
  );
}
