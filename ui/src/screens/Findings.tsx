//! Findings grouped by severity, errors first; each can be explained with a note (and reopened),
//! or opened in the Ledger.

import { useState } from "react";
import type { ChainView } from "../bindings/ChainView";
import type { FindingView } from "../bindings/FindingView";
import { ErrorBlock, Money } from "../components/common";
import { formatTs } from "../lib/dates";
import { type ApiError, toApiError } from "../lib/errors";
import { groupFindings } from "../lib/findings";
import { useFindings, useMarkExplained, useUnmarkExplained } from "../queries";

interface Props {
  chain: ChainView;
  onJump: (label: string, entryIds: number[], txnIds: string[]) => void;
}

export function FindingsScreen({ chain, onJump }: Props) {
  const findings = useFindings(chain.id);
  const all = findings.data;
  const markExplained = useMarkExplained(chain.id);
  const unmarkExplained = useUnmarkExplained(chain.id);
  const [actErr, setActErr] = useState<ApiError | null>(null);
  const err = actErr ?? (findings.error ? toApiError(findings.error) : null);

  const act: Act = async (f) => {
    try {
      await f();
      setActErr(null);
      return true;
    } catch (e) {
      setActErr(toApiError(e));
      return false;
    }
  };
  const explain = (id: string, note: string) => act(() => markExplained.mutateAsync({ findingId: id, note }));
  const reopen = (id: string) => act(() => unmarkExplained.mutateAsync(id));

  const g = all ? groupFindings(all) : null;

  return (
    <section className="screen">
      <header className="screen-head">
        <h1>
          Findings <span className="muted small">{chain.account} · {chain.currency}</span>
        </h1>
        {g && (
          <div className="counts">
            <span className="sev-error">
              <b data-testid="error-count">{g.errors.length}</b> open error{g.errors.length === 1 ? "" : "s"}
            </span>
            <span className="sev-warning">
              <b data-testid="warning-count">{g.warnings.length}</b> open warning{g.warnings.length === 1 ? "" : "s"}
            </span>
            <span className="muted">
              <b data-testid="explained-count">{g.explained.length}</b> explained
            </span>
          </div>
        )}
      </header>
      {err && (
        <ErrorBlock
          error={err}
          onDismiss={() => {
            setActErr(null);
            if (findings.error) void findings.refetch();
          }}
        />
      )}
      {!g && !err && <p className="muted">Loading…</p>}
      {g && g.errors.length + g.warnings.length + g.explained.length === 0 && (
        <div className="empty">
          <h2>No findings</h2>
          <p>Every balance in this ledger follows from the entries before it. If the vendor's page shows a different
            balance, enter it on the Ledgers screen.</p>
        </div>
      )}
      {g && g.errors.length > 0 && (
        <Group title="Errors">
          {g.errors.map((f) => (
            <FindingItem key={f.id} f={f} onJump={onJump} explain={explain} />
          ))}
        </Group>
      )}
      {g && g.warnings.length > 0 && (
        <Group title="Warnings">
          {g.warnings.map((f) => (
            <FindingItem key={f.id} f={f} onJump={onJump} explain={explain} />
          ))}
        </Group>
      )}
      {g && g.explained.length > 0 && (
        <Group title="Explained">
          {g.explained.map((f) => (
            <ExplainedItem key={f.id} f={f} onJump={onJump} reopen={reopen} />
          ))}
        </Group>
      )}
    </section>
  );
}

function Group({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="group">
      <h2>{title}</h2>
      <ul className="findings">{children}</ul>
    </section>
  );
}

type Act = (f: () => Promise<unknown>) => Promise<boolean>;

function Facts({ f }: { f: FindingView }) {
  return (
    <div className="facts">
      {f.ts && <span className="mono small">{formatTs(f.ts, true)} UTC</span>}
      {f.delta !== null && (
        <span className="small">
          Delta <Money value={f.delta} plus testid="finding-delta" />
        </span>
      )}
      {f.transactionIds.length > 0 && (
        <span className="mono small txn-ids" data-testid="finding-txns">
          {f.transactionIds.join(", ")}
        </span>
      )}
    </div>
  );
}

function FindingItem({
  f,
  onJump,
  explain,
}: {
  f: FindingView;
  onJump: Props["onJump"];
  explain: (id: string, note: string) => Promise<boolean>;
}) {
  const [explaining, setExplaining] = useState(false);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    const ok = await explain(f.id, note.trim());
    setBusy(false);
    if (ok) setExplaining(false);
  };
  return (
    <li className={`finding sev-border-${f.severity}`} data-testid="finding-item" data-kind={f.kind} data-finding-id={f.id} data-severity={f.severity}>
      <div className="row-between">
        <div>
          <b className={`sev-${f.severity}`}>{f.severity === "error" ? "Error" : "Warning"}</b> · <span className="kind">{f.kind}</span>
        </div>
        <div className="actions">
          <button data-testid="finding-show" onClick={() => onJump(f.kind, f.entryIds, f.transactionIds)} disabled={f.entryIds.length === 0 && f.transactionIds.length === 0}>
            Show entries
          </button>
          {!explaining && (
            <button data-testid="finding-explain" onClick={() => setExplaining(true)}>
              Mark as explained
            </button>
          )}
        </div>
      </div>
      <div className="message">{f.message}</div>
      <Facts f={f} />
      {explaining && (
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
    </li>
  );
}

function ExplainedItem({
  f,
  onJump,
  reopen,
}: {
  f: FindingView;
  onJump: Props["onJump"];
  reopen: (id: string) => Promise<boolean>;
}) {
  return (
    <li className="finding explained" data-testid="finding-item" data-kind={f.kind} data-finding-id={f.id} data-severity={f.severity} data-explained="true">
      <details>
        <summary>
          <span className={`sev-${f.severity}`}>{f.severity}</span> · {f.kind}
          <span className="muted"> — {f.note ? `“${f.note}”` : "explained (no note)"}</span>
        </summary>
        <div className="message">{f.message}</div>
        <Facts f={f} />
        <div className="actions">
          <button onClick={() => onJump(f.kind, f.entryIds, f.transactionIds)}>Show entries</button>
          <button data-testid="finding-reopen" onClick={() => void reopen(f.id)}>
            Reopen
          </button>
        </div>
      </details>
    </li>
  );
}
