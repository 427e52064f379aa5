//! One window: a left nav of five screens, the chain in view, the import that may be running,
//! and the jumps between screens (a finding or a chart mark opens the Ledger on its entries).

import { useCallback, useEffect, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import type { ChainView } from "./bindings/ChainView";
import type { ImportOutcomeView } from "./bindings/ImportOutcomeView";
import type { ImportProgressEvent } from "./bindings/ImportProgressEvent";
import { ApiError, inTauri, toApiError } from "./lib/errors";
import { dayOf } from "./lib/dates";
import { EMPTY_FILTERS, type LedgerFilters } from "./lib/filters";
import { pickImportFiles } from "./lib/dialogs";
import { api } from "./api";
import { entryDetailQuery, type ImportSource, keys, useChains, useImport } from "./queries";
import { ErrorBlock } from "./components/common";
import { LedgersScreen } from "./screens/Ledgers";
import { LedgerScreen } from "./screens/Ledger";
import { ChartScreen } from "./screens/Chart";
import { FindingsScreen } from "./screens/Findings";
import { ReportScreen } from "./screens/Report";

export type Screen = "ledgers" | "ledger" | "chart" | "findings" | "report";

/** Entries to bring into view on the Ledger (from a finding or a chart mark). */
export interface Focus {
  seq: number;
  label: string;
  entryIds: number[];
  txnIds: string[];
}

export interface ImportState {
  running: boolean;
  progress: ImportProgressEvent | null;
  outcome: ImportOutcomeView | null;
  error: ApiError | null;
}

const NAV: { id: Screen; label: string }[] = [
  { id: "ledgers", label: "Ledgers" },
  { id: "ledger", label: "Ledger" },
  { id: "chart", label: "Balance chart" },
  { id: "findings", label: "Findings" },
  { id: "report", label: "Report" },
];

/** At most this many entries of a jump are looked up to narrow the ledger to them. */
const FOCUS_MAX = 50;

export function App() {
  const qc = useQueryClient();
  const [screen, setScreen] = useState<Screen>("ledgers");
  const chainsQuery = useChains();
  const [chainsErrorDismissed, setChainsErrorDismissed] = useState<unknown>(null);
  const [pickedChainId, setChainId] = useState<number | null>(null);
  const [filters, setFilters] = useState<LedgerFilters>(EMPTY_FILTERS);
  const [utc, setUtc] = useState(true);
  const [focus, setFocus] = useState<Focus | null>(null);
  const [progress, setProgress] = useState<ImportProgressEvent | null>(null);
  const [dropError, setDropError] = useState<ApiError | null>(null);
  const [dragging, setDragging] = useState(false);
  const focusSeq = useRef(0);

  const chains: ChainView[] | null = chainsQuery.data ?? (chainsQuery.error ? [] : null);
  const chainsError =
    chainsQuery.error && chainsQuery.error !== chainsErrorDismissed ? toApiError(chainsQuery.error) : null;
  // The chain in view: the one picked while it exists, else the first.
  const chainId =
    pickedChainId !== null && chains?.some((c) => c.id === pickedChainId) ? pickedChainId : (chains?.[0]?.id ?? null);

  const importer = useImport(setProgress);
  const importAsync = importer.mutateAsync;
  const imp: ImportState = {
    running: importer.isPending,
    progress: importer.isPending ? progress : null,
    outcome: importer.data ?? null,
    error: dropError ?? (importer.error ? toApiError(importer.error) : null),
  };
  const dismissImport = () => {
    importer.reset();
    setDropError(null);
  };

  const runImport = useCallback(
    async (source: ImportSource) => {
      setScreen("ledgers");
      setProgress(null);
      setDropError(null);
      const before = new Set((qc.getQueryData<ChainView[]>(keys.chains) ?? []).map((c) => c.id));
      try {
        await importAsync(source);
      } catch {
        // Shown from the mutation's error.
      }
      // The mutation has invalidated and refetched the chains: show the chain it created.
      const created = qc.getQueryData<ChainView[]>(keys.chains)?.find((c) => !before.has(c.id));
      if (created) setChainId(created.id);
    },
    [qc, importAsync],
  );

  const importViaDialog = useCallback(async (e2ePath: string) => {
    const paths = await pickImportFiles(e2ePath);
    if (paths && paths.length) await runImport({ paths });
  }, [runImport]);

  const cancelImport = useCallback(async () => {
    try {
      await api.cancelImport();
    } catch (e) {
      setDropError(toApiError(e));
    }
  }, []);

  // Files dropped anywhere on the window are imported. The listener is set up once and reads
  // the latest import function and running state through refs.
  const runImportRef = useRef(runImport);
  const runningRef = useRef(false);
  useEffect(() => {
    runImportRef.current = runImport;
    runningRef.current = importer.isPending;
  });
  useEffect(() => {
    if (!inTauri()) return;
    let unlisten: (() => void) | null = null;
    let gone = false;
    getCurrentWebview()
      .onDragDropEvent((ev) => {
        const p = ev.payload;
        if (p.type === "enter" || p.type === "over") setDragging(true);
        else if (p.type === "leave") setDragging(false);
        else if (p.type === "drop") {
          setDragging(false);
          const paths = p.paths.filter((x) => /\.(csv|json)$/i.test(x));
          if (paths.length && !runningRef.current) void runImportRef.current({ paths });
          else if (p.paths.length && !paths.length)
            setDropError(
              new ApiError("bad_input", `Only .csv and .json ledger exports can be imported:\n${p.paths.join("\n")}`),
            );
        }
      })
      .then((u) => {
        if (gone) u();
        else unlisten = u;
      })
      .catch(() => {});
    return () => {
      gone = true;
      unlisten?.();
    };
  }, []);

  const jumpToEntries = useCallback(
    (label: string, entryIds: number[], txnIds: string[]) => {
      const unique = [...new Set(txnIds)];
      setFilters({ ...EMPTY_FILTERS, search: unique.length === 1 ? unique[0] : "" });
      focusSeq.current += 1;
      const seq = focusSeq.current;
      setFocus({ seq, label, entryIds, txnIds: unique });
      setScreen("ledger");
      if (chainId === null || entryIds.length === 0) return;
      // Narrow the ledger to the entries. One transaction: search its ID. Several: no single
      // ID prefix finds them all, so narrow to the days they span. (A failed lookup shows on
      // the Ledger, which asks for the same entries.)
      Promise.all(entryIds.slice(0, FOCUS_MAX).map((id) => qc.fetchQuery(entryDetailQuery(chainId, id)))).then(
        (details) => {
          if (focusSeq.current !== seq) return;
          const rows = details.map((d) => d.row);
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
        () => {},
      );
    },
    [chainId, qc, utc],
  );

  const chain = chains?.find((c) => c.id === chainId) ?? null;

  let body: JSX.Element;
  if (screen === "ledgers") {
    body = (
      <LedgersScreen
        chains={chains}
        selectedId={chainId}
        imp={imp}
        onImport={importViaDialog}
        onDemo={() => void runImport({ demo: true })}
        onCancel={cancelImport}
        onDismissOutcome={dismissImport}
        onOpen={(id) => {
          setChainId(id);
          setScreen("ledger");
        }}
      />
    );
  } else if (!chain) {
    body = <NoChain onGo={() => setScreen("ledgers")} />;
  } else if (screen === "ledger") {
    body = (
      <LedgerScreen
        chain={chain}
        filters={filters}
        setFilters={setFilters}
        utc={utc}
        setUtc={setUtc}
        focus={focus}
        clearFocus={() => setFocus(null)}
      />
    );
  } else if (screen === "chart") {
    body = <ChartScreen chain={chain} utc={utc} onJump={jumpToEntries} />;
  } else if (screen === "findings") {
    body = <FindingsScreen key={chain.id} chain={chain} onJump={jumpToEntries} />;
  } else {
    body = <ReportScreen key={chain.id} chain={chain} />;
  }

  return (
    <div className="app">
      <nav className="nav" aria-label="Screens">
        <div className="brand">Reckon</div>
        {NAV.map((n) => (
          <button
            key={n.id}
            className={`nav-btn ${screen === n.id ? "active" : ""}`}
            data-testid={`nav-${n.id}`}
            aria-current={screen === n.id ? "page" : undefined}
            onClick={() => setScreen(n.id)}
          >
            {n.label}
            {n.id === "findings" && chain && chain.errors + chain.warnings > 0 && (
              <span className={`badge ${chain.errors ? "badge-error" : "badge-warning"}`}>{chain.errors + chain.warnings}</span>
            )}
          </button>
        ))}
        <div className="nav-spacer" />
        {chains && chains.length > 0 && (
          <label className="chain-pick">
            <span className="muted small">Ledger in view</span>
            <select
              data-testid="chain-select"
              value={chainId ?? ""}
              onChange={(e) => setChainId(Number(e.target.value))}
            >
              {chains.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.account} · {c.currency}
                </option>
              ))}
            </select>
          </label>
        )}
        {imp.running && (
          <div className="nav-import small muted" data-testid="nav-import-running">
            Importing…
          </div>
        )}
      </nav>
      <main className="main">
        {chainsError && <ErrorBlock error={chainsError} onDismiss={() => setChainsErrorDismissed(chainsQuery.error)} />}
        {body}
      </main>
      {dragging && (
        <div className="drop-overlay" data-testid="drop-overlay">
          <div>Drop CSV or JSON ledger exports to import them</div>
        </div>
      )}
    </div>
  );
}

function NoChain({ onGo }: { onGo: () => void }) {
  return (
    <div className="empty">
      <h2>No ledger yet</h2>
      <p>Import a CSV/JSON export or open the demo ledger first.</p>
      <button className="primary" onClick={onGo}>
        Go to Ledgers
      </button>
    </div>
  );
}
