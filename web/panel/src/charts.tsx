/**
 * Latency and loss of each interface over the last minutes, drawn with uPlot (canvas, ~50 KB
 * minified, ~20 KB gzip). One chart per figure, one line per interface; a text summary
 * beside each chart for screen readers.
 * @module
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { labelOf } from "./format.ts";
import type { Series } from "./live.ts";
import type { WanStatus } from "./types.ts";

/** Colours readable on both themes, one per interface in list order. */
export const PALETTE = ["#2f7de1", "#e8590c", "#2f9e44", "#ae3ec9", "#c92a2a", "#1098ad", "#f08c00", "#6741d9"];

function themeColor(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

interface ChartProps {
  readonly title: string;
  readonly unit: string;
  readonly pick: "rtt" | "loss";
  readonly series: Series;
  readonly wans: readonly WanStatus[];
}

function dataOf(p: ChartProps): uPlot.AlignedData {
  return [p.series.t, ...p.wans.map((w) => p.series.wans[w.name]?.[p.pick] ?? p.series.t.map(() => null))];
}

/** Chart draws one figure for every interface. */
export function Chart(p: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const names = p.wans.map((w) => w.name).join(",");

  useEffect(() => {
    const el = box.current!;
    const fg = themeColor("--muted", "#666");
    const grid = themeColor("--grid", "rgba(128,128,128,.2)");
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 180,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { y: p.pick === "loss" ? { range: [0, 100] } : { range: (_u, _min, max) => [0, Math.max(10, max * 1.15)] } },
      axes: [axis, { ...axis, size: 56, values: (_u, ticks) => ticks.map((v) => `${v}${p.unit === "%" ? "%" : ""}`) }],
      series: [
        {},
        ...p.wans.map((w, i) => ({
          label: labelOf(w),
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          spanGaps: false,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? "—" : `${v} ${p.unit}`),
        })),
      ],
    };
    const u = new uPlot(opts, dataOf(p), el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: 180 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = undefined;
    };
  }, [names]);

  useEffect(() => {
    plot.current?.setData(dataOf(p));
  }, [p.series.version, p.series.t.length]);

  const latest = p.wans.map((w) => {
    const xs = p.series.wans[w.name]?.[p.pick] ?? [];
    const v = xs[xs.length - 1];
    return `${labelOf(w)} ${v === null || v === undefined ? "no figure" : `${v} ${p.unit}`}`;
  }).join(", ");
  const minutes = p.series.t.length > 1 ? Math.max(1, Math.round((p.series.t[p.series.t.length - 1] - p.series.t[0]) / 60)) : 0;
  return (
    <figure class="chart">
      <figcaption>{p.title}</figcaption>
      <div ref={box} class="chart-box" role="img" aria-label={`${p.title} over the last ${minutes} minutes. Now: ${latest}.`} />
    </figure>
  );
}
