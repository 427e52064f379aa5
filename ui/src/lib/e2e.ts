//! End-to-end test hook. WebDriver cannot click native dialogs, so when
//! `sessionStorage.getItem('reckon.e2e') === '1'` the screens show a text input
//! (`data-testid="export-path"`) whose value, if non-empty, is used as the destination path for
//! export and "Save as .md" instead of the save dialog, and a second one (`import-path`) whose
//! value is the file "Import…" imports instead of the open dialog. Off by default; a person
//! never sees them. Session storage, not local storage: the flag ends with the window, so a
//! test run can never leave it behind for the next normal launch (local storage persists in
//! the app's WebKit data directory).

export function e2eEnabled(): boolean {
  try {
    return globalThis.sessionStorage?.getItem("reckon.e2e") === "1";
  } catch {
    return false;
  }
}
