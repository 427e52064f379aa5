import { describe, expect, it } from "vitest";
import { PageCache, pagesForRange } from "./pageCache";

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

describe("PageCache", () => {
  const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

  it("asks for page 0 first, since the total is unknown", () => {
    const c = new PageCache<number>("q", 200);
    expect(c.missing(0, 40)).toEqual([0]);
    c.markPending(0);
    expect(c.missing(0, 40)).toEqual([]);
  });

  it("then asks only for pages neither cached nor in flight", () => {
    const c = new PageCache<number>("q", 200);
    c.put(0, rows(0, 200), 1000);
    expect(c.missing(0, 40, 1)).toEqual([1]);
    c.markPending(1);
    expect(c.missing(350, 420, 1)).toEqual([2, 3]);
    c.put(1, rows(200, 200), 1000);
    expect(c.missing(350, 420, 1)).toEqual([2, 3]);
  });

  it("lets a failed page be requested again", () => {
    const c = new PageCache<number>("q", 200);
    c.put(0, rows(0, 200), 1000);
    c.markPending(1);
    c.fail(1);
    expect(c.missing(210, 220, 0)).toEqual([1]);
  });

  it("returns rows by global index, undefined when not loaded", () => {
    const c = new PageCache<number>("q", 200);
    c.put(0, rows(0, 200), 450);
    c.put(2, rows(400, 50), 450);
    expect(c.row(0)).toBe(0);
    expect(c.row(199)).toBe(199);
    expect(c.row(200)).toBeUndefined();
    expect(c.row(449)).toBe(449);
    expect(c.offsetOf(2)).toBe(400);
  });

  it("evicts the least recently used page beyond its budget", () => {
    const c = new PageCache<number>("q", 10, 2);
    c.put(0, rows(0, 10), 100);
    c.put(1, rows(10, 10), 100);
    c.row(3); // touch page 0
    c.put(2, rows(20, 10), 100);
    expect(c.cachedPages).toEqual([0, 2]);
    expect(c.row(15)).toBeUndefined();
    expect(c.missing(10, 15, 0)).toEqual([1]);
  });
});
