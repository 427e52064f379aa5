//! The ledger as a virtualized table, newest first: one column per label dimension of the chain,
//! rows from SQL pages (usePagedRows), keyboard navigation and the rows a jump focused.
//! Mount one per query (key it by the query): a new query starts at the top, nothing selected.

import { type RefObject, useEffect, useState } from "react";
import type { Dimension } from "../../bindings/Dimension";
import type { LedgerQuery } from "../../bindings/LedgerQuery";
import { ErrorBlock, Money } from "../../components/common";
import { formatTs, zoneLabel } from "../../lib/dates";
import { toApiError } from "../../lib/errors";
import { ROW_H, usePagedRows } from "./usePagedRows";

interface Props {
  query: LedgerQuery;
  dimensions: readonly Dimension[];
  utc: boolean;
  filtered: boolean;
  /** Entries a jump brought into view: highlighted, and the first one loaded is selected. */
  focusIds: ReadonlySet<number>;
  scrollRef: RefObject<HTMLDivElement>;
  onOpen: (entryId: number) => void;
  onCloseDetail: () => void;
}

/** Column widths: the fixed columns around one column per label dimension. */
function layout(dimensions: number) {
  const labels = Array.from({ length: dimensions }, () => "115px").join(" ");
  return {
    gridTemplateColumns: `150px 130px minmax(180px, 1fr) 100px 110px 150px ${labels} 120px`,
    minWidth: 940 + 115 * dimensions,
  };
}

export function LedgerTable({ query, dimensions, utc, filtered, focusIds, scrollRef, onOpen, onCloseDetail }: Props) {
  const paged = usePagedRows(query, scrollRef);
  const { total, virtualizer, items } = paged;
  const count = total ?? 0;

  // The row the person picked; until then, the first focused row that is loaded, else the top.
  const [picked, setPicked] = useState<number | null>(null);
  const focusIndex = picked === null && focusIds.size > 0 ? paged.find((r) => focusIds.has(r.id)) : null;
  const sel = picked ?? focusIndex ?? 0;
  useEffect(() => {
    if (focusIndex !== null) virtualizer.scrollToIndex(focusIndex, { align: "center" });
  }, [focusIndex, virtualizer]);

  const move = (to: number) => {
    if (count === 0) return;
    const idx = Math.max(0, Math.min(count - 1, to));
    setPicked(idx);
    virtualizer.scrollToIndex(idx, { align: "auto" });
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    const pageRows = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? ROW_H * 10) / ROW_H) - 1);
    switch (e.key) {
      case "ArrowDown":
        move(sel + 1);
        break;
      case "ArrowUp":
        move(sel - 1);
        break;
      case "PageDown":
        move(sel + pageRows);
        break;
      case "PageUp":
        move(sel - pageRows);
        break;
      case "Home":
        move(0);
        break;
      case "End":
        move(count - 1);
        break;
      case "Enter": {
        const r = paged.row(sel);
        if (r) onOpen(r.id);
        break;
      }
      case "Escape":
        onCloseDetail();
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const cols = layout(dimensions.length);

  return (
    <div className="table-wrap">
      {paged.error && (
        <div>
          <ErrorBlock error={toApiError(paged.error)} />
          <button onClick={paged.retry}>Retry</button>
        </div>
      )}
      <div className="lrow lhead" role="row" style={cols}>
        <div role="columnheader">Date/time ({zoneLabel(utc)})</div>
        <div role="columnheader">Type</div>
        <div role="columnheader">Description</div>
        <div role="columnheader" className="num">Amount</div>
        <div role="columnheader" className="num">Balance after</div>
        <div role="columnheader">Transaction ID</div>
        {dimensions.map((d) => (
          <div role="columnheader" key={d.key} data-dimension={d.key}>
            {d.title}
          </div>
        ))}
        <div role="columnheader">Source line</div>
      </div>
      <div
        className="lscroll"
        ref={scrollRef}
        tabIndex={0}
        role="grid"
        aria-rowcount={count}
        aria-label="Ledger entries, newest first"
        data-testid="ledger-table"
        onKeyDown={onKeyDown}
        style={{ minWidth: cols.minWidth }}
      >
        {total === 0 && (
          <div className="empty small">
            {filtered ? "No entries match these filters. Clear a filter to see more." : "This ledger has no entries."}
          </div>
        )}
        {total === null && !paged.error && <div className="muted small pad">Loading…</div>}
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((vi) => {
            const r = paged.row(vi.index);
            const pos = { transform: `translateY(${vi.start}px)`, height: ROW_H, ...cols };
            if (!r)
              return (
                <div key={vi.key} className="lrow loading" style={pos} data-testid="ledger-row-loading">
                  <div className="muted">…</div>
                </div>
              );
            const cls = [
              "lrow",
              r.severity ? `sev-row-${r.severity}` : "",
              vi.index === sel ? "sel" : "",
              focusIds.has(r.id) ? "focused" : "",
            ].join(" ");
            return (
              <div
                key={vi.key}
                className={cls}
                style={pos}
                role="row"
                aria-selected={vi.index === sel}
                data-testid="ledger-row"
                data-txn-id={r.txnId}
                data-type={r.type}
                data-entry-id={r.id}
                data-severity={r.severity ?? ""}
                onClick={() => {
                  setPicked(vi.index);
                  onOpen(r.id);
                  scrollRef.current?.focus();
                }}
              >
                <div className="mono nowrap">
                  {r.severity && (
                    <span className={`dot dot-${r.severity}`} title={`${r.severity}: ${r.findingIds.join(", ")}`} />
                  )}
                  {formatTs(r.ts, utc)}
                </div>
                <div className="ellip">{r.type}</div>
                <div className="ellip" title={r.description}>
                  {r.description}
                </div>
                <div className="num">
                  <Money value={r.amount} plus />
                </div>
                <div className="num">
                  <Money value={r.balanceAfter} />
                </div>
                <div className="mono ellip" title={r.txnId}>
                  {r.txnId}
                </div>
                {dimensions.map((d, i) => (
                  <div className="ellip" key={d.key}>
                    {r.labels[i] ?? ""}
                  </div>
                ))}
                <div className="mono ellip muted" title={`${r.sourceFile}:${r.sourceLine}`}>
                  {baseName(r.sourceFile)}:{r.sourceLine}
                </div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() || p;
}
