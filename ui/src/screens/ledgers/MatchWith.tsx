//! "Match with…" on the Ledgers screen: pairs the entries of two accounts that describe the
//! same money (`match_accounts`, the engine's `reckon match`); each entry left without a
//! counterpart, either way, becomes an `unmatched_across_sources` finding naming both
//! accounts, shown in Findings after the check the match runs.

import { useState } from "react";
import type { ChainView } from "../../bindings/ChainView";
import { ErrorBlock } from "../../components/common";
import { toApiError } from "../../lib/errors";
import { useMatchAccounts } from "../../queries";

export function MatchWith({ chains }: { chains: ChainView[] }) {
  const accounts = [...new Set(chains.map((c) => c.account))].sort();
  const [account, setAccount] = useState("");
  const [other, setOther] = useState("");
  const [tolerance, setTolerance] = useState("300");
  const [message, setMessage] = useState<string | null>(null);
  const match = useMatchAccounts();
  if (accounts.length < 2) return null;
  const a = account || accounts[0];
  const b = other || accounts.find((x) => x !== a) || "";
  const seconds = tolerance.trim() === "" ? null : Number(tolerance);
  const badTolerance = seconds !== null && (!Number.isInteger(seconds) || seconds < 0);

  const run = () => {
    setMessage(null);
    match.mutate(
      { account: a, other: b, toleranceSeconds: seconds },
      {
        onSuccess: (o) =>
          setMessage(
            `${o.pairs} pairs (${o.pairsById} by ID); ${o.onlyInAccount} only in ${o.account}, ${o.onlyInWith} only in ${o.with}: see Findings (unmatched_across_sources).`,
          ),
      },
    );
  };

  return (
    <div className="panel match-with" data-testid="match-with">
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          run();
        }}
      >
        <b>Match</b>{" "}
        <select aria-label="Account" data-testid="match-account" value={a} onChange={(e) => setAccount(e.target.value)}>
          {accounts.map((x) => (
            <option key={x}>{x}</option>
          ))}
        </select>{" "}
        with{" "}
        <select aria-label="Other account" data-testid="match-other" value={b} onChange={(e) => setOther(e.target.value)}>
          {accounts
            .filter((x) => x !== a)
            .map((x) => (
              <option key={x}>{x}</option>
            ))}
        </select>{" "}
        within{" "}
        <input
          className="money-input"
          aria-label="Tolerance in seconds"
          data-testid="match-tolerance"
          inputMode="numeric"
          value={tolerance}
          onChange={(e) => setTolerance(e.target.value)}
        />{" "}
        s{" "}
        <button type="submit" data-testid="match-run" disabled={match.isPending || badTolerance || !b}>
          Match with…
        </button>
      </form>
      {badTolerance && <div className="sev-error small">The tolerance is a whole number of seconds.</div>}
      {message && (
        <p className="small" data-testid="match-message">
          {message}
        </p>
      )}
      {match.error && <ErrorBlock error={toApiError(match.error, "match_accounts")} onDismiss={() => match.reset()} />}
    </div>
  );
}
