//! The UI's data layer: every read of the shell is a TanStack Query hook with a key from `keys`,
//! and every command that changes stored data is a mutation that invalidates exactly the keys
//! whose answers it can change. Screens never call `api` for reads themselves.
//!
//! Keys are hierarchical, so one prefix reaches everything below it:
//!
//!     ["chains"]                                         list_chains
//!     ["chains", "page", q, page]                        chains_page (one page of the Ledgers table)
//!     ["chain", id, "facets"]                            facets
//!     ["chain", id, "ledger", "totals", q]               ledger_totals
//!     ["chain", id, "ledger", "page", q, page]           ledger_page (one SQL page of rows)
//!     ["chain", id, "findings"]                          findings
//!     ["chain", id, "series", maxPoints]                 balance_series
//!     ["chain", id, "anchors"]                           list_anchors
//!     ["chain", id, "entry", entryId]                    entry_detail
//!     ["connections"]                                    list_connections
//!     ["vendors"]                                        list_vendors (fixed for a build)
//!     ["about"]                                          about (fixed for a build)
//!
//! The shell's data changes only through this app's own commands, so answers never go stale
//! by themselves (`staleTime: Infinity`); the mutations below are what marks them stale. The
//! exception: a scheduled sync, after which the shell's `scheduled-sync` event marks what a
//! sync changes stale (`hooks/useWatch.ts`), and the connections' schedules, read every 5 s.

import {
  QueryClient,
  type QueryKey,
  useMutation,
  useQueries,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { api } from "./api";
import { toApiError } from "./lib/errors";
import type { AnchorKind } from "./bindings/AnchorKind";
import type { Audience } from "./bindings/Audience";
import type { ChainView } from "./bindings/ChainView";
import type { ChainsQuery } from "./bindings/ChainsQuery";
import type { ExportFormat } from "./bindings/ExportFormat";
import type { ImportProgressEvent } from "./bindings/ImportProgressEvent";
import type { ConnectRequest } from "./bindings/ConnectRequest";
import type { SyncProgressEvent } from "./bindings/SyncProgressEvent";
import type { LedgerQuery } from "./bindings/LedgerQuery";
import type { ProfileView } from "./bindings/ProfileView";
import { queryKey } from "./lib/filters";
import { PAGE_SIZE } from "./lib/pageCache";

export const keys = {
  chains: ["chains"] as const,
  /** Everything stored about one chain. */
  chain: (chainId: number) => ["chain", chainId] as const,
  facets: (chainId: number) => ["chain", chainId, "facets"] as const,
  /** Totals and pages of one chain, any query. */
  ledger: (chainId: number) => ["chain", chainId, "ledger"] as const,
  totals: (q: LedgerQuery) => ["chain", q.chainId, "ledger", "totals", queryKey(q)] as const,
  /** Pages of one chain, any query. */
  pages: (chainId: number) => ["chain", chainId, "ledger", "page"] as const,
  page: (q: LedgerQuery, page: number) => ["chain", q.chainId, "ledger", "page", queryKey(q), page] as const,
  findings: (chainId: number) => ["chain", chainId, "findings"] as const,
  series: (chainId: number) => ["chain", chainId, "series"] as const,
  seriesOf: (chainId: number, maxPoints: number) => ["chain", chainId, "series", maxPoints] as const,
  anchors: (chainId: number) => ["chain", chainId, "anchors"] as const,
  /** A ledger's threshold, runway and check history (chain_watch): stale with anything of the chain. */
  watch: (chainId: number) => ["chain", chainId, "watch"] as const,
  entries: (chainId: number) => ["chain", chainId, "entry"] as const,
  entry: (chainId: number, entryId: number) => ["chain", chainId, "entry", entryId] as const,
  connections: ["connections"] as const,
  /** The saved mapping profiles (list_profiles). */
  profiles: ["profiles"] as const,
  vendors: ["vendors"] as const,
  about: ["about"] as const,
};

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Only our own mutations change the shell's data, and they invalidate what they change.
        staleTime: Infinity,
        refetchOnWindowFocus: false,
        refetchOnReconnect: false,
        // A failing command fails the same way again; the screens offer "Retry".
        retry: false,
      },
      mutations: { retry: false },
    },
  });
}

// ---- reads ----

export function useChains() {
  return useQuery({ queryKey: keys.chains, queryFn: api.listChains });
}

/** One page of the Ledgers table: under `["chains"]`, so whatever changes the chains marks it stale. */
export function chainsPageQuery(query: ChainsQuery, page: number) {
  return {
    queryKey: [...keys.chains, "page", query.sort, query.withFindings, query.search, page] as const,
    queryFn: () => api.chainsPage(query, page * PAGE_SIZE, PAGE_SIZE),
    gcTime: PAGE_GC_MS,
  };
}

export function useFacets(chainId: number) {
  return useQuery({ queryKey: keys.facets(chainId), queryFn: () => api.facets(chainId) });
}

export function useLedgerTotals(query: LedgerQuery) {
  return useQuery({ queryKey: keys.totals(query), queryFn: () => api.ledgerTotals(query) });
}

export function useFindings(chainId: number) {
  return useQuery({ queryKey: keys.findings(chainId), queryFn: () => api.findings(chainId) });
}

export function useBalanceSeries(chainId: number, maxPoints: number) {
  return useQuery({
    queryKey: keys.seriesOf(chainId, maxPoints),
    queryFn: () => api.balanceSeries(chainId, maxPoints, null, null),
  });
}

export function useAnchors(chainId: number) {
  return useQuery({ queryKey: keys.anchors(chainId), queryFn: () => api.listAnchors(chainId) });
}

export function entryDetailQuery(chainId: number, entryId: number) {
  return { queryKey: keys.entry(chainId, entryId), queryFn: () => api.entryDetail(entryId) };
}

export function useEntryDetail(chainId: number, entryId: number) {
  return useQuery(entryDetailQuery(chainId, entryId));
}

/** Several entries at once (the entries a finding or chart mark names). */
export function useEntryDetails(chainId: number, entryIds: readonly number[]) {
  return useQueries({
    queries: entryIds.map((id) => entryDetailQuery(chainId, id)),
    combine: (results) => ({
      rows: results.every((r) => r.data) ? results.map((r) => r.data!.row) : [],
      error: results.find((r) => r.error)?.error ?? null,
      retry: () => results.forEach((r) => r.error && void r.refetch()),
    }),
  });
}

/**
 * SQL pages of one query's rows (`ledger_page`, `PAGE_SIZE` rows each), one query per page.
 * A page no table shows any more is dropped from memory after `PAGE_GC_MS`, which bounds what
 * a long scroll through a big ledger keeps.
 */
export const PAGE_GC_MS = 30_000;

export function pageQuery(query: LedgerQuery, page: number) {
  return {
    queryKey: keys.page(query, page),
    queryFn: () => api.ledgerPage(query, page * PAGE_SIZE, PAGE_SIZE),
    gcTime: PAGE_GC_MS,
  };
}

// ---- changes ----

type Invalidate = (queryKey: QueryKey) => Promise<void>;

/** The keys each change invalidates (each a prefix: everything below it goes stale). */
export const invalidatedBy = {
  /** An import may add entries to any chain, or add chains. */
  import: (): QueryKey[] => [keys.chains, ["chain"]],
  /** A sync is an import through an API: it may add entries and chains, and set a stated balance. */
  sync: (): QueryKey[] => [keys.chains, ["chain"]],
  /** "Connect account…" keeps a connection; no ledger changes. */
  connect: (): QueryKey[] => [keys.connections],
  /**
   * A finding explained or reopened, or the stated balance set (a head mismatch may come or
   * go): the chain list's counts, that chain's findings, chart marks, row severities (pages)
   * and entry details. Facets and totals do not depend on findings.
   */
  findings: (chainId: number): QueryKey[] => [
    keys.chains,
    keys.findings(chainId),
    keys.series(chainId),
    keys.pages(chainId),
    keys.entries(chainId),
  ],
  /**
   * An anchor added or removed: the check runs again, so everything a finding touches goes
   * stale, and the anchor list and the chart (its rebuilt line and its anchor marks).
   */
  anchors: (chainId: number): QueryKey[] => [...invalidatedBy.findings(chainId), keys.anchors(chainId)],
};

function invalidateAll(qc: QueryClient, list: QueryKey[]) {
  const one: Invalidate = (queryKey) => qc.invalidateQueries({ queryKey });
  return Promise.all(list.map(one));
}

function useInvalidate() {
  const qc = useQueryClient();
  return (list: QueryKey[]) => invalidateAll(qc, list);
}

/** The demo, or files into `account` (where their source names none; blank: the default). */
export type ImportSource = { demo: true } | { paths: string[]; account?: string };

/**
 * A long job of the shell (an import, a sync): one at a time, progress events over a channel,
 * cancelled by its own command. `start` runs it; while it runs, `progress` is its latest event.
 * Everything `invalidates` names goes stale when it ends, also when it fails or is cancelled
 * part way (a cancelled sync keeps what it stored).
 */
export function useJob<A, E, R>(
  run: (arg: A, onProgress: (e: E) => void) => Promise<R>,
  invalidates: () => QueryKey[],
) {
  const invalidate = useInvalidate();
  const [progress, setProgress] = useState<E | null>(null);
  const mutation = useMutation({
    mutationFn: (arg: A) => run(arg, setProgress),
    onSettled: () => invalidate(invalidates()),
  });
  const { mutateAsync, reset } = mutation;
  const start = useCallback(
    (arg: A) => {
      setProgress(null);
      reset();
      return mutateAsync(arg);
    },
    [mutateAsync, reset],
  );
  return {
    running: mutation.isPending,
    progress: mutation.isPending ? progress : null,
    outcome: mutation.data ?? null,
    error: mutation.error ? toApiError(mutation.error) : null,
    start,
    reset,
  };
}

export type Job<A, E, R> = ReturnType<typeof useJob<A, E, R>>;

/** Import files or open the demo. An import may add entries or chains anywhere. */
export function useImport() {
  return useJob(
    (source: ImportSource, onProgress: (e: ImportProgressEvent) => void) =>
      "demo" in source
        ? api.openDemo(onProgress)
        : api.importFiles(source.paths, source.account?.trim() || null, onProgress),
    invalidatedBy.import,
  );
}

/** The saved mapping profiles' names (files in the config directory). */
export function useProfiles() {
  return useQuery({ queryKey: keys.profiles, queryFn: api.listProfiles });
}

/** Saves a mapping profile by name; the list of names may change. */
export function useSaveProfile() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ name, profile }: { name: string; profile: ProfileView }) => api.saveProfile(name, profile),
    onSuccess: () => invalidate([keys.profiles]),
  });
}

/** Imports files with a saved profile: like any import, it may add entries or chains anywhere. */
export function useImportWithProfile() {
  return useJob(
    (source: { paths: string[]; name: string; account?: string }, onProgress: (e: ImportProgressEvent) => void) =>
      api.importWithProfile(source.paths, source.name, source.account?.trim() || null, onProgress),
    invalidatedBy.import,
  );
}

/** "Match with...": two accounts matched entry to entry; one-sided entries become findings. */
export function useMatchAccounts() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ account, other, toleranceSeconds }: { account: string; other: string; toleranceSeconds: number | null }) =>
      api.matchAccounts(account, other, toleranceSeconds),
    onSettled: () => invalidate(invalidatedBy.import()),
  });
}

/** The API accounts the app syncs (never with keys). */
/** The vendors the app syncs from (the engine's table); no mutation changes them. */
export function useVendors() {
  return useQuery({ queryKey: keys.vendors, queryFn: api.listVendors });
}

/** Their schedules move on by themselves (scheduled syncs): read again every few seconds. */
export function useConnections() {
  return useQuery({ queryKey: keys.connections, queryFn: api.listConnections, refetchInterval: 5_000 });
}

/** How often a connection syncs on its own (seconds; 0: only when asked). */
export function useSetSyncPeriod() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ connectionId, periodSecs }: { connectionId: number; periodSecs: number }) =>
      api.setSyncPeriod(connectionId, periodSecs),
    onSuccess: () => invalidate([keys.connections]),
  });
}

/** "Connect account…": the key goes to the OS keyring (or this session's memory). */
export function useConnectAccount() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (request: ConnectRequest) => api.connectAccount(request),
    onSuccess: () => invalidate(invalidatedBy.connect()),
  });
}

/** "Sync now" of a connection: a job like an import. */
export function useSyncNow() {
  return useJob(
    (connectionId: number, onProgress: (e: SyncProgressEvent) => void) => api.syncNow(connectionId, onProgress),
    invalidatedBy.sync,
  );
}

/** The About panel: the app's name and version. */
export function useAbout() {
  return useQuery({ queryKey: keys.about, queryFn: api.about });
}

/** The database file the app has open (shared with the CLI by default). */
export function useDatabasePath() {
  return useQuery({ queryKey: ["database"], queryFn: api.databasePath });
}

/** "Open database...": every query is of the old database, so all of them are dropped. */
export function useOpenDatabase() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (path: string) => api.openDatabase(path),
    onSuccess: () => qc.resetQueries(),
  });
}

export function useMarkExplained(chainId: number) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ findingId, note }: { findingId: string; note: string }) => api.markExplained(findingId, note),
    onSuccess: () => invalidate(invalidatedBy.findings(chainId)),
  });
}

export function useUnmarkExplained(chainId: number) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (findingId: string) => api.unmarkExplained(findingId),
    onSuccess: () => invalidate(invalidatedBy.findings(chainId)),
  });
}

/**
 * Many findings explained with one note (a selection, or every open finding of a kind):
 * resolves to how many were marked. Invalidates what explaining one does.
 */
export function explainFindingsMutation(qc: QueryClient, chainId: number) {
  return {
    mutationFn: ({ findingIds, note }: { findingIds: string[]; note: string }) =>
      api.explainFindings(findingIds, note),
    onSuccess: () => invalidateAll(qc, invalidatedBy.findings(chainId)),
  };
}

/** Many explained findings reopened: resolves to how many had a note. */
export function reopenFindingsMutation(qc: QueryClient, chainId: number) {
  return {
    mutationFn: (findingIds: string[]) => api.reopenFindings(findingIds),
    onSuccess: () => invalidateAll(qc, invalidatedBy.findings(chainId)),
  };
}

export function useExplainFindings(chainId: number) {
  return useMutation(explainFindingsMutation(useQueryClient(), chainId));
}

export function useReopenFindings(chainId: number) {
  return useMutation(reopenFindingsMutation(useQueryClient(), chainId));
}

/**
 * The balance the vendor's page states: the chain comes back updated, and a head mismatch
 * finding may appear or go. Entries, facets and totals do not change.
 */
export function useSetStatedBalance(chainId: number) {
  const qc = useQueryClient();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (value: string | null) => api.setStatedBalance(chainId, value),
    onSuccess: (updated) => {
      qc.setQueryData<ChainView[]>(keys.chains, (list) => list?.map((c) => (c.id === updated.id ? updated : c)));
      return invalidate(invalidatedBy.findings(chainId));
    },
  });
}

export function useChainWatch(chainId: number) {
  return useQuery({ queryKey: keys.watch(chainId), queryFn: () => api.chainWatch(chainId) });
}

/** "Alert me below 500" set (or, with `null`, cleared); compared with the balance at once. */
export function useSetLowBalance(chainId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (threshold: string | null) => api.setLowBalance(chainId, threshold),
    onSuccess: (updated) => qc.setQueryData(keys.watch(chainId), updated),
  });
}

/** "On 3 March the page said 1,240": an anchor added by hand; the check runs again. */
export function useAddAnchor(chainId: number) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (a: { at: string; balance: string; kind: AnchorKind; note: string }) =>
      api.addAnchor({ chainId, ...a }),
    onSuccess: () => invalidate(invalidatedBy.anchors(chainId)),
  });
}

export function useRemoveAnchor(chainId: number) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (anchorId: number) => api.removeAnchor(anchorId),
    onSuccess: () => invalidate(invalidatedBy.anchors(chainId)),
  });
}

// ---- commands that change no stored data (nothing to invalidate) ----

export function useDraftReport(chainId: number) {
  return useMutation({
    mutationFn: ({ findingIds, audience }: { findingIds: string[]; audience: Audience }) =>
      api.draftReport(chainId, findingIds, audience),
  });
}

export function useExportLedger() {
  return useMutation({
    mutationFn: (a: { query: LedgerQuery; format: ExportFormat; local: boolean; path: string }) =>
      api.exportLedger(a.query, a.format, a.local, a.path),
  });
}

export function useSaveText() {
  return useMutation({
    mutationFn: ({ path, content }: { path: string; content: string }) => api.saveText(path, content),
  });
}
