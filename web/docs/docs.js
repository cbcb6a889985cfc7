// The API reference at /docs: renders /api/v1/openapi.json (every operation with its
// parameters, bodies, schemas and examples) and sends "try it" requests with the session
// (cookie + X-CSRF-Token) or a token. Plain browser JavaScript, no dependency, no inline code.
"use strict";

const $ = (id) => document.getElementById(id);
/** el builds an element: el("p", { class: "x" }, "text", child…). */
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const k of kids.flat()) if (k !== undefined && k !== null && k !== false) e.append(k instanceof Node ? k : String(k));
  return e;
}

// ---- credentials ------------------------------------------------------------------------
const store = {
  get token() { return sessionStorage.getItem("mwan_docs_token") || ""; },
  set token(v) { v ? sessionStorage.setItem("mwan_docs_token", v) : sessionStorage.removeItem("mwan_docs_token"); },
  get csrf() { return sessionStorage.getItem("mwan_docs_csrf") || ""; },
  set csrf(v) { v ? sessionStorage.setItem("mwan_docs_csrf", v) : sessionStorage.removeItem("mwan_docs_csrf"); },
};
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** api sends a request with the token (Bearer) or the session cookie (+ CSRF header on writes). */
function api(method, path, init = {}) {
  const headers = new Headers(init.headers || {});
  if (store.token) headers.set("authorization", "Bearer " + store.token);
  else if (UNSAFE.has(method) && store.csrf && !headers.has("x-csrf-token")) headers.set("x-csrf-token", store.csrf);
  return fetch(path, { ...init, method, headers, credentials: "same-origin" });
}

async function whoami() {
  const res = await api("GET", "/api/v1/auth/whoami");
  if (!res.ok) return undefined;
  const me = await res.json();
  if (me.csrfToken) store.csrf = me.csrfToken;
  return me;
}

function showWho(me) {
  $("who").textContent = me ? "Signed in: " + me.kind + " (" + me.role + ")" : "Not signed in";
  $("login").hidden = !!me;
  $("logout").hidden = !me;
}

$("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("msg").textContent = "";
  const token = $("tok").value.trim();
  if (token) {
    store.token = token;
  } else {
    const res = await fetch("/api/v1/auth/login", {
      method: "POST", headers: { "content-type": "application/json" }, credentials: "same-origin",
      body: JSON.stringify({ password: $("pw").value }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { $("msg").textContent = body.detail || "HTTP " + res.status; return; }
    store.csrf = body.csrfToken;
  }
  $("pw").value = "";
  $("tok").value = "";
  await load();
});

$("logout").addEventListener("click", async () => {
  if (!store.token) await api("POST", "/api/v1/auth/logout");
  store.token = "";
  store.csrf = "";
  showWho(undefined);
});

// ---- schemas ----------------------------------------------------------------------------
let DOC = { components: { schemas: {} } };

function deref(s, seen = new Set()) {
  let x = s;
  while (x && typeof x.$ref === "string" && x.$ref.startsWith("#/") && !seen.has(x.$ref)) {
    seen.add(x.$ref);
    x = x.$ref.slice(2).split("/").reduce((o, k) => (o ? o[k.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined), DOC);
  }
  return x || {};
}
const refName = (s) => (s && typeof s.$ref === "string" ? s.$ref.split("/").pop() : "");

function typeOf(s) {
  s = deref(s);
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  const t = Array.isArray(s.type) ? s.type.join(" | ") : s.type;
  if (t === "array") return "array of " + (refName(s.items) || typeOf(s.items || {}));
  if (t) return t + (s.format ? " (" + s.format + ")" : "");
  if (s.anyOf || s.oneOf) return "one of " + (s.anyOf || s.oneOf).length;
  if (s.properties) return "object";
  return "any";
}

function limits(s) {
  const out = [];
  const add = (k, label) => s[k] !== undefined && out.push(label + " " + JSON.stringify(s[k]));
  add("minimum", "≥"); add("exclusiveMinimum", ">"); add("maximum", "≤"); add("exclusiveMaximum", "<");
  add("minLength", "min length"); add("maxLength", "max length"); add("minItems", "min items"); add("maxItems", "max items");
  if (s.pattern !== undefined) out.push("pattern " + s.pattern);
  add("default", "default");
  if (s.writeOnly) out.push("write-only (never read back)");
  if (s.readOnly) out.push("read-only");
  return out.join(", ");
}

/** schemaView renders a schema as nested lists of properties (collapsed beyond depth 2). */
function schemaView(schema, depth = 0, seen = new Set()) {
  const name = refName(schema);
  if (name && seen.has(name)) return el("span", { class: "t" }, "→ " + name);
  const seen2 = new Set(seen);
  if (name) seen2.add(name);
  const s = deref(schema);
  const box = el("div", { class: "schema" });
  const head = [el("span", { class: "t" }, name ? name + ": " + typeOf(s) : typeOf(s))];
  if (s.title) head.push(" — ", el("b", {}, s.title));
  if (limits(s)) head.push(el("span", { class: "lim" }, " (" + limits(s) + ")"));
  box.append(el("div", {}, head));
  if (s.description) box.append(el("div", { class: "desc" }, s.description));
  const nested = (title, node) => {
    if (depth >= 2) { const d = el("details", {}, el("summary", {}, title)); d.append(node); return d; }
    return el("div", {}, el("div", { class: "sub" }, title), node);
  };
  if (s.properties) {
    const req = new Set(s.required || []);
    const list = el("ul", { class: "props" });
    for (const [k, v] of Object.entries(s.properties)) {
      list.append(el("li", {}, el("code", { class: "k" }, k), req.has(k) ? el("span", { class: "req" }, " required") : "", schemaView(v, depth + 1, seen2)));
    }
    box.append(depth >= 3 ? nested("properties", list) : list);
  }
  if (s.additionalProperties && typeof s.additionalProperties === "object") {
    box.append(nested("each value (any key)", schemaView(s.additionalProperties, depth + 1, seen2)));
  } else if (s.additionalProperties === false && s.properties) {
    box.append(el("div", { class: "lim" }, "no other keys"));
  }
  if (s.items && (deref(s.items).properties || deref(s.items).anyOf || deref(s.items).oneOf)) {
    box.append(nested("each item", schemaView(s.items, depth + 1, seen2)));
  }
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    if (!s[key]) continue;
    const list = el("ol", { class: "variants" });
    for (const v of s[key]) {
      const dv = deref(v);
      const tag = dv.properties && dv.properties.type && dv.properties.type.const;
      const d = el("details", {}, el("summary", {}, tag ? "type: " + tag : refName(v) || typeOf(v)));
      d.append(schemaView(v, depth + 1, seen2));
      list.append(el("li", {}, d));
    }
    box.append(el("div", { class: "sub" }, key === "allOf" ? "all of:" : "one of:"), list);
  }
  return box;
}

/** example gives the schema's own example, else one built from its defaults, enums and types. */
function example(schema, depth = 0) {
  const s = deref(schema);
  if (s.examples && s.examples.length) return s.examples[0];
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  if (depth > 6) return null;
  if (s.anyOf || s.oneOf) return example((s.anyOf || s.oneOf)[0], depth + 1);
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== "null") : s.type;
  if (t === "object" || s.properties) {
    const out = {};
    const req = new Set(s.required || []);
    for (const [k, v] of Object.entries(s.properties || {})) if (req.has(k) || depth === 0) out[k] = example(v, depth + 1);
    if (!s.properties && s.additionalProperties && typeof s.additionalProperties === "object") {
      out.name = example(s.additionalProperties, depth + 1);
    }
    return out;
  }
  if (t === "array") return s.items ? [example(s.items, depth + 1)] : [];
  if (t === "integer" || t === "number") return s.minimum !== undefined ? s.minimum : 0;
  if (t === "boolean") return false;
  if (t === "string") return s.format === "date-time" ? new Date(0).toISOString() : "string";
  return null;
}
const pretty = (v) => JSON.stringify(v, null, 2);

// ---- operations -------------------------------------------------------------------------
function paramTable(params) {
  const t = el("table", { class: "params" }, el("tr", {}, el("th", {}, "name"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "description")));
  for (const p of params) {
    const s = p.schema || {};
    t.append(el("tr", {},
      el("td", {}, el("code", {}, p.name), p.required ? el("span", { class: "req" }, " required") : ""),
      el("td", {}, p.in),
      el("td", {}, typeOf(s), limits(s) ? el("div", { class: "lim" }, limits(s)) : ""),
      el("td", {}, p.description || "")));
  }
  return t;
}

function mediaBlock(label, content) {
  const out = [];
  for (const [type, media] of Object.entries(content || {})) {
    out.push(el("div", { class: "sub" }, label + " ", el("code", {}, type)));
    if (media.schema && type.includes("json")) {
      out.push(el("div", { class: "cols" },
        el("div", {}, el("div", { class: "cap" }, "Schema"), schemaView(media.schema)),
        el("div", {}, el("div", { class: "cap" }, "Example"), el("pre", {}, pretty(example(media.schema))))));
    } else if (media.schema) {
      out.push(el("div", { class: "desc" }, typeOf(media.schema)));
    }
  }
  return out;
}

function tryIt(method, path, op) {
  const form = el("form", { class: "try" });
  const inputs = [];
  for (const p of op.parameters || []) {
    const input = el("input", { name: p.name, placeholder: p.in + (p.required ? ", required" : ""), required: !!p.required && p.in === "path" });
    inputs.push([p, input]);
    form.append(el("label", {}, el("span", {}, p.name), input));
  }
  const content = (op.requestBody && op.requestBody.content) || {};
  const types = Object.keys(content);
  let body, ctype;
  if (types.length) {
    ctype = el("select", { "aria-label": "Content-Type" }, types.map((t) => el("option", {}, t)));
    const first = content[types[0]].schema;
    body = el("textarea", { rows: 8, spellcheck: "false", "aria-label": "Request body" }, first ? pretty(example(first)) : "");
    form.append(el("label", {}, el("span", {}, "Content-Type"), ctype), body);
  }
  const send = el("button", { type: "submit" }, "Send");
  const stop = el("button", { type: "button", hidden: true }, "Stop");
  const out = el("pre", { class: "out", "aria-live": "polite" });
  form.append(el("div", {}, send, " ", stop), out);
  let ctl;
  stop.addEventListener("click", () => ctl && ctl.abort());
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    let url = path;
    const query = new URLSearchParams();
    const headers = {};
    for (const [p, input] of inputs) {
      const v = input.value;
      if (p.in === "path") url = url.replace("{" + p.name + "}", encodeURIComponent(v));
      else if (v !== "" && p.in === "query") query.set(p.name, v);
      else if (v !== "" && p.in === "header") headers[p.name] = v;
    }
    if (String(query)) url += "?" + query;
    const init = { headers };
    if (body && body.value.trim() !== "") {
      headers["content-type"] = ctype.value;
      init.body = body.value;
    }
    ctl = new AbortController();
    init.signal = ctl.signal;
    out.textContent = method + " " + url + "\n…";
    stop.hidden = false;
    try {
      const res = await api(method, url, init);
      const head = "HTTP " + res.status + " " + res.statusText + "\n" +
        [...res.headers].map(([k, v]) => k + ": " + v).join("\n") + "\n\n";
      out.textContent = head;
      if (!res.body) return;
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let text = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += dec.decode(value, { stream: true });
        out.textContent = head + text;
      }
      if ((res.headers.get("content-type") || "").includes("json")) {
        try { out.textContent = head + pretty(JSON.parse(text)); } catch { /* keep the raw text */ }
      }
    } catch (err) {
      out.textContent += "\n" + (err && err.name === "AbortError" ? "(stopped)" : String(err));
    } finally {
      stop.hidden = true;
    }
  });
  return form;
}

function operation(method, path, op) {
  const id = op.operationId || method + path;
  const d = el("details", { class: "op", id });
  const role = op["x-role"];
  d.append(el("summary", {},
    el("span", { class: "m " + method }, method),
    el("code", { class: "path" }, path),
    el("span", { class: "sum" }, op.summary || ""),
    role ? el("span", { class: "role " + role }, role) : ""));
  d.addEventListener("toggle", () => {
    if (!d.open || d.dataset.done) return;
    d.dataset.done = "1";
    const body = el("div", { class: "body" });
    if (op.description) body.append(el("p", {}, op.description));
    body.append(el("p", { class: "lim" }, role === "public" ? "No credential needed." : role === "admin"
      ? "Needs an admin credential (session or admin token)." : "Any credential (read or admin)."));
    if (op.parameters && op.parameters.length) body.append(el("h3", {}, "Parameters"), paramTable(op.parameters));
    if (op.requestBody) body.append(el("h3", {}, "Request body" + (op.requestBody.required ? "" : " (optional)")), ...mediaBlock("", op.requestBody.content));
    body.append(el("h3", {}, "Responses"));
    for (const [code, r] of Object.entries(op.responses || {})) {
      const rd = el("details", { class: "resp" }, el("summary", {}, el("b", { class: "code c" + code[0] }, code), " ", r.description || ""));
      if (r.headers) rd.append(el("div", { class: "lim" }, "Headers: " + Object.keys(r.headers).join(", ")));
      rd.append(...mediaBlock("", r.content));
      body.append(rd);
    }
    body.append(el("h3", {}, "Try it"), tryIt(method.toUpperCase(), path, op));
    d.append(body);
  });
  return d;
}

function render() {
  const root = $("ops");
  const nav = $("nav");
  root.replaceChildren();
  nav.replaceChildren();
  const info = DOC.info || {};
  $("title").textContent = (info.title || "API") + " " + (info.version || "");
  $("intro").textContent = info.description || "";
  const byTag = new Map((DOC.tags || []).map((t) => [t.name, []]));
  for (const [path, item] of Object.entries(DOC.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags || ["other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([method.toUpperCase(), path, op]);
    }
  }
  for (const [tag, ops] of byTag) {
    if (!ops.length) continue;
    const sec = el("section", { id: "tag-" + tag }, el("h2", {}, tag));
    for (const [m, p, op] of ops) sec.append(operation(m, p, op));
    root.append(sec);
    nav.append(el("li", {}, el("a", { href: "#tag-" + tag }, tag + " (" + ops.length + ")")));
  }
  const schemas = el("section", { id: "schemas" }, el("h2", {}, "schemas"));
  for (const [name, s] of Object.entries((DOC.components && DOC.components.schemas) || {})) {
    const d = el("details", { class: "op", id: "schema-" + name }, el("summary", {}, el("code", {}, name), el("span", { class: "sum" }, s.title || s.description || "")));
    d.addEventListener("toggle", () => {
      if (d.open && !d.dataset.done) { d.dataset.done = "1"; d.append(el("div", { class: "body" }, schemaView({ $ref: "#/components/schemas/" + name }))); }
    });
    schemas.append(d);
  }
  root.append(schemas);
  nav.append(el("li", {}, el("a", { href: "#schemas" }, "schemas")));
}

async function load() {
  const res = await api("GET", "/api/v1/openapi.json");
  if (res.status === 401) {
    store.token = "";
    showWho(undefined);
    $("msg").textContent = "Sign in to read the API reference (it is generated from the plugins this router runs).";
    return;
  }
  if (!res.ok) { $("msg").textContent = "Could not load the API description: HTTP " + res.status; return; }
  DOC = await res.json();
  showWho(await whoami());
  $("msg").textContent = "";
  render();
  if (location.hash) { const t = document.getElementById(decodeURIComponent(location.hash.slice(1))); if (t) t.scrollIntoView(); }
}

load();
