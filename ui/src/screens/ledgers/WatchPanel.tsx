//! The selected ledger's watch: "alert me below" (its low-balance threshold, compared at each
//! check and scheduled sync), the runway at the last 30 days' net burn, and the history of its
//! checks (what was new, resolved, explained, with the transaction IDs).

import { useState } from "react";
import type { ChainView } from "../../bindings/ChainView";
import type { CheckRunView } from "../../bindings/CheckRunView";
import { ErrorBlock, Money } from "../../components/common";
import { toApiError } from "../../lib/errors";
import { appLocale, formatCount, formatDate, formatDateTime } from "../../lib/format";
import { normalizeMoneyInput } from "../../lib/money";
import { runSummary, thresholdState } from "../../lib/watch";
import { useChainWatch, useSetLowBalance } from "../../queries";

export function WatchPanel({ chain, utc = true }: { chain: ChainView; utc?: boolean }) {
  const watch = useChainWatch(chain.id);
  const setLow = useSetLowBalance(chain.id);
  const [text, setText] = useState<string | null>(null);
  const locale = appLocale();
  if (watch.error) return <ErrorBlock error={toApiError(watch.error)} onDismiss={() => void watch.refetch()} />;
  const w = watch.data;
  if (!w) return <p className="muted small">Loading the ledger's watch…</p>;
  const shown = text ?? w.threshold ?? "";
  const normalized = shown.trim() === "" ? null : normalizeMoneyInput(shown);
  const state = thresholdState(w);
  const save = () => {
    if (shown.trim() !== "" && normalized === null) return;
    setLow.mutate(normalized, { onSuccess: () => setText(null) });
  };
  return (
    <div className="panel watch" data-testid="watch-panel" data-chain-id={chain.id}>
      <h2>
        Keeping watch: {chain.account} · {chain.currency}
      </h2>
      <div className="row-between">
        <label className="small">
          Alert me below{" "}
          <input
            data-testid="watch-threshold"
            value={shown}
            placeholder="e.g. 500"
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => e.key === "Enter" && save()}
          />
        </label>
        <span>
          <button data-testid="watch-threshold-save" onClick={save} disabled={setLow.isPending}>
            Save
          </button>{" "}
          {w.threshold !== null && (
            <button data-testid="watch-threshold-clear" onClick={() => setLow.mutate(null, { onSuccess: () => setText(null) })}>
              Clear
            </button>
          )}
        </span>
      </div>
      {shown.trim() !== "" && normalized === null && (
        <p className="sev-error small">"{shown}" is not an amount: write it as 500 or 1,250.50.</p>
      )}
      {setLow.error && <ErrorBlock error={toApiError(setLow.error)} onDismiss={() => setLow.reset()} />}
      <p data-testid="watch-threshold-state" data-state={state} className={state === "below" ? "sev-error" : "muted small"}>
        {state === "none" && "No low-balance alert set."}
        {state === "above" && (
          <>
            The balance (<Money value={w.balance} />) is at or above <Money value={w.threshold} />.
          </>
        )}
        {state === "below" && (
          <>
            Below the threshold: the balance is <Money value={w.balance} />, under <Money value={w.threshold} />, since{" "}
            {formatDateTime(w.belowSince!, locale, { utc })}.
          </>
        )}
      </p>
      <p data-testid="watch-runway" data-state={w.runway?.state ?? "unknown"}>
        <strong>Runway: </strong>
        {w.runway === null
          ? "unknown (the ledger states no balance and has no anchor to rebuild one)."
          : w.runway.runsOutAt
            ? `${w.runway.sentence.replace(/ on \d{4}-\d{2}-\d{2}\.$/, "")} on ${formatDate(w.runway.runsOutAt, locale, { utc: true })}.`
            : w.runway.sentence}
      </p>
      <h3>Checks</h3>
      {w.history.length === 0 ? (
        <p className="muted small" data-testid="watch-history-empty">
          No check kept yet: the next import, sync or change checks this ledger.
        </p>
      ) : (
        <table className="grid watch-history" data-testid="watch-history">
          <thead>
            <tr>
              <th>When ({utc ? "UTC" : "local"})</th>
              <th>What changed</th>
              <th className="num">Open errors</th>
              <th className="num">Open warnings</th>
              <th className="num">Balance</th>
            </tr>
          </thead>
          <tbody>
            {w.history.map((run) => (
              <RunRow key={run.id} run={run} utc={utc} locale={locale} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function RunRow({ run, utc, locale }: { run: CheckRunView; utc: boolean; locale: string }) {
  const [open, setOpen] = useState(false);
  const when =
    run.runs > 1
      ? `${formatDateTime(run.at, locale, { utc })} – ${formatDateTime(run.lastAt, locale, { utc })}`
      : formatDateTime(run.at, locale, { utc });
  return (
    <>
      <tr data-testid="watch-run" data-new={run.newCount} data-resolved={run.resolvedCount} data-explained={run.explainedCount}>
        <td className="nowrap">{when}</td>
        <td>
          {runSummary(run, locale)}{" "}
          {run.changes.length > 0 && (
            <button className="link small" data-testid="watch-run-toggle" onClick={() => setOpen(!open)}>
              {open ? "hide" : "show"}
            </button>
          )}
        </td>
        <td className={`num ${run.errors ? "sev-error" : "muted"}`}>{formatCount(run.errors, locale)}</td>
        <td className={`num ${run.warnings ? "sev-warning" : "muted"}`}>{formatCount(run.warnings, locale)}</td>
        <td className="num">
          <Money value={run.balance} />
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={5}>
            <ul className="small watch-changes" data-testid="watch-changes">
              {run.changes.map((c) => (
                <li key={`${c.change}:${c.findingId}`} data-change={c.change} data-finding-id={c.findingId}>
                  <span className={`tag ${c.change}`}>{c.change}</span> {c.kind.replace(/_/g, " ")}
                  {c.delta && <> (off by {c.delta})</>} {c.transactionIds.join(", ")}
                </li>
              ))}
              {run.changes.length < run.newCount + run.resolvedCount + run.explainedCount && (
                <li className="muted">… the first {run.changes.length} listed; `reckon history` lists them all.</li>
              )}
            </ul>
          </td>
        </tr>
      )}
    </>
  );
}
