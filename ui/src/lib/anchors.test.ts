import { describe, expect, it } from "vitest";
import { anchorKindLabel, normalizeAnchorTime } from "./anchors";

describe("normalizeAnchorTime", () => {
  it("reads a day as its last second, UTC", () => {
    expect(normalizeAnchorTime(" 2026-03-03 ")).toBe("2026-03-03 23:59:59");
  });
  it("completes a day and minute, and keeps seconds", () => {
    expect(normalizeAnchorTime("2026-03-03 12:30")).toBe("2026-03-03 12:30:00");
    expect(normalizeAnchorTime("2026-03-03T12:30")).toBe("2026-03-03 12:30:00");
    expect(normalizeAnchorTime("2026-03-03 12:30:05")).toBe("2026-03-03 12:30:05");
  });
  it("keeps RFC 3339 with an offset as typed", () => {
    expect(normalizeAnchorTime("2026-03-03T12:00:00Z")).toBe("2026-03-03T12:00:00Z");
    expect(normalizeAnchorTime("2026-03-03T07:00:00-05:00")).toBe("2026-03-03T07:00:00-05:00");
  });
  it("refuses anything else", () => {
    for (const bad of ["", "3 March", "2026-3-3", "2026-03-03 12", "12:00"]) {
      expect(normalizeAnchorTime(bad)).toBeNull();
    }
  });
});

describe("anchorKindLabel", () => {
  it("names each kind", () => {
    expect(anchorKindLabel("stated")).toBe("Stated");
    expect(anchorKindLabel("reset")).toBe("Reset");
    expect(anchorKindLabel("opening")).toBe("Opening");
  });
});
