import { describe, expect, it } from "vitest";
import type { FindingView } from "../bindings/FindingView";
import {
  DEFAULT_FILTER,
  isSelected,
  kindSummaries,
  NO_SELECTION,
  type Selection,
  selectionCounts,
  selectionIds,
  shownCounts,
  toggleRows,
  openOfKind,
  splitSelection,
  toggleSelection,
  visibleFindings,
} from "./findings";
import { compareMagnitude } from "./money";

function finding(p: Partial<FindingView> & { id: string }): FindingView {
  return {
    chainId: 1, kind: "unknown_type", severity: "warning", transactionIds: [], entryIds: [], delta: null,
    message: "", ts: null, explained: false, note: null, ...p,
  };
}

const fs = [
  finding({ id: "t1", ts: "2024-01-01T00:00:00Z" }),
  finding({ id: "t2", ts: "2024-01-03T00:00:00Z", explained: true, note: "tips" }),
  finding({ id: "t3", ts: "2024-01-02T00:00:00Z" }),
  finding({ id: "b1", kind: "balance_break", severity: "error", delta: "-1.36", ts: "2024-01-01T00:00:00Z" }),
  finding({ id: "b2", kind: "balance_break", severity: "error", delta: "12.5", ts: "2023-12-01T00:00:00Z" }),
  finding({ id: "u1", kind: "unusual_amount", delta: "-45.00", ts: "2024-02-01T00:00:00Z" }),
];
const ids = (list: FindingView[]) => list.map((f) => f.id);

describe("findings by kind", () => {
  it("counts open and explained per kind, errors first, then by open count", () => {
    expect(kindSummaries(fs)).toEqual([
      { kind: "balance_break", title: "Balance break", severity: "error", open: 2, explained: 0 },
      { kind: "unknown_type", title: "Unknown transaction type", severity: "warning", open: 2, explained: 1 },
      { kind: "unusual_amount", title: "Unusual amount", severity: "warning", open: 1, explained: 0 },
    ]);
  });
  it("lists the open ones of a kind whatever else is filtered", () => {
    expect(openOfKind(fs, "unknown_type")).toEqual(["t1", "t3"]);
  });
});

describe("the shown list", () => {
  it("hides explained ones unless asked, newest first", () => {
    expect(ids(visibleFindings(fs, DEFAULT_FILTER))).toEqual(["u1", "t3", "b1", "t1", "b2"]);
    expect(ids(visibleFindings(fs, { ...DEFAULT_FILTER, showExplained: true }))).toEqual([
      "u1", "t2", "t3", "b1", "t1", "b2",
    ]);
  });
  it("filters by kind and by severity", () => {
    expect(ids(visibleFindings(fs, { ...DEFAULT_FILTER, kind: "unknown_type" }))).toEqual(["t3", "t1"]);
    expect(ids(visibleFindings(fs, { ...DEFAULT_FILTER, severity: "error" }))).toEqual(["b1", "b2"]);
    expect(visibleFindings(fs, { ...DEFAULT_FILTER, kind: "balance_break", severity: "warning" })).toEqual([]);
  });
  it("sorts by the size of the delta, exactly, those without one last", () => {
    expect(ids(visibleFindings(fs, { ...DEFAULT_FILTER, sort: "amount" }))).toEqual(["u1", "b2", "b1", "t3", "t1"]);
    expect(compareMagnitude("-0.10", "0.1")).toBe(0);
    expect(compareMagnitude("100000000000000000.01", "100000000000000000.001")).toBe(1);
  });
  it("keeps 10,000 findings quick to filter and sort", () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      finding({ id: `f${i}`, delta: `${i % 7 ? "-" : ""}${i}.${i % 100}`, ts: new Date(1.7e12 + i * 1000).toISOString() }),
    );
    const start = performance.now();
    expect(visibleFindings(many, { ...DEFAULT_FILTER, sort: "amount" })[0].id).toBe("f9999");
    expect(kindSummaries(many)[0].open).toBe(10_000);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe("selection", () => {
  const shown = visibleFindings(fs, { ...DEFAULT_FILTER, showExplained: true }); // u1 t2 t3 b1 t1 b2
  it("toggles one, or a shift-click range to the clicked one's new state", () => {
    const one = toggleSelection(new Set(), shown, 1, null, false);
    expect([...one]).toEqual(["t2"]);
    const range = toggleSelection(one, shown, 4, 1, true);
    expect([...range].sort()).toEqual(["b1", "t1", "t2", "t3"]);
    const off = toggleSelection(range, shown, 2, 4, true);
    expect([...off]).toEqual(["t2"]);
    expect([...toggleSelection(one, shown, 0, 1, false)].sort()).toEqual(["t2", "u1"]);
  });
  it("splits into the ones to explain and the ones to reopen, counting only the shown", () => {
    const sel = new Set(["t2", "t3", "b2", "gone"]);
    expect(splitSelection(shown, sel)).toEqual({ open: ["t3", "b2"], explained: ["t2"] });
  });
});

describe("a selection over a paged table", () => {
  // Rows 0..5 loaded, row 3 not (its page is not fetched yet).
  const loaded = [fs[0], fs[1], fs[2], undefined, fs[4], fs[5]];
  const row = (i: number) => loaded[i];

  it("picks rows by ID, and a shift-click range skips rows not loaded", () => {
    let s = toggleRows(NO_SELECTION, row, 1, null, false);
    expect([...s.marked]).toEqual([["t2", true]]);
    s = toggleRows(s, row, 5, 1, true);
    expect(new Set(s.marked.keys())).toEqual(new Set(["t2", "t3", "b2", "u1"]));
    expect(selectionCounts(s, { open: 99, explained: 99 })).toEqual({ open: 3, explained: 1 });
    expect(selectionIds(s, null)).toEqual({ open: ["t3", "b2", "u1"], explained: ["t2"] });
    // Unticking the clicked row of a range unticks the range.
    s = toggleRows(s, row, 2, 5, true);
    expect([...s.marked.keys()]).toEqual(["t2"]);
    expect(toggleRows(s, row, 3, null, false)).toBe(s);
  });

  it("selects every finding shown without their IDs, less the ones unticked", () => {
    let s: Selection = { all: true, marked: new Map<string, boolean>() };
    expect(isSelected(s, fs[0])).toBe(true);
    s = toggleRows(s, row, 0, null, false);
    expect(isSelected(s, fs[0])).toBe(false);
    expect(selectionCounts(s, { open: 2000, explained: 300 })).toEqual({ open: 1999, explained: 300 });
    const shown = { open: ["t1", "t3", "x"], explained: ["t2"] };
    expect(selectionIds(s, shown)).toEqual({ open: ["t3", "x"], explained: ["t2"] });
    // Ticked again: back in.
    s = toggleRows(s, row, 0, null, false);
    expect(s.marked.size).toBe(0);
  });

  it("counts what a filter shows from the kinds", () => {
    const kinds = [
      { kind: "balance_break" as const, severity: "error" as const, open: 2, explained: 1 },
      { kind: "unknown_type" as const, severity: "warning" as const, open: 2000, explained: 5 },
    ];
    expect(shownCounts(kinds, DEFAULT_FILTER)).toEqual({ open: 2002, explained: 0 });
    expect(shownCounts(kinds, { ...DEFAULT_FILTER, showExplained: true })).toEqual({ open: 2002, explained: 6 });
    expect(shownCounts(kinds, { ...DEFAULT_FILTER, severity: "error", showExplained: true })).toEqual({ open: 2, explained: 1 });
    expect(shownCounts(kinds, { ...DEFAULT_FILTER, kind: "unknown_type" })).toEqual({ open: 2000, explained: 0 });
  });
});
