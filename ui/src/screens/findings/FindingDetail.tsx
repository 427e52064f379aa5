//! One finding in full beside the table: its whole message, transactions and delta, its note,
//! and the single-finding actions (open its entries, mark as explained with a note, reopen).

import { useState } from "react";
import type { FindingView } from "../../bindings/FindingView";
import { Money } from "../../components/common";
import { formatTs } from "../../lib/dates";
import { KIND_TITLES } from "../../lib/findings";

interface Props {
  f: FindingView;
  /** The explain form is open (the row's "Explain" opens it too). */
  explaining: boolean;
  setExplaining: (on: boolean) => void;
  explain: (id: string, note: string) => Promise<boolean>;
  reopen: (id: string) => Promise<boolean>;
  onJump: (f: FindingView) => void;
  onClose: () => void;
}

export function FindingDetail({ f, explaining, setExplaining, explain, reopen, onJump, onClose }: Props) {
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<boolean>) => {
    setBusy(true);
    const ok = await action();
    setBusy(false);
    return ok;
  };
  const confirm = async () => {
    if (await run(() => explain(f.id, note.trim()))) {
      setExplaining(false);
      setNote("");
    }
  };
  return (
    <aside className="detail finding-detail" data-testid="finding-detail" data-finding-id={f.id}>
      <div className="row-between">
        <h2>
          <span className={`dot dot-${f.severity}`} />
          {KIND_TITLES[f.kind] ?? f.kind}
        </h2>
        <button className="link" onClick={onClose} aria-label="Close">
          Close
        </button>
      </div>
      <div className="muted small">
        <span className={`sev-${f.severity}`}>{f.severity === "error" ? "Error" : "Warning"}</span> ·{" "}
        <span className="mono">{f.kind}</span>
        {f.explained && " · explained"}
      </div>
      <p className="message" data-testid="finding-message">
        {f.message}
      </p>
      <dl className="kv">
        <dt>Time</dt>
        <dd className="mono">{f.ts ? `${formatTs(f.ts, true)} UTC` : "—"}</dd>
        <dt>Delta</dt>
        <dd>{f.delta !== null ? <Money value={f.delta} plus /> : "—"}</dd>
        <dt>Transactions</dt>
        <dd className="mono txn-ids">{f.transactionIds.join(", ") || "—"}</dd>
        {f.explained && (
          <>
            <dt>Note</dt>
            <dd data-testid="finding-note-text">{f.note ? `“${f.note}”` : "explained (no note)"}</dd>
          </>
        )}
      </dl>
      <div className="actions">
        <button onClick={() => onJump(f)} disabled={f.entryIds.length === 0 && f.transactionIds.length === 0}>
          Show entries
        </button>
        {f.explained ? (
          <button onClick={() => void run(() => reopen(f.id))} disabled={busy}>
            Reopen
          </button>
        ) : (
          !explaining && <button onClick={() => setExplaining(true)}>Mark as explained</button>
        )}
      </div>
      {explaining && !f.explained && (
        <form
          className="explain-form"
          onSubmit={(e) => {
            e.preventDefault();
            void confirm();
          }}
        >
          <input
            autoFocus
            data-testid="finding-note"
            placeholder="Why is this fine? e.g. support refunded it on 3 May"
            value={note}
            onChange={(e) => setNote(e.target.value)}
            onKeyDown={(e) => e.key === "Escape" && setExplaining(false)}
          />
          <button type="submit" className="primary" data-testid="finding-explain-confirm" disabled={busy}>
            Mark explained
          </button>
          <button type="button" onClick={() => setExplaining(false)}>
            Cancel
          </button>
        </form>
      )}
    </aside>
  );
}
