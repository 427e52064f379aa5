import { describe, expect, it } from "vitest";
import type { FindingView } from "../bindings/FindingView";
import { buildQuery, EMPTY_FILTERS, isFiltered, queryKey, withLabel } from "./filters";
import { groupFindings, openFindingIds } from "./findings";
import { describeProgress, importFraction } from "./progress";
import { STRIP_PX, nearestMark, tickHeight, toPlotData, tooDense } from "./series";

const NOW = new Date("2024-05-10T00:00:00Z");

describe("buildQuery", () => {
  it("maps empty filters to an unfiltered query", () => {
    expect(buildQuery(7, EMPTY_FILTERS, NOW, true)).toEqual({
      chainId: 7, types: [], from: null, to: null, labels: [], search: null,
    });
    expect(isFiltered(EMPTY_FILTERS)).toBe(false);
  });
  it("maps each filter", () => {
    const f = {
      type: "CHAT",
      range: { preset: "7d" as const },
      labels: { model: "DeepSeek V3.2", character: "Aria" },
      search: "  tx_12 ",
    };
    expect(buildQuery(1, f, NOW, true, ["character", "model"])).toEqual({
      chainId: 1,
      types: ["CHAT"],
      from: "2024-05-03T00:00:00Z",
      to: null,
      labels: [
        { key: "character", value: "Aria" },
        { key: "model", value: "DeepSeek V3.2" },
      ],
      search: "tx_12",
    });
    expect(isFiltered(f)).toBe(true);
  });
  it("keeps label filters to the chain's dimensions, in their order", () => {
    const f = { ...EMPTY_FILTERS, labels: { model: "M", character: "Aria", user: "" } };
    expect(buildQuery(1, f, NOW, true, ["model", "user"]).labels).toEqual([{ key: "model", value: "M" }]);
    // Without the chain's dimensions, the chosen labels go in key order.
    expect(buildQuery(1, f, NOW, true).labels).toEqual([
      { key: "character", value: "Aria" },
      { key: "model", value: "M" },
    ]);
  });
  it("sets and clears one label dimension", () => {
    const f = withLabel(EMPTY_FILTERS, "user", "alice");
    expect(f.labels).toEqual({ user: "alice" });
    expect(isFiltered(f)).toBe(true);
    expect(withLabel(f, "user", "").labels).toEqual({});
    expect(isFiltered(withLabel(f, "user", ""))).toBe(false);
    expect(EMPTY_FILTERS.labels).toEqual({});
  });
  it("keys equal queries equally and different ones differently", () => {
    const a = buildQuery(1, EMPTY_FILTERS, NOW, true);
    expect(queryKey(a)).toBe(queryKey({ ...a }));
    expect(queryKey(a)).not.toBe(queryKey({ ...a, search: "x" }));
    expect(queryKey(a)).not.toBe(queryKey({ ...a, chainId: 2 }));
    expect(queryKey(a)).not.toBe(queryKey({ ...a, labels: [{ key: "model", value: "x" }] }));
    expect(queryKey({ ...a, labels: [{ key: "model", value: "x" }] })).not.toBe(
      queryKey({ ...a, labels: [{ key: "user", value: "x" }] }),
    );
  });
});

function finding(p: Partial<FindingView> & { id: string }): FindingView {
  return {
    chainId: 1, kind: "balance_break", severity: "error", transactionIds: [], entryIds: [], delta: null,
    message: "", ts: null, explained: false, note: null, ...p,
  };
}

describe("groupFindings", () => {
  it("puts open errors first, then warnings, explained apart, newest first", () => {
    const fs = [
      finding({ id: "w1", severity: "warning", ts: "2024-01-02T00:00:00Z" }),
      finding({ id: "e-old", ts: "2024-01-01T00:00:00Z" }),
      finding({ id: "e-new", ts: "2024-03-01T00:00:00Z" }),
      finding({ id: "e-none" }),
      finding({ id: "x", explained: true, note: "refunded" }),
    ];
    const g = groupFindings(fs);
    expect(g.errors.map((f) => f.id)).toEqual(["e-new", "e-old", "e-none"]);
    expect(g.warnings.map((f) => f.id)).toEqual(["w1"]);
    expect(g.explained.map((f) => f.id)).toEqual(["x"]);
    expect(openFindingIds(fs)).toEqual(["w1", "e-old", "e-new", "e-none"]);
  });
});

describe("import progress", () => {
  const ev = { file: "/d/b.csv", fileIndex: 1, files: 2, bytesDone: 50, bytesTotal: 100, stage: "reading" as const };
  it("combines file index and bytes into an overall fraction", () => {
    expect(importFraction(ev)).toBeCloseTo((1 + 0.45) / 2);
    expect(importFraction({ ...ev, stage: "done" })).toBe(1);
    expect(importFraction({ ...ev, fileIndex: 0, bytesDone: 0 })).toBe(0);
    expect(importFraction({ ...ev, files: 0 })).toBe(0);
    expect(importFraction({ ...ev, fileIndex: 5 })).toBe(1);
  });
  it("describes the stage with the file's name", () => {
    expect(describeProgress(ev)).toBe("Reading b.csv (file 2 of 2)");
  });
});

describe("balance series", () => {
  it("draws marks as ticks once they are closer than a dozen pixels on average", () => {
    // 1,100 marks across 1,100 pixels (a million entries, 4,999 findings): ticks.
    expect(tooDense(1100, 1100)).toBe(true);
    expect(tooDense(50, 1100)).toBe(false);
    expect(tooDense(91, 1100)).toBe(false);
    expect(tooDense(92, 1100)).toBe(true);
    expect(tooDense(1, 10)).toBe(false);
  });
  it("makes a tick taller with its count, never past the strip", () => {
    expect(tickHeight(1)).toBe(4);
    expect(tickHeight(4)).toBe(8);
    expect(tickHeight(5)).toBeGreaterThan(tickHeight(4));
    expect(tickHeight(1_000_000)).toBe(STRIP_PX);
    expect(tickHeight(0)).toBe(4);
  });
  it("converts to epoch seconds and floats, skipping bad times", () => {
    const [xs, ys] = toPlotData({
      points: [
        { ts: "2024-01-01T00:00:00Z", balance: "10.5", pending: null },
        { ts: "nope", balance: "1", pending: null },
        { ts: "2024-01-01T00:01:00Z", balance: "-0.35", pending: null },
      ],
      marks: [],
    });
    expect(xs).toEqual([1704067200, 1704067260]);
    expect(ys).toEqual([10.5, -0.35]);
  });
  it("adds a line of available plus pending where the ledger has pending grants", () => {
    const data = toPlotData({
      points: [
        { ts: "2024-01-01T00:00:00Z", balance: "880", pending: "0" },
        { ts: "2024-01-01T00:01:00Z", balance: "880", pending: "500" },
        { ts: "2024-01-01T00:02:00Z", balance: "380", pending: "0" },
      ],
      marks: [],
    });
    expect(data).toEqual([[1704067200, 1704067260, 1704067320], [880, 880, 380], [880, 1380, 380]]);
  });
  it("finds the mark nearest a click within tolerance, errors winning ties", () => {
    const marks = [
      { findingId: "w", ts: "2024-01-01T00:00:10Z", kind: "k", severity: "warning", entryIds: [1], count: 1, errors: 0 },
      { findingId: "e", ts: "2024-01-01T00:00:10Z", kind: "k", severity: "error", entryIds: [2], count: 1, errors: 1 },
      { findingId: "far", ts: "2024-01-01T00:01:40Z", kind: "k", severity: "error", entryIds: [3], count: 1, errors: 1 },
    ];
    const toPx = (s: number) => s - 1704067200; // one pixel per second
    expect(nearestMark(marks, 12, toPx)?.findingId).toBe("e");
    expect(nearestMark(marks, 98, toPx)?.findingId).toBe("far");
    expect(nearestMark(marks, 50, toPx)).toBeNull();
  });
});
