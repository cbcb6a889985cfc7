/**
 * The router panel's entry: hash routes (`#/login`, `#/`, `#/revisions`, `#/tokens`), the header, and the
 * login check (`GET /api/v1/auth/whoami`; 401 shows the login page).
 * @module
 */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { get, request, setCsrf, whenLoggedOut } from "./api.ts";
import { ConfirmBanner } from "./confirm.tsx";
import { LoginPage } from "./login.tsx";
import { MultiWanPage } from "./multiwan.tsx";
import { RevisionsPage } from "./revisions.tsx";
import "./style.css";
import { TokensPage } from "./tokens.tsx";

type Route = "login" | "home" | "tokens" | "revisions";

function routeOf(hash: string): Route {
  if (hash.startsWith("#/login")) return "login";
  if (hash.startsWith("#/tokens")) return "tokens";
  if (hash.startsWith("#/revisions")) return "revisions";
  return "home";
}

function App() {
  const [route, setRoute] = useState<Route>(routeOf(location.hash));
  const [who, setWho] = useState<{ role: string; kind: string } | null>();
  const [ended, setEnded] = useState(false);

  const check = () =>
    get<{ role: string; kind: string; csrfToken?: string }>("/auth/whoami", true)
      .then(({ data }) => {
        if (data.csrfToken) setCsrf(data.csrfToken);
        setWho(data);
      })
      .catch(() => setWho(null));

  useEffect(() => {
    const onHash = () => setRoute(routeOf(location.hash));
    addEventListener("hashchange", onHash);
    whenLoggedOut(() => {
      setWho((was) => {
        if (was) setEnded(true);
        return null;
      });
    });
    check();
    return () => removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    const names: Record<Route, string> = { login: "Log in", home: "Multi-WAN", tokens: "API tokens", revisions: "Revisions" };
    document.title = `${names[who === null ? "login" : route]} · multiwan`;
  }, [route, who]);

  if (who === undefined) return <p class="loading">Loading…</p>;
  if (who === null || route === "login") {
    if (who !== null && route === "login") location.hash = "#/";
    return (
      <LoginPage
        ended={ended}
        onLogin={() => {
          setEnded(false);
          location.hash = "#/";
          check();
        }}
      />
    );
  }
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => {
        e.preventDefault();
        document.getElementById("main")?.focus();
      }}>Skip to content</a>
      <header class="top">
        <span class="brand">multiwan</span>
        <nav aria-label="Main">
          <a href="#/" aria-current={route === "home" ? "page" : undefined}>Multi-WAN</a>
          <a href="#/revisions" aria-current={route === "revisions" ? "page" : undefined}>Revisions</a>
          <a href="#/tokens" aria-current={route === "tokens" ? "page" : undefined}>Tokens &amp; password</a>
          <a href="/docs">API reference</a>
        </nav>
        <button
          type="button"
          class="small secondary"
          onClick={async () => {
            await request("POST", "/auth/logout").catch(() => {});
            setCsrf(undefined);
            setEnded(false);
            setWho(null);
            location.hash = "#/login";
          }}
        >Log out</button>
      </header>
      <ConfirmBanner />
      {route === "tokens" ? <TokensPage /> : route === "revisions" ? <RevisionsPage /> : <MultiWanPage />}
    </>
  );
}

render(<App />, document.getElementById("app")!);
