/**
 * Finding plugin folders and their entry modules. A directory named by the config or a
 * flag is either a plugin folder itself or holds one plugin folder per subfolder (hidden
 * folders and `node_modules` are skipped). A folder's entry is package.json's `main`, else
 * the first of `index.ts`, `index.js`, `mod.ts`, `mod.js`.
 * @module
 */
import { host, isAbsolute, join, relative, resolve } from "../host/index.ts";
import { messageOf } from "../errors.ts";
import { PluginLoadError } from "./errors.ts";

export const ENTRY_NAMES: readonly string[] = ["index.ts", "index.js", "mod.ts", "mod.js"];

async function isFile(path: string): Promise<boolean> {
  try {
    return (await host.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** entryOf returns a folder's entry module, or undefined when the folder is not a plugin. */
export async function entryOf(folder: string): Promise<string | undefined> {
  const pkgPath = join(folder, "package.json");
  if (await isFile(pkgPath)) {
    let main: unknown;
    try {
      main = (JSON.parse(await host.readText(pkgPath)) as { main?: unknown }).main;
    } catch (err) {
      throw new PluginLoadError("E_PLUGIN_NO_ENTRY", folder, undefined, `package.json cannot be read: ${messageOf(err)}`);
    }
    if (typeof main === "string") {
      const path = resolve(folder, main);
      const inside = relative(folder, path);
      if (inside.startsWith("..") || isAbsolute(inside)) {
        throw new PluginLoadError("E_PLUGIN_NO_ENTRY", folder, undefined, `package.json main ${main} is outside the folder`);
      }
      if (!(await isFile(path))) {
        throw new PluginLoadError("E_PLUGIN_NO_ENTRY", folder, undefined, `package.json main ${main} does not exist`);
      }
      return path;
    }
  }
  for (const name of ENTRY_NAMES) {
    if (await isFile(join(folder, name))) return join(folder, name);
  }
  return undefined;
}

/** pluginFolders lists the plugin folders a directory stands for (itself, or its subfolders in name order). */
export async function pluginFolders(dir: string): Promise<string[]> {
  const abs = resolve(dir);
  let entries;
  try {
    if (await entryOf(abs) !== undefined) return [abs];
    entries = await host.readDir(abs);
  } catch (err) {
    if (err instanceof PluginLoadError) return [abs];
    throw new PluginLoadError("E_PLUGIN_DIR", abs, undefined, `cannot read the plugin directory: ${messageOf(err)}`);
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith(".") || e.name === "node_modules") continue;
    const path = join(abs, e.name);
    if (e.isDirectory || (e.isSymlink && (await host.stat(path).catch(() => undefined))?.isDirectory)) out.push(path);
  }
  return out.sort();
}
