//! Native dialogs, opened by the shell (which then lets the webview read or write only the
//! files picked there), with the e2e override. A dialog that is unavailable or dismissed gives
//! null, and the caller then does nothing.

import { invoke } from "@tauri-apps/api/core";
import { e2eEnabled } from "./e2e";

/** Files to import; under the e2e hook, the path typed into `import-path` if there is one. */
export async function pickImportFiles(e2ePath = ""): Promise<string[] | null> {
  if (e2eEnabled() && e2ePath.trim()) return [e2ePath.trim()];
  try {
    return await invoke<string[] | null>("pick_import_files");
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
    return await invoke<string | null>("pick_save_path", {
      defaultName,
      filterName: filter.name,
      extensions: filter.extensions,
    });
  } catch {
    return null;
  }
}

/** A database file to open, or to create by naming a new one. */
export async function pickDatabase(): Promise<string | null> {
  return pickSavePath("reckon.db", { name: "Reckon database", extensions: ["db", "sqlite"] }, "");
}
