//! "Match with..." on the Ledgers screen (`reckon match`): what a match of two accounts found.

use serde::Serialize;
use ts_rs::TS;

use reckon::matching::{MatchError, MatchSummary};

use super::AppError;

/// A match of two accounts: how many entries each has, how many paired, and how many of each
/// have no counterpart in the other (each now an `unmatched_across_sources` finding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MatchOutcomeView {
    pub account: String,
    pub with: String,
    pub entries: i64,
    pub with_entries: i64,
    pub pairs: i64,
    pub pairs_by_id: i64,
    pub only_in_account: i64,
    pub only_in_with: i64,
}

impl MatchOutcomeView {
    pub fn new(account: &str, with: &str, s: &MatchSummary) -> MatchOutcomeView {
        MatchOutcomeView {
            account: account.to_string(),
            with: with.to_string(),
            entries: s.entries.0 as i64,
            with_entries: s.entries.1 as i64,
            pairs: s.pairs as i64,
            pairs_by_id: s.pairs_by_id as i64,
            only_in_account: s.only_account.len() as i64,
            only_in_with: s.only_with.len() as i64,
        }
    }
}

impl From<MatchError> for AppError {
    fn from(e: MatchError) -> AppError {
        match e {
            MatchError::Store(e) => e.into(),
            MatchError::NoAccount { .. } => AppError::not_found(e.to_string()),
            MatchError::Same(_) | MatchError::Tolerance(_) => AppError::bad_input(e.to_string()),
        }
    }
}
