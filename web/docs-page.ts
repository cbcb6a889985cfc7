/**
 * The API docs page, served from our own assets (no CDN): a small renderer of
 * `/api/v1/openapi.json`. It asks for the password or a token when not logged in.
 * @module
 */

export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>multiwan API</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:980px;padding:1rem;color:#222}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #ddd;text-transform:capitalize}
details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer}code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;max-height:24rem}
.m{display:inline-block;width:4.2rem;font-weight:700}.GET{color:#06c}.POST{color:#080}.PUT{color:#a60}
.PATCH{color:#a0a}.DELETE{color:#c00}#login{display:none;gap:.5rem}#login.on{display:flex}
</style></head><body>
<h1>multiwan API</h1>
<p>OpenAPI document: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>. Errors are
<code>application/problem+json</code> with a stable <code>code</code>.</p>
<form id="login"><input id="pw" type="password" placeholder="password" autocomplete="current-password">
<button>Log in</button><input id="tok" placeholder="…or paste a token"></form>
<p id="msg"></p><div id="ops"></div>
<script src="/docs/docs.js"></script></body></html>
`;

export const DOCS_JS = `"use strict";
const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e; };
function headers() { const t = sessionStorage.getItem("mwan_token"); return t ? { authorization: "Bearer " + t } : {}; }
async function load() {
  const res = await fetch("/api/v1/openapi.json", { headers: headers(), credentials: "same-origin" });
  if (res.status === 401) { $("login").classList.add("on"); $("msg").textContent = "Log in to read the API description."; return; }
  if (!res.ok) { $("msg").textContent = "Could not load the document: HTTP " + res.status; return; }
  $("login").classList.remove("on"); $("msg").textContent = "";
  render(await res.json());
}
function render(doc) {
  const root = $("ops"); root.replaceChildren();
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item)) {
    const tag = (op.tags || ["other"])[0]; if (!byTag.has(tag)) byTag.set(tag, []); byTag.get(tag).push([method.toUpperCase(), path, op]);
  }
  for (const [tag, ops] of byTag) {
    root.append(el("h2", tag));
    for (const [method, path, op] of ops) {
      const d = el("details"); const s = el("summary");
      s.append(el("span", method, "m " + method), el("code", path), document.createTextNode(" — " + (op.summary || "")));
      d.append(s);
      if (op.description) d.append(el("p", op.description));
      if (op.parameters) d.append(el("p", "Parameters: " + op.parameters.map((p) => p.name + " (" + p.in + ")").join(", ")));
      if (op.requestBody) for (const [type, media] of Object.entries(op.requestBody.content)) {
        d.append(el("p", "Body " + type + ":"), el("pre", JSON.stringify(resolve(doc, media.schema), null, 2)));
      }
      d.append(el("p", "Responses: " + Object.entries(op.responses).map(([c, r]) => c + " " + r.description).join("; ")));
      root.append(d);
    }
  }
}
function resolve(doc, schema) {
  const ref = schema && schema.$ref; if (!ref) return schema;
  return doc.components.schemas[ref.split("/").pop()] || schema;
}
$("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const tok = $("tok").value.trim();
  if (tok) { sessionStorage.setItem("mwan_token", tok); return load(); }
  const res = await fetch("/api/v1/auth/login", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ password: $("pw").value }), credentials: "same-origin" });
  if (!res.ok) { const p = await res.json().catch(() => ({})); $("msg").textContent = p.detail || ("HTTP " + res.status); return; }
  load();
});
load();
`;
