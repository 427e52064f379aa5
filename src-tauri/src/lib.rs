//! Reckon's desktop shell: a Tauri 2 window over the `reckon` engine.
//! `commands` holds the IPC commands (thin: DTO in, engine call, DTO out), `dto` the types
//! the UI sees, `state` where the database lives and how commands reach it.
//!
//! *Boundary:* nothing here decides what counts as a finding; that is the engine's job.

pub mod commands;
pub mod dto;
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
    builder.invoke_handler(tauri::generate_handler![
        commands::list_chains,
        commands::import_files,
        commands::open_demo,
        commands::cancel_import,
        commands::ledger_page,
        commands::ledger_totals,
        commands::facets,
        commands::balance_series,
        commands::findings,
        commands::entry_detail,
        commands::mark_explained,
        commands::unmark_explained,
        commands::explain_findings,
        commands::reopen_findings,
        commands::set_stated_balance,
        commands::draft_report,
        commands::export_ledger,
        commands::save_text,
        commands::database_path,
        commands::open_database,
        commands::pick_import_files,
        commands::pick_save_path,
        commands::list_vendors,
        commands::list_connections,
        commands::connect_account,
        commands::sync_now,
        commands::cancel_sync,
    ])
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
        .run(tauri::generate_context!())
        .expect("Reckon could not start its window");
}

#[cfg(test)]
mod tests;
