/**
 * Shapes the panel reads from the API: the server's own types (type-only imports, erased by
 * the bundler) plus a few the API builds on the fly.
 * @module
 */
import type { JsonSchema } from "./schema-form.tsx";

export type { HealthState } from "../../../src/health/types.ts";
export type { StatusSnapshot as Status, WanStatus } from "../../../src/status.ts";
import type { HealthState } from "../../../src/health/types.ts";
import type { SimPresetView, SimUplinkView } from "../../sim-control.ts";

export interface StatusField {
  readonly key: string;
  readonly title: string;
  readonly unit?: string;
}

export interface PluginInfo {
  readonly id: string;
  readonly kind: "tracker" | "wan" | "mode";
  readonly title: string;
  readonly description: string;
  readonly statusFields?: readonly StatusField[];
  readonly schema: JsonSchema;
}

/** The config document, loosely: the panel edits it as plain JSON. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Doc = { [k: string]: Json };

export interface History {
  readonly stepMs: number;
  readonly wans: Readonly<Record<string, {
    t: number[];
    state: (HealthState | "disabled")[];
    rttMs: (number | null)[];
    lossPct: (number | null)[];
    jitterMs: (number | null)[];
  }>>;
}

/** One simulated uplink, with the WANs that use its device. */
export type SimUplink = SimUplinkView & { readonly wans: readonly string[] };

/** `GET /api/v1/sim`. */
export interface SimState {
  readonly uplinks: readonly SimUplink[];
  readonly client: { readonly perSecond: number };
  readonly presets: readonly SimPresetView[];
}

export interface TokenInfo {
  readonly id: string;
  readonly name: string;
  readonly role: "read" | "admin";
  readonly createdAt: string;
  readonly lastUsedAt?: string;
}
