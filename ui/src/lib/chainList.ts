//! The Ledgers table's query: which column orders it, the search as the shell receives it, and
//! the line that says how many ledgers are shown. Pure, so Vitest checks it without Tauri.

import type { ChainSortView } from "../bindings/ChainSortView";
import type { ChainsQuery } from "../bindings/ChainsQuery";
import { formatCount } from "./format";

/** How long typing in the search box waits before it asks the shell. */
export const SEARCH_DEBOUNCE_MS = 250;

/** The sortable columns' orders and what their header says when it orders the table. */
export const SORT_TITLES: Record<ChainSortView, string> = {
  account: "Sorted by account, A to Z",
  findings: "Sorted by open findings, most first",
  balance: "Sorted by balance, largest first",
  entries: "Sorted by entries, most first",
};

/** The query for the shell: the search trimmed (spaces typed around it match nothing more). */
export function chainsQuery(sort: ChainSortView, withFindings: boolean, search: string): ChainsQuery {
  return { sort, withFindings, search: search.trim() };
}

/** "12,345 of 100,000 ledgers" when a filter hides some, else "100,000 ledgers". */
export function shownLine(total: number, chains: number, locale: string): string {
  const of = total === chains ? "" : `${formatCount(total, locale)} of `;
  return `${of}${formatCount(chains, locale)} ledger${chains === 1 ? "" : "s"}`;
}
