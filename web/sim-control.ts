/**
 * The port through which the API drives the simulated world. `src/main.ts` passes one on
 * the sim dataplane; on Linux there is none and every `/api/v1/sim...` path answers 404.
 * The web layer never imports the simulator itself.
 * @module
 */

/** One simulated uplink as the API shows it. */
export interface SimUplinkView {
  readonly device: string;
  readonly present: boolean;
  readonly carrier: boolean;
  /** The ISP forwards traffic (false: a silent failure with the link up). */
  readonly upstream: boolean;
  /** The ISP forwards IPv6 (false: a silent IPv6-only failure); only on uplinks that carry IPv6. */
  readonly upstream6?: boolean;
  readonly lossPct: number;
  readonly latencyMs: number;
  readonly jitterMs: number;
}

export type SimUplinkPatch = Partial<Omit<SimUplinkView, "device">>;

export interface SimPresetView {
  readonly name: string;
  readonly title: string;
  readonly running: boolean;
}

export interface SimControl {
  uplinks(): SimUplinkView[];
  /** Changes an uplink; undefined when there is no such device. */
  setUplink(device: string, patch: SimUplinkPatch): SimUplinkView | undefined;
  /** Back to how it started; undefined when there is no such device. */
  restoreUplink(device: string): SimUplinkView | undefined;
  /** LAN client load: new connections per second. */
  clientRate(): number;
  setClientRate(perSecond: number): number;
  presets(): SimPresetView[];
  /** undefined when there is no such preset. */
  startPreset(name: string): SimPresetView | undefined;
  stopPreset(name: string): SimPresetView | undefined;
  /** Stops running presets (daemon shutdown). */
  close(): void;
}
