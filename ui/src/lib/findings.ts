//! How the findings screen orders, counts, filters and selects findings: the kinds with their
//! open and explained counts, the filtered and sorted list the virtualized table shows, and the
//! shift-click range of a selection. Pure, so it is tested without a window.

import type { FindingKind } from "../bindings/FindingKind";
import type { FindingView } from "../bindings/FindingView";
import type { Severity } from "../bindings/Severity";
import { compareMagnitude } from "./money";

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

/** Largest |delta| first; findings without a delta go last, then newest first. */
function byAmount(a: FindingView, b: FindingView): number {
  if (a.delta !== null && b.delta !== null) {
    const c = compareMagnitude(b.delta, a.delta);
    if (c !== 0) return c;
  } else if (a.delta !== b.delta) {
    return a.delta === null ? 1 : -1;
  }
  return byTime(a, b);
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

/** What a person reads for each kind (the kind's name stays visible beside it). */
export const KIND_TITLES: Record<FindingKind, string> = {
  balance_break: "Balance break",
  misreported_balance: "Misreported balance",
  head_mismatch: "Balance differs from the vendor's page",
  opening_mismatch: "Opening balance mismatch",
  conflicting_duplicate: "Conflicting duplicate",
  duplicate_charge: "Duplicate charge",
  unmatched_refund: "Refund with no charge",
  refund_mismatch: "Refund differs from its charge",
  anchor_mismatch: "Stated balance differs from the rebuilt one",
  double_refund: "Charge refunded more than once",
  pending_unsettled: "Pending grant never settled",
  settled_amount_mismatch: "Settled for another amount than pending",
  pending_overspend: "Spend covered only by pending credits",
  expired_grant_spend: "Spend drawn on an expired grant",
  unmatched_across_sources: "Missing from the other source",
  unknown_type: "Unknown transaction type",
  unusual_amount: "Unusual amount",
};

export interface KindSummary {
  kind: FindingKind;
  title: string;
  /** The worst severity among the kind's findings. */
  severity: Severity;
  open: number;
  explained: number;
}

/** One line per kind that has findings: errors first, then by open count, then by name. */
export function kindSummaries(all: readonly FindingView[]): KindSummary[] {
  const byKind = new Map<FindingKind, KindSummary>();
  for (const f of all) {
    let s = byKind.get(f.kind);
    if (!s) {
      s = { kind: f.kind, title: KIND_TITLES[f.kind] ?? f.kind, severity: f.severity, open: 0, explained: 0 };
      byKind.set(f.kind, s);
    }
    if (f.severity === "error") s.severity = "error";
    if (f.explained) s.explained += 1;
    else s.open += 1;
  }
  const rank = (s: KindSummary) => (s.severity === "error" ? 0 : 1);
  return [...byKind.values()].sort(
    (a, b) => rank(a) - rank(b) || b.open - a.open || a.kind.localeCompare(b.kind),
  );
}

export type FindingSort = "time" | "amount";

export interface FindingFilter {
  kind: FindingKind | null;
  severity: Severity | null;
  showExplained: boolean;
  sort: FindingSort;
}

export const DEFAULT_FILTER: FindingFilter = { kind: null, severity: null, showExplained: false, sort: "time" };

/** The findings the table shows, in the order it shows them. */
export function visibleFindings(all: readonly FindingView[], f: FindingFilter): FindingView[] {
  const shown = all.filter(
    (x) =>
      (f.kind === null || x.kind === f.kind) &&
      (f.severity === null || x.severity === f.severity) &&
      (f.showExplained || !x.explained),
  );
  return shown.sort(f.sort === "amount" ? byAmount : byTime);
}

/** The open findings of one kind, whatever else is filtered ("Explain all N of this kind"). */
export function openOfKind(all: readonly FindingView[], kind: FindingKind): string[] {
  return all.filter((f) => f.kind === kind && !f.explained).map((f) => f.id);
}

/**
 * A checkbox click in the shown list: toggles `index`, or with shift held and an earlier click
 * (`anchor`), sets the whole range between them to the state the clicked one takes.
 */
export function toggleSelection(
  selected: ReadonlySet<string>,
  shown: readonly FindingView[],
  index: number,
  anchor: number | null,
  shift: boolean,
): Set<string> {
  const next = new Set(selected);
  const on = !selected.has(shown[index].id);
  const [lo, hi] = shift && anchor !== null && anchor < shown.length ? [Math.min(anchor, index), Math.max(anchor, index)] : [index, index];
  for (let i = lo; i <= hi; i++) {
    if (on) next.add(shown[i].id);
    else next.delete(shown[i].id);
  }
  return next;
}

/** The selection split by what can be done to it: explain the open ones, reopen the others. */
export function splitSelection(shown: readonly FindingView[], selected: ReadonlySet<string>) {
  const open: string[] = [];
  const explained: string[] = [];
  for (const f of shown) {
    if (!selected.has(f.id)) continue;
    (f.explained ? explained : open).push(f.id);
  }
  return { open, explained };
}

// ---- selection over a paged table ----
// The table holds only the pages in view, so a selection is either some findings picked by ID
// (with whether each is explained, so the bulk buttons can count them), or "every finding
// shown" less the ones unticked since; the IDs of "every" are asked of the shell only when a
// bulk change runs.

export interface Selection {
  all: boolean;
  /** Picked findings (id -> explained); with `all`, the ones unticked. */
  marked: ReadonlyMap<string, boolean>;
}

export const NO_SELECTION: Selection = { all: false, marked: new Map() };

export function isSelected(s: Selection, f: FindingView): boolean {
  return s.all !== s.marked.has(f.id);
}

/**
 * A checkbox click on row `index`: toggles it, or with shift held and an earlier click
 * (`anchor`), sets every loaded row between them to the state the clicked one takes.
 */
export function toggleRows(
  s: Selection,
  row: (index: number) => FindingView | undefined,
  index: number,
  anchor: number | null,
  shift: boolean,
): Selection {
  const clicked = row(index);
  if (!clicked) return s;
  const on = !isSelected(s, clicked);
  const [lo, hi] = shift && anchor !== null ? [Math.min(anchor, index), Math.max(anchor, index)] : [index, index];
  const marked = new Map(s.marked);
  for (let i = lo; i <= hi; i++) {
    const f = row(i);
    if (!f) continue;
    // Marked means picked, or with `all`, unticked.
    if (on !== s.all) marked.set(f.id, f.explained);
    else marked.delete(f.id);
  }
  return { all: s.all, marked };
}

/** How many open and explained findings `query` shows, from the kinds' counts. */
export function shownCounts(
  kinds: readonly { kind: FindingKind; severity: Severity; open: number; explained: number }[],
  q: { kind: FindingKind | null; severity: Severity | null; showExplained: boolean },
): { open: number; explained: number } {
  let open = 0;
  let explained = 0;
  for (const k of kinds) {
    if ((q.kind !== null && k.kind !== q.kind) || (q.severity !== null && k.severity !== q.severity)) continue;
    open += k.open;
    if (q.showExplained) explained += k.explained;
  }
  return { open, explained };
}

/** How many open and explained findings a selection holds, given what is shown. */
export function selectionCounts(s: Selection, shown: { open: number; explained: number }): { open: number; explained: number } {
  let open = 0;
  let explained = 0;
  for (const e of s.marked.values()) {
    if (e) explained += 1;
    else open += 1;
  }
  return s.all ? { open: shown.open - open, explained: shown.explained - explained } : { open, explained };
}

/** The selection's IDs, given every ID shown (asked of the shell only for `all`). */
export function selectionIds(
  s: Selection,
  shownIds: { open: string[]; explained: string[] } | null,
): { open: string[]; explained: string[] } {
  if (!s.all || !shownIds) {
    const open: string[] = [];
    const explained: string[] = [];
    for (const [id, e] of s.marked) (e ? explained : open).push(id);
    return { open, explained };
  }
  return {
    open: shownIds.open.filter((id) => !s.marked.has(id)),
    explained: shownIds.explained.filter((id) => !s.marked.has(id)),
  };
}
