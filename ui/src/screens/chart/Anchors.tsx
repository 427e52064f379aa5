//! A ledger's anchors: balances stated (or set) at points in time, listed, added by hand ("on
//! 3 March the page said 1,240") and removed. Each change re-runs the check: findings, counts
//! and the chart follow (queries' `invalidatedBy.anchors`).

import { useState } from "react";
import type { AnchorKind } from "../../bindings/AnchorKind";
import type { AnchorView } from "../../bindings/AnchorView";
import type { ChainView } from "../../bindings/ChainView";
import { ErrorBlock, Money } from "../../components/common";
import { ANCHOR_KINDS, anchorKindLabel, normalizeAnchorTime } from "../../lib/anchors";
import { formatTs } from "../../lib/dates";
import { type ApiError, toApiError } from "../../lib/errors";
import { normalizeMoneyInput } from "../../lib/money";
import { useAddAnchor, useRemoveAnchor } from "../../queries";

interface Props {
  chain: ChainView;
  anchors: AnchorView[] | null;
  utc: boolean;
}

export function AnchorsPanel({ chain, anchors, utc }: Props) {
  const add = useAddAnchor(chain.id);
  const remove = useRemoveAnchor(chain.id);
  const [at, setAt] = useState("");
  const [balance, setBalance] = useState("");
  const [kind, setKind] = useState<AnchorKind>("stated");
  const [note, setNote] = useState("");
  const [inputErr, setInputErr] = useState<string | null>(null);
  const [err, setErr] = useState<ApiError | null>(null);

  const submit = async () => {
    const time = normalizeAnchorTime(at);
    const amount = normalizeMoneyInput(balance);
    if (time === null) {
      setInputErr("Type the time as 2026-03-03, 2026-03-03 14:30 or 2026-03-03 14:30:00 (UTC).");
      return;
    }
    if (amount === null) {
      setInputErr("Type the balance as a number such as 1,240 or 1240.50.");
      return;
    }
    setInputErr(null);
    try {
      await add.mutateAsync({ at: time, balance: amount, kind, note });
      setErr(null);
      setAt("");
      setBalance("");
      setNote("");
    } catch (e) {
      setErr(toApiError(e));
    }
  };

  const drop = async (id: number) => {
    try {
      await remove.mutateAsync(id);
      setErr(null);
    } catch (e) {
      setErr(toApiError(e));
    }
  };

  return (
    <div className="panel anchors" data-testid="anchors">
      <h2>Balances stated along the way (anchors)</h2>
      <p className="muted small">
        A balance the vendor's page, an API or a person stated at a point in time. Where entries carry no running
        balance, the ledger is rebuilt from one anchor to the next and checked against each stated one; a miss is an{" "}
        <code>anchor_mismatch</code> finding. Entries at or before an anchor's time count before it.
      </p>
      {anchors && anchors.length > 0 ? (
        <table className="grid compact">
          <thead>
            <tr>
              <th>When ({utc ? "UTC" : "local"})</th>
              <th>Kind</th>
              <th className="num">Balance</th>
              <th>Note</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {anchors.map((a) => (
              <tr key={a.id} data-testid="anchor-row" data-anchor-id={a.id} data-kind={a.kind}>
                <td className="mono nowrap">{formatTs(a.at, utc)}</td>
                <td>{anchorKindLabel(a.kind)}</td>
                <td className="num">
                  <Money value={a.balance} testid="anchor-balance-value" />
                </td>
                <td className="ellip" title={a.note}>
                  {a.note}
                </td>
                <td>
                  <button
                    className="link"
                    data-testid="anchor-remove"
                    onClick={() => void drop(a.id)}
                    disabled={remove.isPending}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        anchors && <p className="muted small" data-testid="anchors-none">No anchors yet.</p>
      )}
      <form
        className="anchor-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label>
          When (UTC)
          <input
            data-testid="anchor-at"
            placeholder="2026-03-03 or 2026-03-03 14:30"
            value={at}
            onChange={(e) => setAt(e.target.value)}
          />
        </label>
        <label>
          Balance then
          <input
            className="money-input"
            data-testid="anchor-balance"
            inputMode="decimal"
            placeholder="e.g. 1,240"
            value={balance}
            onChange={(e) => setBalance(e.target.value)}
          />
        </label>
        <label>
          Kind
          <select data-testid="anchor-kind" value={kind} onChange={(e) => setKind(e.target.value as AnchorKind)}>
            {ANCHOR_KINDS.map((k) => (
              <option key={k.kind} value={k.kind} title={k.hint}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        <label className="grow">
          Note
          <input
            data-testid="anchor-note"
            placeholder="where the figure came from (billing page, screenshot)"
            value={note}
            onChange={(e) => setNote(e.target.value)}
          />
        </label>
        <button type="submit" className="primary" data-testid="anchor-add" disabled={add.isPending}>
          {add.isPending ? "Adding…" : "Add anchor"}
        </button>
      </form>
      <p className="muted small">
        {ANCHOR_KINDS.find((k) => k.kind === kind)?.hint}. A day alone means its last second (every entry of that day
        counts before it).
      </p>
      {inputErr && (
        <div className="sev-error small" data-testid="anchor-input-error">
          {inputErr}
        </div>
      )}
      {err && <ErrorBlock error={err} onDismiss={() => setErr(null)} />}
    </div>
  );
}
