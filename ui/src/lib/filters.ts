//! The ledger screen's filter state and the LedgerQuery it stands for.

import type { LedgerQuery } from "../bindings/LedgerQuery";
import { rangeBounds, type RangeChoice } from "./dates";

export interface LedgerFilters {
  /** "" = all types. */
  type: string;
  range: RangeChoice;
  /** The chosen value per label dimension key (e.g. "character"); "" or absent = any. */
  labels: Record<string, string>;
  /** Transaction ID prefix. */
  search: string;
}

export const EMPTY_FILTERS: LedgerFilters = {
  type: "",
  range: { preset: "all" },
  labels: {},
  search: "",
};

/**
 * The query for a chain. `dimensions` are the chain's label dimension keys, in the chain's
 * order: label filters follow that order, and a filter on a dimension the chain does not have
 * (left over from another chain) is dropped. Without it, the chosen labels go in key order.
 */
export function buildQuery(
  chainId: number,
  f: LedgerFilters,
  now: Date,
  utc: boolean,
  dimensions?: readonly string[],
): LedgerQuery {
  const { from, to } = rangeBounds(f.range, now, utc);
  const search = f.search.trim();
  const keys = dimensions ?? Object.keys(f.labels).sort();
  return {
    chainId,
    types: f.type ? [f.type] : [],
    from,
    to,
    labels: keys.filter((key) => f.labels[key]).map((key) => ({ key, value: f.labels[key] })),
    search: search || null,
  };
}

/** A stable key for a query: equal queries give equal keys (used in the query cache's keys). */
export function queryKey(q: LedgerQuery): string {
  return JSON.stringify([q.chainId, q.types, q.from, q.to, q.labels.map((l) => [l.key, l.value]), q.search]);
}

/** The filters with one label dimension set ("" clears it). */
export function withLabel(f: LedgerFilters, key: string, value: string): LedgerFilters {
  const labels = { ...f.labels };
  if (value) labels[key] = value;
  else delete labels[key];
  return { ...f, labels };
}

export function isFiltered(f: LedgerFilters): boolean {
  return !!(f.type || Object.values(f.labels).some((v) => v) || f.search.trim() || f.range.preset !== "all");
}
