import { describe, expect, it } from "vitest";
import { isTyping, resolveKey, SHORTCUTS } from "./shortcuts";

describe("shortcuts", () => {
  it("go to screens with g then a letter", () => {
    expect(resolveKey("g", null)).toBe("pending");
    expect(resolveKey("f", "g")).toEqual({ go: "findings" });
    expect(resolveKey("l", "g")).toEqual({ go: "ledgers" });
    expect(resolveKey("x", "g")).toBeNull();
  });
  it("single keys", () => {
    expect(resolveKey("?", null)).toEqual({ do: "help" });
    expect(resolveKey("/", null)).toEqual({ do: "search" });
    expect(resolveKey("j", null)).toEqual({ do: "next-finding" });
    expect(resolveKey("k", null)).toEqual({ do: "previous-finding" });
    expect(resolveKey("Escape", null)).toEqual({ do: "close" });
    expect(resolveKey("q", null)).toBeNull();
  });
  it("every listed sequence is reachable and unique", () => {
    const keys = SHORTCUTS.map((s) => s.keys);
    expect(new Set(keys).size).toBe(keys.length);
    for (const s of SHORTCUTS) {
      const parts = s.keys.split(" ");
      const got = parts.length === 2 ? resolveKey(parts[1], parts[0]) : resolveKey(parts[0] === "Esc" ? "Escape" : parts[0], null);
      expect(got).toEqual(s.action);
    }
  });
  it("stays out of fields", () => {
    expect(isTyping({ tagName: "INPUT" } as unknown as EventTarget)).toBe(true);
    expect(isTyping({ tagName: "TEXTAREA" } as unknown as EventTarget)).toBe(true);
    expect(isTyping({ tagName: "DIV", isContentEditable: false } as unknown as EventTarget)).toBe(false);
    expect(isTyping(null)).toBe(false);
  });
});
