import { describe, expect, it } from "vitest";
import { repairNavigatorLanguage, usableLanguage } from "./locale";

describe("usableLanguage", () => {
  it("keeps tags Intl accepts", () => {
    expect(usableLanguage("de-DE")).toBe("de-DE");
    expect(usableLanguage("en")).toBe("en");
  });
  it("replaces the POSIX locale and empty tags", () => {
    expect(usableLanguage("C")).toBe("en-US");
    expect(usableLanguage("")).toBe("en-US");
    expect(usableLanguage(undefined)).toBe("en-US");
  });
  it("shadows an invalid navigator.language so Intl can format with it", () => {
    const nav = { language: "C", languages: ["C"] } as unknown as Navigator;
    Object.defineProperty(nav, "language", { value: "C", configurable: true, writable: false });
    repairNavigatorLanguage(nav);
    expect(nav.language).toBe("en-US");
    expect(nav.languages).toEqual(["en-US"]);
    expect(() => new Intl.NumberFormat(nav.language)).not.toThrow();
  });
});
