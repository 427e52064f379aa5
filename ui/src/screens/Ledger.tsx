//! The ledger screen: filters, filtered totals, export, the pinned entries of a jump, the
//! virtualized table (rows from SQL pages of 200, `ledger_page`) and the entry detail panel.

import { useMemo, useRef, useState } from "react";
import type { ChainView } from "../bindings/ChainView";
import type { ExportFormat } from "../bindings/ExportFormat";
import type { Focus } from "../hooks/useLedgerFocus";
import { E2ePathInput, ErrorBlock, Money } from "../components/common";
import { formatTs } from "../lib/dates";
import { pickSavePath } from "../lib/dialogs";
import { toApiError } from "../lib/errors";
import { buildQuery, EMPTY_FILTERS, isFiltered, type LedgerFilters, queryKey } from "../lib/filters";
import { useEntryDetails, useExportLedger, useFacets, useLedgerTotals } from "../queries";
import { DetailPanel } from "./ledger/DetailPanel";
import { FilterBar } from "./ledger/FilterBar";
import { LedgerTable } from "./ledger/LedgerTable";
import { UsageViews } from "./ledger/UsageViews";

interface Props {
  chain: ChainView;
  filters: LedgerFilters;
  setFilters: (f: LedgerFilters) => void;
  utc: boolean;
  setUtc: (u: boolean) => void;
  focus: Focus | null;
  clearFocus: () => void;
}

/** At most this many entries of a jump are pinned above the table. */
const FOCUS_MAX = 50;

export function LedgerScreen({ chain, filters, setFilters, utc, setUtc, focus, clearFocus }: Props) {
  const [notice, setNotice] = useState<string | null>(null);
  const [detailId, setDetailId] = useState<number | null>(null);
  const [e2ePath, setE2ePath] = useState("");
  const scrollRef = useRef<HTMLDivElement>(null);

  // "Last 7 days" is relative to now, taken when the filters change.
  const dimensionKeys = useMemo(() => chain.dimensions.map((d) => d.key), [chain.dimensions]);
  const query = useMemo(
    () => buildQuery(chain.id, filters, new Date(), utc, dimensionKeys),
    [chain.id, filters, utc, dimensionKeys],
  );

  const facets = useFacets(chain.id);
  const totalsQuery = useLedgerTotals(query);
  const totals = totalsQuery.data;
  const focusIds = useMemo(() => new Set(focus?.entryIds ?? []), [focus]);
  const focused = useEntryDetails(chain.id, focus?.entryIds.slice(0, FOCUS_MAX) ?? []);
  const exporter = useExportLedger();

  const readError = facets.error ?? totalsQuery.error ?? focused.error;
  const retryReads = () => {
    if (facets.error) void facets.refetch();
    if (totalsQuery.error) void totalsQuery.refetch();
    focused.retry();
  };

  const doExport = async (format: ExportFormat) => {
    const name = `${chain.account.replace(/[^\w.-]+/g, "_")}-ledger.${format}`;
    const path = await pickSavePath(name, { name: format.toUpperCase(), extensions: [format] }, e2ePath);
    if (!path) return;
    try {
      const n = await exporter.mutateAsync({ query, format, local: !utc, path });
      setNotice(`Wrote ${n} row${n === 1 ? "" : "s"} to ${path}`);
    } catch {
      // Shown from the mutation's error below.
    }
  };

  const closeDetail = () => {
    setDetailId(null);
    scrollRef.current?.focus();
  };

  return (
    <section className="screen ledger-screen" onKeyDown={(e) => e.key === "Escape" && setDetailId(null)}>
      <header className="screen-head">
        <h1>
          Ledger <span className="muted small">{chain.account} · {chain.currency}</span>
        </h1>
        <div className="actions">
          <E2ePathInput value={e2ePath} onChange={setE2ePath} />
          <button data-testid="export-csv" onClick={() => void doExport("csv")} disabled={exporter.isPending}>
            Export CSV
          </button>
          <button data-testid="export-json" onClick={() => void doExport("json")} disabled={exporter.isPending}>
            Export JSON
          </button>
        </div>
      </header>

      <FilterBar
        facets={facets.data}
        filters={filters}
        setFilters={setFilters}
        utc={utc}
        setUtc={setUtc}
        onClear={() => {
          setFilters(EMPTY_FILTERS);
          clearFocus();
        }}
      />

      <div className="totals" data-testid="totals">
        <span>
          Entries <b className="num-inline" data-testid="totals-entries">{totals ? totals.entries : "…"}</b>
        </span>
        <span>
          Credits in <b data-testid="totals-in">{totals ? <Money value={totals.creditsIn} plus /> : "…"}</b>
        </span>
        <span>
          Credits out <b data-testid="totals-out">{totals ? <Money value={totals.creditsOut} /> : "…"}</b>
        </span>
        <span>
          Net <b data-testid="totals-net">{totals ? <Money value={totals.net} plus /> : "…"}</b>
        </span>
        {isFiltered(filters) && <span className="muted small">filtered view</span>}
      </div>

      <UsageViews chainId={chain.id} query={query} filters={filters} setFilters={setFilters} utc={utc} />

      {readError && (
        <div>
          <ErrorBlock error={toApiError(readError)} />
          <button onClick={retryReads}>Retry</button>
        </div>
      )}
      {exporter.error && <ErrorBlock error={toApiError(exporter.error)} onDismiss={exporter.reset} />}
      {notice && (
        <div className="notice" data-testid="notice">
          {notice}{" "}
          <button className="link" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      )}

      {focus && focused.rows.length > 0 && (
        <div className="focus-strip panel" data-testid="focus-strip">
          <div className="row-between">
            <span>
              <b>{focus.label}</b> — {focused.rows.length} entr{focused.rows.length === 1 ? "y" : "ies"}
            </span>
            <button className="link" onClick={clearFocus}>
              Close
            </button>
          </div>
          {focused.rows.map((r) => (
            <button key={r.id} className="focus-row" data-testid="focus-row" data-txn-id={r.txnId} onClick={() => setDetailId(r.id)}>
              <span className="mono">{formatTs(r.ts, utc)}</span> <span>{r.type}</span> <Money value={r.amount} plus />{" "}
              <span className="mono muted">{r.txnId}</span>
            </button>
          ))}
        </div>
      )}

      <div className="ledger-body">
        <LedgerTable
          key={queryKey(query)}
          query={query}
          dimensions={chain.dimensions}
          utc={utc}
          filtered={isFiltered(filters)}
          focusIds={focusIds}
          scrollRef={scrollRef}
          onOpen={setDetailId}
          onCloseDetail={() => setDetailId(null)}
        />
        {detailId !== null && <DetailPanel key={detailId} chain={chain} entryId={detailId} utc={utc} onClose={closeDetail} />}
      </div>
      <p className="muted small hint">
        ↑/↓ PageUp/PageDown Home/End move · Enter opens details · Esc closes · {totals?.entries ?? 0} entries
      </p>
    </section>
  );
}
