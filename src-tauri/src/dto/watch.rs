//! Keeping watch over a ledger, as its panel on the Ledgers screen shows it: the low-balance
//! threshold, the runway at the last 30 days' net burn, and the history of its checks.

use serde::Serialize;
use ts_rs::TS;

use super::FindingKind;

/// One ledger's watch: threshold, runway and the newest checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChainWatchView {
    pub chain_id: i64,
    /// The balance the last check ended at (stated, else rebuilt); `None` when unknown.
    pub balance: Option<String>,
    /// "Alert me below": `None` when the ledger has no threshold.
    pub threshold: Option<String>,
    /// RFC 3339, since when the balance has been below the threshold; `None` while at or above.
    pub below_since: Option<String>,
    /// `None` when the balance or the entries are unknown.
    pub runway: Option<RunwayView>,
    /// Newest first, at most 50 runs.
    pub history: Vec<CheckRunView>,
}

/// When the balance runs out at the last 30 days' net burn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunwayView {
    /// `runs_out`, `no_runway` (the balance grew or stayed flat) or `exhausted` (at or below 0).
    pub state: String,
    /// The sentence reports print too.
    pub sentence: String,
    /// RFC 3339, when the balance reaches zero (`runs_out` only; `None` past the year 9999).
    pub runs_out_at: Option<String>,
    /// Net spent a day (`runs_out` only).
    pub daily_burn: Option<String>,
}

/// One check of the ledger as its history keeps it (runs that changed nothing fold into one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CheckRunView {
    pub id: i64,
    /// RFC 3339: when it ran, and when the last of the runs it stands for ran.
    pub at: String,
    pub last_at: String,
    pub runs: i64,
    /// The ledger's first check: every finding it saw is new.
    pub first: bool,
    pub entries: i64,
    pub errors: i64,
    pub warnings: i64,
    pub explained: i64,
    pub balance: Option<String>,
    pub new_count: i64,
    pub resolved_count: i64,
    pub explained_count: i64,
    /// What changed, finding by finding.
    pub changes: Vec<FindingChangeView>,
}

/// A finding new, resolved or explained at a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FindingChangeView {
    /// `new`, `resolved` or `explained`.
    pub change: String,
    pub finding_id: String,
    pub kind: FindingKind,
    pub delta: Option<String>,
    pub transaction_ids: Vec<String>,
}
