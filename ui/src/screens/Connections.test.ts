import { describe, expect, it } from "vitest";
import type { ScheduleView } from "../bindings/ScheduleView";
import { describeSchedule, PERIODS } from "./Connections";

const base: ScheduleView = {
  state: "waiting",
  periodSecs: 900,
  overridden: false,
  nextAt: "2026-03-10T09:15:00Z",
  lastAt: null,
  lastError: null,
};

describe("describeSchedule", () => {
  it("says when the next sync is due, and why the period is not the one picked", () => {
    expect(describeSchedule(base)).toBe("Next sync at 09:15:00 UTC");
    expect(describeSchedule({ ...base, periodSecs: 3, overridden: true })).toBe(
      "Next sync at 09:15:00 UTC (every 3 s, RECKON_SYNC_PERIOD_SECS)",
    );
  });

  it("says paused: offline with the retry time and the reason", () => {
    const text = describeSchedule({ ...base, state: "offline", nextAt: "2026-03-10T09:00:30Z", lastError: "no answer" });
    expect(text).toBe("Paused: offline; trying again at 09:00:30 UTC (last sync failed: no answer)");
  });

  it("names off and a running scheduled sync", () => {
    expect(describeSchedule({ ...base, state: "off", periodSecs: 0, nextAt: null })).toBe("Syncs only when asked");
    expect(describeSchedule({ ...base, state: "syncing", nextAt: null })).toBe("Syncing on schedule…");
  });

  it("offers 15 minutes, the default, and off", () => {
    expect(PERIODS.map((p) => p.secs)).toContain(900);
    expect(PERIODS[0]).toEqual({ secs: 0, label: "only when asked" });
  });
});
