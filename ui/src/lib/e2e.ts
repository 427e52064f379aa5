//! End-to-end test hook. WebDriver cannot click native dialogs, so when
//! `localStorage.getItem('reckon.e2e') === '1'` the screens show a text input
//! (`data-testid="export-path"`) whose value, if non-empty, is used as the destination path for
//! export and "Save as .md" instead of the save dialog, and a second one (`import-path`) whose
//! value is the file "Import…" imports instead of the open dialog. Off by default; a person
//! never sees them.

export function e2eEnabled(): boolean {
  try {
    return globalThis.localStorage?.getItem("reckon.e2e") === "1";
  } catch {
    return false;
  }
}
