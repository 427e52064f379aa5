//! The compact view of a chain that the walk and the rules read: `Fact`s, numbers and label
//! ids only. Transaction IDs and text are fetched through a `Lookup` for the few entries a
//! finding names, so a check over a million stored entries never builds a million strings.

use std::sync::Arc;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;

use crate::model::{Entry, Fact, MAX_DIMS};
use crate::order::Balance;

/// An amount the reconciler can count with: `i64` micro-credits from the store, or `Decimal`
/// from callers holding `Entry` values. Every comparison gives the same answer in both.
pub trait Amount: Balance + std::fmt::Debug + Send + Sync {
    fn to_decimal(self) -> Decimal;
    fn is_negative(self) -> bool;
    fn negated(self) -> Self;
    fn magnitude(self) -> Self;
    /// Whether this balance is [`NO_BALANCE`](crate::model::NO_BALANCE): the entry states none.
    fn is_unstated(self) -> bool;
}

impl Amount for i64 {
    fn to_decimal(self) -> Decimal {
        crate::money::from_units(self)
    }
    fn is_negative(self) -> bool {
        self < 0
    }
    fn negated(self) -> Self {
        -self
    }
    fn magnitude(self) -> Self {
        self.abs()
    }
    fn is_unstated(self) -> bool {
        self == crate::model::NO_BALANCE
    }
}

impl Amount for Decimal {
    fn to_decimal(self) -> Decimal {
        self
    }
    fn is_negative(self) -> bool {
        self < Decimal::ZERO
    }
    fn negated(self) -> Self {
        -self
    }
    fn magnitude(self) -> Self {
        self.abs()
    }
    fn is_unstated(self) -> bool {
        self == crate::money::from_units(crate::model::NO_BALANCE)
    }
}

/// The entries a streamed first pass has passed and still holds (`Stream::look_back`): the
/// recent ones, found by transaction ID.
pub trait Held {
    /// The held entry with transaction ID `id`: its position and facts. Entries near
    /// position `near` are looked at first (a refund's charge is a few entries before it).
    fn find(&self, id: &[u8], near: usize) -> Option<(usize, Fact<i64>)>;
}

/// What the facts leave out: label texts, transaction IDs and whole entries for messages.
/// The caller that loaded the facts supplies it (from memory, or from the store).
pub trait Lookup {
    /// The text of label `id` (empty for 0, no value).
    fn label(&self, id: u32) -> Arc<str>;
    /// The texts of these labels, in order: one call for many (a store fetches them in batches).
    fn labels(&self, ids: &[u32]) -> Vec<Arc<str>> {
        ids.iter().map(|&id| self.label(id)).collect()
    }
    /// The full entry at position `i` of the facts.
    fn entry(&self, i: usize) -> Entry;
    /// The full entries at these positions, in the order given: one call for a rule's many
    /// findings (a store decodes each block once, not once per entry).
    fn entries(&self, positions: &[usize]) -> Vec<Entry> {
        positions.iter().map(|&i| self.entry(i)).collect()
    }
    /// Whether positions `i` and `j` carry the same transaction ID.
    fn same_txn(&self, i: usize, j: usize) -> bool;
    /// Positions of the entries whose transaction ID is one of `ids`.
    fn find_txns(&self, ids: &[&str]) -> HashMap<String, usize>;
}

/// Facts over entries held in memory (the public `reconcile_chain`).
pub(crate) struct EntrySource<'a> {
    entries: &'a [Entry],
    labels: Vec<Arc<str>>,
}

impl<'a> EntrySource<'a> {
    /// Interns the entries' labels, their dimensions in the order of `keys`; `entries` must
    /// already be in walk order.
    pub fn new(entries: &'a [Entry], keys: &[&str]) -> (EntrySource<'a>, Vec<Fact<Decimal>>) {
        let mut ids: HashMap<String, u32> = HashMap::default();
        // Id 0 is "no value", as in the store.
        let mut labels: Vec<Arc<str>> = vec![Arc::from("")];
        let mut intern = |text: &str| -> u32 {
            if let Some(&id) = ids.get(text) {
                return id;
            }
            labels.push(Arc::from(text));
            ids.insert(text.to_string(), labels.len() as u32 - 1);
            labels.len() as u32 - 1
        };
        let facts = entries
            .iter()
            .map(|e| {
                let mut dims = [0; MAX_DIMS];
                for (slot, key) in dims.iter_mut().zip(keys) {
                    if let Some(value) = e.label(key) {
                        *slot = intern(value);
                    }
                }
                Fact {
                    row_id: e.row_id,
                    ts: e.ts,
                    amount: e.amount,
                    after: e.balance_after,
                    kind: intern(&e.kind),
                    description: intern(&e.description),
                    dims,
                }
            })
            .collect();
        (EntrySource { entries, labels }, facts)
    }
}

impl Lookup for EntrySource<'_> {
    fn label(&self, id: u32) -> Arc<str> {
        self.labels.get(id as usize).cloned().unwrap_or_else(|| Arc::from(""))
    }
    fn entry(&self, i: usize) -> Entry {
        self.entries[i].clone()
    }
    fn same_txn(&self, i: usize, j: usize) -> bool {
        self.entries[i].txn_id == self.entries[j].txn_id
    }
    fn find_txns(&self, ids: &[&str]) -> HashMap<String, usize> {
        if ids.is_empty() {
            return HashMap::default();
        }
        let wanted: rustc_hash::FxHashSet<&str> = ids.iter().copied().collect();
        let mut found = HashMap::default();
        // The last entry with an ID wins, as a map built over all entries would have it.
        for (i, e) in self.entries.iter().enumerate() {
            if wanted.contains(e.txn_id.as_str()) {
                found.insert(e.txn_id.clone(), i);
            }
        }
        found
    }
}
