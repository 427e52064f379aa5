//! The About panel: which Reckon this is.

use serde::Serialize;
use ts_rs::TS;

/// The app's name and version, as the About panel shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AboutView {
    /// `Reckon`.
    pub name: String,
    /// The workspace's version (`Cargo.toml`), the one `reckon --version`, the .deb and the
    /// installers carry too.
    pub version: String,
    /// The Tauri runtime the shell is built on.
    pub tauri_version: String,
}
