//! The Findings screen: a chain's findings, and notes that explain them (one or many at once).

use chrono::Utc;
use tauri::State;

use super::Result;
use crate::dto::*;
use crate::state::AppState;

#[tauri::command]
pub async fn findings(state: State<'_, AppState>, chain_id: i64) -> Result<Vec<FindingView>> {
    state
        .with_db(move |db| {
            db.store.chain(chain_id)?;
            let report = db.report()?;
            Ok(chain_findings(&report, chain_id).into_iter().map(FindingView::from).collect())
        })
        .await
}

#[tauri::command]
pub async fn mark_explained(state: State<'_, AppState>, finding_id: String, note: String) -> Result<()> {
    state
        .with_db(move |db| {
            if db.report()?.finding(&finding_id).is_none() {
                return Err(AppError::not_found(format!("no finding {finding_id}")));
            }
            let (note, at) = (note.trim().to_string(), Utc::now());
            db.store.set_note(&finding_id, &note, at)?;
            db.noted(&[finding_id], Some(reckon::model::Note { note, explained_at: at.to_rfc3339() }));
            Ok(())
        })
        .await
}

#[tauri::command]
pub async fn unmark_explained(state: State<'_, AppState>, finding_id: String) -> Result<()> {
    state
        .with_db(move |db| {
            db.store.clear_note(&finding_id)?;
            db.noted(&[finding_id], None);
            Ok(())
        })
        .await
}

/// Marks many findings as explained with one note (a selection, or every finding of a kind).
/// Every id must be a current finding; returns how many were marked.
#[tauri::command]
pub async fn explain_findings(state: State<'_, AppState>, finding_ids: Vec<String>, note: String) -> Result<i64> {
    let note = note.trim().to_string();
    if note.is_empty() {
        return Err(AppError::bad_input("write a note that says why these findings are explained"));
    }
    state
        .with_db(move |db| {
            let report = db.report()?;
            if let Some(missing) = finding_ids.iter().find(|id| report.finding(id).is_none()) {
                return Err(AppError::not_found(format!("no finding {missing}")));
            }
            let at = Utc::now();
            let n = db.store.set_notes(&finding_ids, &note, at)?;
            db.noted(&finding_ids, Some(reckon::model::Note { note, explained_at: at.to_rfc3339() }));
            Ok(n as i64)
        })
        .await
}

/// Reopens many explained findings; returns how many had a note.
#[tauri::command]
pub async fn reopen_findings(state: State<'_, AppState>, finding_ids: Vec<String>) -> Result<i64> {
    state
        .with_db(move |db| {
            let n = db.store.clear_notes(&finding_ids)?;
            db.noted(&finding_ids, None);
            Ok(n as i64)
        })
        .await
}
