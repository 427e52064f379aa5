//! The Findings screen's pages: which findings to show (kind, severity, explained, order), one
//! page of them, and the counts the screen's header and kind list need. A chain can hold 100,000
//! findings; the webview receives one page at a time, never the whole list.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{FindingKind, FindingView, Severity};

/// How the Findings table is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum FindingSort {
    /// Newest first; findings without a time last, then by ID.
    #[default]
    Time,
    /// Largest |delta| first; findings without a delta last, then newest first.
    Amount,
}

/// Which findings of a chain the table shows, in what order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FindingsQuery {
    pub chain_id: i64,
    pub kind: Option<FindingKind>,
    pub severity: Option<Severity>,
    /// Whether explained findings are shown too (open ones always are).
    pub show_explained: bool,
    pub sort: FindingSort,
}

/// One kind among a chain's findings, with its counts (the kind list's chips).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FindingKindCount {
    pub kind: FindingKind,
    /// The worst severity among the kind's findings.
    pub severity: Severity,
    pub open: i64,
    pub explained: i64,
}

/// One page of the findings a query shows, with the chain's counts (whatever the filter).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FindingsPage {
    /// Findings the query matches in all (the table's length).
    pub total: i64,
    /// Where `rows` start among them.
    pub offset: i64,
    pub rows: Vec<FindingView>,
    /// The chain's open errors, open warnings and explained findings.
    pub errors: i64,
    pub warnings: i64,
    pub explained: i64,
    /// Every kind with findings: errors first, then by open count, then by name.
    pub kinds: Vec<FindingKindCount>,
}

/// The IDs a query matches, split by what a bulk change can do to them ("Select all shown",
/// "Explain all of this kind").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FindingIds {
    pub open: Vec<String>,
    pub explained: Vec<String>,
}
