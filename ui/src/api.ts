//! The only place the face talks to the shell: one typed function per command of
//! docs/desktop-contract.md. Every rejection is turned into an ApiError carrying the AppError code.

import { Channel, invoke } from "@tauri-apps/api/core";
import { toApiError } from "./lib/errors";
import type { Audience } from "./bindings/Audience";
import type { BalanceSeries } from "./bindings/BalanceSeries";
import type { ChainView } from "./bindings/ChainView";
import type { EntryDetailView } from "./bindings/EntryDetailView";
import type { ExportFormat } from "./bindings/ExportFormat";
import type { Facets } from "./bindings/Facets";
import type { FindingView } from "./bindings/FindingView";
import type { ImportOutcomeView } from "./bindings/ImportOutcomeView";
import type { ImportProgressEvent } from "./bindings/ImportProgressEvent";
import type { LedgerPage } from "./bindings/LedgerPage";
import type { LedgerQuery } from "./bindings/LedgerQuery";
import type { TotalsView } from "./bindings/TotalsView";
import type { ConnectOutcome } from "./bindings/ConnectOutcome";
import type { ConnectRequest } from "./bindings/ConnectRequest";
import type { ConnectionView } from "./bindings/ConnectionView";
import type { SyncOutcomeView } from "./bindings/SyncOutcomeView";
import type { SyncProgressEvent } from "./bindings/SyncProgressEvent";
import type { VendorView } from "./bindings/VendorView";

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toApiError(e, command);
  }
}

function progressChannel(onProgress: (e: ImportProgressEvent) => void): Channel<ImportProgressEvent> {
  const ch = new Channel<ImportProgressEvent>();
  ch.onmessage = onProgress;
  return ch;
}

export const api = {
  listChains: () => call<ChainView[]>("list_chains"),
  importFiles: (paths: string[], onProgress: (e: ImportProgressEvent) => void) =>
    call<ImportOutcomeView>("import_files", { paths, onProgress: progressChannel(onProgress) }),
  openDemo: (onProgress: (e: ImportProgressEvent) => void) =>
    call<ImportOutcomeView>("open_demo", { onProgress: progressChannel(onProgress) }),
  cancelImport: () => call<null>("cancel_import"),
  ledgerPage: (query: LedgerQuery, offset: number, limit: number) =>
    call<LedgerPage>("ledger_page", { query, offset, limit }),
  ledgerTotals: (query: LedgerQuery) => call<TotalsView>("ledger_totals", { query }),
  facets: (chainId: number) => call<Facets>("facets", { chainId }),
  balanceSeries: (chainId: number, maxPoints: number) =>
    call<BalanceSeries>("balance_series", { chainId, maxPoints }),
  findings: (chainId: number) => call<FindingView[]>("findings", { chainId }),
  entryDetail: (entryId: number) => call<EntryDetailView>("entry_detail", { entryId }),
  markExplained: (findingId: string, note: string) => call<null>("mark_explained", { findingId, note }),
  unmarkExplained: (findingId: string) => call<null>("unmark_explained", { findingId }),
  explainFindings: (findingIds: string[], note: string) => call<number>("explain_findings", { findingIds, note }),
  reopenFindings: (findingIds: string[]) => call<number>("reopen_findings", { findingIds }),
  setStatedBalance: (chainId: number, value: string | null) =>
    call<ChainView>("set_stated_balance", { chainId, value }),
  draftReport: (chainId: number, findingIds: string[], audience: Audience) =>
    call<string>("draft_report", { chainId, findingIds, audience }),
  exportLedger: (query: LedgerQuery, format: ExportFormat, local: boolean, path: string) =>
    call<number>("export_ledger", { query, format, local, path }),
  saveText: (path: string, content: string) => call<null>("save_text", { path, content }),
  databasePath: () => call<string>("database_path"),
  openDatabase: (path: string) => call<string>("open_database", { path }),
  listVendors: () => call<VendorView[]>("list_vendors"),
  listConnections: () => call<ConnectionView[]>("list_connections"),
  connectAccount: (request: ConnectRequest) => call<ConnectOutcome>("connect_account", { request }),
  syncNow: (connectionId: number, onProgress: (e: SyncProgressEvent) => void) => {
    const ch = new Channel<SyncProgressEvent>();
    ch.onmessage = onProgress;
    return call<SyncOutcomeView>("sync_now", { connectionId, onProgress: ch });
  },
  cancelSync: () => call<null>("cancel_sync"),
};
