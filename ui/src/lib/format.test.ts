import { describe, expect, it } from "vitest";
import { formatCount, formatDate, formatDateTime, formatDecimal, groupDigits, numberSymbols, setAppLocale, appLocale } from "./format";

const NNBSP = "\u202f"; // fr-FR's group separator
const MINUS = "\u2212";

describe("formatDecimal", () => {
  it("puts each locale's separators into the digits", () => {
    expect(formatDecimal("1000001", "en-US")).toBe("1,000,001");
    expect(formatDecimal("1234567.89", "en-US")).toBe("1,234,567.89");
    expect(formatDecimal("1234567.89", "de-DE")).toBe("1.234.567,89");
    expect(formatDecimal("1234567.89", "fr-FR")).toBe(`1${NNBSP}234${NNBSP}567,89`);
    const ch = numberSymbols("de-CH").group; // an apostrophe, ASCII or U+2019 by ICU version
    expect(formatDecimal("1234567.89", "de-CH")).toBe(`1${ch}234${ch}567.89`);
  });
  it("keeps six decimals and trailing zeros exactly as sent", () => {
    expect(formatDecimal("0.000001", "en-US")).toBe("0.000001");
    expect(formatDecimal("1234.500000", "de-DE")).toBe("1.234,500000");
    expect(formatDecimal("1000.10", "fr-FR")).toBe(`1${NNBSP}000,10`);
  });
  it("writes negatives with a true minus and positives with + only when asked", () => {
    expect(formatDecimal("-1234.5", "en-US")).toBe(`${MINUS}1,234.5`);
    expect(formatDecimal("-1234.5", "de-DE")).toBe(`${MINUS}1.234,5`);
    expect(formatDecimal("-0.35", "fr-FR")).toBe(`${MINUS}0,35`);
    expect(formatDecimal("25", "en-US", { plus: true })).toBe("+25");
    expect(formatDecimal("+25", "en-US")).toBe("25");
    expect(formatDecimal("-0.00", "en-US", { plus: true })).toBe("0.00");
  });
  it("keeps every digit of amounts past 2^53 (never a float)", () => {
    // 2^53 + 1 = 9007199254740993 is not representable as a double.
    expect(formatDecimal("9007199254740993.000001", "en-US")).toBe("9,007,199,254,740,993.000001");
    expect(formatDecimal("-123456789012345678901234567.123456", "de-DE")).toBe(
      `${MINUS}123.456.789.012.345.678.901.234.567,123456`,
    );
  });
  it("drops leading zeros but not the last one, and leaves non-decimals alone", () => {
    expect(formatDecimal("000123", "en-US")).toBe("123");
    expect(formatDecimal("0", "en-US")).toBe("0");
    expect(formatDecimal("n/a", "en-US")).toBe("n/a");
    expect(formatDecimal("1e5", "en-US")).toBe("1e5");
  });
});

describe("groupDigits", () => {
  it("follows a locale's group sizes", () => {
    expect(groupDigits("1234567", "en-IN")).toBe("12,34,567");
    expect(groupDigits("123", "en-US")).toBe("123");
    // Spanish leaves a four-digit number ungrouped, groups five.
    expect(groupDigits("1234", "es-ES")).toBe("1234");
    expect(groupDigits("12345", "es-ES")).toBe("12.345");
    expect(groupDigits("1234", "en-US")).toBe("1,234");
  });
  it("reads the symbols from Intl", () => {
    expect(numberSymbols("de-DE")).toMatchObject({ group: ".", decimal: ",", primary: 3, secondary: 3 });
    expect(numberSymbols("fr-FR").decimal).toBe(",");
  });
});

describe("formatCount", () => {
  it("groups counts", () => {
    expect(formatCount(1000001, "en-US")).toBe("1,000,001");
    expect(formatCount(100000, "de-DE")).toBe("100.000");
    expect(formatCount(2n ** 64n, "en-US")).toBe("18,446,744,073,709,551,616");
    expect(formatCount(-5000, "en-US")).toBe(`${MINUS}5,000`);
    expect(formatCount(7, "fr-FR")).toBe("7");
  });
});

describe("dates", () => {
  const ts = "2026-03-05T23:30:09Z";
  it("formats in UTC in each locale's order", () => {
    expect(formatDateTime(ts, "en-US", { utc: true })).toBe("03/05/2026, 23:30:09");
    expect(formatDateTime(ts, "de-DE", { utc: true })).toBe("05.03.2026, 23:30:09");
    expect(formatDateTime(ts, "fr-FR", { utc: true })).toBe("05/03/2026 23:30:09");
    expect(formatDateTime(ts, "en-US", { utc: true, minutes: true })).toBe("03/05/2026, 23:30");
    expect(formatDate(ts, "de-DE", { utc: true })).toBe("05.03.2026");
  });
  it("formats in the user's zone on request", () => {
    const local = formatDateTime(ts, "en-US", { utc: false });
    const d = new Date(ts);
    const pad = (n: number) => String(n).padStart(2, "0");
    expect(local).toBe(
      `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${d.getFullYear()}, ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`,
    );
  });
  it("returns unparseable text unchanged", () => {
    expect(formatDateTime("yesterday", "en-US", { utc: true })).toBe("yesterday");
  });
});

describe("appLocale", () => {
  it("falls back to en-US for a tag Intl refuses", () => {
    const before = appLocale();
    expect(setAppLocale("C")).toBe("en-US");
    expect(setAppLocale("de-DE")).toBe("de-DE");
    expect(appLocale()).toBe("de-DE");
    setAppLocale(before);
  });
});
