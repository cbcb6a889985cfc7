/**
 * A parser for OpenWrt's UCI files (`/etc/config/*`), following libuci's rules: `package`,
 * `config TYPE [NAME]`, `option NAME VALUE`, `list NAME VALUE` (keywords may be shortened to
 * their first letter, `;` separates statements); single quotes are literal, double quotes and
 * bare words take `\x` as `x`; a backslash before a newline joins lines; an unquoted `#` starts
 * a comment; an empty value unsets the option. Like `uci` in strict mode, one error rejects the
 * whole file, with its line.
 * @module
 */
import { KernelError } from "../errors.ts";

/** The file is not valid UCI; `line` is 1-based. */
export class UciSyntaxError extends KernelError {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, why: string) {
    super("E_UCI_SYNTAX", `${file}:${line}: ${why}`);
    this.file = file;
    this.line = line;
  }
}

/** One option: a scalar (`option`) holds one value; a `list` holds its items in file order. */
export interface UciOption {
  readonly name: string;
  readonly values: readonly string[];
  /** Written with `list` (or `option` converted by a later `list`). */
  readonly list: boolean;
  /** Line of the last statement that set it. */
  readonly line: number;
}

/** One section; `ref` is its name, or `@type[index]` for an anonymous one (as the `uci` CLI shows it). */
export interface UciSection {
  readonly type: string;
  readonly name: string | undefined;
  readonly ref: string;
  readonly line: number;
  readonly options: Map<string, UciOption>;
}

/** A parsed file: sections in file order. */
export interface UciFile {
  /** Label used in errors and warnings, e.g. `mwan3`. */
  readonly file: string;
  readonly sections: readonly UciSection[];
}

interface Token {
  readonly text: string;
  readonly quoted: boolean;
}

const NAME = /^[A-Za-z0-9_]+$/;
const TYPE = /^[\x21-\x7e]+$/;

/** Scanner walks the text statement by statement, keeping the line number. */
class Scanner {
  #at = 0;
  line = 1;
  readonly #s: string;
  readonly #file: string;
  constructor(text: string, file: string) {
    this.#s = text;
    this.#file = file;
  }

  fail(why: string, line = this.line): never {
    throw new UciSyntaxError(this.#file, line, why);
  }

  /** A backslash at `#at` followed by a line end: skip both, return true. */
  #continuation(): boolean {
    const s = this.#s;
    const next = s[this.#at + 1];
    if (next === "\n" || (next === "\r" && s[this.#at + 2] === "\n")) {
      this.#at += next === "\n" ? 2 : 3;
      this.line++;
      return true;
    }
    if (next === undefined) {
      this.#at++;
      return true;
    }
    return false;
  }

  /** next returns the tokens of the next statement and its first line, or undefined at the end. */
  next(): { tokens: Token[]; line: number } | undefined {
    const s = this.#s;
    const tokens: Token[] = [];
    let line = this.line;
    for (;;) {
      const c = s[this.#at];
      if (c === undefined) return tokens.length > 0 ? { tokens, line } : undefined;
      if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v") {
        this.#at++;
      } else if (c === "\n" || c === ";") {
        this.#at++;
        if (c === "\n") this.line++;
        if (tokens.length > 0) return { tokens, line };
        line = this.line;
      } else if (c === "#") {
        this.#skipComment();
      } else if (c === "\\" && this.#continuation()) {
        continue;
      } else {
        if (tokens.length === 0) line = this.line;
        tokens.push(this.#token());
      }
    }
  }

  #skipComment(): void {
    const end = this.#s.indexOf("\n", this.#at);
    this.#at = end < 0 ? this.#s.length : end;
  }

  #token(): Token {
    const s = this.#s;
    let text = "";
    let quoted = false;
    for (;;) {
      const c = s[this.#at];
      if (c === undefined || c === " " || c === "\t" || c === "\r" || c === "\n" || c === ";" || c === "\f" || c === "\v") {
        return { text, quoted };
      }
      if (c === "#") {
        this.#skipComment();
        return { text, quoted };
      }
      if (c === "'") {
        quoted = true;
        text += this.#single();
      } else if (c === '"') {
        quoted = true;
        text += this.#double();
      } else if (c === "\\") {
        if (this.#continuation()) continue;
        text += s[this.#at + 1];
        this.#at += 2;
      } else {
        text += c;
        this.#at++;
      }
    }
  }

  #single(): string {
    const start = this.line;
    const end = this.#s.indexOf("'", this.#at + 1);
    if (end < 0) this.fail("end of file inside a single-quoted value", start);
    const text = this.#s.slice(this.#at + 1, end);
    this.line += text.split("\n").length - 1;
    this.#at = end + 1;
    return text;
  }

  #double(): string {
    const s = this.#s;
    const start = this.line;
    let text = "";
    this.#at++;
    for (;;) {
      const c = s[this.#at];
      if (c === undefined) this.fail("end of file inside a double-quoted value", start);
      if (c === '"') {
        this.#at++;
        return text;
      }
      if (c === "\\") {
        if (this.#continuation()) continue;
        text += s[this.#at + 1];
        this.#at += 2;
        continue;
      }
      if (c === "\n") this.line++;
      text += c;
      this.#at++;
    }
  }
}

const KEYWORDS: Readonly<Record<string, string>> = {
  p: "package",
  package: "package",
  c: "config",
  config: "config",
  o: "option",
  option: "option",
  l: "list",
  list: "list",
};

/** parseUci parses one UCI file; throws {@link UciSyntaxError} with the line of the first error. */
export function parseUci(text: string, file = "config"): UciFile {
  const scan = new Scanner(text, file);
  const sections: UciSection[] = [];
  const byName = new Map<string, UciSection>();
  const perType = new Map<string, number>();
  let current: UciSection | undefined;
  for (let st = scan.next(); st; st = scan.next()) {
    const [head, ...args] = st.tokens;
    const keyword = head.quoted ? undefined : KEYWORDS[head.text];
    const fail = (why: string): never => scan.fail(why, st!.line);
    if (!keyword) fail(`invalid command ${JSON.stringify(head.text)}`);
    if (keyword === "package") {
      if (args.length === 0 || args[0].text === "") fail("package without a name");
      if (args.length > 1) fail("too many arguments");
      continue;
    }
    if (keyword === "config") {
      const [type, name] = args;
      if (!type || type.text === "") fail("config without a type");
      if (!TYPE.test(type.text)) fail(`invalid character in section type ${JSON.stringify(type.text)}`);
      if (args.length > 2) fail("too many arguments");
      const index = perType.get(type.text) ?? 0;
      if (name && name.text !== "") {
        if (!NAME.test(name.text)) fail(`invalid character in section name ${JSON.stringify(name.text)} (A-Z a-z 0-9 _ only)`);
        const prior = byName.get(name.text);
        if (prior) {
          if (prior.type !== type.text) fail(`section ${name.text} was a ${prior.type}, not a ${type.text}`);
          current = prior;
          continue;
        }
      }
      perType.set(type.text, index + 1);
      const named = name && name.text !== "" ? name.text : undefined;
      current = { type: type.text, name: named, ref: named ?? `@${type.text}[${index}]`, line: st.line, options: new Map() };
      sections.push(current);
      if (named) byName.set(named, current);
      continue;
    }
    if (!current) fail(`${keyword} before the first config section`);
    const [name, value] = args;
    if (!name || name.text === "") fail(`${keyword} without a name`);
    if (!NAME.test(name.text)) fail(`invalid character in option name ${JSON.stringify(name.text)} (A-Z a-z 0-9 _ only)`);
    if (args.length > 2) fail("too many arguments");
    setOption(current!.options, keyword === "list", name.text, value?.text ?? "", st.line);
  }
  return { file, sections };
}

function setOption(options: Map<string, UciOption>, list: boolean, name: string, value: string, line: number): void {
  const prior = options.get(name);
  if (!list) {
    if (value === "") options.delete(name);
    else options.set(name, { name, values: [value], list: false, line });
    return;
  }
  if (value === "") return;
  options.set(name, { name, values: [...(prior?.values ?? []), value], list: true, line });
}

/** sectionNamed finds a named section (of `type`, when given). */
export function sectionNamed(file: UciFile, name: string, type?: string): UciSection | undefined {
  return file.sections.find((s) => s.name === name && (type === undefined || s.type === type));
}
