//! The app's keyboard shortcuts, one table: what the `?` overlay lists and what the window's key
//! handler (`hooks/useShortcuts.ts`) does. Screens are reached with `g` then a letter (as in
//! GitHub and Gmail); keys are ignored while typing in a field.

export type ShortcutAction =
  | { go: "ledgers" | "ledger" | "chart" | "findings" | "report" | "mapping" }
  | { do: "help" | "search" | "next-finding" | "previous-finding" | "close" };

export interface Shortcut {
  /** As typed: "g f" is g then f. */
  keys: string;
  what: string;
  action: ShortcutAction;
}

export const SHORTCUTS: Shortcut[] = [
  { keys: "?", what: "Show or hide this list", action: { do: "help" } },
  { keys: "g l", what: "Go to Ledgers", action: { go: "ledgers" } },
  { keys: "g e", what: "Go to the Ledger (entries)", action: { go: "ledger" } },
  { keys: "g c", what: "Go to the Balance chart", action: { go: "chart" } },
  { keys: "g f", what: "Go to Findings", action: { go: "findings" } },
  { keys: "g r", what: "Go to Report", action: { go: "report" } },
  { keys: "g m", what: "Go to Mapping profile", action: { go: "mapping" } },
  { keys: "/", what: "Search (the Ledger's transaction ID search)", action: { do: "search" } },
  { keys: "j", what: "Findings: open the next finding", action: { do: "next-finding" } },
  { keys: "k", what: "Findings: open the previous finding", action: { do: "previous-finding" } },
  { keys: "Esc", what: "Close a panel or this list", action: { do: "close" } },
];

/** Keys a screen handles itself, listed with the rest. */
export const SCREEN_KEYS: { keys: string; what: string }[] = [
  { keys: "↑ ↓ PgUp PgDn Home End", what: "Ledger: move through the entries" },
  { keys: "Enter", what: "Ledger: open the entry picked" },
  { keys: "Shift+click", what: "Findings: tick a range of findings" },
  { keys: "Drag / double-click", what: "Balance chart: zoom in / see the whole ledger" },
];

/**
 * What a key does given the key before it (`pending`: "g" after a g): the shortcut's action,
 * "pending" when it starts a sequence, or null.
 */
export function resolveKey(key: string, pending: string | null): ShortcutAction | "pending" | null {
  const typed = key === "Escape" ? "Esc" : key;
  if (pending) {
    const hit = SHORTCUTS.find((s) => s.keys === `${pending} ${typed}`);
    return hit ? hit.action : null;
  }
  if (SHORTCUTS.some((s) => s.keys.startsWith(`${typed} `))) return "pending";
  return SHORTCUTS.find((s) => s.keys === typed)?.action ?? null;
}

/** Whether a key event comes from a place that takes text (shortcuts stay out of its way). */
export function isTyping(target: EventTarget | null): boolean {
  if (!target || typeof (target as HTMLElement).tagName !== "string") return false;
  const el = target as HTMLElement;
  const tag = el.tagName.toLowerCase();
  return tag === "input" || tag === "textarea" || tag === "select" || el.isContentEditable === true;
}
