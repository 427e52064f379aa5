//! Anchors as a person types them: "on 3 March the page said 1,240". The time goes to the
//! shell as `reckon anchor add --at` takes it (UTC); a day alone means the end of that day,
//! so every entry of the day counts before the balance the page showed.

import type { AnchorKind } from "../bindings/AnchorKind";

const DAY = /^(\d{4}-\d{2}-\d{2})$/;
const DAY_MINUTE = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})$/;
const DAY_SECOND = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * What was typed as a time the shell reads (`2026-03-03 23:59:59`, UTC), or null if it is
 * none of: a day (`2026-03-03`: its last second), a day and minute, a day and second, or
 * RFC 3339 with an offset (kept as typed).
 */
export function normalizeAnchorTime(text: string): string | null {
  const t = text.trim();
  let m = DAY.exec(t);
  if (m) return `${m[1]} 23:59:59`;
  m = DAY_MINUTE.exec(t);
  if (m) return `${m[1]} ${m[2]}:00`;
  m = DAY_SECOND.exec(t);
  if (m) return `${m[1]} ${m[2]}`;
  if (WITH_OFFSET.test(t)) return t;
  return null;
}

/** How each kind reads in the list and the form. */
export const ANCHOR_KINDS: { kind: AnchorKind; label: string; hint: string }[] = [
  { kind: "stated", label: "Stated", hint: "a balance the page (or a person) stated: the ledger is checked against it" },
  { kind: "reset", label: "Reset", hint: "the vendor set the balance outright (a package reset): the ledger goes on from it" },
  { kind: "opening", label: "Opening", hint: "the balance the ledger starts from at that time" },
];

export function anchorKindLabel(kind: AnchorKind): string {
  return ANCHOR_KINDS.find((k) => k.kind === kind)?.label ?? kind;
}
