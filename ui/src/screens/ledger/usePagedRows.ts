//! The rows of one ledger query for a virtualized table: SQL pages of `PAGE_SIZE` rows
//! (`ledger_page`) fetched through the query cache, only for the rows under the viewport and one
//! page either side. Page 0 comes first and tells the total; the virtualizer sizes the table
//! from it. A page no table shows any more leaves memory after `PAGE_GC_MS`.

import type { RefObject } from "react";
import { useQueries, useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { LedgerQuery } from "../../bindings/LedgerQuery";
import type { LedgerRowView } from "../../bindings/LedgerRowView";
import { findLoaded, pagesWanted, rowAt } from "../../lib/pageCache";
import { pageQuery } from "../../queries";

export const ROW_H = 28;

export function usePagedRows(query: LedgerQuery, scrollRef: RefObject<HTMLDivElement>) {
  const first = useQuery(pageQuery(query, 0));
  const total = first.data?.total ?? null;

  const virtualizer = useVirtualizer({
    count: total ?? 0,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_H,
    overscan: 15,
  });
  const items = virtualizer.getVirtualItems();
  const firstIndex = items.length ? items[0].index : 0;
  const lastIndex = items.length ? items[items.length - 1].index : 0;

  const others = pagesWanted(total, firstIndex, lastIndex).filter((p) => p !== 0);
  const rest = useQueries({ queries: others.map((p) => pageQuery(query, p)) });

  const pages = new Map<number, LedgerRowView[]>();
  if (first.data) pages.set(0, first.data.rows);
  others.forEach((p, i) => {
    const rows = rest[i].data?.rows;
    if (rows) pages.set(p, rows);
  });
  const failed = [first, ...rest].filter((r) => r.error);

  const error = failed[0]?.error ?? null;
  const retry = () => failed.forEach((r) => void r.refetch());

  return {
    /** Rows the query matches in all; null until page 0 answers. */
    total,
    virtualizer,
    items,
    row: (index: number) => rowAt(pages, index),
    /** The index of the first loaded row that matches, or null. */
    find: (match: (r: LedgerRowView) => boolean) => findLoaded(pages, match),
    error,
    retry,
  };
}
