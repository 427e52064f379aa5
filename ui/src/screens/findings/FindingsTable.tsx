//! The findings the screen shows as a virtualized table: one compact row each (kind,
//! transaction IDs, delta, time, message cut to one line), only the rows under the viewport in
//! the DOM and only their pages fetched (`pages.ts`), so 100,000 findings scroll like ten. The
//! full text is in the detail pane.
//! The IDs column is wide enough for the two IDs most findings name: a person matches them
//! against the vendor's page.

import type { RefObject } from "react";
import type { FindingView } from "../../bindings/FindingView";
import { Money } from "../../components/common";
import { zoneLabel } from "../../lib/dates";
import { isSelected, type Selection } from "../../lib/findings";
import { appLocale, formatCount, formatDateTime } from "../../lib/format";
import { FINDING_ROW_H, type useFindingRows } from "./pages";

interface Props {
  rows: ReturnType<typeof useFindingRows>;
  scrollRef: RefObject<HTMLDivElement>;
  selection: Selection;
  /** Show times in UTC, else in the user's zone. */
  utc: boolean;
  activeId: string | null;
  /** A checkbox click; `shift` extends from the last one clicked. */
  onToggle: (index: number, shift: boolean) => void;
  onOpen: (f: FindingView) => void;
  onExplain: (f: FindingView) => void;
  onReopen: (f: FindingView) => void;
  onJump: (f: FindingView) => void;
  busy: boolean;
  /** The detail pane is open beside the table: it shows the message, so the table drops it. */
  narrow: boolean;
}

export function FindingsTable({ rows, scrollRef, selection, utc, activeId, onToggle, onOpen, onExplain, onReopen, onJump, busy, narrow }: Props) {
  const { virtualizer, items } = rows;
  const total = rows.total ?? 0;
  const locale = appLocale();

  return (
    <div className={`table-wrap findings-table ${narrow ? "narrow" : ""}`}>
      <div className="frow fhead" role="row">
        <div />
        <div role="columnheader">Kind</div>
        <div role="columnheader">Transaction IDs</div>
        <div role="columnheader" className="num">Delta</div>
        <div role="columnheader">Time ({zoneLabel(utc)})</div>
        <div role="columnheader" className="fmsg">Message</div>
        <div />
      </div>
      <div
        className="fscroll"
        ref={scrollRef}
        role="grid"
        aria-rowcount={total}
        aria-label={`Findings: ${formatCount(total, locale)}`}
        data-testid="findings-list"
        data-count={total}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((vi) => {
            const f = rows.row(vi.index);
            if (!f) {
              return (
                <div key={vi.key} className="frow loading" style={{ transform: `translateY(${vi.start}px)`, height: FINDING_ROW_H }}>
                  <div />
                  <div className="muted">Loading…</div>
                </div>
              );
            }
            const cls = [
              "frow",
              f.explained ? "explained" : `sev-row-${f.severity}`,
              f.id === activeId ? "sel" : "",
            ].join(" ");
            const txns = f.transactionIds.join(", ");
            return (
              <div
                key={vi.key}
                className={cls}
                style={{ transform: `translateY(${vi.start}px)`, height: FINDING_ROW_H }}
                role="row"
                aria-selected={f.id === activeId}
                data-testid="finding-item"
                data-kind={f.kind}
                data-finding-id={f.id}
                data-severity={f.severity}
                data-explained={f.explained ? "true" : undefined}
                onClick={() => onOpen(f)}
              >
                <div>
                  <input
                    type="checkbox"
                    data-testid="finding-select"
                    aria-label={`Select ${f.kind} ${txns}`}
                    checked={isSelected(selection, f)}
                    // React fires a checkbox's change from its click, so shift is on the event.
                    onChange={(e) => onToggle(vi.index, (e.nativeEvent as MouseEvent).shiftKey === true)}
                    onClick={(e) => e.stopPropagation()}
                  />
                </div>
                <div className="ellip">
                  <span className={`dot dot-${f.severity}`} title={f.severity} />
                  <span className="mono">{f.kind}</span>
                </div>
                {/* Text in a span: WebKit's WebDriver leaves text sitting right in an
                    overflow-hidden cell out of the row's text, which the e2e test reads. */}
                <div className="mono ellip" data-testid="finding-txns" title={txns}>
                  <span>{txns || "—"}</span>
                </div>
                <div className="num">
                  {f.delta !== null ? <Money value={f.delta} plus testid="finding-delta" /> : <span className="muted">—</span>}
                </div>
                <div className="mono nowrap">{f.ts ? formatDateTime(f.ts, locale, { utc }) : "—"}</div>
                <div className="ellip fmsg" title={f.message}>
                  {f.explained && <span className="muted">{f.note ? `“${f.note}” · ` : "explained · "}</span>}
                  <span>{f.message}</span>
                </div>
                <div className="row-actions" onClick={(e) => e.stopPropagation()}>
                  <button
                    data-testid="finding-show"
                    title="Show its entries in the Ledger"
                    onClick={() => onJump(f)}
                    disabled={f.entryIds.length === 0 && f.transactionIds.length === 0}
                  >
                    Show
                  </button>
                  {f.explained ? (
                    <button data-testid="finding-reopen" onClick={() => onReopen(f)} disabled={busy}>
                      Reopen
                    </button>
                  ) : (
                    <button data-testid="finding-explain" title="Mark as explained" onClick={() => onExplain(f)}>
                      Explain
                    </button>
                  )}
                </div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
