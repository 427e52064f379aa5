//! Native dialogs, opened by the shell (which then lets the webview read or write only the
//! files picked there), with the e2e override. They go through `api` like every other command;
//! a dialog that is unavailable or dismissed gives null, and the caller then does nothing.

import { api } from "../api";
import { e2eEnabled } from "./e2e";

/** Files to import; under the e2e hook, the path typed into `import-path` if there is one. */
export async function pickImportFiles(e2ePath = ""): Promise<string[] | null> {
  if (e2eEnabled() && e2ePath.trim()) return [e2ePath.trim()];
  try {
    return await api.pickImportFiles();
  } catch {
    return null;
  }
}

export async function pickSavePath(
  defaultName: string,
  filter: { name: string; extensions: string[] },
  e2ePath: string,
): Promise<string | null> {
  if (e2eEnabled() && e2ePath.trim()) return e2ePath.trim();
  try {
    return await api.pickSavePath(defaultName, filter.name, filter.extensions);
  } catch {
    return null;
  }
}

/** A database file to open, or to create by naming a new one. */
export async function pickDatabase(): Promise<string | null> {
  return pickSavePath("reckon.db", { name: "Reckon database", extensions: ["db", "sqlite"] }, "");
}
