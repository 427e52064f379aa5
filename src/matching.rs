//! `reckon match`: the orchestration of matching two accounts (FORMATS.md section 7) above the
//! store and the pure pairing in `reconcile::matching`. It loads both accounts' entries, pairs
//! them, and keeps the run and the one-sided entries in the store, where the next `check`
//! finds them (`unmatched_across_sources`).

use crate::reconcile::matching::{pair, MatchEntry, Matched};
use crate::store::{MatchRun, Store, StoreError};

/// What to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchOptions {
    pub account: String,
    pub with: String,
    /// How far apart in time two entries of the same amount may be and still pair.
    pub tolerance_seconds: i64,
    /// Unix microseconds, recorded as the run's time (the clock is a parameter).
    pub now: i64,
}

/// The default tolerance: five minutes (a usage record and its ledger line are written
/// within seconds of each other; a batch may lag).
pub const DEFAULT_TOLERANCE_SECONDS: i64 = 300;

/// An entry with no counterpart, as the summary lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneSided {
    pub account: String,
    pub currency: String,
    pub txn_id: String,
    pub ts: i64,
    /// Micro-credits.
    pub amount: i64,
}

/// What a match did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchSummary {
    pub entries: (usize, usize),
    pub pairs: usize,
    pub pairs_by_id: usize,
    /// `account`'s entries missing from `with`, then `with`'s missing from `account`.
    pub only_account: Vec<OneSided>,
    pub only_with: Vec<OneSided>,
}

/// Why a match could not run.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("no ledger of account {account:?} in the database (accounts: {known}); import it first or check the name")]
    NoAccount { account: String, known: String },
    #[error("--account and --with both name {0:?}: match two different accounts")]
    Same(String),
    #[error("a tolerance of {0} seconds: give 0 to 31,536,000 (a year)")]
    Tolerance(i64),
}

/// Pairs the entries of two accounts and keeps the result (replacing the last match of the
/// same two accounts), so running it again changes nothing.
pub fn match_accounts(store: &mut Store, options: &MatchOptions) -> Result<MatchSummary, MatchError> {
    if options.account == options.with {
        return Err(MatchError::Same(options.account.clone()));
    }
    if !(0..=31_536_000).contains(&options.tolerance_seconds) {
        return Err(MatchError::Tolerance(options.tolerance_seconds));
    }
    let a = entries_of(store, &options.account)?;
    let b = entries_of(store, &options.with)?;
    let matched: Matched = pair(&a, &b, options.tolerance_seconds * 1_000_000);
    let mut unmatched: Vec<(i64, &str)> = Vec::new();
    unmatched.extend(matched.only_a.iter().map(|&id| (id, options.with.as_str())));
    unmatched.extend(matched.only_b.iter().map(|&id| (id, options.account.as_str())));
    store.save_match(
        &MatchRun {
            accounts: (options.account.clone(), options.with.clone()),
            tolerance_seconds: options.tolerance_seconds,
            pairs_by_id: matched.by_id as i64,
            pairs: matched.pairs.len() as i64,
            created: options.now,
        },
        &unmatched,
    )?;
    let listed = |side: &[MatchEntry], ids: &[i64], account: &str| -> Vec<OneSided> {
        let by_id: rustc_hash::FxHashMap<i64, &MatchEntry> = side.iter().map(|e| (e.row_id, e)).collect();
        ids.iter()
            .filter_map(|id| by_id.get(id))
            .map(|e| OneSided {
                account: account.to_string(),
                currency: e.currency.clone(),
                txn_id: e.txn_id.clone(),
                ts: e.ts,
                amount: e.amount,
            })
            .collect()
    };
    Ok(MatchSummary {
        entries: (a.len(), b.len()),
        pairs: matched.pairs.len(),
        pairs_by_id: matched.by_id,
        only_account: listed(&a, &matched.only_a, &options.account),
        only_with: listed(&b, &matched.only_b, &options.with),
    })
}

/// Every entry of every ledger of `account`, as matching reads it.
fn entries_of(store: &Store, account: &str) -> Result<Vec<MatchEntry>, MatchError> {
    let chains = store.chains()?;
    let mine: Vec<_> = chains.iter().filter(|c| c.key.account == account).collect();
    if mine.is_empty() {
        let mut known: Vec<&str> = chains.iter().map(|c| c.key.account.as_str()).collect();
        known.sort_unstable();
        known.dedup();
        return Err(MatchError::NoAccount { account: account.into(), known: known.join(", ") });
    }
    let mut out = Vec::new();
    for chain in mine {
        let (facts, txn_ids) = store.load_facts(chain)?;
        let labels: Vec<u32> = facts.iter().map(|f| f.description).collect();
        store.labels(&labels)?;
        for (i, f) in facts.iter().enumerate() {
            out.push(MatchEntry {
                row_id: f.row_id,
                txn_id: String::from_utf8_lossy(txn_ids.get(i)).into_owned(),
                currency: chain.key.currency.clone(),
                ts: f.ts,
                amount: f.amount,
                description: store.label(f.description).to_string(),
            });
        }
    }
    Ok(out)
}
