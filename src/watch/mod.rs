//! Keeping watch over ledgers between checks: each chain's history of checks (`history`: what
//! was new, resolved, explained), its runway at the last 30 days' net burn (`runway`, pure),
//! and its low-balance threshold (`threshold`). The CLI's `check`, `sync` and `history`, the
//! app's check and its scheduled sync all go through here; the clock is always a parameter.

pub mod history;
pub mod runway;
pub mod threshold;

use rust_decimal::Decimal;

use crate::check::CheckReport;
use crate::store::{ChainInfo, LedgerFilter, Store, StoreError};

pub use runway::{Burn, Runway};

/// What keeping a check found: its history kept (each ledger's changes since its previous
/// check, or why not) and the ledgers it compared with their low-balance thresholds (or why
/// not). Each stands apart: one failing never hides the other, nor the check's findings.
#[derive(Debug)]
pub struct Kept {
    pub history: Result<Vec<history::HistoryDelta>, StoreError>,
    pub alerts: Result<Vec<threshold::LowBalanceAlert>, StoreError>,
}

/// Keeps a check at `at` (Unix microseconds): in each ledger's history (`history::record`),
/// and compared with each ledger's low-balance threshold (`threshold::evaluate`). What
/// `reckon check`, `reckon sync` and the app do after every check they keep.
pub fn keep(store: &mut Store, report: &CheckReport, at: i64) -> Kept {
    let history = history::record(store, report, at);
    let alerts = threshold::evaluate(store, report, at);
    Kept { history, alerts }
}

/// The balance a chain ends at as `report` checked it: the balance its newest entry states
/// (the available one where pending grants are kept apart), else the one rebuilt from its
/// anchors or opening balance; `None` when neither is known.
pub fn balance(report: &CheckReport, chain: &ChainInfo) -> Option<Decimal> {
    chain.ledger_balance.or_else(|| report.rebuilt.get(&chain.id).copied())
}

/// The money moved over `chain`'s runway window (the last 30 days before its newest entry),
/// from the store's kept totals; `None` for a chain without entries.
pub fn burn(store: &Store, chain: &ChainInfo) -> Result<Option<Burn>, StoreError> {
    let (Some(first), Some(last)) = (chain.first_ts, chain.last_ts) else { return Ok(None) };
    let (from, to) = Burn::window(first, last);
    let filter =
        LedgerFilter { chain_id: Some(chain.id), from: Some(from), to: Some(to + 1), ..LedgerFilter::default() };
    let totals = store.ledger_totals(&filter)?;
    Ok(Some(Burn { credits_in: totals.credits_in, credits_out: totals.credits_out, from, to }))
}

/// `chain`'s runway as `report` checked it; `None` when its balance or entries are unknown.
pub fn runway_of(store: &Store, report: &CheckReport, chain: &ChainInfo) -> Result<Option<Runway>, StoreError> {
    let Some(balance) = balance(report, chain) else { return Ok(None) };
    Ok(burn(store, chain)?.map(|b| runway::runway(balance, &b)))
}
