//! Anchors: balances stated at a point in time (a page's "remaining credits", an API's
//! balance, a number read off a screenshot), or set outright (a reset, an opening balance),
//! which the anchored walk checks a chain against; and the candidates an `anchor_mismatch`
//! names for the gap it found.

use rust_decimal::Decimal;

/// What an anchor says about the balance at its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnchorKind {
    /// Someone or something stated the balance then; the walk is checked against it.
    Stated,
    /// The vendor set the balance outright then (a package reset, a renewal that replaces
    /// rather than adds); the walk goes on from it, unchecked.
    Reset,
    /// The balance the walk starts from at that time, entries at or before it left behind;
    /// unchecked, like a reset.
    Opening,
}

impl AnchorKind {
    /// As stored and printed: `stated`, `reset`, `opening`.
    pub fn as_str(self) -> &'static str {
        match self {
            AnchorKind::Stated => "stated",
            AnchorKind::Reset => "reset",
            AnchorKind::Opening => "opening",
        }
    }

    /// The kind `as_str` writes as `name`.
    pub fn from_name(name: &str) -> Option<AnchorKind> {
        [AnchorKind::Stated, AnchorKind::Reset, AnchorKind::Opening].into_iter().find(|k| k.as_str() == name)
    }

    /// Whether the walk is checked against the anchor (else it sets the balance).
    pub fn is_checked(self) -> bool {
        self == AnchorKind::Stated
    }
}

/// A balance at a point in time, kept with its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The store's id (0 for one that is not stored, such as `check --stated-balance`).
    pub id: i64,
    /// Unix microseconds, UTC. Entries at or before this time count before the anchor.
    pub ts: i64,
    pub balance: Decimal,
    pub kind: AnchorKind,
    /// Where the figure came from ("the billing page, 3 March"); may be empty.
    pub note: String,
    /// When it was added, Unix microseconds (0 when not stored).
    pub created: i64,
}

/// How a candidate would close an anchor's gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reading {
    /// Its amount (or the two amounts together) equals the gap: one more like it, missing
    /// from the export, would close it.
    Missing,
    /// Its amount equals minus the gap: counted here but never applied by the vendor (or
    /// counted twice).
    NotApplied,
}

impl Reading {
    /// As the JSON output writes it: `missing`, `not_applied`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reading::Missing => "missing",
            Reading::NotApplied => "not_applied",
        }
    }
}

/// Entries whose amounts would close an anchor's gap, named by transaction ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub reading: Reading,
    /// One entry, or two that add up.
    pub transaction_ids: Vec<String>,
    /// Their amounts together.
    pub amount: Decimal,
}
