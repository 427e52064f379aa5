//! The Ledger screen: pages of rows under a filter, their totals, the filter's choices, one
//! entry in full, and the filtered rows exported to a file.

use tauri::State;

use reckon::export::{self, Zone};

use super::{non_empty_path, Result};
use crate::dto::*;
use crate::state::AppState;

#[tauri::command]
pub async fn ledger_page(
    state: State<'_, AppState>,
    query: LedgerQuery,
    offset: u64,
    limit: u64,
) -> Result<LedgerPage> {
    let filter = ledger_filter(&query)?;
    state
        .with_db(move |db| {
            let rows = db.store.ledger_page(&filter, offset, limit)?;
            let total = db.store.ledger_totals(&filter)?.entries as i64;
            let report = db.report()?;
            let findings = chain_findings(&report, query.chain_id);
            Ok(LedgerPage { rows: rows.iter().map(|r| row_view(r, &findings)).collect(), total })
        })
        .await
}

#[tauri::command]
pub async fn ledger_totals(state: State<'_, AppState>, query: LedgerQuery) -> Result<TotalsView> {
    let filter = ledger_filter(&query)?;
    state.with_db(move |db| Ok(TotalsView::from(&db.store.ledger_totals(&filter)?))).await
}

#[tauri::command]
pub async fn facets(state: State<'_, AppState>, chain_id: i64) -> Result<Facets> {
    state
        .with_db(move |db| {
            db.store.chain(chain_id)?;
            Ok(db.store.facets(chain_id)?.into())
        })
        .await
}

#[tauri::command]
pub async fn entry_detail(state: State<'_, AppState>, entry_id: i64) -> Result<EntryDetailView> {
    state
        .with_db(move |db| {
            let detail = reckon::import::entry_detail(&db.store, entry_id)?;
            let report = db.report()?;
            let findings = chain_findings(&report, detail.row.chain_id);
            let row = row_view(&detail.row, &findings);
            Ok(EntryDetailView {
                row,
                raw_line: detail.raw,
                raw_line_note: detail.raw_note,
                findings: findings
                    .into_iter()
                    .filter(|f| f.finding.row_ids.contains(&entry_id))
                    .map(FindingView::from)
                    .collect(),
            })
        })
        .await
}

#[tauri::command]
pub async fn export_ledger(
    state: State<'_, AppState>,
    query: LedgerQuery,
    format: ExportFormat,
    local: bool,
    path: String,
) -> Result<u64> {
    let filter = ledger_filter(&query)?;
    let path = non_empty_path(&path)?;
    state.may_write(&path)?;
    state
        .with_db(move |db| {
            let zone = if local { Zone::Local } else { Zone::Utc };
            // Written whole beside the target, then renamed over it (the engine's atomic export).
            Ok(export::export_to_file(&db.store, &filter, format.into(), zone, &path)?)
        })
        .await
}
