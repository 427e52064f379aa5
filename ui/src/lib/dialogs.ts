//! Native dialogs, with the e2e override. A dialog that is unavailable or dismissed gives null,
//! and the caller then does nothing.

import { open, save } from "@tauri-apps/plugin-dialog";
import { e2eEnabled } from "./e2e";

/** Files to import; under the e2e hook, the path typed into `import-path` if there is one. */
export async function pickImportFiles(e2ePath = ""): Promise<string[] | null> {
  if (e2eEnabled() && e2ePath.trim()) return [e2ePath.trim()];
  try {
    const picked = await open({
      multiple: true,
      directory: false,
      title: "Import ledger exports",
      filters: [{ name: "Ledger exports", extensions: ["csv", "json"] }],
    });
    if (!picked) return null;
    return Array.isArray(picked) ? picked : [picked];
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
    return (await save({ defaultPath: defaultName, filters: [filter] })) ?? null;
  } catch {
    return null;
  }
}

/** A database file to open, or to create by naming a new one. */
export async function pickDatabase(): Promise<string | null> {
  try {
    const picked = await save({
      title: "Open or create a Reckon database",
      defaultPath: "reckon.db",
      filters: [{ name: "Reckon database", extensions: ["db", "sqlite"] }],
    });
    return picked ?? null;
  } catch {
    return null;
  }
}
