import { describe, expect, it } from "vitest";
import { dayOf, formatSpan, formatTs, rangeBounds, toRfc3339 } from "./dates";

const NOW = new Date("2024-05-10T15:30:45.678Z");

describe("rangeBounds", () => {
  it("All sets no bounds", () => {
    expect(rangeBounds({ preset: "all" }, NOW, true)).toEqual({ from: null, to: null });
  });
  it("Last 7 / 30 days count back from now, to the second", () => {
    expect(rangeBounds({ preset: "7d" }, NOW, true)).toEqual({ from: "2024-05-03T15:30:45Z", to: null });
    expect(rangeBounds({ preset: "30d" }, NOW, false)).toEqual({ from: "2024-04-10T15:30:45Z", to: null });
  });
  it("Custom covers whole UTC days, inclusive", () => {
    expect(rangeBounds({ preset: "custom", fromDate: "2024-02-28", toDate: "2024-02-29" }, NOW, true)).toEqual({
      from: "2024-02-28T00:00:00Z",
      to: "2024-02-29T23:59:59Z",
    });
  });
  it("Custom with one side open leaves the other null", () => {
    expect(rangeBounds({ preset: "custom", fromDate: "2024-01-01", toDate: "" }, NOW, true)).toEqual({
      from: "2024-01-01T00:00:00Z",
      to: null,
    });
    expect(rangeBounds({ preset: "custom", fromDate: "bogus" }, NOW, true)).toEqual({ from: null, to: null });
  });
  it("Custom in local time converts local midnight to UTC", () => {
    const b = rangeBounds({ preset: "custom", fromDate: "2024-03-01", toDate: "2024-03-01" }, NOW, false);
    expect(b.from).toBe(toRfc3339(new Date(2024, 2, 1, 0, 0, 0)));
    expect(b.to).toBe(toRfc3339(new Date(2024, 2, 1, 23, 59, 59)));
  });
});

describe("formatting", () => {
  it("formats UTC times without the T and Z", () => {
    expect(formatTs("2024-05-01T03:04:05Z", true)).toBe("2024-05-01 03:04:05");
  });
  it("formats local times through the Date's local fields", () => {
    const d = new Date("2024-05-01T03:04:05Z");
    const p = (n: number) => String(n).padStart(2, "0");
    expect(formatTs("2024-05-01T03:04:05Z", false)).toBe(
      `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`,
    );
  });
  it("leaves unparseable times as they are", () => {
    expect(formatTs("yesterday", true)).toBe("yesterday");
  });
  it("gives days and spans", () => {
    expect(dayOf("2024-12-31T23:59:59Z", true)).toBe("2024-12-31");
    expect(formatSpan("2024-01-02T00:00:00Z", "2024-05-01T10:00:00Z")).toBe("2024-01-02 – 2024-05-01");
    expect(formatSpan(null, null)).toBe("—");
  });
});
