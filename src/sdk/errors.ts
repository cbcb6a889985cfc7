/**
 * PluginError: what a plugin throws when it wants a stable code in logs, events and the API
 * (`E_PLUGIN_*` codes are the kernel's; pick your own, e.g. `E_VXLAN_CREATE`).
 * @module
 */
import { KernelError } from "../errors.ts";

export class PluginError extends KernelError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
