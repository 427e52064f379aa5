import { describe, expect, it } from "vitest";
import { appLocale } from "./format";
import { DEFAULT_SETTINGS, getSettings, parseSettings, subscribeSettings, updateSettings } from "./settings";

describe("settings", () => {
  it("read stored text, defaulting what is missing or malformed", () => {
    expect(parseSettings(null)).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings("not json")).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings('{"utc":false,"locale":"de-DE","tourDone":true}')).toEqual({ utc: false, locale: "de-DE", tourDone: true });
    expect(parseSettings('{"utc":"yes","locale":7}')).toEqual(DEFAULT_SETTINGS);
  });
  it("a change reaches subscribers and sets the app's locale", () => {
    let calls = 0;
    const off = subscribeSettings(() => (calls += 1));
    updateSettings({ locale: "fr-FR" });
    expect(appLocale()).toBe("fr-FR");
    expect(getSettings().locale).toBe("fr-FR");
    updateSettings({ locale: null, utc: false });
    expect(getSettings()).toMatchObject({ locale: null, utc: false });
    off();
    updateSettings({ utc: true });
    expect(calls).toBe(2);
  });
});
