/**
 * The public API for plugin authors: the plugin contract, ports, plan types and errors.
 * Plugins import from here and nothing else in `src/`.
 * @module
 */
export type * from "./plugin.ts";
export { KERNEL_API_VERSION, kindOf, PLUGIN_KINDS } from "./plugin.ts";
export type { Carrier, LastResort, ModeDecision, PlanUplink, RoutingPlan } from "./plan.ts";
export type * from "./platform.ts";
export type { HealthState, HealthView, TargetStats } from "./health/types.ts";
export type { Clock, TimerHandle } from "./clock.ts";
export type { Logger } from "./log.ts";
export * from "./errors.ts";
