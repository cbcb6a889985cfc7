/**
 * POSIX paths and file URLs without `node:path` and `node:url`, which cost an idle Deno daemon
 * memory (Deno loads its Node compatibility layer for them; see `types.ts`). The daemon runs
 * on Linux, so only `/` paths are handled. `test/path.test.ts` checks each function against
 * Node's on the same cases.
 * @module
 */

/** normalize resolves `.` and `..` and repeated slashes; keeps a leading `/` and a trailing one. */
export function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
    } else out.push(part);
  }
  let text = (absolute ? "/" : "") + out.join("/");
  if (text === "") return absolute ? "/" : path.endsWith("/") ? "./" : ".";
  if (path.endsWith("/") && text !== "/") text += "/";
  return text;
}

/** join joins the non-empty parts with `/` and normalizes the result. */
export function join(...parts: string[]): string {
  const kept = parts.filter((p) => p !== "");
  return kept.length === 0 ? "." : normalize(kept.join("/"));
}

export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** resolve makes an absolute path: the parts from the right until one is absolute, then `cwd`. */
export function resolveFrom(cwd: string, ...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !path.startsWith("/"); i--) {
    if (parts[i] !== "") path = path === "" ? parts[i] : `${parts[i]}/${path}`;
  }
  if (!path.startsWith("/")) path = path === "" ? cwd : `${cwd}/${path}`;
  const text = normalize(path);
  return text.length > 1 && text.endsWith("/") ? text.slice(0, -1) : text;
}

/** dirname is the folder part (`.` for a bare name, `/` for the root). */
export function dirname(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return path === "" ? "." : "/";
  const at = trimmed.lastIndexOf("/");
  if (at < 0) return ".";
  if (at === 0) return "/";
  return at === 1 && trimmed[0] === "/" ? "//" : trimmed.slice(0, at); // as Node: "a//b" -> "a/", "//a" -> "//"
}

/** basename is the last part (trailing slashes ignored). */
export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** relative gives the path from `from` to `to` (both absolute, or resolved against `cwd`). */
export function relativeFrom(cwd: string, from: string, to: string): string {
  const a = resolveFrom(cwd, from).split("/").filter(Boolean);
  const b = resolveFrom(cwd, to).split("/").filter(Boolean);
  let same = 0;
  while (same < a.length && same < b.length && a[same] === b[same]) same++;
  return [...Array(a.length - same).fill(".."), ...b.slice(same)].join("/");
}

/** fileUrl is the `file:` URL of an absolute path, with `%`, `#`, `?` and controls escaped. */
export function fileUrl(absolutePath: string): URL {
  if (!absolutePath.startsWith("/")) throw new TypeError(`not an absolute path: ${absolutePath}`);
  const escaped = absolutePath.replace(/[%\\\n\r\t#?]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
  return new URL(`file://${escaped}`);
}

/** pathOfUrl is the path a `file:` URL names. */
export function pathOfUrl(url: string | URL): string {
  const u = typeof url === "string" ? new URL(url) : url;
  if (u.protocol !== "file:") throw new TypeError(`not a file URL: ${u.href}`);
  if (u.hostname !== "") throw new TypeError(`a file URL with a host: ${u.href}`);
  if (/%2f/i.test(u.pathname)) throw new TypeError(`a file URL with an encoded /: ${u.href}`);
  return decodeURIComponent(u.pathname);
}
