/**
 * Our JSON-Schema-to-form renderer: turns a plugin's JSON Schema (draft 2020-12, produced from
 * its valibot schema) into labelled inputs, so a newly registered tracker, WAN type or mode
 * gets its form with no change in the panel.
 *
 * What it reads from the schema: `type`, `title`, `description`, `default`, `enum`/`const`,
 * `minimum`/`maximum`, `minLength`/`maxLength`, `items` (arrays of strings or numbers are edited
 * one item per line), nested `properties`, `required`, `writeOnly` (a secret: password input,
 * the stored value is never shown), `examples` (placeholder), and the UI hints in `x-ui`
 * (documented for plugin authors in docs/ui-hints.md): `order`, `widget` ("password", "slider",
 * "textarea", "radio"), `advanced`, `unit`, `step`, `placeholder`.
 *
 * Values are plain JSON. An emptied input removes its key, so the schema's default applies.
 * Errors come from the API (problem+json `issues[].path`) and are shown next to their field;
 * the form never blocks on the browser's own validation.
 * @module
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { UiHints } from "../../../src/sdk/index.ts";
import type { Issue } from "./api.ts";

/** The part of JSON Schema the renderer understands. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly title?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly writeOnly?: boolean;
  readonly examples?: readonly unknown[];
  readonly "x-ui"?: UiHints;
}

/** UI metadata a plugin author may put in a schema (`ui({ … })` from the SDK, or `v.metadata({ "x-ui": … })`). */
export type { UiHints };

type Obj = Record<string, unknown>;

/** What the API sends in place of a stored secret. */
export const REDACTED = "<redacted>";

/** fieldId is the DOM id of the input for an API path (`wans.eth.tracker.count`). */
export function fieldId(path: string): string {
  return `f-${path.replace(/[^A-Za-z0-9_-]+/g, "-")}`;
}

/** issuesAt lists the issues for a field: its own path and its array items (`path[2]`). */
export function issuesAt(issues: readonly Issue[], path: string): Issue[] {
  return issues.filter((i) => i.path === path || i.path.startsWith(`${path}[`));
}

/** The order of an object's keys: `x-ui.order` first, then the schema's own order. */
export function orderedKeys(schema: JsonSchema): string[] {
  const keys = Object.keys(schema.properties ?? {});
  const first = (schema["x-ui"]?.order ?? []).filter((k) => keys.includes(k));
  return [...first, ...keys.filter((k) => !first.includes(k))];
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return "enum";
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== "null") : s.type;
  return (t as string | undefined) ?? (s.properties ? "object" : "unknown");
}

function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** withKey returns a copy of `obj` with `key` set, or removed when `value` is undefined. */
function withKey(obj: Obj | undefined, key: string, value: unknown): Obj {
  const next: Obj = { ...obj };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next;
}

export interface SchemaFormProps {
  readonly schema: JsonSchema;
  readonly value: Obj | undefined;
  readonly onChange: (next: Obj) => void;
  /** The API path of this object, e.g. `wans.ethernet.tracker`; fields add `.key`. */
  readonly path: string;
  readonly issues: readonly Issue[];
  /** Keys drawn elsewhere by the caller (e.g. `type`, `priority`). */
  readonly omit?: readonly string[];
}

/** SchemaForm renders every property of an object schema; advanced ones in a disclosure. */
export function SchemaForm(p: SchemaFormProps) {
  const required = new Set(p.schema.required ?? []);
  const keys = orderedKeys(p.schema).filter((k) => {
    const s = p.schema.properties![k];
    return !(p.omit ?? []).includes(k) && s.const === undefined;
  });
  const field = (k: string) => (
    <Field
      key={k}
      name={k}
      schema={p.schema.properties![k]}
      value={p.value?.[k]}
      required={required.has(k)}
      path={`${p.path}.${k}`}
      issues={p.issues}
      onChange={(v) => p.onChange(withKey(p.value, k, v))}
    />
  );
  const basic = keys.filter((k) => !p.schema.properties![k]["x-ui"]?.advanced);
  const advanced = keys.filter((k) => p.schema.properties![k]["x-ui"]?.advanced);
  const advancedHasError = advanced.some((k) => issuesAt(p.issues, `${p.path}.${k}`).length > 0);
  return (
    <div class="schema-form">
      {basic.map(field)}
      {advanced.length > 0 && (
        <Disclosure summary="Advanced" openNow={advancedHasError}>
          {advanced.map(field)}
        </Disclosure>
      )}
    </div>
  );
}

/**
 * Disclosure is a `<details>` that opens itself when `openNow` turns true (an error inside)
 * and otherwise stays as the person left it.
 */
export function Disclosure(p: { summary: ComponentChildren; openNow: boolean; class?: string; children: ComponentChildren }) {
  const ref = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    if (p.openNow && ref.current) ref.current.open = true;
  }, [p.openNow]);
  return (
    <details ref={ref} class={p.class ?? "advanced"}>
      <summary>{p.summary}</summary>
      {p.children}
    </details>
  );
}

interface FieldProps {
  readonly name: string;
  readonly schema: JsonSchema;
  readonly value: unknown;
  readonly required: boolean;
  readonly path: string;
  readonly issues: readonly Issue[];
  readonly onChange: (v: unknown) => void;
}

/** Field renders one property: label, input by type and hint, description, errors. */
export function Field(p: FieldProps) {
  const s = p.schema;
  const ui = s["x-ui"] ?? {};
  const id = fieldId(p.path);
  const label = s.title ?? humanize(p.name);
  const errors = issuesAt(p.issues, p.path);
  const describedBy = [s.description && `${id}-desc`, errors.length > 0 && `${id}-err`].filter(Boolean).join(" ");
  const common = {
    id,
    "aria-invalid": errors.length > 0 ? ("true" as const) : undefined,
    "aria-describedby": describedBy || undefined,
    "aria-required": p.required ? ("true" as const) : undefined,
  };
  const kind = typeOf(s);
  const help = (
    <>
      {s.description && <small id={`${id}-desc`} class="help">{s.description}</small>}
      {errors.length > 0 && (
        <p id={`${id}-err`} class="field-error" role="alert">
          {errors.map((e) => e.path === p.path ? e.message : `${itemLabel(e.path, p.path)}: ${e.message}`).join("; ")}
        </p>
      )}
    </>
  );
  if (kind === "object") {
    return (
      <fieldset class="field nested">
        <legend>{label}</legend>
        {s.description && <small class="help">{s.description}</small>}
        <SchemaForm schema={s} value={p.value as Obj | undefined} onChange={p.onChange} path={p.path} issues={p.issues} />
      </fieldset>
    );
  }
  if (kind === "boolean") {
    const checked = (p.value ?? s.default ?? false) === true;
    return (
      <div class={`field check${errors.length ? " invalid" : ""}`}>
        <input type="checkbox" {...common} checked={checked} onChange={(e) => p.onChange(e.currentTarget.checked)} />
        <label for={id}>{label}</label>
        {help}
      </div>
    );
  }
  if (kind === "enum" && ui.widget === "radio") {
    const current = p.value ?? s.default;
    return (
      <fieldset class={`field radios${errors.length ? " invalid" : ""}`} aria-describedby={describedBy || undefined}>
        <legend>{label}</legend>
        {s.enum!.map((opt, i) => (
          <label key={String(opt)} class="radio">
            <input
              type="radio"
              name={id}
              id={i === 0 ? id : undefined}
              checked={current === opt}
              onChange={() => p.onChange(opt)}
            />
            {String(opt)}
          </label>
        ))}
        {help}
      </fieldset>
    );
  }
  let input;
  if (kind === "enum") {
    const current = p.value ?? s.default;
    input = (
      <select
        {...common}
        value={current === undefined ? "" : String(current)}
        onChange={(e) => {
          const raw = e.currentTarget.value;
          p.onChange(raw === "" ? undefined : s.enum!.find((o) => String(o) === raw));
        }}
      >
        {current === undefined && <option value="">—</option>}
        {s.enum!.map((o) => <option key={String(o)} value={String(o)}>{String(o)}</option>)}
      </select>
    );
  } else if (kind === "integer" || kind === "number") {
    input = <NumberInput common={common} schema={s} value={p.value} onChange={p.onChange} />;
  } else if (kind === "string") {
    input = <StringInput common={common} schema={s} value={p.value} onChange={p.onChange} />;
  } else if (kind === "array" && s.items && ["string", "integer", "number"].includes(typeOf(s.items))) {
    input = <ListInput common={common} schema={s} value={p.value} onChange={p.onChange} />;
  } else {
    input = <JsonInput common={common} value={p.value} onChange={p.onChange} />;
  }
  return (
    <div class={`field${errors.length ? " invalid" : ""}`}>
      <label for={id}>
        {label}
        {p.required && <span class="req" aria-hidden="true"> *</span>}
      </label>
      <div class="input-row">
        {input}
        {ui.unit && <span class="unit">{ui.unit}</span>}
      </div>
      {help}
    </div>
  );
}

function itemLabel(issuePath: string, fieldPath: string): string {
  const m = /^\[(\d+)\]/.exec(issuePath.slice(fieldPath.length));
  return m ? `Item ${Number(m[1]) + 1}` : issuePath.slice(fieldPath.length + 1);
}

interface InputProps {
  readonly common: Record<string, unknown>;
  readonly schema?: JsonSchema;
  readonly value: unknown;
  readonly onChange: (v: unknown) => void;
}

/**
 * useText keeps what the person types (which may not parse yet) and follows the value when it
 * changes from outside (a reload, a discard).
 */
function useText(value: unknown, format: (v: unknown) => string, parse: (t: string) => unknown) {
  const [text, setText] = useState(() => format(value));
  const outside = format(value);
  useEffect(() => {
    if (format(parse(text)) !== outside) setText(outside);
  }, [outside]);
  return [text, (t: string) => {
    setText(t);
    return parse(t);
  }] as const;
}

function placeholderOf(s: JsonSchema): string | undefined {
  const ui = s["x-ui"] ?? {};
  if (ui.placeholder) return ui.placeholder;
  if (s.default !== undefined && !Array.isArray(s.default)) return `default ${String(s.default)}`;
  if (s.examples?.length) return `e.g. ${String(s.examples[0])}`;
  return undefined;
}

function NumberInput(p: InputProps & { schema: JsonSchema }) {
  const s = p.schema;
  const ui = s["x-ui"] ?? {};
  const [text, edit] = useText(
    p.value,
    (v) => (typeof v === "number" ? String(v) : ""),
    (t) => (t.trim() === "" || !Number.isFinite(Number(t)) ? undefined : Number(t)),
  );
  const step = ui.step ?? (typeOf(s) === "integer" ? 1 : "any");
  const onInput = (e: { currentTarget: HTMLInputElement }) => p.onChange(edit(e.currentTarget.value));
  if (ui.widget === "slider" && s.minimum !== undefined && s.maximum !== undefined) {
    const shown = text === "" ? String(s.default ?? s.minimum) : text;
    return (
      <span class="slider">
        <input type="range" {...p.common} min={s.minimum} max={s.maximum} step={step} value={shown} onInput={onInput} />
        <output for={String(p.common.id)}>{shown}</output>
      </span>
    );
  }
  return (
    <input
      type="number"
      inputMode={typeOf(s) === "integer" ? "numeric" : "decimal"}
      {...p.common}
      min={s.minimum}
      max={s.maximum}
      step={step}
      placeholder={placeholderOf(s)}
      value={text}
      onInput={onInput}
    />
  );
}

function StringInput(p: InputProps & { schema: JsonSchema }) {
  const s = p.schema;
  const ui = s["x-ui"] ?? {};
  const secret = s.writeOnly === true || ui.widget === "password";
  if (secret) {
    const stored = p.value === REDACTED;
    return (
      <input
        type="password"
        autocomplete="new-password"
        {...p.common}
        maxLength={s.maxLength}
        placeholder={stored ? "stored (type to replace)" : placeholderOf(s)}
        value={stored || typeof p.value !== "string" ? "" : p.value}
        onInput={(e) => {
          const t = e.currentTarget.value;
          p.onChange(t === "" ? (stored ? REDACTED : undefined) : t);
        }}
      />
    );
  }
  const value = typeof p.value === "string" ? p.value : "";
  const onInput = (e: { currentTarget: HTMLInputElement | HTMLTextAreaElement }) =>
    p.onChange(e.currentTarget.value === "" ? undefined : e.currentTarget.value);
  if (ui.widget === "textarea") {
    return <textarea {...p.common} rows={4} maxLength={s.maxLength} placeholder={placeholderOf(s)} value={value} onInput={onInput} />;
  }
  return (
    <input
      type="text"
      spellcheck={false}
      autocomplete="off"
      {...p.common}
      maxLength={s.maxLength}
      placeholder={placeholderOf(s)}
      value={value}
      onInput={onInput}
    />
  );
}

/** ListInput edits an array of strings or numbers, one item per line. */
function ListInput(p: InputProps & { schema: JsonSchema }) {
  const numeric = typeOf(p.schema.items!) !== "string";
  const [text, edit] = useText(
    p.value,
    (v) => (Array.isArray(v) ? v.map(String).join("\n") : ""),
    (t) => {
      const items = t.split(/\r?\n|,/).map((x) => x.trim()).filter((x) => x !== "");
      if (items.length === 0) return undefined;
      return numeric ? items.map((x) => (Number.isFinite(Number(x)) ? Number(x) : x)) : items;
    },
  );
  const lines = Math.min(Math.max(2, text.split("\n").length + 1), p.schema.maxItems ?? 8);
  return (
    <textarea
      {...p.common}
      class="list"
      rows={lines}
      spellcheck={false}
      placeholder={placeholderOf(p.schema) ?? "one per line"}
      value={text}
      onInput={(e) => p.onChange(edit(e.currentTarget.value))}
    />
  );
}

/** JsonInput is the fallback for shapes the renderer has no widget for. */
function JsonInput(p: InputProps) {
  const [bad, setBad] = useState(false);
  const [text, edit] = useText(
    p.value,
    (v) => (v === undefined ? "" : JSON.stringify(v)),
    (t) => {
      if (t.trim() === "") return undefined;
      try {
        return JSON.parse(t);
      } catch {
        return Symbol.for("bad");
      }
    },
  );
  return (
    <>
      <textarea
        {...p.common}
        rows={3}
        spellcheck={false}
        value={text}
        onInput={(e) => {
          const v = edit(e.currentTarget.value);
          setBad(v === Symbol.for("bad"));
          if (v !== Symbol.for("bad")) p.onChange(v);
        }}
      />
      {bad && <small class="field-error">Not valid JSON yet</small>}
    </>
  );
}
