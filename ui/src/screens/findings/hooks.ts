//! The Findings screen's state, by concern: the filter, the selection (with shift-click
//! ranges), the finding open in the side panel, and the changes (one finding or many at once,
//! with the bulk change waiting for its confirmation and the notice after it).

import { useMemo, useState } from "react";
import type { FindingView } from "../../bindings/FindingView";
import { type ApiError, toApiError } from "../../lib/errors";
import { DEFAULT_FILTER, type FindingFilter, splitSelection, toggleSelection } from "../../lib/findings";
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

/** The findings ticked among those `shown`; a shift-click ticks the range from the last one. */
export function useFindingsSelection(shown: FindingView[]) {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [anchor, setAnchor] = useState<number | null>(null);
  const sel = useMemo(() => splitSelection(shown, selected), [shown, selected]);
  return {
    selected,
    /** The selected open and explained findings among those shown. */
    sel,
    allShownSelected: shown.length > 0 && sel.open.length + sel.explained.length === shown.length,
    toggle: (index: number, shift: boolean) => {
      setSelected((s) => toggleSelection(s, shown, index, anchor, shift));
      setAnchor(index);
    },
    selectAllShown: (on: boolean) => {
      setSelected(on ? new Set(shown.map((f) => f.id)) : new Set());
      setAnchor(null);
    },
    /** Row indices moved (the filter changed): a shift-click range starts afresh. */
    forgetAnchor: () => setAnchor(null),
    clear: () => {
      setSelected(new Set());
      setAnchor(null);
    },
  };
}

/** The finding open in the side panel, and whether its note is being written. */
export function useActiveFinding(all: FindingView[] | undefined) {
  const [activeId, setActiveId] = useState<string | null>(null);
  const [explaining, setExplaining] = useState(false);
  return {
    activeId,
    active: activeId !== null ? (all?.find((f) => f.id === activeId) ?? null) : null,
    explaining,
    setExplaining,
    open: (f: FindingView) => {
      if (f.id !== activeId) setExplaining(false);
      setActiveId(f.id);
    },
    explain: (f: FindingView) => {
      setActiveId(f.id);
      setExplaining(true);
    },
    close: () => {
      setActiveId(null);
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
