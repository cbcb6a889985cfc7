/** Command-line options (`src/args.ts`) read as Node's `util.parseArgs` reads them. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { parseArgs } from "node:util";
import { type OptionSpec, parseOptions } from "../src/args.ts";

const OPTIONS: Record<string, OptionSpec> = {
  dataplane: { type: "string" },
  listen: { type: "string" },
  plugins: { type: "string", multiple: true },
  "no-scenario": { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

const GOOD = [
  [], ["--dataplane", "linux"], ["--dataplane=linux"], ["--listen", "[::1]:9000", "--no-scenario"], ["-h"], ["--help"],
  ["--plugins", "a", "--plugins=b", "--plugins", "c"], ["--listen=", "--dataplane", "sim"], ["--listen", "a=b"],
  ["--dataplane", "sim", "--dataplane", "linux"], ["--no-scenario", "--no-scenario"], ["--"], ["--listen", "x", "--"],
  ["-hh"], ["--listen", "-"],
];
const BAD_STRICT = [
  ["--bogus"], ["-x"], ["positional"], ["--listen"], ["--listen", "--dataplane"], ["--help=yes"], ["--", "p"], ["--dataplane", "-h"],
  ["--constructor", "x"], ["--valueOf=1"], ["--__proto__=x"], ["--toString"], ["-dataplane", "linux"], ["-help"], ["-hx"], ["-"],
];
const LENIENT = [
  ...GOOD, ["--bogus"], ["--bogus=1", "--listen", "a"], ["word", "--dataplane", "linux", "other"], ["--listen"], ["--listen", "-x"],
  ["--", "--listen", "a"], ["--unknown", "value", "--plugins", "p"], ["-"], ["-xy", "--listen", "a"], ["--constructor=1"],
];

const node = (args: string[], strict: boolean) => {
  const r = parseArgs({ args, options: OPTIONS, strict, allowPositionals: !strict || undefined });
  return { values: { ...r.values }, positionals: r.positionals };
};

describe("parseOptions", () => {
  it("reads what util.parseArgs reads, strict", () => {
    for (const args of GOOD) assert.deepEqual(parseOptions(args, OPTIONS, true), node(args, true), args.join(" "));
  });
  it("refuses what util.parseArgs refuses, strict, naming the option", () => {
    for (const args of BAD_STRICT) {
      assert.throws(() => node(args, true), Error, `node accepts ${args.join(" ")}`);
      assert.throws(() => parseOptions(args, OPTIONS, true), TypeError, args.join(" "));
    }
    assert.throws(() => parseOptions(["--bogus"], OPTIONS, true), /Unknown option '--bogus'/);
    assert.throws(() => parseOptions(["--listen"], OPTIONS, true), /'--listen <value>' argument missing/);
    assert.throws(() => parseOptions(["--listen", "-1"], OPTIONS, true), /use '--listen=-1'/);
  });
  it("reads what util.parseArgs reads, lenient (unknown options and positionals kept)", () => {
    for (const args of LENIENT) assert.deepEqual(parseOptions(args, OPTIONS, false), node(args, false), args.join(" "));
  });
});
