import { describe, expect, it } from "vitest";
import { chainsQuery, shownLine, SORT_TITLES } from "./chainList";

describe("the Ledgers table's query", () => {
  it("trims the search and keeps the sort and filter", () => {
    expect(chainsQuery("findings", true, "  cust_00 ")).toEqual({ sort: "findings", withFindings: true, search: "cust_00" });
    expect(chainsQuery("account", false, "")).toEqual({ sort: "account", withFindings: false, search: "" });
  });

  it("says how many ledgers are shown with thousands separators", () => {
    expect(shownLine(100000, 100000, "en-US")).toBe("100,000 ledgers");
    expect(shownLine(12345, 100000, "en-US")).toBe("12,345 of 100,000 ledgers");
    expect(shownLine(1, 1, "en-US")).toBe("1 ledger");
    expect(shownLine(0, 2500, "de-DE")).toBe("0 of 2.500 ledgers");
  });

  it("titles every order the shell takes", () => {
    expect(Object.keys(SORT_TITLES).sort()).toEqual(["account", "balance", "entries", "findings"]);
  });
});
