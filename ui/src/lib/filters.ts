//! The ledger screen's filter state and the LedgerQuery it stands for.

import type { LedgerQuery } from "../bindings/LedgerQuery";
import { rangeBounds, type RangeChoice } from "./dates";

export interface LedgerFilters {
  /** "" = all types. */
  type: string;
  range: RangeChoice;
  character: string;
  model: string;
  /** Transaction ID prefix. */
  search: string;
}

export const EMPTY_FILTERS: LedgerFilters = {
  type: "",
  range: { preset: "all" },
  character: "",
  model: "",
  search: "",
};

export function buildQuery(chainId: number, f: LedgerFilters, now: Date, utc: boolean): LedgerQuery {
  const { from, to } = rangeBounds(f.range, now, utc);
  const search = f.search.trim();
  return {
    chainId,
    types: f.type ? [f.type] : [],
    from,
    to,
    character: f.character || null,
    model: f.model || null,
    search: search || null,
  };
}

/** A stable key for a query: equal queries give equal keys (used to key the page cache). */
export function queryKey(q: LedgerQuery): string {
  return JSON.stringify([q.chainId, q.types, q.from, q.to, q.character, q.model, q.search]);
}

export function isFiltered(f: LedgerFilters): boolean {
  return !!(f.type || f.character || f.model || f.search.trim() || f.range.preset !== "all");
}
