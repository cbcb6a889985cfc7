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

/** The kernel's logger shape (src/log.ts), accepted as well as a plain function. */
export interface LoggerLike {
  debug(message: string, props?: Record<string, unknown>): void;
  info(message: string, props?: Record<string, unknown>): void;
  warn(message: string, props?: Record<string, unknown>): void;
  error(message: string, props?: Record<string, unknown>): void;
}

export interface LinuxPlatformOptions {
  readonly log?: LogFn | LoggerLike;
  /** Routing settings for probe marks before dataplane.init() ran; afterwards init's settings are used. */
  readonly settings?: RoutingSettings;
  /** Tests only: run every command inside this network namespace. */
  readonly netns?: string;
}

/** createLinuxPlatform wires the Linux implementations of the platform port. */
export function createLinuxPlatform(opts: LinuxPlatformOptions = {}): Platform {
  const log = toLogFn(opts.log);
  const runner = createRunner({ netns: opts.netns });
  const dataplane = new LinuxDataplane(runner, log);
  const probes = new LinuxProbes(runner, () => dataplane.settings ?? opts.settings, log, (index) => dataplane.whenRouted(index));
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

function toLogFn(log: LogFn | LoggerLike | undefined): LogFn {
  if (!log) return () => {};
  if (typeof log === "function") return log;
  return (level, msg, props) => (level === "warning" ? log.warn(msg, props) : log[level](msg, props));
}
