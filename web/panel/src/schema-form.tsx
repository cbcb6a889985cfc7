/**
 * Our JSON-Schema-to-form renderer: turns a plugin's JSON Schema (draft 2020-12, produced from
 * its valibot schema) into labelled inputs, so a newly registered tracker, WAN type or mode
 * gets its form with no change in the panel.
 *
 * What it reads from the schema: `type`, `title`, `description`, `default`, `enum`/`const`,
 * `minimum`/`maximum`, `minLength`/`maxLength`, `items` (arrays of strings or numbers are edited
 * one item per line; arrays of objects as a list of forms with add, remove, move up/down),
 * `additionalProperties` (a record: named entries, added by name and removed), `oneOf`/`anyOf`
 * (objects told apart by a const key get a select of that key; "a value or a list of them" is
 * one text area; other unions choose their kind first), nested `properties`, `required`,
 * `propertyNames.pattern` (checked when an entry is added), `writeOnly` (a secret: password input,
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
  readonly additionalProperties?: JsonSchema | boolean;
  readonly propertyNames?: { readonly pattern?: string };
  readonly pattern?: string;
  readonly oneOf?: readonly JsonSchema[];
  readonly anyOf?: readonly JsonSchema[];
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

/** variantsOf lists a union's variants (`oneOf`/`anyOf`; nested unions flattened), or undefined. */
export function variantsOf(s: JsonSchema): JsonSchema[] | undefined {
  const list = s.oneOf ?? s.anyOf;
  return list?.flatMap((x) => variantsOf(x) ?? [x]);
}

/** tagOf names the key whose `const` tells a union of objects apart (`type` for modes), if any. */
export function tagOf(variants: readonly JsonSchema[]): string | undefined {
  const first = variants[0]?.properties ?? {};
  return Object.keys(first).find((k) => variants.every((x) => x.properties?.[k]?.const !== undefined));
}

const SCALARS = ["string", "integer", "number"];

/** recordOf gives the schema of a record's values (an object with only `additionalProperties`). */
function recordOf(s: JsonSchema): JsonSchema | undefined {
  const extra = s.additionalProperties;
  return extra && typeof extra === "object" && Object.keys(s.properties ?? {}).length === 0 ? extra : undefined;
}

/**
 * typeOf is how a schema is edited: a JSON type, `enum`, `const`, or for unions `tagged` (objects
 * told apart by a const key), `scalar` (number or string), `one-or-list` (a value or a list of
 * them), `union` (anything else, chosen first); `record` (named entries) and `items` (a list of
 * objects or unions).
 */
function typeOf(s: JsonSchema): string {
  if (s.enum) return "enum";
  if (s.const !== undefined) return "const";
  const variants = variantsOf(s);
  if (variants) {
    if (variants.every((x) => typeOf(x) === "object") && tagOf(variants)) return "tagged";
    const kinds = variants.map(typeOf);
    if (kinds.every((k) => SCALARS.includes(k) || k === "scalar")) return "scalar";
    const list = variants.find((x) => typeOf(x) === "array");
    if (list?.items && kinds.every((k) => k === "array" || SCALARS.includes(k) || k === "scalar") && scalarItems(list.items)) return "one-or-list";
    return "union";
  }
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== "null") : s.type;
  const kind = (t as string | undefined) ?? (s.properties ? "object" : "unknown");
  if (kind === "object" && recordOf(s)) return "record";
  if (kind === "array" && s.items && !scalarItems(s.items)) return "items";
  return kind;
}

function scalarItems(items: JsonSchema): boolean {
  const k = typeOf(items);
  return SCALARS.includes(k) || k === "scalar" || k === "enum";
}

/** parserOf turns typed text into a value the schema takes: a number where numbers are allowed. */
function parserOf(s: JsonSchema): (t: string) => unknown {
  const kinds = (variantsOf(s) ?? [s]).map(typeOf);
  const numbers = kinds.some((k) => k === "number" || k === "integer");
  const strings = kinds.some((k) => k === "string" || k === "enum");
  // A number where the schema takes one; other text stays a string (the API says what is wrong).
  return (t) => (numbers && t !== "" && Number.isFinite(Number(t)) && (!strings || /^-?\d+(\.\d+)?$/.test(t)) ? Number(t) : t);
}

/** initialOf is the value a newly added entry or item starts with: consts, defaults, required parts. */
export function initialOf(s: JsonSchema): unknown {
  if (s.const !== undefined) return s.const;
  if (s.default !== undefined) return structuredClone(s.default);
  const kind = typeOf(s);
  if (kind === "tagged") return initialOf(variantsOf(s)![0]);
  if (kind === "record") return {};
  if (kind === "object") {
    const out: Obj = {};
    for (const k of s.required ?? []) {
      const v = initialOf(s.properties![k]);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  return undefined;
}

/** singular makes an item's name from its list's label: "Rules" → "Rule", "WANs" → "WAN". */
function singular(label: string): string {
  return label.endsWith("ies") ? `${label.slice(0, -3)}y` : label.endsWith("s") && !label.endsWith("ss") ? label.slice(0, -1) : label;
}

/** lowerNoun lowers a word for the middle of a sentence, but not an acronym ("WAN"). */
function lowerNoun(word: string): string {
  return /^[A-Z][a-z]/.test(word) ? word.charAt(0).toLowerCase() + word.slice(1) : word;
}

/** join adds a key to an API path (`wans.eth` + `label`); the top level has no prefix. */
function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
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
      path={join(p.path, k)}
      issues={p.issues}
      onChange={(v) => p.onChange(withKey(p.value, k, v))}
    />
  );
  const basic = keys.filter((k) => !p.schema.properties![k]["x-ui"]?.advanced);
  const advanced = keys.filter((k) => p.schema.properties![k]["x-ui"]?.advanced);
  const advancedHasError = advanced.some((k) => issuesAt(p.issues, join(p.path, k)).length > 0);
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
  /** Drawn after the label of a group (the buttons of a list item or record entry). */
  readonly extra?: ComponentChildren;
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
  // A list, record or union shows only its own issues: its parts show theirs.
  const own = ["items", "record", "tagged", "union"].includes(kind) ? errors.filter((e) => e.path === p.path) : errors;
  const help = (
    <>
      {s.description && <small id={`${id}-desc`} class="help">{s.description}</small>}
      {own.length > 0 && (
        <p id={`${id}-err`} class="field-error" role="alert">
          {own.map((e) => e.path === p.path ? e.message : `${itemLabel(e.path, p.path)}: ${e.message}`).join("; ")}
        </p>
      )}
    </>
  );
  if (kind === "object" || kind === "tagged" || kind === "record" || kind === "items") {
    const body = kind === "object"
      ? <SchemaForm schema={s} value={p.value as Obj | undefined} onChange={p.onChange} path={p.path} issues={p.issues} />
      : kind === "tagged"
      ? <TaggedForm {...p} id={id} label={label} />
      : kind === "record"
      ? <RecordEditor {...p} id={id} label={label} />
      : <ItemsEditor {...p} id={id} label={label} />;
    return (
      <fieldset class={`field nested${own.length ? " invalid" : ""}`} data-path={p.path}>
        <legend>{label}</legend>
        {p.extra && <div class="item-tools">{p.extra}</div>}
        {help}
        {body}
      </fieldset>
    );
  }
  if (kind === "union") {
    return (
      <fieldset class={`field nested${own.length ? " invalid" : ""}`} data-path={p.path}>
        <legend>{label}</legend>
        {p.extra && <div class="item-tools">{p.extra}</div>}
        {help}
        <UnionForm {...p} id={id} label={label} />
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
  } else if (kind === "scalar") {
    input = <ScalarInput common={common} schema={s} value={p.value} onChange={p.onChange} />;
  } else if ((kind === "array" && s.items) || kind === "one-or-list") {
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
        {p.extra}
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
  return textBox(p.common, s, value, onInput);
}

/** textBox is a one-line text input for a schema: no spell check, no autofill. */
function textBox(common: Record<string, unknown>, s: JsonSchema, value: string, onInput: (e: { currentTarget: HTMLInputElement }) => void) {
  return (
    <input
      type="text"
      spellcheck={false}
      autocomplete="off"
      {...common}
      maxLength={s.maxLength}
      placeholder={placeholderOf(s)}
      value={value}
      onInput={onInput}
    />
  );
}

/**
 * ListInput edits an array of strings or numbers, one item per line; for "a value or a list"
 * (`one-or-list`) a single line is the value itself.
 */
function ListInput(p: InputProps & { schema: JsonSchema }) {
  const variants = variantsOf(p.schema);
  const list = variants ? variants.find((x) => typeOf(x) === "array")! : p.schema;
  const single = variants?.find((x) => typeOf(x) !== "array");
  const parse = parserOf(list.items!);
  const [text, edit] = useText(
    p.value,
    (v) => (Array.isArray(v) ? v.map(String).join("\n") : v === undefined ? "" : String(v)),
    (t) => {
      const items = t.split(/\r?\n|,/).map((x) => x.trim()).filter((x) => x !== "");
      if (items.length === 0) return undefined;
      if (single && items.length === 1) return parserOf(single)(items[0]);
      return items.map(parse);
    },
  );
  const lines = Math.min(Math.max(2, text.split("\n").length + 1), list.maxItems ?? 8);
  return (
    <textarea
      {...p.common}
      class="list"
      rows={lines}
      spellcheck={false}
      placeholder={placeholderOf(p.schema) ?? (single ? "one, or one per line" : "one per line")}
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

/** ScalarInput edits a value that may be a number or a string (a port: 5060 or "10000-20000"). */
function ScalarInput(p: InputProps & { schema: JsonSchema }) {
  const parse = parserOf(p.schema);
  const [text, edit] = useText(
    p.value,
    (v) => (v === undefined || v === null ? "" : String(v)),
    (t) => (t.trim() === "" ? undefined : parse(t.trim())),
  );
  return textBox(p.common, p.schema, text, (e) => p.onChange(edit(e.currentTarget.value)));
}

type PartProps = FieldProps & { readonly id: string; readonly label: string };

/**
 * TaggedForm edits a union of objects told apart by a const key (a mode section: `type`):
 * a select of the variants, then the chosen variant's form. Switching keeps the values the
 * new variant also has.
 */
function TaggedForm(p: PartProps) {
  const variants = variantsOf(p.schema)!;
  const tag = tagOf(variants)!;
  const value = (p.value ?? {}) as Obj;
  const tagOfVariant = (x: JsonSchema) => x.properties![tag].const;
  const chosen = variants.find((x) => tagOfVariant(x) === value[tag]);
  const selPath = join(p.path, tag);
  const selId = fieldId(selPath);
  const errs = issuesAt(p.issues, selPath);
  return (
    <>
      <div class={`field${errs.length ? " invalid" : ""}`}>
        <label for={selId}>{humanize(tag)}</label>
        <select
          id={selId}
          value={chosen ? String(value[tag]) : ""}
          aria-invalid={errs.length ? "true" : undefined}
          onChange={(e) => {
            const next = variants.find((x) => String(tagOfVariant(x)) === e.currentTarget.value);
            if (!next) return;
            const init = (initialOf(next) ?? {}) as Obj;
            for (const k of Object.keys(next.properties ?? {})) if (k !== tag && value[k] !== undefined) init[k] = value[k];
            p.onChange(init);
          }}
        >
          {!chosen && <option value="">—</option>}
          {variants.map((x) => <option key={String(tagOfVariant(x))} value={String(tagOfVariant(x))}>{x.title ?? String(tagOfVariant(x))}</option>)}
        </select>
        {chosen?.description && <small class="help">{chosen.description}</small>}
        {errs.length > 0 && <p class="field-error" role="alert">{errs.map((e) => e.message).join("; ")}</p>}
      </div>
      {chosen && (
        <SchemaForm
          schema={chosen}
          value={value}
          path={p.path}
          issues={p.issues}
          omit={[tag]}
          onChange={(next) => p.onChange({ ...next, [tag]: tagOfVariant(chosen) })}
        />
      )}
    </>
  );
}

function variantLabel(x: JsonSchema): string {
  if (x.title) return x.title;
  if (x.const !== undefined) return String(x.const);
  const kind = typeOf(x);
  if (kind === "object") {
    const keys = orderedKeys(x).map((k) => x.properties![k].title ?? humanize(k));
    return keys.length ? keys.map((k, i) => (i === 0 ? k : k.toLowerCase())).join(", ") : "Object";
  }
  return ({ string: "Text", number: "Number", integer: "Number", boolean: "Yes or no", array: "List" } as Record<string, string>)[kind] ?? kind;
}

function fits(x: JsonSchema, v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (x.const !== undefined) return x.const === v;
  const kind = typeOf(x);
  if (["object", "record", "tagged"].includes(kind)) return typeof v === "object" && !Array.isArray(v);
  if (kind === "array" || kind === "items") return Array.isArray(v);
  if (kind === "integer" || kind === "number") return typeof v === "number";
  if (kind === "string" || kind === "enum") return typeof v === "string";
  return typeof v === kind;
}

/** UnionForm edits any other union: first which kind of value, then that value. */
function UnionForm(p: PartProps) {
  const variants = variantsOf(p.schema)!;
  const [picked, setPicked] = useState<number>();
  const current = p.value ?? p.schema.default;
  let index = variants.findIndex((x) => fits(x, current));
  if (picked !== undefined && (current === undefined || current === null || fits(variants[picked], current))) index = picked;
  const chosen = index >= 0 ? variants[index] : undefined;
  const kindId = `${p.id}-kind`;
  return (
    <>
      <div class="field">
        <label for={kindId}>Kind</label>
        <select
          id={kindId}
          value={index >= 0 ? String(index) : ""}
          onChange={(e) => {
            const i = Number(e.currentTarget.value);
            setPicked(i);
            p.onChange(initialOf(variants[i]));
          }}
        >
          {index < 0 && <option value="">—</option>}
          {variants.map((x, i) => <option key={i} value={String(i)}>{variantLabel(x)}</option>)}
        </select>
      </div>
      {chosen && chosen.const === undefined && (
        typeOf(chosen) === "object"
          ? <SchemaForm schema={chosen} value={p.value as Obj | undefined} path={p.path} issues={p.issues} onChange={p.onChange} />
          : <Field name="value" schema={{ ...chosen, title: variantLabel(chosen) }} value={p.value} required={p.required} path={p.path} issues={[]} onChange={p.onChange} />
      )}
    </>
  );
}

/** captionOf names an item by its first required text (a rule's name), for its legend. */
function captionOf(s: JsonSchema, v: unknown): string {
  if (typeof v === "string" && v !== "") return `: ${v}`;
  if (!v || typeof v !== "object") return "";
  const key = (s.required ?? []).find((k) => typeof (v as Obj)[k] === "string" && (v as Obj)[k] !== "");
  return key ? `: ${String((v as Obj)[key])}` : "";
}

/** useFocusAfter focuses the element with `data-focus` set after the next render (a moved item's button). */
function useFocusAfter() {
  const ref = useRef<HTMLDivElement>(null);
  const [target, setTarget] = useState<string>();
  useEffect(() => {
    if (!target) return;
    const el = ref.current?.querySelector<HTMLButtonElement>(`[data-focus="${target}"]`);
    (el && !el.disabled ? el : ref.current?.querySelector<HTMLElement>(`[data-focus$=":remove"]`))?.focus();
    setTarget(undefined);
  }, [target]);
  return [ref, setTarget] as const;
}

/** ItemsEditor edits a list of objects (or unions): add, remove, move up and down; each item its own form. */
function ItemsEditor(p: PartProps) {
  const items = Array.isArray(p.value) ? p.value as unknown[] : [];
  const itemSchema = p.schema.items!;
  const noun = itemSchema.title ?? singular(p.label);
  const lower = lowerNoun(noun);
  const [ref, focusAfter] = useFocusAfter();
  const [said, setSaid] = useState("");
  const set = (next: unknown[]) => p.onChange(next);
  const move = (i: number, by: number, name: string) => {
    const next = [...items];
    const [x] = next.splice(i, 1);
    next.splice(i + by, 0, x);
    set(next);
    setSaid(`${name} moved to position ${i + by + 1} of ${items.length}.`);
    // The same button again, unless the item reached an end (then the other way).
    const to = i + by;
    const end = (by < 0 && to === 0) || (by > 0 && to === items.length - 1);
    focusAfter(`${to}:${(by < 0) !== end ? "up" : "down"}`);
  };
  const full = p.schema.maxItems !== undefined && items.length >= p.schema.maxItems;
  return (
    <div class="items" ref={ref}>
      {items.length === 0 && <p class="muted">None yet.</p>}
      {items.map((v, i) => {
        const name = `${noun} ${i + 1}${captionOf(itemSchema, v)}`;
        const tools = (
          <>
            <button type="button" class="small icon" data-focus={`${i}:up`} aria-label={`Move ${name} up`} disabled={i === 0} onClick={() => move(i, -1, name)}>↑</button>
            <button type="button" class="small icon" data-focus={`${i}:down`} aria-label={`Move ${name} down`} disabled={i === items.length - 1} onClick={() => move(i, 1, name)}>↓</button>
            <button
              type="button"
              class="small secondary"
              data-focus={`${i}:remove`}
              aria-label={`Remove ${name}`}
              onClick={() => {
                set(items.filter((_, j) => j !== i));
                setSaid(`${name} removed.`);
                focusAfter(`${Math.min(i, items.length - 2)}:remove`);
              }}
            >Remove</button>
          </>
        );
        return (
          <Field
            key={i}
            name={String(i)}
            schema={{ ...itemSchema, title: name }}
            value={v}
            required={false}
            path={`${p.path}[${i}]`}
            issues={p.issues}
            onChange={(nv) => set(items.map((x, j) => (j === i ? (nv === undefined ? null : nv) : x)))}
            extra={tools}
          />
        );
      })}
      <button type="button" class="small" disabled={full} onClick={() => {
        set([...items, initialOf(itemSchema) ?? null]);
        setSaid(`${noun} ${items.length + 1} added.`);
      }}>Add {lower}</button>
      <p class="sr-only" aria-live="polite">{said}</p>
    </div>
  );
}

/** RecordEditor edits named entries (an object of `additionalProperties`): add by name, remove. */
function RecordEditor(p: PartProps) {
  const valueSchema = recordOf(p.schema)!;
  const value = (p.value ?? {}) as Obj;
  const noun = lowerNoun(valueSchema.title ?? singular(p.label));
  const [name, setName] = useState("");
  const [problem, setProblem] = useState<string>();
  const pattern = p.schema.propertyNames?.pattern;
  const newId = `${p.id}-new`;
  const add = () => {
    const n = name.trim();
    let why: string | undefined;
    if (n === "") why = `Type a name for the new ${noun}`;
    else if (Object.hasOwn(value, n)) why = `There is a ${noun} named ${n} already`;
    else if (pattern && !new RegExp(pattern).test(n)) why = `${n} is not a valid name here`;
    setProblem(why);
    if (why) return;
    p.onChange({ ...value, [n]: initialOf(valueSchema) ?? null });
    setName("");
  };
  return (
    <div class="record">
      {Object.keys(value).length === 0 && <p class="muted">None yet.</p>}
      {Object.keys(value).map((k) => (
        <Field
          key={k}
          name={k}
          schema={{ ...valueSchema, title: k }}
          value={value[k]}
          required={false}
          path={join(p.path, k)}
          issues={p.issues}
          onChange={(v) => p.onChange({ ...value, [k]: v === undefined ? null : v })}
          extra={
            <button type="button" class="small secondary" aria-label={`Remove ${noun} ${k}`} onClick={() => p.onChange(withKey(value, k, undefined))}>
              Remove
            </button>
          }
        />
      ))}
      <div class={`field add-row${problem ? " invalid" : ""}`}>
        <label for={newId}>Name of a new {noun}</label>
        <div class="input-row">
          <input
            id={newId}
            type="text"
            spellcheck={false}
            autocomplete="off"
            value={name}
            aria-invalid={problem ? "true" : undefined}
            aria-describedby={problem ? `${newId}-err` : undefined}
            onInput={(e) => setName(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") {
                e.preventDefault();
                add();
              }
            }}
          />
          <button type="button" class="small" onClick={add}>Add {noun}</button>
        </div>
        {problem && <p id={`${newId}-err`} class="field-error" role="alert">{problem}</p>}
      </div>
    </div>
  );
}
