//! The mapping builder (FORMATS.md section 7): a picked CSV's first 20 rows read with the
//! profile being built (each role's cell and each failing row), saving it by name as the
//! CLI's `reckon profile save` does (the same TOML file), and importing with a saved one.

use std::path::PathBuf;

use chrono::Utc;
use tauri::ipc::Channel;
use tauri::State;

use reckon::import::profile::{self, Profile};
use reckon::import::ImportOptions;
use reckon::model::ChainKey;

use super::{non_empty_path, Result};
use crate::dto::*;
use crate::state::{blocking, AppState};

/// Rows the builder shows.
const PREVIEW_ROWS: usize = 20;

/// The saved profiles' names.
#[tauri::command]
pub async fn list_profiles() -> Result<Vec<String>> {
    blocking(|| Ok(profile::list()?)).await
}

/// A saved profile, to edit.
#[tauri::command]
pub async fn load_profile(name: String) -> Result<ProfileView> {
    blocking(move || Ok(ProfileView::from(&profile::load(&name)?))).await
}

/// The first 20 rows of a picked file read with `profile`.
#[tauri::command]
pub async fn preview_profile(state: State<'_, AppState>, path: String, profile: ProfileView) -> Result<PreviewView> {
    let path = non_empty_path(&path)?;
    state.may_read(&path)?;
    let profile = unchecked_profile(profile)?;
    blocking(move || Ok(PreviewView::from(profile::preview(&path, &profile, PREVIEW_ROWS)))).await
}

/// Saves `profile` as `name` (replacing one of that name); returns where it was written.
#[tauri::command]
pub async fn save_profile(name: String, profile: ProfileView) -> Result<String> {
    let profile = Profile::try_from(profile)?;
    blocking(move || Ok(profile::save(&name, &profile)?.display().to_string())).await
}

/// Imports picked files with the saved profile `name`, into `account` (the default account
/// when `None` or blank), as `reckon import --profile NAME --account A` does.
#[tauri::command]
pub async fn import_with_profile(
    state: State<'_, AppState>,
    paths: Vec<String>,
    name: String,
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
    let job = state.begin_import()?;
    let this = state.inner().clone();
    let summary = blocking(move || {
        let saved = profile::load(&name)?;
        let mut store = this.open_store()?;
        let mut sink = job.sink(on_progress);
        let mut options = ImportOptions::new(Utc::now());
        if let Some(account) = &account {
            options.chain = ChainKey::new(account, ChainKey::DEFAULT_CURRENCY);
        }
        Ok(profile::import(&mut store, &paths, &saved, &options, &mut sink)?)
    })
    .await;
    // The import wrote through its own connection: forget the findings walked before it.
    state
        .with_db(|db| {
            db.changed();
            Ok(())
        })
        .await?;
    summary.map(|s| ImportOutcomeView::from(&s))
}
