/**
 * The UCI parser on tricky syntax: libuci's quoting, escapes, comments, continuation,
 * lists, unset values, anonymous and reopened sections, and errors with their line.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseUci, type UciFile, UciSyntaxError } from "../../src/import/uci.ts";

/** values of option `name` in section `ref`. */
function val(f: UciFile, ref: string, name: string): readonly string[] | undefined {
  return f.sections.find((s) => s.ref === ref)?.options.get(name)?.values;
}

function syntaxError(text: string, line: number, pattern: RegExp) {
  assert.throws(() => parseUci(text, "mwan3"), (err: unknown) => {
    assert.ok(err instanceof UciSyntaxError, String(err));
    assert.equal(err.code, "E_UCI_SYNTAX");
    assert.equal(err.line, line, err.message);
    assert.match(err.message, new RegExp(`^mwan3:${line}: `));
    assert.match(err.message, pattern);
    return true;
  });
}

describe("UCI parser", () => {
  it("reads quotes as libuci does: single literal, double with backslash escapes, pieces concatenated", () => {
    const f = parseUci([
      "config x 'a'",
      "  option q1 'it'\\''s'",
      '  option q2 "say \\"hi\\" \\\\ \\n"',
      "  option q3 ab'cd'\"ef\"",
      "  option q4 a\\ b",
      "  option q5 'back\\slash'",
      '  option q6 "$HOME and `x`"',
    ].join("\n"));
    assert.deepEqual(val(f, "a", "q1"), ["it's"]);
    assert.deepEqual(val(f, "a", "q2"), ['say "hi" \\ n']);
    assert.deepEqual(val(f, "a", "q3"), ["abcdef"]);
    assert.deepEqual(val(f, "a", "q4"), ["a b"]);
    assert.deepEqual(val(f, "a", "q5"), ["back\\slash"]);
    assert.deepEqual(val(f, "a", "q6"), ["$HOME and `x`"]);
  });

  it("comments: whole lines, and an unquoted # mid-token; a quoted # is literal", () => {
    const f = parseUci([
      "# leading comment",
      "package mwan3",
      "config interface 'wan' # trailing",
      "\t# option enabled '0'",
      "\toption d abc#x",
      "\toption e 'a#b'",
      "\toption f \"c # d\" # gone",
    ].join("\n"));
    assert.equal(f.sections.length, 1);
    assert.equal(val(f, "wan", "enabled"), undefined);
    assert.deepEqual(val(f, "wan", "d"), ["abc"]);
    assert.deepEqual(val(f, "wan", "e"), ["a#b"]);
    assert.deepEqual(val(f, "wan", "f"), ["c # d"]);
  });

  it("a backslash at the end of a line joins the next; newlines inside quotes are kept; line numbers stay right", () => {
    const f = parseUci([
      "config x 'a'",
      "\toption joined one\\",
      "two",
      "\toption split \\",
      "\t\t'value'",
      "\toption multi 'line1",
      "line2'",
      "\toption dq \"x\\",
      "y\"",
      "\toption last 1",
    ].join("\n"));
    assert.deepEqual(val(f, "a", "joined"), ["onetwo"]);
    assert.deepEqual(val(f, "a", "split"), ["value"]);
    assert.deepEqual(val(f, "a", "multi"), ["line1\nline2"]);
    assert.deepEqual(val(f, "a", "dq"), ["xy"]);
    assert.equal(f.sections[0].options.get("last")?.line, 10);
    syntaxError("config x 'a'\n\toption multi 'a\nb'\n\tbogus\n", 4, /invalid command "bogus"/);
  });

  it("short keywords, several statements on a line with ;, CRLF line ends, tabs and blank lines", () => {
    const f = parseUci("p mwan3\r\n\r\nc interface wan; o enabled 1;l track_ip 198.18.0.1\r\n\tl track_ip '198.18.0.2'\r\n");
    assert.deepEqual(val(f, "wan", "enabled"), ["1"]);
    assert.deepEqual(val(f, "wan", "track_ip"), ["198.18.0.1", "198.18.0.2"]);
    assert.equal(f.sections[0].options.get("track_ip")?.list, true);
    assert.equal(f.sections[0].options.get("enabled")?.list, false);
  });

  it("option/list semantics: last option wins, list after option converts, option after list replaces, empty unsets", () => {
    const f = parseUci([
      "config x 'a'",
      "\toption o1 first",
      "\toption o1 second",
      "\toption o2 old",
      "\tlist o2 new",
      "\tlist o3 one",
      "\tlist o3 two",
      "\toption o3 only",
      "\toption o4 set",
      "\toption o4 ''",
      "\toption o5",
      "\tlist o6 ''",
    ].join("\n"));
    const opts = f.sections[0].options;
    assert.deepEqual(val(f, "a", "o1"), ["second"]);
    assert.deepEqual(opts.get("o2"), { name: "o2", values: ["old", "new"], list: true, line: 5 });
    assert.deepEqual(opts.get("o3"), { name: "o3", values: ["only"], list: false, line: 8 });
    assert.ok(!opts.has("o4") && !opts.has("o5") && !opts.has("o6"));
  });

  it("anonymous sections get @type[index] counted among all sections of the type; a reopened name merges", () => {
    const f = parseUci([
      "config wifi-iface",
      "\toption mode ap",
      "config wifi-iface 'named'",
      "\toption mode sta",
      "config wifi-iface ''",
      "\toption mode mesh",
      "config wifi-device radio0",
      "\toption band 2g",
      "config wifi-iface named",
      "\toption network wwan",
    ].join("\n"));
    assert.deepEqual(f.sections.map((s) => s.ref), ["@wifi-iface[0]", "named", "@wifi-iface[2]", "radio0"]);
    assert.equal(f.sections[0].name, undefined);
    assert.deepEqual(val(f, "named", "mode"), ["sta"]);
    assert.deepEqual(val(f, "named", "network"), ["wwan"]);
  });

  it("rejects what strict uci rejects, naming the line", () => {
    syntaxError("option enabled 1\n", 1, /before the first config section/);
    syntaxError("config interface 'wan'\n\toption en-abled 1\n", 2, /invalid character in option name "en-abled"/);
    syntaxError("\n\nconfig interface 'my-wan'\n", 3, /invalid character in section name "my-wan"/);
    syntaxError("config interface 'wan'\n\toption enabled 1 2\n", 2, /too many arguments/);
    syntaxError("config interface 'wan'\n\toptions enabled 1\n", 2, /invalid command "options"/);
    syntaxError("config interface wan\n\n\toption x 'never closed\n\n", 3, /end of file inside a single-quoted value/);
    syntaxError('config interface wan\n\toption x "open \\"\n', 2, /end of file inside a double-quoted value/);
    syntaxError("config\n", 1, /config without a type/);
    syntaxError("config interface 'wan'\nconfig member 'wan'\n", 2, /section wan was a interface, not a member/);
    syntaxError("config interface 'wan'\n\toption\n", 2, /option without a name/);
    syntaxError("package\n", 1, /package without a name/);
  });
});
