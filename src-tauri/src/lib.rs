//! Reckon's desktop shell: a Tauri 2 window over the `reckon` engine.
//! `commands` holds the IPC commands, one module per screen (thin: DTO in, engine call, DTO
//! out) and the table that lists them; `dto` the types the UI sees and the conversions into
//! them; `job` the long jobs (import, sync); `state` where the database lives and how
//! commands reach it.
//!
//! *Boundary:* nothing here decides what counts as a finding; that is the engine's job.

pub mod commands;
pub mod dto;
pub mod job;
pub mod state;

use tauri::Runtime;

/// The app's commands and state on any runtime: the real window uses Wry, the fast tests
/// `tauri::test::MockRuntime`. Plugins with native UI (dialogs, clipboard) are added in [`run`].
/// `location` is where the database lives; `None` resolves it at startup to the database the
/// CLI uses too (`$RECKON_DB`, else `reckon/reckon.db` in the platform's data directory).
pub fn builder<R: Runtime>(builder: tauri::Builder<R>, location: Option<state::StoreLocation>) -> tauri::Builder<R> {
    let builder = match location {
        Some(location) => builder.manage(state::AppState::new(location)),
        None => builder.manage(state::AppState::new(state::StoreLocation::resolve())),
    };
    builder.invoke_handler(commands::handler())
}

/// Writes `ui/src/bindings/`'s files into `dir`: the DTOs (ts-rs) and the commands' typed
/// wrappers (`commands.ts`, from the command table).
pub fn export_bindings(dir: &std::path::Path) -> std::io::Result<()> {
    dto::export_bindings(dir).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("commands.ts"), commands::typescript())
}

/// The app's context: `tauri.conf.json` and the built UI (`ui/dist`), embedded at compile time.
/// Its package info (name, version) is what the bundler puts in the .deb and the installers.
pub fn context() -> tauri::Context<tauri::Wry> {
    tauri::generate_context!()
}

/// Starts the desktop app; returns when the last window closes.
pub fn run() {
    builder(tauri::Builder::default(), None)
        // A file dropped on the window is one the user chose: the webview may import it.
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
                use tauri::Manager;
                window.state::<state::AppState>().grant_read(paths.iter().cloned());
            }
        })
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .run(context())
        .expect("Reckon could not start its window");
}

#[cfg(test)]
mod tests;
