//! Numbers and dates for people, in the user's locale. Money stays the exact decimal string the
//! shell sends: the locale's group and decimal separators are put into its digits, it is never
//! parsed to a float (an amount past 2^53 keeps every digit). Counts and dates go through Intl.
//! Every function takes the locale; `appLocale()` is the one the app runs in (the webview's
//! language, or the user's choice in Settings).

import { usableLanguage } from "./locale";

/** How a locale writes numbers, read once from Intl. */
export interface NumberSymbols {
  group: string;
  decimal: string;
  /** Size of the group next to the decimal point (3), and of the ones before it (3; en-IN 2). */
  primary: number;
  secondary: number;
  /** Whether a 4-digit integer is grouped ("1,234" in en-US, "1234" in es-ES). */
  groupFour: boolean;
}

const symbolsCache = new Map<string, NumberSymbols>();

export function numberSymbols(locale: string): NumberSymbols {
  const cached = symbolsCache.get(locale);
  if (cached) return cached;
  const fmt = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const parts = fmt.formatToParts(1234567890.5);
  const ints = parts.filter((p) => p.type === "integer").map((p) => p.value);
  const group = parts.find((p) => p.type === "group")?.value ?? "";
  const decimal = parts.find((p) => p.type === "decimal")?.value ?? ".";
  const primary = ints.length > 1 ? ints[ints.length - 1].length : 3;
  const secondary = ints.length > 2 ? ints[ints.length - 2].length : primary;
  const groupFour = fmt.formatToParts(1234).some((p) => p.type === "group");
  const symbols = { group, decimal, primary, secondary, groupFour };
  symbolsCache.set(locale, symbols);
  return symbols;
}

/** Puts the locale's group separator into a run of digits ("1234567" -> "1,234,567"). */
export function groupDigits(digits: string, locale: string): string {
  const s = numberSymbols(locale);
  if (!s.group || digits.length <= s.primary || (digits.length === 4 && !s.groupFour && s.primary === 3)) {
    return digits;
  }
  const out: string[] = [digits.slice(-s.primary)];
  let rest = digits.slice(0, -s.primary);
  while (rest.length > s.secondary) {
    out.unshift(rest.slice(-s.secondary));
    rest = rest.slice(0, -s.secondary);
  }
  if (rest) out.unshift(rest);
  return out.join(s.group);
}

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;
const MINUS = "\u2212";

export interface DecimalFormat {
  /** Put "+" in front of a positive amount (amount columns); balances leave it off. */
  plus?: boolean;
}

/**
 * An exact decimal string ("-1234567.891234") in `locale`: groups put in, the decimal point the
 * locale's, a true minus sign, every digit kept (no rounding). Text that is not a decimal is
 * returned unchanged.
 */
export function formatDecimal(amount: string, locale: string, opts: DecimalFormat = {}): string {
  const m = DECIMAL.exec(amount.trim());
  if (!m) return amount;
  const intDigits = m[2].replace(/^0+(?=\d)/, "");
  const frac = m[3];
  const body = groupDigits(intDigits, locale) + (frac !== undefined ? numberSymbols(locale).decimal + frac : "");
  const zero = /^0*$/.test(intDigits + (frac ?? ""));
  if (zero) return body;
  if (m[1] === "-") return MINUS + body;
  return opts.plus ? "+" + body : body;
}

/** A count of things (entries, findings, pages): whole, grouped in `locale`. */
export function formatCount(n: number | bigint, locale: string): string {
  if (typeof n === "number" && !Number.isFinite(n)) return String(n);
  return formatDecimal(typeof n === "bigint" ? n.toString() : Math.trunc(n).toString(), locale);
}

export interface DateFormat {
  /** Show the instant in UTC (the default) or in the user's zone. */
  utc: boolean;
  /** Leave out the seconds. */
  minutes?: boolean;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(locale: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = locale + JSON.stringify(opts);
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, opts);
    dateFormats.set(key, f);
  }
  return f;
}

/** A date and time ("12/05/2026, 07:15:43" in en-US, "05.12.2026, 07:15:43" in de-DE). */
export function formatDateTime(ts: string | Date, locale: string, opts: DateFormat): string {
  const d = typeof ts === "string" ? new Date(ts) : ts;
  if (Number.isNaN(d.getTime())) return String(ts);
  return dateFormat(locale, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    ...(opts.minutes ? {} : { second: "2-digit" }),
    hourCycle: "h23",
    ...(opts.utc ? { timeZone: "UTC" } : {}),
  }).format(d);
}

/** A calendar day ("12/05/2026" in en-US, "05/12/2026" in fr-FR). */
export function formatDate(ts: string | Date, locale: string, opts: DateFormat): string {
  const d = typeof ts === "string" ? new Date(ts) : ts;
  if (Number.isNaN(d.getTime())) return String(ts);
  return dateFormat(locale, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    ...(opts.utc ? { timeZone: "UTC" } : {}),
  }).format(d);
}

let current = usableLanguage(typeof navigator !== "undefined" ? navigator.language : undefined);

/** The locale the app formats in. */
export function appLocale(): string {
  return current;
}

/** Sets the locale the app formats in (Settings); an unusable tag falls back to en-US. */
export function setAppLocale(tag: string | undefined): string {
  current = usableLanguage(tag);
  return current;
}
