/**
 * `GET /api/v1/history?minutes=N`: the daemon's recent health figures per WAN, in columns
 * (epoch-ms times, state, RTT, loss, jitter), so a fresh panel draws its charts at once.
 * @module
 */
import type { Deps } from "../deps.ts";
import type { HealthHistory } from "../history.ts";
import { HttpError } from "../problem.ts";
import type { Route } from "../router.ts";

const column = (items: Record<string, unknown>, description: string) => ({ type: "array", items, description });
const figure = { type: ["number", "null"] };

const historySchema = {
  type: "object",
  required: ["stepMs", "now", "wans"],
  properties: {
    stepMs: { type: "integer", description: "Sampling period, ms" },
    now: { type: "string", format: "date-time" },
    wans: {
      type: "object",
      description: "Per WAN name, the samples in columns of equal length (oldest first)",
      additionalProperties: {
        type: "object",
        required: ["t", "state", "rttMs", "lossPct", "jitterMs"],
        properties: {
          t: column({ type: "number" }, "Sample times, epoch ms"),
          state: column({ type: "string" }, "up, degraded, down, unknown, or disabled"),
          rttMs: column(figure, "Mean round-trip time of the answering targets, ms (null: no figure, or the WAN is down)"),
          lossPct: column(figure, "Probe loss over the tracker's window, %"),
          jitterMs: column(figure, "Mean jitter of the targets, ms (null: no figure, or the WAN is down)"),
        },
      },
    },
  },
  examples: [{
    stepMs: 2000,
    now: "2026-11-28T05:00:00.000Z",
    wans: { ethernet: { t: [1764305996000, 1764305998000], state: ["up", "down"], rttMs: [8.2, null], lossPct: [0, 100], jitterMs: [1.1, null] } },
  }],
};

export function historyRoutes(_d: Deps, history: HealthHistory): Route[] {
  const maxMinutes = Math.floor(history.keepMs / 60_000);
  return [{
    method: "GET",
    path: "/api/v1/history",
    access: "read",
    tag: "status",
    summary: `Health figures of every WAN over the last minutes (kept ${maxMinutes} min, one sample every ${history.stepMs / 1000} s)`,
    query: [{
      name: "minutes",
      description: `How far back, 1..${maxMinutes} (default 10)`,
      schema: { type: "integer", minimum: 1, maximum: maxMinutes, default: 10 },
    }],
    responses: { 200: { description: "Samples per WAN, in columns", schema: historySchema }, 400: { description: "minutes out of range" } },
    handler: (c) => {
      const raw = c.req.query("minutes");
      const minutes = raw === undefined ? 10 : /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
      if (!(minutes >= 1 && minutes <= maxMinutes)) {
        throw new HttpError(400, "E_BAD_QUERY", `minutes must be an integer from 1 to ${maxMinutes}`, {
          issues: [{ path: "minutes", message: `Expected an integer from 1 to ${maxMinutes}` }],
        });
      }
      return c.json(history.query(minutes));
    },
  }];
}
