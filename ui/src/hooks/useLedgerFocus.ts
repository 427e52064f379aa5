//! The Ledger's filters, time zone and the entries to bring into view, and the jump to them
//! from a finding or a chart mark: one transaction is searched by its ID, several narrow the
//! ledger to the days they span.

import { useCallback, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { dayOf } from "../lib/dates";
import { EMPTY_FILTERS, type LedgerFilters } from "../lib/filters";
import { entryDetailQuery } from "../queries";
import { useSettings } from "./useSettings";

/** Entries to bring into view on the Ledger (from a finding or a chart mark). */
export interface Focus {
  seq: number;
  label: string;
  entryIds: number[];
  txnIds: string[];
}

/** At most this many entries of a jump are looked up to narrow the ledger to them. */
const FOCUS_MAX = 50;

/** `onJump` runs as a jump starts (the window shows the Ledger). */
export function useLedgerFocus(chainId: number | null, onJump: () => void) {
  const qc = useQueryClient();
  const [filters, setFilters] = useState<LedgerFilters>(EMPTY_FILTERS);
  // UTC or the local zone: a setting, kept between runs.
  const [settings, setSettings] = useSettings();
  const utc = settings.utc;
  const setUtc = useCallback((u: boolean) => setSettings({ utc: u }), [setSettings]);
  const [focus, setFocus] = useState<Focus | null>(null);
  const focusSeq = useRef(0);

  const jumpToEntries = useCallback(
    (label: string, entryIds: number[], txnIds: string[]) => {
      const unique = [...new Set(txnIds)];
      setFilters({ ...EMPTY_FILTERS, search: unique.length === 1 ? unique[0] : "" });
      focusSeq.current += 1;
      const seq = focusSeq.current;
      setFocus({ seq, label, entryIds, txnIds: unique });
      onJump();
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
    [chainId, qc, utc, onJump],
  );

  return { filters, setFilters, utc, setUtc, focus, clearFocus: () => setFocus(null), jumpToEntries };
}
