//! The Ledgers screen: every chain at a glance, the balance the vendor's page states, and
//! "Match with...": two accounts that describe the same money matched entry to entry.

use tauri::State;

use chrono::Utc;
use reckon::matching::{MatchOptions, DEFAULT_TOLERANCE_SECONDS};
use reckon::money;

use super::Result;
use crate::dto::*;
use crate::state::AppState;

#[tauri::command]
pub async fn list_chains(state: State<'_, AppState>) -> Result<Vec<ChainView>> {
    state
        .with_db(|db| {
            let chains = db.store.chains()?;
            let report = db.report()?;
            Ok(chains.iter().map(|c| chain_view(c, &report)).collect())
        })
        .await
}

#[tauri::command]
pub async fn set_stated_balance(state: State<'_, AppState>, chain_id: i64, value: Option<String>) -> Result<ChainView> {
    let value = match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(text) => Some(
            money::parse(text)
                .map_err(|e| AppError::bad_input(format!("the stated balance {text:?} cannot be read: {e}")))?,
        ),
    };
    state
        .with_db(move |db| {
            db.store.set_stated_balance(chain_id, value)?;
            db.changed();
            let chain = db.store.chain(chain_id)?;
            let report = db.report()?;
            Ok(chain_view(&chain, &report))
        })
        .await
}

/// Matches the entries of two accounts (as `reckon match` does) and keeps the result: each
/// entry of either with no counterpart is an `unmatched_across_sources` from now on. The
/// tolerance is in seconds (`None`: 300).
#[tauri::command]
pub async fn match_accounts(
    state: State<'_, AppState>,
    account: String,
    other: String,
    tolerance_seconds: Option<i64>,
) -> Result<MatchOutcomeView> {
    let options = MatchOptions {
        account: account.trim().to_string(),
        with: other.trim().to_string(),
        tolerance_seconds: tolerance_seconds.unwrap_or(DEFAULT_TOLERANCE_SECONDS),
        now: Utc::now().timestamp_micros(),
    };
    state
        .with_db(move |db| {
            let summary = reckon::matching::match_accounts(&mut db.store, &options)?;
            db.changed();
            Ok(MatchOutcomeView::new(&options.account, &options.with, &summary))
        })
        .await
}
