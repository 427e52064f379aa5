//! Findings a person can trust at any size: the kinds with their open and explained counts (a
//! click filters to one), filters by severity and explained, sort by time or by |delta|, a
//! virtualized table, and one note for many findings at once (a selection, or every open
//! finding of a kind). Each finding still opens in full, can be explained or reopened alone,
//! and jumps to its entries in the Ledger.

import { useEffect, useRef, useState } from "react";
import { api } from "../api";
import type { ChainView } from "../bindings/ChainView";
import type { FindingIds } from "../bindings/FindingIds";
import type { FindingKind } from "../bindings/FindingKind";
import type { FindingKindCount } from "../bindings/FindingKindCount";
import type { FindingsQuery } from "../bindings/FindingsQuery";
import type { FindingView } from "../bindings/FindingView";
import type { Severity } from "../bindings/Severity";
import { ErrorBlock } from "../components/common";
import { type ApiError, toApiError } from "../lib/errors";
import {
  type FindingFilter,
  type FindingSort,
  KIND_TITLES,
  selectionCounts,
  selectionIds,
  shownCounts,
} from "../lib/findings";
import { appLocale, formatCount } from "../lib/format";
import { FindingDetail } from "./findings/FindingDetail";
import { FindingsTable } from "./findings/FindingsTable";
import {
  type Bulk,
  plural,
  useActiveFinding,
  useFindingsChanges,
  useFindingsFilter,
  useFindingsSelection,
} from "./findings/hooks";
import { useFindingRows } from "./findings/pages";
import { STEP_FINDING } from "../hooks/useShortcuts";

interface Props {
  chain: ChainView;
  /** Times in UTC, else in the user's zone. */
  utc?: boolean;
  /** A finding to open in the side panel (a notification clicked). */
  openFindingId?: string | null;
  onJump: (label: string, entryIds: number[], txnIds: string[]) => void;
}

export function FindingsScreen({ chain, utc = true, openFindingId = null, onJump }: Props) {
  const { filter, change } = useFindingsFilter();
  const query: FindingsQuery = {
    chainId: chain.id,
    kind: filter.kind,
    severity: filter.severity,
    showExplained: filter.showExplained,
    sort: filter.sort,
  };
  const scrollRef = useRef<HTMLDivElement>(null);
  const rows = useFindingRows(query, scrollRef);
  const head = rows.head;
  const selection = useFindingsSelection(rows.row);
  const panel = useActiveFinding(rows.find, openFindingId);
  const { active, activeId, explaining, setExplaining } = panel;
  const changes = useFindingsChanges(chain.id, selection.clear);
  const { bulk, setBulk, runBulk, notice, busy, explainOne, reopenOne } = changes;
  const [idsError, setIdsError] = useState<ApiError | null>(null);
  const err = changes.error ?? idsError ?? (head.error ? toApiError(head.error) : null);
  const page = head.data;
  const locale = appLocale();

  const kinds = page?.kinds ?? [];
  const shown = shownCounts(kinds, filter);
  const sel = selectionCounts(selection.selection, shown);
  const total = rows.total ?? 0;
  const allShownSelected = selection.selection.all && selection.selection.marked.size === 0 && total > 0;
  const kindOpen = filter.kind !== null ? (kinds.find((k) => k.kind === filter.kind)?.open ?? 0) : 0;

  const setFilter = (c: Partial<FindingFilter>) => {
    change(c);
    // Row indices move with the filter: the selection and a shift-click range start afresh.
    selection.clear();
    setBulk(null);
  };

  /** The IDs a bulk change needs: asked of the shell where the table does not hold them. */
  const withIds = async (q: FindingsQuery, then: (ids: FindingIds) => void) => {
    try {
      then(await api.findingIds(q));
      setIdsError(null);
    } catch (e) {
      setIdsError(toApiError(e));
    }
  };
  const bulkSelected = (mode: Bulk["mode"]) => {
    const start = (ids: { open: string[]; explained: string[] }) =>
      setBulk({ mode, ids: mode === "explain" ? ids.open : ids.explained, what: "selected" });
    if (selection.selection.all) void withIds(query, (all) => start(selectionIds(selection.selection, all)));
    else start(selectionIds(selection.selection, null));
  };
  const explainKind = (kind: FindingKind) =>
    void withIds({ ...query, kind, severity: null, showExplained: false }, (ids) =>
      setBulk({ mode: "explain", ids: ids.open, what: kind }),
    );

  // j / k: the next or previous finding of the table opens (the first when none is open).
  const stepRef = useRef<(by: number) => void>(() => {});
  useEffect(() => {
    stepRef.current = (by: number) => {
      const at = activeId === null ? -1 : (rows.items.map((vi) => vi.index).find((i) => rows.row(i)?.id === activeId) ?? -1);
      const next = Math.max(0, Math.min(total - 1, at + by));
      const f = rows.row(next);
      if (f) {
        panel.open(f);
        rows.virtualizer.scrollToIndex(next, { align: "auto" });
      }
    };
  });
  useEffect(() => {
    const onStep = (e: Event) => stepRef.current((e as CustomEvent<number>).detail);
    window.addEventListener(STEP_FINDING, onStep);
    return () => window.removeEventListener(STEP_FINDING, onStep);
  }, []);

  const jump = (f: FindingView) => onJump(f.kind, f.entryIds, f.transactionIds);
  const none = page && page.errors + page.warnings + page.explained === 0;

  return (
    <section className="screen findings-screen">
      <header className="screen-head">
        <h1>
          Findings <span className="muted small">{chain.account} · {chain.currency}</span>
        </h1>
        {page && (
          <div className="counts">
            <span className="sev-error">
              <b data-testid="error-count">{formatCount(page.errors, locale)}</b> open error{page.errors === 1 ? "" : "s"}
            </span>
            <span className="sev-warning">
              <b data-testid="warning-count">{formatCount(page.warnings, locale)}</b> open warning{page.warnings === 1 ? "" : "s"}
            </span>
            <span className="muted">
              <b data-testid="explained-count">{formatCount(page.explained, locale)}</b> explained
            </span>
          </div>
        )}
      </header>
      {err && (
        <ErrorBlock
          error={err}
          onDismiss={() => {
            changes.dismissError();
            setIdsError(null);
            if (head.error) void head.refetch();
          }}
        />
      )}
      {!page && !err && <p className="muted">Loading…</p>}
      {none && (
        <div className="empty" data-testid="findings-empty">
          <h2>No findings</h2>
          <p>
            Every balance in this ledger follows from the entries before it. If the vendor's page shows a different
            balance, enter it on the Ledgers screen (or add an anchor on the Balance chart) and Reckon checks the
            ledger against it.
          </p>
        </div>
      )}
      {page && !none && (
        <>
          <KindList kinds={kinds} picked={filter.kind} onPick={(kind) => setFilter({ kind })} />
          <div className="filters findings-filters">
            <label>
              Severity
              <select
                data-testid="findings-filter-severity"
                value={filter.severity ?? ""}
                onChange={(e) => setFilter({ severity: (e.target.value || null) as Severity | null })}
              >
                <option value="">Errors and warnings</option>
                <option value="error">Errors</option>
                <option value="warning">Warnings</option>
              </select>
            </label>
            <label>
              Sort
              <select
                data-testid="findings-sort"
                value={filter.sort}
                onChange={(e) => setFilter({ sort: e.target.value as FindingSort })}
              >
                <option value="time">Newest first</option>
                <option value="amount">Largest delta first</option>
              </select>
            </label>
            <label className="check">
              <input
                type="checkbox"
                data-testid="findings-show-explained"
                checked={filter.showExplained}
                onChange={(e) => setFilter({ showExplained: e.target.checked })}
              />
              Show explained
            </label>
            <span className="grow" />
            <label className="check">
              <input
                type="checkbox"
                data-testid="findings-select-all"
                checked={allShownSelected}
                disabled={total === 0}
                onChange={(e) => selection.selectAllShown(e.target.checked)}
              />
              Select all {formatCount(total, locale)} shown
            </label>
            <button
              data-testid="findings-explain-selected"
              disabled={sel.open === 0 || busy}
              onClick={() => bulkSelected("explain")}
            >
              Mark {formatCount(sel.open, locale)} as explained
            </button>
            <button
              data-testid="findings-reopen-selected"
              disabled={sel.explained === 0 || busy}
              onClick={() => bulkSelected("reopen")}
            >
              Reopen {formatCount(sel.explained, locale)}
            </button>
            {filter.kind !== null && (
              <button
                className="primary"
                data-testid="findings-explain-kind"
                disabled={kindOpen === 0 || busy}
                onClick={() => explainKind(filter.kind!)}
              >
                Explain all {formatCount(kindOpen, locale)} {filter.kind}
              </button>
            )}
          </div>
          {bulk && (
            <BulkForm key={`${bulk.mode}:${bulk.what}:${bulk.ids.length}`} bulk={bulk} busy={busy} onConfirm={(note) => void runBulk(bulk, note)} onCancel={() => setBulk(null)} />
          )}
          {notice && !bulk && (
            <div className="notice row-between" data-testid="findings-bulk-done" role="status">
              {notice}
              <button className="link" onClick={changes.dismissNotice}>
                Dismiss
              </button>
            </div>
          )}
          <div className="ledger-body">
            {rows.total === 0 ? (
              <div className="table-wrap">
                <div className="empty small" data-testid="findings-none-shown">
                  No findings match these filters.
                  {!filter.showExplained && page.explained > 0 && " Explained ones are hidden: tick “Show explained”."}
                </div>
              </div>
            ) : (
              <FindingsTable
                rows={rows}
                scrollRef={scrollRef}
                selection={selection.selection}
                utc={utc}
                activeId={activeId}
                onToggle={selection.toggle}
                onOpen={panel.open}
                onExplain={panel.explain}
                onReopen={(f) => void reopenOne(f.id)}
                onJump={jump}
                busy={busy}
                narrow={active !== null}
              />
            )}
            {active && (
              <FindingDetail
                key={active.id}
                f={active}
                explaining={explaining}
                setExplaining={setExplaining}
                explain={explainOne}
                reopen={reopenOne}
                onJump={jump}
                onClose={panel.close}
              />
            )}
          </div>
        </>
      )}
    </section>
  );
}

/** The kinds with their counts; clicking one filters to it, clicking it again shows all. */
function KindList({
  kinds,
  picked,
  onPick,
}: {
  kinds: FindingKindCount[];
  picked: FindingKind | null;
  onPick: (kind: FindingKind | null) => void;
}) {
  return (
    <div className="kind-list" role="group" aria-label="Finding kinds">
      <button
        className={`kind-chip ${picked === null ? "on" : ""}`}
        data-testid="findings-kind-all"
        aria-pressed={picked === null}
        onClick={() => onPick(null)}
      >
        All kinds
      </button>
      {kinds.map((k) => (
        <button
          key={k.kind}
          className={`kind-chip ${picked === k.kind ? "on" : ""}`}
          data-testid="findings-kind"
          data-kind={k.kind}
          data-severity={k.severity}
          aria-pressed={picked === k.kind}
          title={`${k.kind} (${k.severity})`}
          onClick={() => onPick(picked === k.kind ? null : k.kind)}
        >
          <span className={`dot dot-${k.severity}`} />
          <span className="kind-title">{KIND_TITLES[k.kind] ?? k.kind}</span>
          <span className={`num-inline ${k.open ? `sev-${k.severity}` : "muted"}`}>
            <b data-testid="findings-kind-open">{formatCount(k.open, appLocale())}</b> open
          </span>
          <span className="num-inline muted">
            <span data-testid="findings-kind-explained">{formatCount(k.explained, appLocale())}</span> explained
          </span>
        </button>
      ))}
    </div>
  );
}

/** One note for many findings (or, to reopen, a confirmation: their notes are removed). */
function BulkForm({
  bulk,
  busy,
  onConfirm,
  onCancel,
}: {
  bulk: Bulk;
  busy: boolean;
  onConfirm: (note: string) => void;
  onCancel: () => void;
}) {
  const [note, setNote] = useState("");
  const n = bulk.ids.length;
  const what = bulk.what === "selected" ? plural(n, "selected finding") : plural(n, `${bulk.what} finding`);
  const explain = bulk.mode === "explain";
  return (
    <form
      className="panel bulk-form"
      data-testid="findings-bulk-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!explain || note.trim()) onConfirm(note.trim());
      }}
    >
      <span>
        {explain ? "Mark " : "Reopen "}
        <b>{what}</b>
        {explain ? " as explained, with one note:" : "? Their notes are removed."}
      </span>
      {explain && (
        <input
          autoFocus
          data-testid="findings-bulk-note"
          placeholder="Why are these fine? e.g. TIP is Reverie's new tipping feature"
          value={note}
          onChange={(e) => setNote(e.target.value)}
          onKeyDown={(e) => e.key === "Escape" && onCancel()}
        />
      )}
      <button type="submit" className="primary" data-testid="findings-bulk-confirm" disabled={busy || (explain && !note.trim())}>
        {explain ? `Mark ${n} explained` : `Reopen ${n}`}
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
