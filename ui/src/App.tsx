//! One window: a left nav of six screens (the mapping builder needs no ledger) and the screen in
//! view; the chain in view, the import and the jumps between screens (a finding or a chart mark
//! opens the Ledger on its entries) are hooks (`hooks/`).

import { useCallback, useState } from "react";
import { ErrorBlock } from "./components/common";
import { SettingsPanel, ShortcutsOverlay, Tour } from "./components/Help";
import { AboutPanel } from "./components/About";
import { useChainInView } from "./hooks/useChainInView";
import { useImportFlow } from "./hooks/useImportFlow";
import { useLedgerFocus } from "./hooks/useLedgerFocus";
import { useSettings } from "./hooks/useSettings";
import { useShortcuts } from "./hooks/useShortcuts";
import { e2eEnabled } from "./lib/e2e";
import { useOpenRequest, useWatch } from "./hooks/useWatch";
import { LedgersScreen } from "./screens/Ledgers";
import { LedgerScreen } from "./screens/Ledger";
import { ChartScreen } from "./screens/Chart";
import { FindingsScreen } from "./screens/Findings";
import { ReportScreen } from "./screens/Report";
import { MappingScreen } from "./screens/Mapping";

export type Screen = "ledgers" | "ledger" | "chart" | "findings" | "report" | "mapping";

const NAV: { id: Screen; label: string }[] = [
  { id: "ledgers", label: "Ledgers" },
  { id: "ledger", label: "Ledger" },
  { id: "chart", label: "Balance chart" },
  { id: "findings", label: "Findings" },
  { id: "report", label: "Report" },
  { id: "mapping", label: "Mapping profile" },
];

export function App() {
  const [screen, setScreen] = useState<Screen>("ledgers");
  const [help, setHelp] = useState<"shortcuts" | "settings" | null>(null);
  useShortcuts(
    setScreen,
    () => setHelp((h) => (h === "shortcuts" ? null : "shortcuts")),
    () => setHelp(null),
  );
  // Numbers and dates re-render in a newly chosen locale.
  useSettings();
  const [about, setAbout] = useState(false);
  const closeAbout = useCallback(() => setAbout(false), []);
  const { chains, chainId, chain, setChainId, error: chainsError, dismissError } = useChainInView();
  const showLedgers = useCallback(() => setScreen("ledgers"), []);
  const showLedger = useCallback(() => setScreen("ledger"), []);
  const importer = useImportFlow(showLedgers, setChainId);
  const imp = importer.imp;
  const { filters, setFilters, utc, setUtc, focus, clearFocus, jumpToEntries } = useLedgerFocus(chainId, showLedger);
  // A notification of a scheduled sync's new error opens that finding.
  const opening = useOpenRequest();
  useWatch((f) => {
    setChainId(f.chainId);
    // A low balance has no finding: its ledger's watch (threshold, runway) is on Ledgers.
    if (f.kind === "low_balance") {
      setScreen("ledgers");
      return;
    }
    setScreen("findings");
    opening.open(f);
  });
  const openFinding = opening.request && opening.request.finding.chainId === chain?.id ? opening.request : null;

  let body: JSX.Element;
  if (screen === "ledgers") {
    body = (
      <LedgersScreen
        chains={chains}
        selectedId={chainId}
        utc={utc}
        imp={imp}
        onImport={importer.importViaDialog}
        account={importer.account}
        onAccount={importer.setAccount}
        onDemo={() => void importer.runImport({ demo: true })}
        onCancel={importer.cancel}
        onDismissOutcome={importer.dismiss}
        onOpen={(id) => {
          setChainId(id);
          setScreen("ledger");
        }}
      />
    );
  } else if (screen === "mapping") {
    body = <MappingScreen onImported={showLedgers} />;
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
        clearFocus={clearFocus}
      />
    );
  } else if (screen === "chart") {
    body = <ChartScreen chain={chain} utc={utc} onJump={jumpToEntries} />;
  } else if (screen === "findings") {
    body = (
      <FindingsScreen
        key={`${chain.id}:${openFinding?.seq ?? 0}`}
        chain={chain}
        utc={utc}
        onJump={jumpToEntries}
        openFindingId={openFinding?.finding.findingId ?? null}
      />
    );
  } else {
    body = <ReportScreen key={chain.id} chain={chain} />;
  }

  return (
    <div className="app" data-drop-ready={importer.dropReady ? "1" : "0"}>
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
        <button className="nav-btn muted small" data-testid="nav-settings" onClick={() => setHelp("settings")}>
          Settings
        </button>
        <button className="nav-btn muted small" data-testid="nav-shortcuts" title="Keyboard shortcuts (?)" onClick={() => setHelp("shortcuts")}>
          Keyboard shortcuts <kbd>?</kbd>
        </button>
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
        <button className="nav-btn nav-about muted small" data-testid="nav-about" onClick={() => setAbout(true)}>
          About Reckon
        </button>
      </nav>
      <main className="main">
        {chainsError && <ErrorBlock error={chainsError} onDismiss={dismissError} />}
        {body}
        {help === "shortcuts" && <ShortcutsOverlay onClose={() => setHelp(null)} />}
        {help === "settings" && <SettingsPanel onClose={() => setHelp(null)} />}
        <Tour screen={screen} go={setScreen} active={!!chain && !e2eEnabled()} />
      </main>
      {importer.dragging && (
        <div className="drop-overlay" data-testid="drop-overlay">
          <div>Drop CSV or JSON ledger exports to import them</div>
        </div>
      )}
      {about && <AboutPanel onClose={closeAbout} />}
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
