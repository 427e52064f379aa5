//! The ledger's filters: type and one select per label dimension of the chain (the same
//! FacetSelect for each), date range, transaction ID search, and the UTC/local toggle.

import { useEffect, useState } from "react";
import type { Facets } from "../../bindings/Facets";
import { FacetSelect } from "../../components/FacetSelect";
import type { RangePreset } from "../../lib/dates";
import { isFiltered, type LedgerFilters, withLabel } from "../../lib/filters";

interface Props {
  facets: Facets | undefined;
  filters: LedgerFilters;
  setFilters: (f: LedgerFilters) => void;
  utc: boolean;
  setUtc: (u: boolean) => void;
  onClear: () => void;
}

export function FilterBar({ facets, filters, setFilters, utc, setUtc, onClear }: Props) {
  const set = (patch: Partial<LedgerFilters>) => setFilters({ ...filters, ...patch });

  // The search box updates the query after a short pause, not on every key; a search set from
  // elsewhere (a jump from a finding, "Clear filters") replaces what is typed.
  const [searchText, setSearchText] = useState(filters.search);
  const [shownSearch, setShownSearch] = useState(filters.search);
  if (shownSearch !== filters.search) {
    setShownSearch(filters.search);
    setSearchText(filters.search);
  }
  useEffect(() => {
    if (searchText === filters.search) return;
    const t = setTimeout(() => setFilters({ ...filters, search: searchText }), 250);
    return () => clearTimeout(t);
  }, [searchText, filters, setFilters]);

  return (
    <div className="filters" role="search">
      <FacetSelect
        label="Type"
        testid="filter-type"
        anyLabel="All types"
        values={facets?.types ?? []}
        value={filters.type}
        onChange={(type) => set({ type })}
      />
      <label>
        Date range
        <select
          data-testid="filter-range"
          value={filters.range.preset}
          onChange={(e) => {
            const preset = e.target.value as RangePreset;
            set({
              range:
                preset === "custom"
                  ? { preset, fromDate: filters.range.fromDate ?? "", toDate: filters.range.toDate ?? "" }
                  : { preset },
            });
          }}
        >
          <option value="all">All</option>
          <option value="7d">Last 7 days</option>
          <option value="30d">Last 30 days</option>
          <option value="custom">Custom…</option>
        </select>
      </label>
      {filters.range.preset === "custom" && (
        <>
          <label>
            From
            <input
              type="date"
              data-testid="filter-from"
              value={filters.range.fromDate ?? ""}
              onChange={(e) => set({ range: { ...filters.range, fromDate: e.target.value } })}
            />
          </label>
          <label>
            To
            <input
              type="date"
              data-testid="filter-to"
              value={filters.range.toDate ?? ""}
              onChange={(e) => set({ range: { ...filters.range, toDate: e.target.value } })}
            />
          </label>
        </>
      )}
      {(facets?.dimensions ?? []).map(({ dimension, values }) => (
        <FacetSelect
          key={dimension.key}
          label={dimension.title}
          testid={`filter-${dimension.key}`}
          anyLabel="Any"
          values={values}
          value={filters.labels[dimension.key] ?? ""}
          onChange={(v) => setFilters(withLabel(filters, dimension.key, v))}
        />
      ))}
      <label className="grow">
        Transaction ID
        <input
          type="search"
          data-testid="filter-search"
          data-shortcut="search"
          placeholder="ID starts with…"
          value={searchText}
          onChange={(e) => setSearchText(e.target.value)}
        />
      </label>
      <div className="seg" role="group" aria-label="Time zone">
        <button data-testid="tz-utc" className={utc ? "on" : ""} aria-pressed={utc} onClick={() => setUtc(true)}>
          UTC
        </button>
        <button data-testid="tz-local" className={!utc ? "on" : ""} aria-pressed={!utc} onClick={() => setUtc(false)}>
          Local
        </button>
      </div>
      {isFiltered(filters) && (
        <button className="link" data-testid="filter-clear" onClick={onClear}>
          Clear filters
        </button>
      )}
    </div>
  );
}
