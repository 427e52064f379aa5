//! One window: a left nav of five screens, the chain in view, the import that may be running,
//! and the jumps between screens (a finding or a chart mark opens the Ledger on its entries).

import { useCallback, useEffect, useRef, useState } from "react";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { api } from "./api";
import type { ChainView } from "./bindings/ChainView";
import type { ImportOutcomeView } from "./bindings/ImportOutcomeView";
import type { ImportProgressEvent } from "./bindings/ImportProgressEvent";
import { ApiError, inTauri, toApiError } from "./lib/errors";
import { EMPTY_FILTERS, type LedgerFilters } from "./lib/filters";
import { pickImportFiles } from "./lib/dialogs";
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

export function App() {
  const [screen, setScreen] = useState<Screen>("ledgers");
  const [chains, setChains] = useState<ChainView[] | null>(null);
  const [chainsError, setChainsError] = useState<ApiError | null>(null);
  const [chainId, setChainId] = useState<number | null>(null);
  const [filters, setFilters] = useState<LedgerFilters>(EMPTY_FILTERS);
  const [utc, setUtc] = useState(true);
  const [focus, setFocus] = useState<Focus | null>(null);
  const [tick, setTick] = useState(0); // bumped when data changed (import, explain, stated balance)
  const [imp, setImp] = useState<ImportState>({ running: false, progress: null, outcome: null, error: null });
  const [dragging, setDragging] = useState(false);
  const focusSeq = useRef(0);

  const refreshChains = useCallback(async () => {
    try {
      const list = await api.listChains();
      setChains(list);
      setChainsError(null);
      setChainId((cur) => (cur !== null && list.some((c) => c.id === cur) ? cur : (list[0]?.id ?? null)));
      return list;
    } catch (e) {
      setChainsError(toApiError(e));
      setChains((c) => c ?? []);
      return null;
    }
  }, []);

  useEffect(() => {
    void refreshChains();
  }, [refreshChains]);

  const dataChanged = useCallback(() => {
    setTick((t) => t + 1);
    void refreshChains();
  }, [refreshChains]);

  const runImport = useCallback(
    async (source: { demo: true } | { paths: string[] }) => {
      setScreen("ledgers");
      setImp({ running: true, progress: null, outcome: null, error: null });
      const onProgress = (p: ImportProgressEvent) => setImp((s) => ({ ...s, progress: p }));
      try {
        const outcome = "demo" in source ? await api.openDemo(onProgress) : await api.importFiles(source.paths, onProgress);
        setImp({ running: false, progress: null, outcome, error: null });
      } catch (e) {
        setImp({ running: false, progress: null, outcome: null, error: toApiError(e) });
      }
      setTick((t) => t + 1);
      const before = new Set((chains ?? []).map((c) => c.id));
      const list = await refreshChains();
      // Show the chain an import just created.
      const created = list?.find((c) => !before.has(c.id));
      if (created) setChainId(created.id);
    },
    [chains, refreshChains],
  );

  const importViaDialog = useCallback(async () => {
    const paths = await pickImportFiles();
    if (paths && paths.length) await runImport({ paths });
  }, [runImport]);

  const cancelImport = useCallback(async () => {
    try {
      await api.cancelImport();
    } catch (e) {
      setImp((s) => ({ ...s, error: toApiError(e) }));
    }
  }, []);

  // Files dropped anywhere on the window are imported.
  const runImportRef = useRef(runImport);
  runImportRef.current = runImport;
  const runningRef = useRef(false);
  runningRef.current = imp.running;
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
            setImp({
              running: false,
              progress: null,
              outcome: null,
              error: new ApiError("bad_input", `Only .csv and .json ledger exports can be imported:\n${p.paths.join("\n")}`),
            });
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

  const jumpToEntries = useCallback((label: string, entryIds: number[], txnIds: string[]) => {
    const unique = [...new Set(txnIds)];
    setFilters({ ...EMPTY_FILTERS, search: unique.length === 1 ? unique[0] : "" });
    focusSeq.current += 1;
    setFocus({ seq: focusSeq.current, label, entryIds, txnIds: unique });
    setScreen("ledger");
  }, []);

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
        onDismissOutcome={() => setImp((s) => ({ ...s, outcome: null, error: null }))}
        onOpen={(id) => {
          setChainId(id);
          setScreen("ledger");
        }}
        onChainUpdated={(c) => {
          setChains((list) => list?.map((x) => (x.id === c.id ? c : x)) ?? [c]);
          setTick((t) => t + 1);
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
        tick={tick}
      />
    );
  } else if (screen === "chart") {
    body = <ChartScreen chain={chain} utc={utc} tick={tick} onJump={jumpToEntries} />;
  } else if (screen === "findings") {
    body = <FindingsScreen chain={chain} tick={tick} onChanged={dataChanged} onJump={jumpToEntries} />;
  } else {
    body = <ReportScreen chain={chain} tick={tick} />;
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
        {chainsError && <ErrorBlock error={chainsError} onDismiss={() => setChainsError(null)} />}
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
