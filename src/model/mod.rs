//! The domain nouns: a ledger entry, the chain it belongs to, a file as a reader parsed it,
//! the facts the walk reads, and a finding. Everything here is plain data that the readers,
//! the store, the reconciler and the reports share; it depends on none of them.

mod anchor;
mod parsed;
pub mod source;
mod txn_id;

use std::borrow::Cow;
use std::sync::Arc;

use rust_decimal::Decimal;

pub use anchor::{Anchor, AnchorKind, Candidate, Reading};
pub use parsed::{content_hash, Fact, FileAnchor, Labels, OwnLabels, ParsedEntry, ParsedFile};
pub use source::Source;
pub use txn_id::TxnId;

/// The most label dimensions beyond the type that a source may declare.
pub const MAX_DIMS: usize = 4;

/// An entry's label ids for its source's dimensions, in declared order; 0 where it has none.
pub type Dims = [u32; MAX_DIMS];

/// A label dimension a source declares beyond the entry type: Reverie's `character` and
/// `model`, a workspace's `user` and `api_key`. Filters, facets and kept totals follow these.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dimension {
    /// Stable name used in filters and the CLI (`character`).
    pub key: String,
    /// What a column header says (`Character`).
    pub title: String,
}

impl Dimension {
    pub fn new(key: &str, title: &str) -> Dimension {
        Dimension { key: key.to_string(), title: title.to_string() }
    }
}

/// The balance after of an entry whose source states none (a usage feed exported without its
/// `Balance` column): outside the range every reader accepts for a balance, so no stated
/// balance is ever taken for it, and far enough from `i64::MIN` that `after - amount` cannot
/// overflow. The walk does not judge a link that touches such an entry; a chain of them is
/// reconciled from anchors.
pub const NO_BALANCE: i64 = -(1 << 62);

/// The type a refund carries.
pub const REFUND: &str = "REFUND";

/// Normalises a type as exports spell it (`Daily login`, `daily-login`) to the reference form.
pub fn normalize_type(raw: &str) -> Cow<'_, str> {
    let trimmed = raw.trim();
    // Exports nearly always write the type already normalised: borrow it then.
    if trimmed.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') {
        return Cow::Borrowed(trimmed);
    }
    Cow::Owned(
        trimmed
            .chars()
            .map(|c| match c {
                ' ' | '-' => '_',
                c => c.to_ascii_uppercase(),
            })
            .collect(),
    )
}

/// One ledger: an account's balance in one credit currency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainKey {
    pub account: String,
    pub currency: String,
}

impl ChainKey {
    pub const DEFAULT_ACCOUNT: &'static str = "default";
    pub const DEFAULT_CURRENCY: &'static str = "credits";

    pub fn new(account: impl Into<String>, currency: impl Into<String>) -> Self {
        ChainKey { account: account.into(), currency: currency.into() }
    }
}

/// An entry as the reconciler sees it: the store's row, with labels resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The store's row id; stable for the life of the database.
    pub row_id: i64,
    pub txn_id: String,
    /// Unix microseconds, UTC.
    pub ts: i64,
    /// Labels are shared: a million entries hold a few hundred distinct strings.
    pub kind: Arc<str>,
    pub description: Arc<str>,
    pub amount: Decimal,
    pub balance_after: Decimal,
    /// `(dimension key, value)` for each dimension of its source the entry has a value in.
    pub labels: Vec<(Arc<str>, Arc<str>)>,
}

impl Entry {
    /// The entry's value in dimension `key` (`character`), if it has one.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.iter().find(|(k, _)| &**k == key).map(|(_, v)| &**v)
    }

    /// The balance this entry claims to have started from.
    pub fn balance_before(&self) -> Decimal {
        self.balance_after - self.amount
    }

    /// A charge: credits spent, excluding refunds reversing themselves.
    pub fn is_charge(&self) -> bool {
        self.amount < Decimal::ZERO
    }
}

/// A note that marks a finding as explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub note: String,
    pub explained_at: String,
}

/// A transaction ID stored once and seen again with other content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The version in the ledger (the first one imported).
    pub stored: Entry,
    /// The other version and where it came from.
    pub other: Entry,
    pub other_source: String,
    pub other_line: u64,
    /// The other version's content hash (what tells two rewrites of one ID apart).
    pub other_hash: i64,
}

/// How much a finding needs attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// What kind of thing does not add up. Names are fixed by FORMATS.md section 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    BalanceBreak,
    MisreportedBalance,
    HeadMismatch,
    OpeningMismatch,
    ConflictingDuplicate,
    DuplicateCharge,
    UnmatchedRefund,
    UnknownType,
    UnusualAmount,
    RefundMismatch,
    AnchorMismatch,
    DoubleRefund,
    PendingUnsettled,
    SettledAmountMismatch,
    PendingOverspend,
    ExpiredGrantSpend,
    UnmatchedAcrossSources,
}

impl FindingKind {
    /// The kind named `name` (`balance_break`), as `as_str` writes it.
    pub fn from_name(name: &str) -> Option<FindingKind> {
        use FindingKind::*;
        [
            BalanceBreak,
            MisreportedBalance,
            HeadMismatch,
            OpeningMismatch,
            ConflictingDuplicate,
            DuplicateCharge,
            UnmatchedRefund,
            UnknownType,
            UnusualAmount,
            RefundMismatch,
            AnchorMismatch,
            DoubleRefund,
            PendingUnsettled,
            SettledAmountMismatch,
            PendingOverspend,
            ExpiredGrantSpend,
            UnmatchedAcrossSources,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::BalanceBreak => "balance_break",
            FindingKind::MisreportedBalance => "misreported_balance",
            FindingKind::HeadMismatch => "head_mismatch",
            FindingKind::OpeningMismatch => "opening_mismatch",
            FindingKind::ConflictingDuplicate => "conflicting_duplicate",
            FindingKind::DuplicateCharge => "duplicate_charge",
            FindingKind::UnmatchedRefund => "unmatched_refund",
            FindingKind::UnknownType => "unknown_type",
            FindingKind::UnusualAmount => "unusual_amount",
            FindingKind::RefundMismatch => "refund_mismatch",
            FindingKind::AnchorMismatch => "anchor_mismatch",
            FindingKind::DoubleRefund => "double_refund",
            FindingKind::PendingUnsettled => "pending_unsettled",
            FindingKind::SettledAmountMismatch => "settled_amount_mismatch",
            FindingKind::PendingOverspend => "pending_overspend",
            FindingKind::ExpiredGrantSpend => "expired_grant_spend",
            FindingKind::UnmatchedAcrossSources => "unmatched_across_sources",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            FindingKind::BalanceBreak
            | FindingKind::MisreportedBalance
            | FindingKind::HeadMismatch
            | FindingKind::OpeningMismatch
            | FindingKind::ConflictingDuplicate
            | FindingKind::AnchorMismatch
            | FindingKind::PendingOverspend => Severity::Error,
            FindingKind::DuplicateCharge
            | FindingKind::UnmatchedRefund
            | FindingKind::UnknownType
            | FindingKind::UnusualAmount
            | FindingKind::RefundMismatch
            | FindingKind::DoubleRefund
            | FindingKind::PendingUnsettled
            | FindingKind::SettledAmountMismatch
            | FindingKind::ExpiredGrantSpend
            | FindingKind::UnmatchedAcrossSources => Severity::Warning,
        }
    }

    /// A short human title, for reports and the UI.
    pub fn title(self) -> &'static str {
        match self {
            FindingKind::BalanceBreak => "Balance break",
            FindingKind::MisreportedBalance => "Misreported balance",
            FindingKind::HeadMismatch => "Stated balance differs from the ledger",
            FindingKind::OpeningMismatch => "Opening balance differs from the ledger",
            FindingKind::ConflictingDuplicate => "Transaction ID reused with different content",
            FindingKind::DuplicateCharge => "Possible duplicate charge",
            FindingKind::UnmatchedRefund => "Refund without a matching charge",
            FindingKind::UnknownType => "Unknown transaction type",
            FindingKind::UnusualAmount => "Unusual amount",
            FindingKind::RefundMismatch => "Refund differs from the charge it names",
            FindingKind::AnchorMismatch => "Balance stated at a point in time does not add up",
            FindingKind::DoubleRefund => "Charge refunded more than once",
            FindingKind::PendingUnsettled => "Pending grant never settled",
            FindingKind::SettledAmountMismatch => "Grant settles for another amount than was pending",
            FindingKind::PendingOverspend => "Spend covered only by pending credits",
            FindingKind::ExpiredGrantSpend => "Spend drawn on an expired credit grant",
            FindingKind::UnmatchedAcrossSources => "Entry missing from the other source",
        }
    }
}

/// Something a person should look at, with everything needed to act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable: the same data gives the same id across runs and re-imports.
    pub id: String,
    pub kind: FindingKind,
    pub chain: ChainKey,
    pub transaction_ids: Vec<String>,
    /// Store row ids of the entries named, in the same order (empty where an entry is gone).
    pub row_ids: Vec<i64>,
    pub delta: Option<Decimal>,
    /// A sentence a support agent can paste.
    pub message: String,
    /// Time of the entry the finding is about (the later one for a pair), for charts and sorting.
    pub ts: Option<i64>,
    /// Entries whose amounts would close the gap (`anchor_mismatch`); empty for other kinds.
    pub candidates: Vec<Candidate>,
}

impl Finding {
    pub fn severity(&self) -> Severity {
        self.kind.severity()
    }

    /// Builds a finding whose id is derived from what it says, so it is stable.
    pub fn new(
        kind: FindingKind,
        chain: &ChainKey,
        entries: &[&Entry],
        delta: Option<Decimal>,
        message: String,
    ) -> Finding {
        let transaction_ids: Vec<String> = entries.iter().map(|e| e.txn_id.clone()).collect();
        Finding {
            id: finding_id(kind, chain, &transaction_ids, delta),
            kind,
            chain: chain.clone(),
            row_ids: entries.iter().map(|e| e.row_id).collect(),
            transaction_ids,
            delta,
            message,
            ts: entries.iter().map(|e| e.ts).max(),
            candidates: Vec::new(),
        }
    }
}

/// `F-` and 12 hex digits of a hash over the kind, chain, transaction IDs and delta.
pub fn finding_id(kind: FindingKind, chain: &ChainKey, txn_ids: &[String], delta: Option<Decimal>) -> String {
    let mut key = format!("{}\u{1f}{}\u{1f}{}", kind.as_str(), chain.account, chain.currency);
    for id in txn_ids {
        key.push('\u{1f}');
        key.push_str(id);
    }
    key.push('\u{1f}');
    if let Some(d) = delta {
        key.push_str(&crate::money::format(d));
    }
    let hash = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
    format!("F-{:012X}", hash >> 16)
}

/// A stored time (Unix microseconds) as people read it in reports: `2026-03-01 08:00:00 UTC`.
pub fn format_ts(ts: i64) -> String {
    match chrono::DateTime::from_timestamp_micros(ts) {
        Some(t) if t.timestamp_subsec_micros() == 0 => t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Some(t) => t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string(),
        None => ts.to_string(),
    }
}

/// A stored time as RFC 3339 in UTC (`2026-03-01T08:00:00Z`), for machine-readable output.
pub fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp_micros(ts)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| ts.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_normalise_to_the_reference_form() {
        assert_eq!(normalize_type(" Daily login"), "DAILY_LOGIN");
        assert_eq!(normalize_type("plugin-commission"), "PLUGIN_COMMISSION");
    }

    #[test]
    fn finding_ids_depend_on_content_only() {
        let chain = ChainKey::new("default", "credits");
        let ids = vec!["txn_a".to_string(), "txn_b".to_string()];
        let a = finding_id(FindingKind::BalanceBreak, &chain, &ids, Some(Decimal::new(-136, 2)));
        let b = finding_id(FindingKind::BalanceBreak, &chain, &ids, Some(Decimal::new(-1360, 3)));
        assert_eq!(a, b, "the same delta written with another scale is the same finding");
        assert_eq!(a.len(), 14);
        let c = finding_id(FindingKind::BalanceBreak, &chain, &ids, Some(Decimal::new(-137, 2)));
        assert_ne!(a, c);
    }
}
