//! The Ledgers screen: every chain at a glance, the balance the vendor's page states, and
//! "Match with...": two accounts that describe the same money matched entry to entry.

use tauri::State;

use chrono::Utc;
use reckon::chain_list::{self, ChainQuery, ChainSort};
use reckon::matching::{MatchOptions, DEFAULT_TOLERANCE_SECONDS};
use reckon::money;

use super::Result;
use crate::dto::*;
use crate::state::AppState;

#[tauri::command]
pub async fn list_chains(state: State<'_, AppState>) -> Result<Vec<ChainView>> {
    state
        .with_db(|db| {
            // The check's chains, each one's findings counted in one pass (a view per chain
            // that scanned every finding took minutes for 100,000 ledgers).
            let report = db.report()?;
            let all = chain_list::list(&report, &ChainQuery::default());
            Ok(all.rows.iter().map(|r| chain_row_view(r, &report)).collect())
        })
        .await
}

/// One page of the Ledgers table: the engine's ledger list (`reckon chains`'s) over the kept
/// check, filtered to open findings and an account search, sorted, cut to `limit` rows from
/// `offset`, with the list's length. The webview never receives every ledger at once.
#[tauri::command]
pub async fn chains_page(
    state: State<'_, AppState>,
    query: ChainsQuery,
    offset: u64,
    limit: u64,
) -> Result<ChainPageView> {
    let engine = ChainQuery {
        with_findings: query.with_findings,
        sort: match query.sort {
            ChainSortView::Account => ChainSort::Account,
            ChainSortView::Findings => ChainSort::Findings,
            ChainSortView::Balance => ChainSort::Balance,
            ChainSortView::Entries => ChainSort::Entries,
        },
        search: query.search,
        offset: usize::try_from(offset).unwrap_or(usize::MAX),
        limit: Some(usize::try_from(limit.min(MAX_PAGE)).unwrap_or(usize::MAX)),
    };
    state
        .with_db(move |db| {
            let report = db.report()?;
            let page = chain_list::list(&report, &engine);
            Ok(ChainPageView {
                rows: page.rows.iter().map(|r| chain_row_view(r, &report)).collect(),
                total: page.total as i64,
                chains: page.chains as i64,
            })
        })
        .await
}

/// The most rows one page may ask for.
const MAX_PAGE: u64 = 1_000;

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
