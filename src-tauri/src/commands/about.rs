//! The About panel.

use super::Result;
use crate::dto::AboutView;

/// The app's name and version. The version is the shell crate's own (`CARGO_PKG_VERSION`,
/// inherited from the workspace), which is also what Tauri's `package_info()` reports, as
/// `tauri.conf.json` names no version of its own; reading it here rather than from the
/// `AppHandle` keeps it true under the tests' mock runtime, whose package info is made up.
#[tauri::command]
pub fn about() -> Result<AboutView> {
    Ok(AboutView {
        name: "Reckon".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        tauri_version: tauri::VERSION.to_string(),
    })
}
