//! Words for a ledger's watch panel: what one check changed, and where the balance stands
//! against its threshold. Pure, so Vitest checks them without Tauri.

import type { ChainWatchView } from "../bindings/ChainWatchView";
import type { CheckRunView } from "../bindings/CheckRunView";
import { formatCount } from "./format";

/** "First check: 12 findings", "2 new, 1 resolved, 1 explained", "No change (5 checks)". */
export function runSummary(run: CheckRunView, locale: string): string {
  const n = (x: number) => formatCount(x, locale);
  if (run.first) {
    const all = run.newCount;
    return `First check: ${n(all)} finding${all === 1 ? "" : "s"}`;
  }
  const parts: string[] = [];
  if (run.newCount) parts.push(`${n(run.newCount)} new`);
  if (run.resolvedCount) parts.push(`${n(run.resolvedCount)} resolved`);
  if (run.explainedCount) parts.push(`${n(run.explainedCount)} explained`);
  if (parts.length === 0) return run.runs > 1 ? `No change (${n(run.runs)} checks)` : "No change";
  return parts.join(", ");
}

export type ThresholdState = "none" | "below" | "above";

/** Whether the ledger has a threshold and its balance was last seen below it. */
export function thresholdState(w: Pick<ChainWatchView, "threshold" | "belowSince">): ThresholdState {
  if (w.threshold === null) return "none";
  return w.belowSince === null ? "above" : "below";
}
