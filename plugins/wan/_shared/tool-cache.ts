/**
 * Optional tools (`iw`, `mmcli`) are slow to start and show details, so a WAN type runs them
 * at most once per {@link TOOL_REFRESH_MS} while the device's link does not change (the kernel
 * re-inspects every 5 s: without this an idle router started a process every 5 s per uplink).
 * A change of presence or carrier reads them again at once.
 * @module
 */
import type { PluginContext } from "../../../src/index.ts";
import { runTool } from "./device.ts";

/** How long a tool's output stands while the link is unchanged. */
export const TOOL_REFRESH_MS = 60_000;

export class ToolCache {
  #ctx: PluginContext;
  #argv: string[];
  #at = -Infinity;
  #link = "";
  #text?: string;

  constructor(ctx: PluginContext, argv: string[]) {
    this.#ctx = ctx;
    this.#argv = argv;
  }

  /** The tool's output (undefined when missing or failed); `link` is the device's presence/carrier now. */
  async read(link: { present: boolean; carrier: boolean }): Promise<string | undefined> {
    const key = `${link.present}/${link.carrier}`;
    const now = this.#ctx.clock.now();
    if (key === this.#link && now - this.#at < TOOL_REFRESH_MS) return this.#text;
    this.#link = key;
    this.#at = now;
    this.#text = await runTool(this.#ctx, this.#argv);
    return this.#text;
  }
}
