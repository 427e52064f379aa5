//! Files in and out, and the native dialogs that choose them: importing (a long job:
//! progress over a channel, `cancel_import` stops it), the demo, "Open database...", saving
//! text. The webview may read or write only the files picked in a dialog or dropped on the
//! window (`AppState::may_read`, `may_write`).

use std::path::PathBuf;

use chrono::Utc;
use tauri::ipc::Channel;
use tauri::State;

use reckon::import::ImportOptions;
use reckon::model::ChainKey;
use reckon::store::ImportSummary;

use super::{non_empty_path, Result};
use crate::dto::*;
use crate::job::JobRun;
use crate::state::{blocking, AppState};

/// The demo ledger, with planted faults, bundled so "Open demo" works offline.
pub const DEMO_CSV: &str = include_str!("../../../fixtures/demo.csv");
/// What the demo is saved as beside the database before it is imported.
pub const DEMO_FILE_NAME: &str = "reckon-demo.csv";

/// Imports the files (picked or dropped) into `account` where their source names none (a
/// Reverie export, a usage feed, a grant ledger); `None` or blank: the default account.
/// Sources that name their own account (Orb's and Stripe's customers) keep it.
#[tauri::command]
pub async fn import_files(
    state: State<'_, AppState>,
    paths: Vec<String>,
    account: Option<String>,
    on_progress: Channel<ImportProgressEvent>,
) -> Result<ImportOutcomeView> {
    if paths.is_empty() {
        return Err(AppError::bad_input("no files to import"));
    }
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    for path in &paths {
        state.may_read(path)?;
    }
    let account = account.map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
    import(&state, paths, account, on_progress).await
}

/// The native open dialog, opened by the shell: the files picked may then be imported.
/// `None` when the user cancels.
#[tauri::command]
pub async fn pick_import_files<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<Option<Vec<String>>> {
    use tauri_plugin_dialog::DialogExt;
    let picked = blocking(move || {
        Ok(app
            .dialog()
            .file()
            .set_title("Import ledger exports")
            .add_filter("Ledger exports", &["csv", "json"])
            .blocking_pick_files())
    })
    .await?;
    let Some(picked) = picked else { return Ok(None) };
    let paths: Vec<PathBuf> = picked.into_iter().filter_map(|p| p.into_path().ok()).collect();
    state.grant_read(paths.iter().cloned());
    Ok(Some(paths.iter().map(|p| p.display().to_string()).collect()))
}

/// The native save dialog, opened by the shell: the file picked may then be written once.
#[tauri::command]
pub async fn pick_save_path<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    default_name: String,
    filter_name: String,
    extensions: Vec<String>,
) -> Result<Option<String>> {
    use tauri_plugin_dialog::DialogExt;
    let picked = blocking(move || {
        let extensions: Vec<&str> = extensions.iter().map(String::as_str).collect();
        Ok(app.dialog().file().set_file_name(&default_name).add_filter(&filter_name, &extensions).blocking_save_file())
    })
    .await?;
    let Some(path) = picked.and_then(|p| p.into_path().ok()) else { return Ok(None) };
    state.grant_write(path.clone());
    Ok(Some(path.display().to_string()))
}

#[tauri::command]
pub async fn open_demo(
    state: State<'_, AppState>,
    on_progress: Channel<ImportProgressEvent>,
) -> Result<ImportOutcomeView> {
    let path = state.location().data_dir.join(DEMO_FILE_NAME);
    let target = path.clone();
    blocking(move || {
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        }
        std::fs::write(&target, DEMO_CSV).map_err(|e| io_error(&target, e))
    })
    .await?;
    import(&state, vec![path], None, on_progress).await
}

#[tauri::command]
pub fn cancel_import(state: State<'_, AppState>) {
    state.cancel_import();
}

/// The database the app has open (the CLI's default too, unless told otherwise).
#[tauri::command]
pub async fn database_path(state: State<'_, AppState>) -> Result<String> {
    Ok(state.location().db.display().to_string())
}

/// "Open database...": switches to another database file (created if new); returns its path.
#[tauri::command]
pub async fn open_database(state: State<'_, AppState>, path: String) -> Result<String> {
    let path = non_empty_path(&path)?;
    state.may_write(&path)?;
    let state = state.inner().clone();
    blocking(move || Ok(state.switch_database(path)?.db.display().to_string())).await
}

#[tauri::command]
pub async fn save_text(state: State<'_, AppState>, path: String, content: String) -> Result<()> {
    let path = non_empty_path(&path)?;
    state.may_write(&path)?;
    blocking(move || std::fs::write(&path, content).map_err(|e| io_error(&path, e))).await
}

async fn import(
    state: &AppState,
    paths: Vec<PathBuf>,
    account: Option<String>,
    channel: Channel<ImportProgressEvent>,
) -> Result<ImportOutcomeView> {
    let job = state.begin_import()?;
    let this = state.clone();
    let summary = blocking(move || run_import(&this, &job, &paths, account.as_deref(), channel)).await;
    // The import wrote through its own connection: forget the findings walked before it.
    state
        .with_db(|db| {
            db.changed();
            Ok(())
        })
        .await?;
    summary.map(|s| ImportOutcomeView::from(&s))
}

/// Imports on the calling (blocking) thread, on a connection of its own; into `account` where
/// a source names none (the default account when `None`).
pub(crate) fn run_import(
    state: &AppState,
    job: &JobRun,
    paths: &[PathBuf],
    account: Option<&str>,
    channel: Channel<ImportProgressEvent>,
) -> Result<ImportSummary> {
    let mut store = state.open_store()?;
    let mut sink = job.sink(channel);
    let mut options = ImportOptions::new(Utc::now());
    if let Some(account) = account {
        options.chain = ChainKey::new(account, ChainKey::DEFAULT_CURRENCY);
    }
    Ok(reckon::import::import(&mut store, paths, &options, &mut sink)?)
}
