//! How the findings screen orders and counts findings: open errors, then open warnings, then
//! the explained ones (collapsed).

import type { FindingView } from "../bindings/FindingView";

export interface FindingGroups {
  errors: FindingView[];
  warnings: FindingView[];
  explained: FindingView[];
}

function byTime(a: FindingView, b: FindingView): number {
  // Newest first, like the ledger; findings without a time go last.
  if (a.ts === b.ts) return a.id.localeCompare(b.id);
  if (a.ts === null) return 1;
  if (b.ts === null) return -1;
  return a.ts < b.ts ? 1 : -1;
}

export function groupFindings(all: FindingView[]): FindingGroups {
  const open = all.filter((f) => !f.explained);
  return {
    errors: open.filter((f) => f.severity === "error").sort(byTime),
    warnings: open.filter((f) => f.severity === "warning").sort(byTime),
    explained: all.filter((f) => f.explained).sort(byTime),
  };
}

/** Default report selection: every open finding. */
export function openFindingIds(all: FindingView[]): string[] {
  return all.filter((f) => !f.explained).map((f) => f.id);
}
