//! Every chain with its balance and open findings; import (dialog, drop, demo) with progress,
//! cancel and the per-file outcome; the balance the vendor's page states, to catch a head mismatch.

import { useState } from "react";
import { ChainTable } from "./ledgers/ChainTable";
import { MatchWith } from "./ledgers/MatchWith";
import { WatchPanel } from "./ledgers/WatchPanel";
import type { ChainView } from "../bindings/ChainView";
import type { ImportState } from "../hooks/useImportFlow";
import { E2ePathInput, ErrorBlock, Money } from "../components/common";
import { formatSpan } from "../lib/dates";
import { type ApiError, toApiError } from "../lib/errors";
import { formatMoney, moneyEquals, normalizeMoneyInput, subtractMoney } from "../lib/money";
import { describeProgress, importFraction } from "../lib/progress";
import { appLocale, formatCount } from "../lib/format";
import { pickDatabase } from "../lib/dialogs";
import { useDatabasePath, useOpenDatabase, useSetStatedBalance } from "../queries";
import { Connections } from "./Connections";

interface Props {
  chains: ChainView[] | null;
  selectedId: number | null;
  imp: ImportState;
  /** Import through the open dialog (or, under the e2e hook, the path typed in `import-path`). */
  onImport: (e2ePath: string) => void;
  /** The account imports go into where their source names none (blank: default). */
  account: string;
  onAccount: (account: string) => void;
  onDemo: () => void;
  onCancel: () => void;
  onDismissOutcome: () => void;
  onOpen: (id: number) => void;
  /** Times in UTC, else the local zone (Settings). */
  utc?: boolean;
}

export function LedgersScreen(p: Props) {
  const { chains, imp } = p;
  const selected = chains?.find((c) => c.id === p.selectedId) ?? null;
  const [e2ePath, setE2ePath] = useState("");
  return (
    <section className="screen">
      <header className="screen-head">
        <h1>Ledgers</h1>
        <div className="actions">
          <label className="small muted import-account">
            Into account{" "}
            <input
              data-testid="import-account"
              placeholder="default"
              value={p.account}
              onChange={(e) => p.onAccount(e.target.value)}
              title="Files whose source names no account (a Reverie export, a usage feed) go into this one; blank: default"
            />
          </label>
          <E2ePathInput value={e2ePath} onChange={setE2ePath} testid="import-path" placeholder="E2E: file to import" />
          <button className="primary" data-testid="import" onClick={() => p.onImport(e2ePath)} disabled={imp.running}>
            Import…
          </button>
          <button data-testid="open-demo" onClick={p.onDemo} disabled={imp.running}>
            Open demo ledger
          </button>
        </div>
      </header>
      <DatabaseLine disabled={imp.running} />
      <Connections disabled={imp.running} />

      {imp.running && <ImportProgress imp={imp} onCancel={p.onCancel} />}
      {imp.error && <ErrorBlock error={imp.error} onDismiss={p.onDismissOutcome} />}
      {imp.outcome && <ImportOutcome imp={imp} onDismiss={p.onDismissOutcome} />}

      {chains === null ? (
        <p className="muted">Loading ledgers…</p>
      ) : chains.length === 0 ? (
        <div className="empty drop-target" data-testid="empty-ledgers">
          <h2>No ledgers yet</h2>
          <p>Drop a CSV/JSON export here, or open the demo ledger.</p>
          <p className="muted small">
            Export your credit ledger from Reverie (Settings → Billing → Credit ledger → Export), then drop the file on
            this window or use Import….
          </p>
        </div>
      ) : (
        <ChainTable
          renderRow={(c, measure, index) => (
            <ChainRow key={c.id} chain={c} selected={c.id === p.selectedId} onOpen={p.onOpen} measure={measure} index={index} />
          )}
        />
      )}
      {selected && <WatchPanel key={selected.id} chain={selected} utc={p.utc} />}
      {chains !== null && chains.length > 1 && (
        <MatchWith chains={chains} />
      )}
      <p className="muted small hint">You can also drop CSV/JSON exports anywhere on this window.</p>
    </section>
  );
}

function ImportProgress({ imp, onCancel }: { imp: ImportState; onCancel: () => void }) {
  const e = imp.progress;
  const pct = e ? Math.round(importFraction(e) * 100) : 0;
  return (
    <div className="import-progress panel" data-testid="import-progress" role="status">
      <div className="row-between">
        <span>{e ? describeProgress(e) : "Starting import…"}</span>
        <button data-testid="import-cancel" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <div className="bar-fill" style={{ width: `${pct}%` }} />
      </div>
      <div className="muted small num-inline">{pct}%</div>
    </div>
  );
}

function ImportOutcome({ imp, onDismiss }: { imp: ImportState; onDismiss: () => void }) {
  const files = imp.outcome?.files ?? [];
  const anyConflict = files.some((f) => f.conflicting > 0);
  return (
    <div className="panel outcome" data-testid="import-outcome">
      <div className="row-between">
        <strong>Import finished</strong>
        <button className="link" onClick={onDismiss}>
          Dismiss
        </button>
      </div>
      <table className="grid compact">
        <thead>
          <tr>
            <th>File</th>
            <th>Format</th>
            <th className="num">New</th>
            <th className="num">Already known</th>
            <th className="num">Conflicting</th>
          </tr>
        </thead>
        <tbody>
          {files.map((f) => (
            <tr key={f.path} data-testid="import-file">
              <td className="mono">{f.path}</td>
              <td>{f.format}</td>
              <td className="num">{f.new}</td>
              <td className="num">{f.known}</td>
              <td className={`num ${f.conflicting ? "sev-error" : ""}`}>{f.conflicting}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {anyConflict && (
        <p className="small">
          Conflicting entries share a transaction ID with a stored entry but differ in content. They are listed on the
          Findings screen.
        </p>
      )}
    </div>
  );
}

function ChainRow({
  chain: c,
  selected,
  onOpen,
  measure,
  index,
}: {
  chain: ChainView;
  selected: boolean;
  onOpen: (id: number) => void;
  /** The virtualized table measures the row's height (`ChainTable`). */
  measure?: (el: HTMLTableRowElement | null) => void;
  index?: number;
}) {
  const [text, setText] = useState(c.statedBalance ?? "");
  const stated = useSetStatedBalance(c.id);
  const busy = stated.isPending;
  const [err, setErr] = useState<ApiError | null>(null);
  const [inputErr, setInputErr] = useState<string | null>(null);

  const save = async () => {
    const value = text.trim() === "" ? null : normalizeMoneyInput(text);
    if (text.trim() !== "" && value === null) {
      setInputErr("Type a number such as 1234.50, or leave it empty to clear.");
      return;
    }
    setInputErr(null);
    try {
      const updated = await stated.mutateAsync(value);
      setErr(null);
      setText(updated.statedBalance ?? "");
    } catch (e) {
      setErr(toApiError(e));
    }
  };

  const mismatch =
    c.statedBalance !== null && c.ledgerBalance !== null && !moneyEquals(c.statedBalance, c.ledgerBalance)
      ? subtractMoney(c.statedBalance, c.ledgerBalance)
      : null;

  return (
    <>
      <tr
        ref={measure}
        data-index={index}
        className={selected ? "selected" : ""}
        data-testid="chain-row"
        data-chain-id={c.id}
        data-account={c.account}
        data-currency={c.currency}
      >
        <td>
          <button className="link strong" onClick={() => onOpen(c.id)} title="Open this ledger">
            {c.account}
          </button>{" "}
          <span className="muted small">{c.currency}</span>
        </td>
        <td className="num">
          {c.ledgerBalance === null && c.rebuiltBalance !== null ? (
            <span title="The rows state no balance: rebuilt from the opening balance and the anchors (Balance chart)">
              <Money value={c.rebuiltBalance} testid="chain-balance" />
              <div className="muted small" data-testid="chain-balance-rebuilt">
                rebuilt from anchors
              </div>
            </span>
          ) : (
            <Money value={c.ledgerBalance} testid="chain-balance" />
          )}
        </td>
        <td className="num">
          {c.pendingBalance === null ? (
            <span className="muted" title="This ledger keeps no pending grants">
              —
            </span>
          ) : (
            <span className="pending" title="Granted but not yet settled, so not available yet">
              <Money value={c.pendingBalance} testid="chain-pending" />
            </span>
          )}
        </td>
        <td className="num" data-testid="chain-entries">
          {formatCount(c.entries, appLocale())}
        </td>
        <td className="nowrap">
          {formatSpan(c.firstTs, c.lastTs)}
          {c.lastSync && (
            <div className="muted small" data-testid="chain-last-sync">
              Synced {c.lastSync.at.replace("T", " ").replace("Z", " UTC")} from {c.lastSync.baseUrl}
              {c.lastSync.customer ? ` (${c.lastSync.customer})` : ""}
            </div>
          )}
        </td>
        <td className={`num ${c.errors ? "sev-error" : "muted"}`} data-testid="error-count">
          {formatCount(c.errors, appLocale())}
        </td>
        <td className={`num ${c.warnings ? "sev-warning" : "muted"}`} data-testid="warning-count">
          {formatCount(c.warnings, appLocale())}
          {c.explained > 0 && <span className="muted small"> (+{c.explained} explained)</span>}
        </td>
        <td>
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <input
              className="money-input"
              data-testid="stated-balance-input"
              inputMode="decimal"
              placeholder="e.g. 1234.50"
              value={text}
              onChange={(e) => setText(e.target.value)}
              aria-label={`Balance Reverie states now for ${c.account}`}
            />
            <button type="submit" data-testid="stated-balance-save" disabled={busy}>
              Set
            </button>
          </form>
          {mismatch !== null && (
            <div className="sev-error small" data-testid="head-mismatch">
              Page says {formatMoney(c.statedBalance!)}, ledger says {formatMoney(c.ledgerBalance!)} (difference{" "}
              {formatMoney(mismatch, { plus: true })})
            </div>
          )}
          {c.statedBalance !== null && mismatch === null && c.ledgerBalance !== null && (
            <div className="credit small">Matches the ledger.</div>
          )}
          {inputErr && <div className="sev-error small">{inputErr}</div>}
        </td>
        <td>
          <button onClick={() => onOpen(c.id)}>Open</button>
        </td>
      </tr>
      {err && (
        <tr>
          <td colSpan={9}>
            <ErrorBlock error={err} onDismiss={() => setErr(null)} />
          </td>
        </tr>
      )}
    </>
  );
}

/** Which database is open (the CLI's too, by default) and "Open database…" to switch. */
function DatabaseLine({ disabled }: { disabled: boolean }) {
  const path = useDatabasePath();
  const open = useOpenDatabase();
  const choose = async () => {
    const picked = await pickDatabase();
    if (picked) open.mutate(picked);
  };
  return (
    <div className="database-line muted small" data-testid="database-line">
      Database: <code data-testid="database-path">{path.data ?? "…"}</code>{" "}
      <button className="link" data-testid="open-database" onClick={choose} disabled={disabled || open.isPending}>
        Open database…
      </button>
      {open.error && <ErrorBlock error={toApiError(open.error, "open_database")} onDismiss={() => open.reset()} />}
    </div>
  );
}
