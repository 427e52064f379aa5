//! Turns a BalanceSeries into plot data: x in epoch seconds, y as floats (plotting only; the
//! decimal strings stay the truth everywhere else), and finds the mark nearest a click.

import type { BalanceSeries } from "../bindings/BalanceSeries";

export type Mark = BalanceSeries["marks"][number];

export function toPlotData(s: BalanceSeries): [number[], number[]] {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const p of s.points) {
    const t = Date.parse(p.ts);
    if (Number.isNaN(t)) continue;
    xs.push(t / 1000);
    ys.push(parseFloat(p.balance));
  }
  return [xs, ys];
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
