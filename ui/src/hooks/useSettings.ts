//! The person's settings (lib/settings.ts) as React state: every screen re-renders on a change.

import { useSyncExternalStore } from "react";
import { getSettings, type Settings, subscribeSettings, updateSettings } from "../lib/settings";

export function useSettings(): [Settings, (change: Partial<Settings>) => void] {
  const settings = useSyncExternalStore(subscribeSettings, getSettings);
  return [settings, updateSettings];
}
