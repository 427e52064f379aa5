import { describe, expect, it } from "vitest";
import { formatMoney, moneyEquals, normalizeMoneyInput, parseDecimal, signOf, subtractMoney } from "./money";

describe("signOf", () => {
  it("classifies credits, debits and zero from the string, exactly", () => {
    expect(signOf("12.50")).toBe("credit");
    expect(signOf("+3")).toBe("credit");
    expect(signOf("-0.35")).toBe("debit");
    expect(signOf("0.00")).toBe("zero");
    expect(signOf("-0.000")).toBe("zero");
    expect(signOf("0.0000000000000000001")).toBe("credit");
    expect(signOf("garbage")).toBe("zero");
  });
});

describe("formatMoney", () => {
  it("groups thousands and keeps every digit sent", () => {
    expect(formatMoney("168383.21")).toBe("168,383.21");
    expect(formatMoney("1234567")).toBe("1,234,567");
    expect(formatMoney("0.005")).toBe("0.005");
    expect(formatMoney("999")).toBe("999");
    expect(formatMoney("1000.10")).toBe("1,000.10");
  });
  it("uses a true minus for debits and + for credits only when asked", () => {
    expect(formatMoney("-0.35")).toBe("\u22120.35");
    expect(formatMoney("-1234.5")).toBe("\u22121,234.5");
    expect(formatMoney("25", { plus: true })).toBe("+25");
    expect(formatMoney("25")).toBe("25");
    expect(formatMoney("0.00", { plus: true })).toBe("0.00");
  });
  it("strips redundant leading zeros but not a lone zero", () => {
    expect(formatMoney("007.5")).toBe("7.5");
    expect(formatMoney("0.5")).toBe("0.5");
  });
  it("returns non-decimal text unchanged", () => {
    expect(formatMoney("n/a")).toBe("n/a");
  });
  it("does not lose precision on huge values (no floats)", () => {
    expect(formatMoney("12345678901234567890.123456789")).toBe("12,345,678,901,234,567,890.123456789");
  });
});

describe("decimal arithmetic", () => {
  it("parses into units and scale", () => {
    expect(parseDecimal("-1.50")).toEqual({ units: -150n, scale: 2 });
    expect(parseDecimal("1e5")).toBeNull();
  });
  it("subtracts exactly across scales", () => {
    expect(subtractMoney("100", "98.5")).toBe("1.5");
    expect(subtractMoney("0.1", "0.3")).toBe("-0.2");
    expect(subtractMoney("168383.21", "168383.56")).toBe("-0.35");
    expect(subtractMoney("x", "1")).toBeNull();
  });
  it("compares numerically", () => {
    expect(moneyEquals("1.50", "1.5")).toBe(true);
    expect(moneyEquals("1.50", "1.51")).toBe(false);
  });
  it("normalizes typed input", () => {
    expect(normalizeMoneyInput(" 1,234.50 ")).toBe("1234.50");
    expect(normalizeMoneyInput("\u221212")).toBe("-12");
    expect(normalizeMoneyInput("")).toBeNull();
    expect(normalizeMoneyInput("12abc")).toBeNull();
  });
});
