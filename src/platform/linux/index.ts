/**
 * The Linux platform: nftables + policy routing + conntrack dataplane, iputils/node:http
 * probes, sysfs/iproute2 links and an Exec port. Production runs in the current network
 * namespace; `netns` (tests only) runs every command inside a named namespace.
 * @module
 */
import type { Platform, RoutingSettings } from "../../platform.ts";
import { LinuxDataplane, type LogFn } from "./dataplane.ts";
import { LinuxExec } from "./exec.ts";
import { LinuxLinks } from "./links.ts";
import { LinuxProbes } from "./probes.ts";
import { createRunner } from "./run.ts";

export { CommandError } from "./run.ts";
export type { LogFn } from "./dataplane.ts";

export interface LinuxPlatformOptions {
  readonly log?: LogFn;
  /** Needed by probes to mark echo requests with the uplink's fwmark (the same settings given to dataplane.init). */
  readonly settings?: RoutingSettings;
  /** Tests only: run every command inside this network namespace. */
  readonly netns?: string;
}

/** createLinuxPlatform wires the Linux implementations of the platform port. */
export function createLinuxPlatform(opts: LinuxPlatformOptions = {}): Platform {
  const log: LogFn = opts.log ?? (() => {});
  const runner = createRunner({ netns: opts.netns });
  const dataplane = new LinuxDataplane(runner, log);
  const probes = new LinuxProbes(runner, opts.settings, log);
  const links = new LinuxLinks(runner, log);
  const exec = new LinuxExec(runner);
  return {
    name: "linux",
    dataplane,
    probes,
    links,
    exec,
    async close() {
      links.close();
      await probes.close();
    },
  };
}
