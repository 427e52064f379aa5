import { describe, expect, it } from "vitest";
import { findLoaded, pagesForRange, pagesWanted, rowAt } from "./pageCache";

describe("pagesForRange", () => {
  it("covers the viewport's rows with whole pages", () => {
    expect(pagesForRange(0, 30, 1000, 200)).toEqual([0]);
    expect(pagesForRange(190, 230, 1000, 200)).toEqual([0, 1]);
    expect(pagesForRange(400, 599, 1000, 200)).toEqual([2]);
  });
  it("adds overscan pages but stays within the ledger", () => {
    expect(pagesForRange(450, 480, 1000, 200, 1)).toEqual([1, 2, 3]);
    expect(pagesForRange(0, 10, 1000, 200, 1)).toEqual([0, 1]);
    expect(pagesForRange(990, 999, 1000, 200, 1)).toEqual([3, 4]);
  });
  it("clamps a viewport past the end and handles empty ledgers", () => {
    expect(pagesForRange(950, 5000, 1000, 200)).toEqual([4]);
    expect(pagesForRange(0, 10, 0, 200)).toEqual([]);
    expect(pagesForRange(10, 5, 100, 200)).toEqual([]);
  });
});

describe("pagesWanted", () => {
  it("asks for page 0 first, since the total is unknown", () => {
    expect(pagesWanted(null, 0, 40)).toEqual([0]);
    expect(pagesWanted(null, 500, 540)).toEqual([0]);
  });
  it("then asks for the pages under the viewport and one either side", () => {
    expect(pagesWanted(1000, 0, 40, 200)).toEqual([0, 1]);
    expect(pagesWanted(1000, 350, 420, 200)).toEqual([0, 1, 2, 3]);
    expect(pagesWanted(0, 0, 40, 200)).toEqual([]);
  });
});

describe("rowAt and findLoaded", () => {
  const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  const pages = new Map([
    [2, rows(400, 50)],
    [0, rows(0, 200)],
  ]);
  it("returns rows by global index, undefined when not loaded", () => {
    expect(rowAt(pages, 0, 200)).toBe(0);
    expect(rowAt(pages, 199, 200)).toBe(199);
    expect(rowAt(pages, 200, 200)).toBeUndefined();
    expect(rowAt(pages, 449, 200)).toBe(449);
    expect(rowAt(pages, 450, 200)).toBeUndefined();
  });
  it("finds the first loaded match by global index", () => {
    expect(findLoaded(pages, (r) => r === 420 || r === 430, 200)).toBe(420);
    expect(findLoaded(pages, (r) => r % 150 === 149, 200)).toBe(149);
    expect(findLoaded(pages, (r) => r === 300, 200)).toBeNull();
  });
});
