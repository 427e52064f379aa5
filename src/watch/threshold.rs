//! Low-balance thresholds ("alert me below 500"), per chain, as vendors' billing alerts are:
//! compared at each sync and check; a chain whose balance is below its threshold warns, and
//! the first comparison that finds it below says it just crossed (for a notification).

use rust_decimal::Decimal;

use crate::check::{CheckError, CheckReport};
use crate::model::ChainKey;
use crate::store::{Store, StoreError};

/// A chain below its low-balance threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowBalanceAlert {
    pub chain_id: i64,
    pub chain: ChainKey,
    pub threshold: Decimal,
    pub balance: Decimal,
    /// Unix microseconds since its balance was first seen below.
    pub since: i64,
    /// Whether this comparison is the first to find it below (it was at or above, or the
    /// threshold was just set): notify on these only.
    pub crossed: bool,
}

/// Compares every chain of `report` that has a threshold with its balance (`watch::balance`),
/// records at `at` (Unix microseconds) whether it is below, and returns the chains below.
/// A chain whose balance is unknown is left as it was. Needs a store open for writing.
///
/// The app's scheduled sync calls this after its check, and notifies for each alert with
/// `crossed`; `reckon sync` and `reckon check` print a warning line for each alert.
pub fn evaluate(store: &mut Store, report: &CheckReport, at: i64) -> Result<Vec<LowBalanceAlert>, StoreError> {
    let thresholds = store.low_balances()?;
    let mut alerts = Vec::new();
    for chain in &report.chains {
        if !thresholds.iter().any(|t| t.chain_id == chain.id) {
            continue;
        }
        let Some(balance) = super::balance(report, chain) else { continue };
        if let Some(alert) = crossed(store, chain.id, &chain.key, balance, at)? {
            alerts.push(alert);
        }
    }
    Ok(alerts)
}

/// Compares chain `chain_id`'s `balance` with its threshold at `at` and records the result:
/// `Some` when it is below (with `crossed` on the first comparison that finds it so), `None`
/// when it is at or above or the chain has no threshold.
pub fn crossed(
    store: &mut Store,
    chain_id: i64,
    key: &ChainKey,
    balance: Decimal,
    at: i64,
) -> Result<Option<LowBalanceAlert>, StoreError> {
    // Compared and recorded under the write lock, so of two connections comparing at once (a
    // check and a sync) only one says it crossed.
    let Some(t) = store.mark_low_balance(chain_id, balance, at)? else { return Ok(None) };
    let below = balance < t.threshold;
    Ok(below.then(|| LowBalanceAlert {
        chain_id,
        chain: key.clone(),
        threshold: t.threshold,
        balance,
        since: t.below_since.unwrap_or(at),
        crossed: t.below_since.is_none(),
    }))
}

/// After a sync that reached `chain_ids`: checks those ledgers and keeps the check
/// (`watch::keep`), as `reckon check` and the app do, so a sync's new findings show in
/// `reckon history` and its crossings are warned about.
pub fn after_sync(store: &mut Store, chain_ids: &[i64], at: i64) -> Result<super::Kept, CheckError> {
    let report = crate::check::check_chains(store, chain_ids)?;
    Ok(super::keep(store, &report, at))
}

/// Whether `balance` is below chain's threshold, without recording anything (for listings).
pub fn is_below(threshold: Option<Decimal>, balance: Option<Decimal>) -> bool {
    matches!((threshold, balance), (Some(t), Some(b)) if b < t)
}
