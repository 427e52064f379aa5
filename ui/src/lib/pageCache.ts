//! Which SQL pages a virtualized table needs, and a small cache of the pages it has.
//! Rows are fetched through `ledger_page(query, offset, limit)` in fixed pages; the table asks
//! for the pages under the viewport (plus a margin) and never for a whole ledger.

export const PAGE_SIZE = 200;

/** Page indices covering rows [first, last] (inclusive), widened by `overscanPages` each side. */
export function pagesForRange(
  first: number,
  last: number,
  total: number,
  pageSize = PAGE_SIZE,
  overscanPages = 0,
): number[] {
  if (total <= 0 || last < first) return [];
  const lastPage = Math.floor((total - 1) / pageSize);
  const from = Math.max(0, Math.floor(Math.max(0, first) / pageSize) - overscanPages);
  const to = Math.min(lastPage, Math.floor(Math.min(last, total - 1) / pageSize) + overscanPages);
  const pages: number[] = [];
  for (let p = from; p <= to; p++) pages.push(p);
  return pages;
}

/**
 * Pages of rows for one query. Keeps at most `maxPages` pages, evicting the least recently
 * used; remembers which pages are in flight so a page is requested once.
 */
export class PageCache<Row> {
  private pages = new Map<number, Row[]>();
  private pending = new Set<number>();
  total: number | null = null;

  constructor(
    readonly key: string,
    readonly pageSize = PAGE_SIZE,
    readonly maxPages = 50,
  ) {}

  /** Pages in [first, last] (rows) that are neither cached nor in flight. */
  missing(first: number, last: number, overscanPages = 1): number[] {
    // Before the first answer the total is unknown: page 0 tells us.
    if (this.total === null) return this.has(0) || this.pending.has(0) ? [] : [0];
    return pagesForRange(first, last, this.total, this.pageSize, overscanPages).filter(
      (p) => !this.pages.has(p) && !this.pending.has(p),
    );
  }

  has(page: number): boolean {
    return this.pages.has(page);
  }

  markPending(page: number): void {
    this.pending.add(page);
  }

  /** A fetch failed: forget it was in flight so it can be retried. */
  fail(page: number): void {
    this.pending.delete(page);
  }

  put(page: number, rows: Row[], total: number): void {
    this.pending.delete(page);
    this.total = total;
    this.pages.delete(page);
    this.pages.set(page, rows);
    while (this.pages.size > this.maxPages) {
      const oldest = this.pages.keys().next().value as number;
      this.pages.delete(oldest);
    }
  }

  /** The row at a global index, or undefined if its page is not loaded. */
  row(index: number): Row | undefined {
    const page = Math.floor(index / this.pageSize);
    const rows = this.pages.get(page);
    if (!rows) return undefined;
    // Touch for LRU.
    this.pages.delete(page);
    this.pages.set(page, rows);
    return rows[index - page * this.pageSize];
  }

  offsetOf(page: number): number {
    return page * this.pageSize;
  }

  get cachedPages(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }
}
