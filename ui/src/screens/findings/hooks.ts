//! The Findings screen's state, by concern: the filter, the selection (with shift-click
//! ranges), the finding open in the side panel, and the changes (one finding or many at once,
//! with the bulk change waiting for its confirmation and the notice after it).

import { useState } from "react";
import type { FindingView } from "../../bindings/FindingView";
import { type ApiError, toApiError } from "../../lib/errors";
import { DEFAULT_FILTER, type FindingFilter, NO_SELECTION, type Selection, toggleRows } from "../../lib/findings";
import { useExplainFindings, useMarkExplained, useReopenFindings, useUnmarkExplained } from "../../queries";

/** A bulk change waiting for its confirmation (and, to explain, its note). */
export interface Bulk {
  mode: "explain" | "reopen";
  ids: string[];
  /** What the ids are, for the confirmation line: "selected findings", "unknown_type findings". */
  what: string;
}

export function plural(n: number, one: string, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

export function useFindingsFilter() {
  const [filter, setFilterState] = useState<FindingFilter>(DEFAULT_FILTER);
  const change = (c: Partial<FindingFilter>) => setFilterState((f) => ({ ...f, ...c }));
  return { filter, change };
}

/** The findings ticked in the table; a shift-click ticks the loaded rows from the last one. */
export function useFindingsSelection(row: (index: number) => FindingView | undefined) {
  const [selection, setSelection] = useState<Selection>(NO_SELECTION);
  const [anchor, setAnchor] = useState<number | null>(null);
  return {
    selection,
    toggle: (index: number, shift: boolean) => {
      setSelection((s) => toggleRows(s, row, index, anchor, shift));
      setAnchor(index);
    },
    /** Every finding shown (or none). */
    selectAllShown: (on: boolean) => {
      setSelection(on ? { all: true, marked: new Map() } : NO_SELECTION);
      setAnchor(null);
    },
    /** Row indices moved (the filter changed): a shift-click range starts afresh. */
    forgetAnchor: () => setAnchor(null),
    clear: () => {
      setSelection(NO_SELECTION);
      setAnchor(null);
    },
  };
}

/**
 * The finding open in the side panel, and whether its note is being written: the loaded row of
 * its ID (current after a change), else the row as it was clicked. `initialId` (a notification
 * opened) shows once its row is loaded.
 */
export function useActiveFinding(find: (match: (f: FindingView) => boolean) => FindingView | null, initialId: string | null = null) {
  const [picked, setPicked] = useState<{ id: string; row: FindingView | null } | null>(
    initialId ? { id: initialId, row: null } : null,
  );
  const [explaining, setExplaining] = useState(false);
  const activeId = picked?.id ?? null;
  return {
    activeId,
    active: picked ? (find((f) => f.id === picked.id) ?? picked.row) : null,
    explaining,
    setExplaining,
    open: (f: FindingView) => {
      if (f.id !== activeId) setExplaining(false);
      setPicked({ id: f.id, row: f });
    },
    explain: (f: FindingView) => {
      setPicked({ id: f.id, row: f });
      setExplaining(true);
    },
    close: () => {
      setPicked(null);
      setExplaining(false);
    },
  };
}

/** Explaining and reopening, one finding or many; the last failure, and the notice after a bulk change. */
export function useFindingsChanges(chainId: number, onBulkDone: () => void) {
  const markExplained = useMarkExplained(chainId);
  const unmarkExplained = useUnmarkExplained(chainId);
  const explainMany = useExplainFindings(chainId);
  const reopenMany = useReopenFindings(chainId);
  const [bulk, setBulk] = useState<Bulk | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const act = async (f: () => Promise<unknown>) => {
    try {
      await f();
      setError(null);
      return true;
    } catch (e) {
      setError(toApiError(e));
      return false;
    }
  };

  const runBulk = async (b: Bulk, note: string) => {
    let n = 0;
    const ok = await act(async () => {
      n = b.mode === "explain"
        ? await explainMany.mutateAsync({ findingIds: b.ids, note })
        : await reopenMany.mutateAsync(b.ids);
    });
    if (ok) {
      setBulk(null);
      onBulkDone();
      setNotice(b.mode === "explain" ? `Marked ${plural(n, "finding")} as explained.` : `Reopened ${plural(n, "finding")}.`);
    }
  };

  return {
    explainOne: (id: string, note: string) => act(() => markExplained.mutateAsync({ findingId: id, note })),
    reopenOne: (id: string) => act(() => unmarkExplained.mutateAsync(id)),
    bulk,
    setBulk,
    runBulk,
    notice,
    dismissNotice: () => setNotice(null),
    error,
    dismissError: () => setError(null),
    busy: explainMany.isPending || reopenMany.isPending || unmarkExplained.isPending,
  };
}
