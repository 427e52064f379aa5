//! Money as the shell sends it: decimal strings ("-0.35", "168383.21"). Formatting and the
//! little arithmetic the face needs (a difference for display) are done on the digits, exactly;
//! `parseFloat` is reserved for plotting.

import { appLocale, formatDecimal } from "./format";

export type Sign = "credit" | "debit" | "zero";

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

/** An exact decimal: `units / 10^scale`. */
export interface Decimal {
  units: bigint;
  scale: number;
}

/** Parses a decimal string; returns null for anything that is not one. */
export function parseDecimal(text: string): Decimal | null {
  const m = DECIMAL.exec(text.trim());
  if (!m) return null;
  const frac = m[3] ?? "";
  let units = BigInt(m[2] + frac);
  if (m[1] === "-") units = -units;
  return { units, scale: frac.length };
}

function rescale(d: Decimal, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

export function decimalToString(d: Decimal): string {
  const neg = d.units < 0n;
  const digits = (neg ? -d.units : d.units).toString().padStart(d.scale + 1, "0");
  const int = digits.slice(0, digits.length - d.scale);
  const frac = d.scale > 0 ? "." + digits.slice(digits.length - d.scale) : "";
  return (neg ? "-" : "") + int + frac;
}

/** a - b, exactly, or null if either is not a decimal. */
export function subtractMoney(a: string, b: string): string | null {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  if (!x || !y) return null;
  const scale = Math.max(x.scale, y.scale);
  return decimalToString({ units: rescale(x, scale) - rescale(y, scale), scale });
}

/** Numeric equality of two decimal strings ("1.50" equals "1.5"). */
export function moneyEquals(a: string, b: string): boolean {
  const d = subtractMoney(a, b);
  return d !== null && signOf(d) === "zero";
}

/** Compares |a| with |b| exactly (negative, zero or positive); a non-decimal counts as 0. */
export function compareMagnitude(a: string, b: string): number {
  const x = parseDecimal(a) ?? { units: 0n, scale: 0 };
  const y = parseDecimal(b) ?? { units: 0n, scale: 0 };
  const scale = Math.max(x.scale, y.scale);
  const abs = (v: bigint) => (v < 0n ? -v : v);
  const d = abs(rescale(x, scale)) - abs(rescale(y, scale));
  return d === 0n ? 0 : d > 0n ? 1 : -1;
}

/** Sign classification: credits (+) are shown green, debits plain. */
export function signOf(amount: string): Sign {
  const d = parseDecimal(amount);
  if (!d || d.units === 0n) return "zero";
  return d.units > 0n ? "credit" : "debit";
}

export interface FormatOptions {
  /** Put "+" in front of credits (amount columns); balances leave it off. */
  plus?: boolean;
}

/**
 * Groups thousands in the app's locale (lib/format.ts) and uses a true minus sign; keeps every
 * digit the shell sent (no rounding: a ledger's "0.005" stays "0.005"). Non-decimal text is
 * returned unchanged.
 */
export function formatMoney(amount: string, opts: FormatOptions = {}): string {
  return formatDecimal(amount, appLocale(), opts);
}

/** Normalizes what a person typed ("1,234.50", " 12 ") to a decimal string, or null. */
export function normalizeMoneyInput(text: string): string | null {
  const cleaned = text.replace(/[,\s_]/g, "").replace(/\u2212/g, "-");
  if (cleaned === "") return null;
  const d = parseDecimal(cleaned);
  return d ? decimalToString(d) : null;
}
