import { describe, expect, it } from "vitest";
import type { CheckRunView } from "../bindings/CheckRunView";
import { runSummary, thresholdState } from "./watch";

const run = (over: Partial<CheckRunView>): CheckRunView => ({
  id: 1,
  at: "2026-12-05T10:00:00Z",
  lastAt: "2026-12-05T10:00:00Z",
  runs: 1,
  first: false,
  entries: 10,
  errors: 0,
  warnings: 0,
  explained: 0,
  balance: null,
  newCount: 0,
  resolvedCount: 0,
  explainedCount: 0,
  changes: [],
  ...over,
});

describe("watch panel words", () => {
  it("says what a check changed", () => {
    expect(runSummary(run({ first: true, newCount: 1200 }), "en-US")).toBe("First check: 1,200 findings");
    expect(runSummary(run({ first: true, newCount: 1 }), "en-US")).toBe("First check: 1 finding");
    expect(runSummary(run({ newCount: 2, resolvedCount: 1, explainedCount: 3 }), "en-US")).toBe(
      "2 new, 1 resolved, 3 explained",
    );
    expect(runSummary(run({ resolvedCount: 1 }), "en-US")).toBe("1 resolved");
    expect(runSummary(run({ runs: 5 }), "en-US")).toBe("No change (5 checks)");
    expect(runSummary(run({}), "en-US")).toBe("No change");
  });
  it("places the balance against its threshold", () => {
    expect(thresholdState({ threshold: null, belowSince: null })).toBe("none");
    expect(thresholdState({ threshold: "500", belowSince: null })).toBe("above");
    expect(thresholdState({ threshold: "500", belowSince: "2026-12-05T10:00:00Z" })).toBe("below");
  });
});
