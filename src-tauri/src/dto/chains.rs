//! The Ledgers screen's pages: which ledgers (only those with open findings, an account
//! search), in what order, and one page of them with the list's length. A customer base is
//! 100,000 ledgers; the webview receives one page at a time, never the whole list.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::ChainView;

/// How the Ledgers table is ordered: numbers largest first, ties by account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ChainSortView {
    /// Account, A to Z (then currency).
    #[default]
    Account,
    /// Open findings (errors + warnings), most first.
    Findings,
    /// The balance at the ledger's end (stated, else rebuilt from anchors), largest first.
    Balance,
    Entries,
}

/// Which ledgers the table shows, in what order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChainsQuery {
    /// Only ledgers with an open finding.
    pub with_findings: bool,
    pub sort: ChainSortView,
    /// Ledgers whose account contains this, ignoring case; empty: all.
    pub search: String,
}

/// One page of the ledgers a query shows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChainPageView {
    pub rows: Vec<ChainView>,
    /// Ledgers the query matches (all pages).
    pub total: i64,
    /// Ledgers in the database, matching or not.
    pub chains: i64,
}
