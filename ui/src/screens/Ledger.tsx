//! The ledger, newest first, as a virtualized table whose rows come from SQL pages of 200
//! (`ledger_page`); filters, filtered totals, export, and the entry detail panel.

import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { writeText } from "@tauri-apps/plugin-clipboard-manager";
import { api, type ExportFormat } from "../api";
import type { ChainView } from "../bindings/ChainView";
import type { EntryDetailView } from "../bindings/EntryDetailView";
import type { Facets } from "../bindings/Facets";
import type { LedgerRowView } from "../bindings/LedgerRowView";
import type { TotalsView } from "../bindings/TotalsView";
import type { Focus } from "../App";
import { E2ePathInput, ErrorBlock, Money } from "../components/common";
import { dayOf, formatTs, type RangePreset, zoneLabel } from "../lib/dates";
import { pickSavePath } from "../lib/dialogs";
import { type ApiError, toApiError } from "../lib/errors";
import { buildQuery, EMPTY_FILTERS, isFiltered, type LedgerFilters, queryKey } from "../lib/filters";
import { PageCache } from "../lib/pageCache";

const ROW_H = 28;

interface Props {
  chain: ChainView;
  filters: LedgerFilters;
  setFilters: (f: LedgerFilters) => void;
  utc: boolean;
  setUtc: (u: boolean) => void;
  focus: Focus | null;
  clearFocus: () => void;
  tick: number;
}

export function LedgerScreen({ chain, filters, setFilters, utc, setUtc, focus, clearFocus, tick }: Props) {
  const [facets, setFacets] = useState<Facets | null>(null);
  const [totals, setTotals] = useState<TotalsView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [sel, setSel] = useState(0);
  const [detailId, setDetailId] = useState<number | null>(null);
  const [e2ePath, setE2ePath] = useState("");
  const [exporting, setExporting] = useState(false);
  const [focusRows, setFocusRows] = useState<LedgerRowView[]>([]);
  const [, bump] = useReducer((x: number) => x + 1, 0);

  // The search box updates the query after a short pause, not on every key.
  const [searchText, setSearchText] = useState(filters.search);
  useEffect(() => setSearchText(filters.search), [filters.search]);
  useEffect(() => {
    if (searchText === filters.search) return;
    const t = setTimeout(() => setFilters({ ...filters, search: searchText }), 250);
    return () => clearTimeout(t);
  }, [searchText, filters, setFilters]);

  // "Last 7 days" is relative to now, taken when the filters change.
  const query = useMemo(() => buildQuery(chain.id, filters, new Date(), utc), [chain.id, filters, utc]);
  const key = `${queryKey(query)}|${tick}`;

  const cacheRef = useRef<PageCache<LedgerRowView> | null>(null);
  if (!cacheRef.current || cacheRef.current.key !== key) cacheRef.current = new PageCache<LedgerRowView>(key);
  const cache = cacheRef.current;
  const total = cache.total ?? 0;

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_H,
    overscan: 15,
  });

  useEffect(() => {
    setSel(0);
    scrollRef.current?.scrollTo({ top: 0 });
  }, [key]);

  useEffect(() => {
    let live = true;
    api.facets(chain.id).then(
      (f) => live && setFacets(f),
      (e) => live && setError(toApiError(e)),
    );
    return () => {
      live = false;
    };
  }, [chain.id, tick]);

  useEffect(() => {
    let live = true;
    setTotals(null);
    api.ledgerTotals(query).then(
      (t) => live && setTotals(t),
      (e) => live && setError(toApiError(e)),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  // Fetch the pages under the viewport (and one page either side) that are not cached yet.
  const items = virtualizer.getVirtualItems();
  const first = items.length ? items[0].index : 0;
  const last = items.length ? items[items.length - 1].index : 0;
  useEffect(() => {
    if (error) return; // wait for "Retry" rather than hammering a failing shell
    for (const page of cache.missing(first, last, 1)) {
      cache.markPending(page);
      api.ledgerPage(query, cache.offsetOf(page), cache.pageSize).then(
        (res) => {
          cache.put(page, res.rows, res.total);
          if (cacheRef.current === cache) bump();
        },
        (e) => {
          cache.fail(page);
          if (cacheRef.current === cache) setError(toApiError(e));
        },
      );
    }
  });

  // A jump from a finding or chart mark: pin its entries and select the first one in the table.
  const pendingSelect = useRef<Set<number> | null>(null);
  useEffect(() => {
    if (!focus) {
      setFocusRows([]);
      return;
    }
    pendingSelect.current = new Set(focus.entryIds);
    let live = true;
    Promise.all(focus.entryIds.slice(0, 50).map((id) => api.entryDetail(id))).then(
      (details) => {
        if (!live) return;
        const rows = details.map((d) => d.row);
        setFocusRows(rows);
        // One transaction: search its ID. Several: no single ID prefix finds them all, so narrow
        // to the days they span.
        const ids = new Set(rows.map((r) => r.txnId));
        if (ids.size === 1) setFilters({ ...EMPTY_FILTERS, search: rows[0].txnId });
        else if (rows.length > 1) {
          const ts = rows.map((r) => r.ts).sort();
          setFilters({
            ...EMPTY_FILTERS,
            range: { preset: "custom", fromDate: dayOf(ts[0], utc), toDate: dayOf(ts[ts.length - 1], utc) },
          });
        }
      },
      (e) => live && setError(toApiError(e)),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focus?.seq]);

  useEffect(() => {
    const want = pendingSelect.current;
    if (!want || cache.total === null) return;
    for (const p of cache.cachedPages) {
      for (let i = 0; i < cache.pageSize; i++) {
        const r = cache.row(cache.offsetOf(p) + i);
        if (!r) break;
        if (want.has(r.id)) {
          pendingSelect.current = null;
          const idx = cache.offsetOf(p) + i;
          setSel(idx);
          virtualizer.scrollToIndex(idx, { align: "center" });
          return;
        }
      }
    }
  });

  const focusSet = useMemo(() => new Set(focus?.entryIds ?? []), [focus]);

  const move = useCallback(
    (to: number) => {
      if (total === 0) return;
      const idx = Math.max(0, Math.min(total - 1, to));
      setSel(idx);
      virtualizer.scrollToIndex(idx, { align: "auto" });
    },
    [total, virtualizer],
  );

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
        move(total - 1);
        break;
      case "Enter": {
        const r = cache.row(sel);
        if (r) setDetailId(r.id);
        break;
      }
      case "Escape":
        setDetailId(null);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const doExport = async (format: ExportFormat) => {
    const name = `${chain.account.replace(/[^\w.-]+/g, "_")}-ledger.${format}`;
    const path = await pickSavePath(name, { name: format.toUpperCase(), extensions: [format] }, e2ePath);
    if (!path) return;
    setExporting(true);
    try {
      const n = await api.exportLedger(query, format, !utc, path);
      setNotice(`Wrote ${n} row${n === 1 ? "" : "s"} to ${path}`);
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setExporting(false);
    }
  };

  const set = (patch: Partial<LedgerFilters>) => setFilters({ ...filters, ...patch });
  const zone = zoneLabel(utc);

  return (
    <section className="screen ledger-screen" onKeyDown={(e) => e.key === "Escape" && setDetailId(null)}>
      <header className="screen-head">
        <h1>
          Ledger <span className="muted small">{chain.account} · {chain.currency}</span>
        </h1>
        <div className="actions">
          <E2ePathInput value={e2ePath} onChange={setE2ePath} />
          <button data-testid="export-csv" onClick={() => void doExport("csv")} disabled={exporting}>
            Export CSV
          </button>
          <button data-testid="export-json" onClick={() => void doExport("json")} disabled={exporting}>
            Export JSON
          </button>
        </div>
      </header>

      <div className="filters" role="search">
        <label>
          Type
          <select data-testid="filter-type" value={filters.type} onChange={(e) => set({ type: e.target.value })}>
            <option value="">All types</option>
            {(facets?.types ?? []).map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
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
        <label>
          Character
          <select data-testid="filter-character" value={filters.character} onChange={(e) => set({ character: e.target.value })}>
            <option value="">Any</option>
            {(facets?.characters ?? []).map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Model
          <select data-testid="filter-model" value={filters.model} onChange={(e) => set({ model: e.target.value })}>
            <option value="">Any</option>
            {(facets?.models ?? []).map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label className="grow">
          Transaction ID
          <input
            type="search"
            data-testid="filter-search"
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
          <button
            className="link"
            data-testid="filter-clear"
            onClick={() => {
              setFilters(EMPTY_FILTERS);
              clearFocus();
            }}
          >
            Clear filters
          </button>
        )}
      </div>

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

      {error && (
        <div>
          <ErrorBlock error={error} onDismiss={() => setError(null)} />
          <button onClick={() => setError(null)}>Retry</button>
        </div>
      )}
      {notice && (
        <div className="notice" data-testid="notice">
          {notice}{" "}
          <button className="link" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      )}

      {focus && focusRows.length > 0 && (
        <div className="focus-strip panel" data-testid="focus-strip">
          <div className="row-between">
            <span>
              <b>{focus.label}</b> — {focusRows.length} entr{focusRows.length === 1 ? "y" : "ies"}
            </span>
            <button className="link" onClick={clearFocus}>
              Close
            </button>
          </div>
          {focusRows.map((r) => (
            <button key={r.id} className="focus-row" data-testid="focus-row" data-txn-id={r.txnId} onClick={() => setDetailId(r.id)}>
              <span className="mono">{formatTs(r.ts, utc)}</span> <span>{r.type}</span> <Money value={r.amount} plus />{" "}
              <span className="mono muted">{r.txnId}</span>
            </button>
          ))}
        </div>
      )}

      <div className="ledger-body">
        <div className="table-wrap">
          <div className="lrow lhead" role="row">
            <div role="columnheader">Date/time ({zone})</div>
            <div role="columnheader">Type</div>
            <div role="columnheader">Description</div>
            <div role="columnheader" className="num">Amount</div>
            <div role="columnheader" className="num">Balance after</div>
            <div role="columnheader">Transaction ID</div>
            <div role="columnheader">Character</div>
            <div role="columnheader">Model</div>
            <div role="columnheader">Source line</div>
          </div>
          <div
            className="lscroll"
            ref={scrollRef}
            tabIndex={0}
            role="grid"
            aria-rowcount={total}
            aria-label="Ledger entries, newest first"
            data-testid="ledger-table"
            onKeyDown={onKeyDown}
          >
            {cache.total === 0 && (
              <div className="empty small">
                {isFiltered(filters) ? "No entries match these filters. Clear a filter to see more." : "This ledger has no entries."}
              </div>
            )}
            {cache.total === null && !error && <div className="muted small pad">Loading…</div>}
            <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
              {items.map((vi) => {
                const r = cache.row(vi.index);
                const pos = { transform: `translateY(${vi.start}px)`, height: ROW_H };
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
                  focusSet.has(r.id) ? "focused" : "",
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
                      setSel(vi.index);
                      setDetailId(r.id);
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
                    <div className="ellip">{r.character ?? ""}</div>
                    <div className="ellip">{r.model ?? ""}</div>
                    <div className="mono ellip muted" title={`${r.sourceFile}:${r.sourceLine}`}>
                      {baseName(r.sourceFile)}:{r.sourceLine}
                    </div>
                  </div>
                );
              })}
            </div>
          </div>
        </div>
        {detailId !== null && <DetailPanel entryId={detailId} utc={utc} onClose={() => {
          setDetailId(null);
          scrollRef.current?.focus();
        }} />}
      </div>
      <p className="muted small hint">
        ↑/↓ PageUp/PageDown Home/End move · Enter opens details · Esc closes · {total} entries
      </p>
    </section>
  );
}

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() || p;
}

function DetailPanel({ entryId, utc, onClose }: { entryId: number; utc: boolean; onClose: () => void }) {
  const [d, setD] = useState<EntryDetailView | null>(null);
  const [err, setErr] = useState<ApiError | null>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    let live = true;
    setD(null);
    setErr(null);
    api.entryDetail(entryId).then(
      (x) => live && setD(x),
      (e) => live && setErr(toApiError(e)),
    );
    return () => {
      live = false;
    };
  }, [entryId]);

  const copyId = async () => {
    if (!d) return;
    try {
      await writeText(d.row.txnId);
      setCopied(true);
    } catch (e) {
      setErr(toApiError(e));
    }
  };

  return (
    <aside
      className="detail"
      data-testid="entry-detail"
      aria-label="Entry details"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="row-between">
        <h2>Entry</h2>
        <button className="link" data-testid="detail-close" onClick={onClose} aria-label="Close details (Esc)">
          Close
        </button>
      </div>
      {err && <ErrorBlock error={err} />}
      {!d && !err && <p className="muted">Loading…</p>}
      {d && (
        <>
          <dl className="kv">
            <dt>Transaction ID</dt>
            <dd className="mono">
              {d.row.txnId}{" "}
              <button className="link small" onClick={() => void copyId()}>
                {copied ? "Copied" : "Copy"}
              </button>
            </dd>
            <dt>Time</dt>
            <dd className="mono">
              {formatTs(d.row.ts, utc)} {zoneLabel(utc)}
              <div className="muted small">{d.row.ts}</div>
            </dd>
            <dt>Type</dt>
            <dd>{d.row.type}</dd>
            <dt>Description</dt>
            <dd>{d.row.description}</dd>
            <dt>Amount</dt>
            <dd>
              <Money value={d.row.amount} plus />
            </dd>
            <dt>Balance after</dt>
            <dd>
              <Money value={d.row.balanceAfter} />
            </dd>
            {d.row.character && (
              <>
                <dt>Character</dt>
                <dd>{d.row.character}</dd>
              </>
            )}
            {d.row.model && (
              <>
                <dt>Model</dt>
                <dd>{d.row.model}</dd>
              </>
            )}
            <dt>Source</dt>
            <dd className="mono small">
              {d.row.sourceFile}:{d.row.sourceLine}
            </dd>
          </dl>
          <h3>Raw source line</h3>
          {d.rawLine !== null ? <pre className="raw" data-testid="raw-line">{d.rawLine}</pre> : <p className="muted">Not available.</p>}
          {d.rawLineNote && <p className="muted small">{d.rawLineNote}</p>}
          <h3>Findings</h3>
          {d.findings.length === 0 ? (
            <p className="muted">None on this entry.</p>
          ) : (
            <ul className="detail-findings">
              {d.findings.map((f) => (
                <li key={f.id} className={`sev-border-${f.severity}`}>
                  <div>
                    <b className={`sev-${f.severity}`}>{f.severity}</b> · {f.kind}
                    {f.explained && <span className="muted"> · explained</span>}
                  </div>
                  <div>{f.message}</div>
                  {f.delta && (
                    <div className="small">
                      Delta <Money value={f.delta} plus />
                    </div>
                  )}
                  {f.note && <div className="muted small">Note: {f.note}</div>}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </aside>
  );
}
