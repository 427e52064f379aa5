//! The Findings table's rows, a page at a time from the shell (`findings_page`): page 0 comes
//! first and tells the total, the counts and the kinds; the table asks for the pages under the
//! viewport and one either side. Pages live under the chain's `findings` key, so whatever
//! marks findings stale (an explanation, a new check) refetches them.

import type { RefObject } from "react";
import { keepPreviousData, useQueries, useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { api } from "../../api";
import type { FindingsQuery } from "../../bindings/FindingsQuery";
import type { FindingView } from "../../bindings/FindingView";
import { findLoaded, PAGE_SIZE, pagesWanted, rowAt } from "../../lib/pageCache";
import { keys, PAGE_GC_MS } from "../../queries";

export const FINDING_ROW_H = 30;

export function findingsPageQuery(q: FindingsQuery, page: number) {
  return {
    queryKey: [...keys.findings(q.chainId), "page", q.kind, q.severity, q.showExplained, q.sort, page] as const,
    queryFn: () => api.findingsPage(q, page * PAGE_SIZE, PAGE_SIZE),
    gcTime: PAGE_GC_MS,
  };
}

/** Page 0 of `q`: the total, the chain's counts and kinds (kept while another filter loads). */
export function useFindingsHead(q: FindingsQuery) {
  return useQuery({ ...findingsPageQuery(q, 0), placeholderData: keepPreviousData });
}

/** The rows of `q` for a virtualized table scrolled by `scrollRef`. */
export function useFindingRows(q: FindingsQuery, scrollRef: RefObject<HTMLDivElement>) {
  const first = useFindingsHead(q);
  const total = first.data && !first.isPlaceholderData ? first.data.total : null;
  const virtualizer = useVirtualizer({
    count: total ?? 0,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => FINDING_ROW_H,
    overscan: 20,
  });
  const items = virtualizer.getVirtualItems();
  const firstIndex = items.length ? items[0].index : 0;
  const lastIndex = items.length ? items[items.length - 1].index : 0;
  const others = pagesWanted(total, firstIndex, lastIndex).filter((p) => p !== 0);
  const rest = useQueries({ queries: others.map((p) => findingsPageQuery(q, p)) });

  const pages = new Map<number, FindingView[]>();
  if (first.data && !first.isPlaceholderData) pages.set(0, first.data.rows);
  others.forEach((p, i) => {
    const rows = rest[i].data?.rows;
    if (rows) pages.set(p, rows);
  });
  return {
    /** Page 0's query: the counts and kinds, its error, refetch. */
    head: first,
    total,
    virtualizer,
    items,
    row: (index: number) => rowAt(pages, index),
    find: (match: (f: FindingView) => boolean) => {
      const i = findLoaded(pages, match);
      return i === null ? null : (rowAt(pages, i) ?? null);
    },
  };
}
