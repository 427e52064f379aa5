//! Findings a person can trust at any size: the kinds with their open and explained counts (a
//! click filters to one), filters by severity and explained, sort by time or by |delta|, a
//! virtualized table, and one note for many findings at once (a selection, or every open
//! finding of a kind). Each finding still opens in full, can be explained or reopened alone,
//! and jumps to its entries in the Ledger.

import { useMemo, useState } from "react";
import type { ChainView } from "../bindings/ChainView";
import type { FindingKind } from "../bindings/FindingKind";
import type { FindingView } from "../bindings/FindingView";
import type { Severity } from "../bindings/Severity";
import { ErrorBlock } from "../components/common";
import { toApiError } from "../lib/errors";
import { type FindingFilter, type FindingSort, type KindSummary, kindSummaries, openOfKind, visibleFindings } from "../lib/findings";
import { useFindings } from "../queries";
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

interface Props {
  chain: ChainView;
  onJump: (label: string, entryIds: number[], txnIds: string[]) => void;
}

export function FindingsScreen({ chain, onJump }: Props) {
  const findings = useFindings(chain.id);
  const all = findings.data;
  const { filter, change } = useFindingsFilter();
  const shown = useMemo(() => (all ? visibleFindings(all, filter) : []), [all, filter]);
  const selection = useFindingsSelection(shown);
  const { selected, sel, allShownSelected, toggle, selectAllShown } = selection;
  const panel = useActiveFinding(all);
  const { active, activeId, explaining, setExplaining } = panel;
  const changes = useFindingsChanges(chain.id, selection.clear);
  const { bulk, setBulk, runBulk, notice, busy, explainOne, reopenOne } = changes;
  const err = changes.error ?? (findings.error ? toApiError(findings.error) : null);

  const kinds = useMemo(() => (all ? kindSummaries(all) : []), [all]);
  const counts = useMemo(() => {
    const c = { errors: 0, warnings: 0, explained: 0 };
    for (const f of all ?? []) {
      if (f.explained) c.explained += 1;
      else if (f.severity === "error") c.errors += 1;
      else c.warnings += 1;
    }
    return c;
  }, [all]);
  const kindOpen = filter.kind !== null && all ? openOfKind(all, filter.kind) : [];

  const setFilter = (c: Partial<FindingFilter>) => {
    change(c);
    // Row indices move with the filter: a shift-click range starts afresh.
    selection.forgetAnchor();
    setBulk(null);
  };

  const jump = (f: FindingView) => onJump(f.kind, f.entryIds, f.transactionIds);

  return (
    <section className="screen findings-screen">
      <header className="screen-head">
        <h1>
          Findings <span className="muted small">{chain.account} · {chain.currency}</span>
        </h1>
        {all && (
          <div className="counts">
            <span className="sev-error">
              <b data-testid="error-count">{counts.errors}</b> open error{counts.errors === 1 ? "" : "s"}
            </span>
            <span className="sev-warning">
              <b data-testid="warning-count">{counts.warnings}</b> open warning{counts.warnings === 1 ? "" : "s"}
            </span>
            <span className="muted">
              <b data-testid="explained-count">{counts.explained}</b> explained
            </span>
          </div>
        )}
      </header>
      {err && (
        <ErrorBlock
          error={err}
          onDismiss={() => {
            changes.dismissError();
            if (findings.error) void findings.refetch();
          }}
        />
      )}
      {!all && !err && <p className="muted">Loading…</p>}
      {all && all.length === 0 && (
        <div className="empty">
          <h2>No findings</h2>
          <p>Every balance in this ledger follows from the entries before it. If the vendor's page shows a different
            balance, enter it on the Ledgers screen.</p>
        </div>
      )}
      {all && all.length > 0 && (
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
                disabled={shown.length === 0}
                onChange={(e) => selectAllShown(e.target.checked)}
              />
              Select all {shown.length} shown
            </label>
            <button
              data-testid="findings-explain-selected"
              disabled={sel.open.length === 0 || busy}
              onClick={() => setBulk({ mode: "explain", ids: sel.open, what: "selected" })}
            >
              Mark {sel.open.length} as explained
            </button>
            <button
              data-testid="findings-reopen-selected"
              disabled={sel.explained.length === 0 || busy}
              onClick={() => setBulk({ mode: "reopen", ids: sel.explained, what: "selected" })}
            >
              Reopen {sel.explained.length}
            </button>
            {filter.kind !== null && (
              <button
                className="primary"
                data-testid="findings-explain-kind"
                disabled={kindOpen.length === 0 || busy}
                onClick={() => setBulk({ mode: "explain", ids: kindOpen, what: filter.kind! })}
              >
                Explain all {kindOpen.length} {filter.kind}
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
            {shown.length === 0 ? (
              <div className="table-wrap">
                <div className="empty small" data-testid="findings-none-shown">
                  No findings match these filters.
                  {!filter.showExplained && counts.explained > 0 && " Explained ones are hidden: tick “Show explained”."}
                </div>
              </div>
            ) : (
              <FindingsTable
                shown={shown}
                selected={selected}
                activeId={activeId}
                onToggle={toggle}
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
  kinds: KindSummary[];
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
          <span className="kind-title">{k.title}</span>
          <span className={`num-inline ${k.open ? `sev-${k.severity}` : "muted"}`}>
            <b data-testid="findings-kind-open">{k.open}</b> open
          </span>
          <span className="num-inline muted">
            <span data-testid="findings-kind-explained">{k.explained}</span> explained
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
