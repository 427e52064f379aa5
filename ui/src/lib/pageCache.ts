//! Which SQL pages a virtualized table needs. Rows are fetched through
//! `ledger_page(query, offset, limit)` in fixed pages; the table asks for the pages under the
//! viewport (plus a margin) and never for a whole ledger. The pages themselves are kept in the
//! query cache (see `usePagedRows` and `pageQuery` in queries.ts).

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
 * The pages a table wants: before the first answer the total is unknown and only page 0 is
 * asked for (it tells the total); then the pages under rows [first, last], one page either side.
 */
export function pagesWanted(total: number | null, first: number, last: number, pageSize = PAGE_SIZE): number[] {
  if (total === null) return [0];
  return pagesForRange(first, last, total, pageSize, 1);
}

/** The row at a global index among loaded pages (page index -> rows), or undefined. */
export function rowAt<Row>(pages: ReadonlyMap<number, readonly Row[]>, index: number, pageSize = PAGE_SIZE): Row | undefined {
  const page = Math.floor(index / pageSize);
  return pages.get(page)?.[index - page * pageSize];
}

/** The global index of the first loaded row that matches, or null. */
export function findLoaded<Row>(
  pages: ReadonlyMap<number, readonly Row[]>,
  match: (r: Row) => boolean,
  pageSize = PAGE_SIZE,
): number | null {
  for (const p of [...pages.keys()].sort((a, b) => a - b)) {
    const i = pages.get(p)!.findIndex(match);
    if (i >= 0) return p * pageSize + i;
  }
  return null;
}
