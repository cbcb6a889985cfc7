/**
 * SimExec answers the optional tools WAN types read (`iw`, `mmcli`) from the SimWorld, in
 * the tools' own output formats; any other command is "not installed".
 * @module
 */
import type { Exec, ExecResult } from "../../platform.ts";
import type { SimWorld } from "./world.ts";

export class SimExec implements Exec {
  readonly #world: SimWorld;
  /** Commands asked for, for tests. */
  readonly calls: string[][] = [];

  constructor(world: SimWorld) {
    this.#world = world;
  }

  run(argv: readonly string[]): Promise<ExecResult | undefined> {
    this.calls.push([...argv]);
    const ok = (stdout: string) => Promise.resolve({ code: 0, stdout, stderr: "" });
    if (argv[0] === "iw" && argv[1] === "dev" && argv[3] === "link") {
      const u = this.#world.uplink(argv[2]);
      if (!u?.present) return Promise.resolve({ code: 237, stdout: "", stderr: "command failed: No such device (-19)" });
      if (u.ssid === undefined) return Promise.resolve(undefined);
      if (!u.carrier) return ok("Not connected.\n");
      return ok(
        `Connected to 02:00:00:00:00:01 (on ${argv[2]})\n\tSSID: ${u.ssid}\n\tfreq: 2437\n\tsignal: ${u.signalDbm ?? -60} dBm\n`,
      );
    }
    if (argv[0] === "mmcli") {
      const u = this.#world.devices.map((d) => this.#world.uplink(d)!).find((x) => x.operator !== undefined);
      if (!u) return Promise.resolve(undefined);
      if (!u.present) return Promise.resolve({ code: 1, stdout: "", stderr: "error: couldn't find modem" });
      return ok(JSON.stringify({
        modem: {
          generic: { "signal-quality": { value: String(u.signalPct ?? 0), recent: "yes" }, "access-technologies": ["lte"] },
          "3gpp": { "operator-name": u.operator },
        },
      }));
    }
    return Promise.resolve(undefined);
  }
}
