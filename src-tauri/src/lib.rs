//! Reckon's desktop shell: a Tauri 2 window over the `reckon` engine.
//! `commands` holds the IPC commands, one module per screen (thin: DTO in, engine call, DTO
//! out) and the table that lists them; `dto` the types the UI sees and the conversions into
//! them; `job` the long jobs (import, sync); `schedule` the scheduled syncs and the
//! notifications they raise; `state` where the database lives and how commands reach it.
//!
//! *Boundary:* nothing here decides what counts as a finding; that is the engine's job.

pub mod commands;
pub mod dto;
pub mod job;
pub mod schedule;
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

/// What the window hears from the shell outside any command: a scheduled sync ran (payload:
/// the connection's id; screens refetch), and a notification asks to open its finding (the
/// window then calls `take_open_finding`).
pub const SCHEDULED_SYNC_EVENT: &str = "scheduled-sync";
pub const OPEN_FINDING_EVENT: &str = "open-finding";

/// Starts the desktop app; returns when the last window closes.
pub fn run() {
    use tauri::{Emitter, Manager};
    use tauri_plugin_notification::NotificationExt;
    builder(tauri::Builder::default(), None)
        .on_window_event(|window, event| match event {
            // A file dropped on the window is one the user chose: the webview may import it.
            tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) => {
                window.state::<state::AppState>().grant_read(paths.iter().cloned());
            }
            // Back at the window after a notification (a click where the notification server
            // reports none): open its finding.
            tauri::WindowEvent::Focused(true) if window.state::<state::AppState>().watch().has_pending() => {
                let _ = window.emit(OPEN_FINDING_EVENT, ());
            }
            _ => {}
        })
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            let handle = app.handle().clone();
            // A click on a notification (where the server reports it: the `default` action of the
            // Desktop Notifications Specification on Linux) opens its finding in the window.
            let on_tap = handle.clone();
            app.notification().on_action(move |performed| {
                let Some(n) = performed.notification() else { return };
                if performed.action_id() != "tap" || !on_tap.state::<state::AppState>().watch().activate(n.id()) {
                    return;
                }
                if let Some(window) = on_tap.get_webview_window("main") {
                    let _ = window.unminimize();
                    let _ = window.show();
                    let _ = window.set_focus();
                }
                let _ = on_tap.emit(OPEN_FINDING_EVENT, ());
            })?;
            let raise = handle.clone();
            let after = handle.clone();
            schedule::start(
                app.state::<state::AppState>().inner().clone(),
                move |n| {
                    let shown = raise.notification().builder().id(n.id).title(&n.title).body(&n.body).show();
                    if let Err(e) = shown {
                        eprintln!("reckon: cannot show the notification {:?}: {e}", n.title);
                    }
                },
                move |pass| {
                    let _ = after.emit(SCHEDULED_SYNC_EVENT, pass.connection_id);
                },
            );
            Ok(())
        })
        .run(context())
        .expect("Reckon could not start its window");
}

#[cfg(test)]
mod tests;
