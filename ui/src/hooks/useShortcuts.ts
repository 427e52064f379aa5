//! The window's keyboard shortcuts (lib/shortcuts.ts): `?` for the list, `g` then a letter for a
//! screen, `/` for search, `j`/`k` for the next or previous finding. Keys typed into a field are
//! left alone. Finding steps reach the Findings screen as a window event (`STEP_FINDING`).

import { useEffect, useRef } from "react";
import type { Screen } from "../App";
import { isTyping, resolveKey } from "../lib/shortcuts";

/** The event `j`/`k` send; `detail` is +1 or -1. */
export const STEP_FINDING = "reckon:step-finding";

export function useShortcuts(go: (s: Screen) => void, toggleHelp: () => void, closeHelp: () => void) {
  const pending = useRef<string | null>(null);
  const handlers = useRef({ go, toggleHelp, closeHelp });
  useEffect(() => {
    handlers.current = { go, toggleHelp, closeHelp };
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      const action = resolveKey(e.key, pending.current);
      pending.current = action === "pending" ? e.key : null;
      if (!action || action === "pending") return;
      const h = handlers.current;
      e.preventDefault();
      if ("go" in action) {
        h.go(action.go);
        return;
      }
      switch (action.do) {
        case "help":
          h.toggleHelp();
          break;
        case "close":
          h.closeHelp();
          break;
        case "search":
          h.go("ledger");
          // After the Ledger renders its filter bar.
          setTimeout(() => document.querySelector<HTMLInputElement>("[data-shortcut='search']")?.focus(), 0);
          break;
        case "next-finding":
        case "previous-finding":
          window.dispatchEvent(new CustomEvent(STEP_FINDING, { detail: action.do === "next-finding" ? 1 : -1 }));
          break;
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}
