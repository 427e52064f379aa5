//! The Ledger screen's usage views (a workspace's credit usage records page): which views a
//! ledger offers, what one is asked for, and its rows.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::LedgerQuery;

/// One of the page's views (`api-key`, "API key").
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UsageViewInfo {
    pub key: String,
    pub title: String,
}

/// The orders the page offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum UsageSort {
    Key,
    Recent,
    Credits,
}

/// A view of the filtered ledger: `last` (`7d`, `30d`, `3m`) counts back from the newest
/// entry and replaces the query's `from`; the query's types, when empty, are the view's tabs.
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UsageRequest {
    pub query: LedgerQuery,
    pub view: String,
    pub last: Option<String>,
    pub sort: UsageSort,
}

/// One group of a view: the conversation, key, type or user, and its totals.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UsageRowView {
    pub key: String,
    pub entries: i64,
    /// Credits used (a positive decimal string).
    pub credits_used: String,
    pub credits_in: String,
    /// The newest entry's time, RFC 3339 UTC.
    pub latest: String,
}
