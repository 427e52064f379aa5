//! Turns a BalanceSeries into plot data: x in epoch seconds, y as floats (plotting only; the
//! decimal strings stay the truth everywhere else), and finds the mark nearest a click.
//! Anchors are plotted at their time and balance.

import type { BalanceSeries } from "../bindings/BalanceSeries";

export type Mark = BalanceSeries["marks"][number];

/** Below this many pixels between marks, on average, they draw as ticks in a strip. */
const DENSE_SPACING_PX = 12;
/** The strip of ticks along the plot's top, in CSS pixels. */
export const STRIP_PX = 14;

/** Whether `count` marks across `widthPx` CSS pixels are too close to draw as triangles. */
export function tooDense(count: number, widthPx: number): boolean {
  return count > 1 && widthPx / count < DENSE_SPACING_PX;
}

/** A tick's height in CSS pixels for a mark standing for `count` findings (log scale). */
export function tickHeight(count: number): number {
  return Math.min(STRIP_PX, 4 + 2 * Math.log2(Math.max(1, count)));
}

/**
 * `[xs, available]`, and where the ledger keeps pending grants apart a third array: available
 * plus pending (what the balance comes to if every pending grant settles as pending).
 */
export function toPlotData(s: BalanceSeries): number[][] {
  const xs: number[] = [];
  const ys: number[] = [];
  const withPending: number[] = [];
  const pending = s.points.some((p) => p.pending !== null);
  for (const p of s.points) {
    const t = Date.parse(p.ts);
    if (Number.isNaN(t)) continue;
    xs.push(t / 1000);
    const y = parseFloat(p.balance);
    ys.push(y);
    if (pending) withPending.push(y + parseFloat(p.pending ?? "0"));
  }
  return pending ? [xs, ys, withPending] : [xs, ys];
}

/** The mark whose x position (in pixels, via `toPx`) is within `tolerance` of `px`, nearest first. */
export function nearestMark(marks: Mark[], px: number, toPx: (sec: number) => number, tolerance = 6): Mark | null {
  let best: Mark | null = null;
  let bestD = Infinity;
  for (const m of marks) {
    const t = Date.parse(m.ts);
    if (Number.isNaN(t)) continue;
    const d = Math.abs(toPx(t / 1000) - px);
    // Errors win ties over warnings so the more serious mark is the one clicked.
    if (d <= tolerance && (d < bestD || (d === bestD && m.severity === "error"))) {
      best = m;
      bestD = d;
    }
  }
  return best;
}
