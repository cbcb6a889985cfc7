/**
 * Just enough semver to check a plugin's kernel API range: `^1.2.0`, `~1.2.0`,
 * `>=1.0.0 <2.0.0`, `1.x`, exact versions.
 * @module
 */

type Version = [number, number, number];

function parse(text: string): Version | undefined {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$/.exec(text.trim());
  if (!m) return undefined;
  const num = (s: string | undefined) => (s === undefined || s === "x" || s === "*" ? 0 : Number(s));
  return [Number(m[1]), num(m[2]), num(m[3])];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function satisfiesOne(v: Version, comparator: string): boolean {
  const m = /^(\^|~|>=|<=|>|<|=)?(.+)$/.exec(comparator);
  if (!m) return false;
  const op = m[1] ?? "";
  const body = m[2];
  const r = parse(body);
  if (!r) return false;
  const c = compare(v, r);
  const wildcardMinor = /^\d+(\.(x|\*))?$/.test(body);
  switch (op) {
    case "^":
      if (r[0] > 0) return c >= 0 && v[0] === r[0];
      if (r[1] > 0) return c >= 0 && v[0] === 0 && v[1] === r[1];
      return c === 0;
    case "~":
      return c >= 0 && v[0] === r[0] && v[1] === r[1];
    case ">=":
      return c >= 0;
    case "<=":
      return c <= 0;
    case ">":
      return c > 0;
    case "<":
      return c < 0;
    default:
      if (wildcardMinor) return v[0] === r[0];
      return c === 0;
  }
}

/** satisfies tells whether `version` is inside `range` (space-separated comparators, `||` alternatives). */
export function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  if (!v) return false;
  return range.split("||").some((alt) => {
    const parts = alt.trim().split(/\s+/).filter(Boolean);
    return parts.length > 0 && parts.every((p) => satisfiesOne(v, p));
  });
}

/** isValidRange tells whether every comparator in `range` parses. */
export function isValidRange(range: string): boolean {
  return range.split("||").every((alt) => {
    const parts = alt.trim().split(/\s+/).filter(Boolean);
    return parts.length > 0 && parts.every((p) => parse(p.replace(/^(\^|~|>=|<=|>|<|=)/, "")) !== undefined);
  });
}
