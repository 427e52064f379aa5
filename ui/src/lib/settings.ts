//! The person's settings, kept in the webview's localStorage so they outlive a restart: times in
//! UTC or in their own zone, the locale numbers and dates are written in (the system's unless
//! chosen), and whether the first-run tour was dismissed for good. Read and written through a
//! tiny store so every screen sees a change at once (`useSettings` in hooks/).

import { setAppLocale } from "./format";

export interface Settings {
  /** Show times in UTC (the default: what exports and vendors' pages use), else in the local zone. */
  utc: boolean;
  /** A BCP 47 tag ("de-DE"), or null for the system's. */
  locale: string | null;
  /** The first-run tour was dismissed for good. */
  tourDone: boolean;
}

export const DEFAULT_SETTINGS: Settings = { utc: true, locale: null, tourDone: false };

const KEY = "reckon.settings";

/** Settings read from stored text; anything missing or malformed takes its default. */
export function parseSettings(text: string | null): Settings {
  if (!text) return DEFAULT_SETTINGS;
  try {
    const v = JSON.parse(text) as Partial<Record<keyof Settings, unknown>>;
    return {
      utc: typeof v.utc === "boolean" ? v.utc : DEFAULT_SETTINGS.utc,
      locale: typeof v.locale === "string" && v.locale ? v.locale : null,
      tourDone: v.tourDone === true,
    };
  } catch {
    return DEFAULT_SETTINGS;
  }
}

function storage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

let current: Settings = parseSettings(storage()?.getItem(KEY) ?? null);
setAppLocale(current.locale ?? (typeof navigator !== "undefined" ? navigator.language : undefined));
const listeners = new Set<() => void>();

export function getSettings(): Settings {
  return current;
}

/** Changes some settings, keeps them, and tells every subscriber. */
export function updateSettings(change: Partial<Settings>): Settings {
  current = { ...current, ...change };
  if ("locale" in change) {
    setAppLocale(current.locale ?? (typeof navigator !== "undefined" ? navigator.language : undefined));
  }
  storage()?.setItem(KEY, JSON.stringify(current));
  listeners.forEach((l) => l());
  return current;
}

export function subscribeSettings(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Locales offered in Settings besides the system's (any tag Intl knows works). */
export const LOCALES: { tag: string; name: string }[] = [
  { tag: "en-US", name: "English (US): 1,234.56" },
  { tag: "en-GB", name: "English (UK): 1,234.56" },
  { tag: "de-DE", name: "Deutsch: 1.234,56" },
  { tag: "fr-FR", name: "Français: 1 234,56" },
  { tag: "es-ES", name: "Español: 12.345,67" },
  { tag: "de-CH", name: "Deutsch (Schweiz): 1’234.56" },
  { tag: "en-IN", name: "English (India): 12,34,567.89" },
  { tag: "ja-JP", name: "日本語: 1,234.56" },
];
