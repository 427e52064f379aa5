//! The ledgers as a virtualized table paged from the shell (`chains_page`): a customer base of
//! 100,000 ledgers keeps only the rows under the viewport in the DOM and asks for pages of
//! `PAGE_SIZE` as they scroll in. The column headers Errors/Warnings (open findings), Balance
//! and Entries sort it, largest first; Account sorts A to Z; a search box (debounced) filters
//! by account, and "Only with findings" hides the ledgers with nothing open.

import { type ReactNode, useEffect, useRef, useState } from "react";
import { useQueries, useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { ChainSortView } from "../../bindings/ChainSortView";
import type { ChainView } from "../../bindings/ChainView";
import { ErrorBlock } from "../../components/common";
import { chainsQuery, SEARCH_DEBOUNCE_MS, shownLine, SORT_TITLES } from "../../lib/chainList";
import { toApiError } from "../../lib/errors";
import { appLocale } from "../../lib/format";
import { pagesWanted, rowAt } from "../../lib/pageCache";
import { chainsPageQuery } from "../../queries";

/** A row's height before it is measured (a stated-balance note makes a row taller). */
const CHAIN_ROW_H = 44;

interface Props {
  /** One `<tr>` (and any row after it) for a ledger. */
  renderRow: (chain: ChainView, measure: (el: HTMLTableRowElement | null) => void, index: number) => ReactNode;
}

export function ChainTable({ renderRow }: Props) {
  const [sort, setSort] = useState<ChainSortView>("account");
  const [withFindings, setWithFindings] = useState(false);
  const [typed, setTyped] = useState("");
  const [search, setSearch] = useState("");
  useEffect(() => {
    const t = setTimeout(() => setSearch(typed), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [typed]);
  const query = chainsQuery(sort, withFindings, search);

  const scrollRef = useRef<HTMLDivElement>(null);
  const first = useQuery(chainsPageQuery(query, 0));
  const total = first.data?.total ?? null;
  const virtualizer = useVirtualizer({
    count: total ?? 0,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => CHAIN_ROW_H,
    overscan: 10,
  });
  const items = virtualizer.getVirtualItems();
  const firstIndex = items.length ? items[0].index : 0;
  const lastIndex = items.length ? items[items.length - 1].index : 0;
  const others = pagesWanted(total, firstIndex, lastIndex).filter((p) => p !== 0);
  const rest = useQueries({ queries: others.map((p) => chainsPageQuery(query, p)) });
  const pages = new Map<number, ChainView[]>();
  if (first.data) pages.set(0, first.data.rows);
  others.forEach((p, i) => {
    const rows = rest[i].data?.rows;
    if (rows) pages.set(p, rows);
  });
  const error = [first, ...rest].find((r) => r.error)?.error ?? null;

  // A new order or filter starts at the top.
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [sort, withFindings, search]);

  const padTop = items.length ? items[0].start : 0;
  const padBottom = items.length ? virtualizer.getTotalSize() - items[items.length - 1].end : 0;
  const header = (label: string, order: ChainSortView, testid = `chains-sort-${order}`, title?: string) => (
    <button
      className={`link sort-header ${sort === order ? "sorted" : ""}`}
      data-testid={testid}
      aria-pressed={sort === order}
      title={sort === order ? SORT_TITLES[order] : (title ?? `Sort by ${label.toLowerCase()}`)}
      onClick={() => setSort(order)}
    >
      {label}
      {sort === order ? (order === "account" ? " ▲" : " ▼") : ""}
    </button>
  );

  return (
    <div className="chain-table" data-testid="chain-table">
      <div className="chain-toolbar row-between">
        <div className="inline-form">
          <input
            type="search"
            data-testid="chains-search"
            placeholder="Search accounts"
            aria-label="Search accounts"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
          />
          <label className="small">
            <input
              type="checkbox"
              data-testid="chains-with-findings"
              checked={withFindings}
              onChange={(e) => setWithFindings(e.target.checked)}
            />{" "}
            Only with open findings
          </label>
        </div>
        <span className="muted small" data-testid="chains-shown" data-total={first.data?.total} data-search={search}>
          {first.data ? shownLine(first.data.total, first.data.chains, appLocale()) : "…"}
        </span>
      </div>
      {error && <ErrorBlock error={toApiError(error, "chains_page")} />}
      <div className="table-wrap chains-scroll" ref={scrollRef} style={{ maxHeight: "70vh", overflow: "auto" }}>
        <table className="grid chains" aria-rowcount={total ?? undefined}>
          <thead>
            <tr>
              <th>{header("Account", "account")}</th>
              <th className="num" title="What can be spent: where a ledger keeps pending grants apart, they are not in it">
                {header("Balance (available)", "balance")}
              </th>
              <th className="num" title="Granted but not yet settled, so not available yet">
                Pending
              </th>
              <th className="num">{header("Entries", "entries")}</th>
              <th>Date span (UTC)</th>
              <th className="num">{header("Errors", "findings", "chains-sort-findings", "Sort by open findings (errors first)")}</th>
              <th className="num">{header("Warnings", "findings", "chains-sort-warnings", "Sort by open findings (errors first)")}</th>
              <th>Balance the vendor's page states now</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {padTop > 0 && <tr aria-hidden style={{ height: padTop }} />}
            {items.map((vi) => {
              const c = rowAt(pages, vi.index);
              return c ? (
                renderRow(c, virtualizer.measureElement, vi.index)
              ) : (
                <tr key={`loading-${vi.index}`} data-index={vi.index} ref={virtualizer.measureElement} style={{ height: CHAIN_ROW_H }}>
                  <td colSpan={9} className="muted small">
                    …
                  </td>
                </tr>
              );
            })}
            {padBottom > 0 && <tr aria-hidden style={{ height: padBottom }} />}
          </tbody>
        </table>
        {total === 0 && (
          <p className="muted" data-testid="chains-none">
            No ledger matches{search ? ` “${search}”` : ""}
            {withFindings ? " with open findings" : ""}.
          </p>
        )}
      </div>
    </div>
  );
}
