//! The compact view of a chain that the walk and the rules read: numbers and label ids only.
//! Transaction IDs and text are fetched through a `Source` for the few entries a finding
//! names, so a check over a million stored entries never builds a million strings.

use std::cell::RefCell;
use std::sync::Arc;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;

use super::order::Balance;
use crate::model::Entry;
use crate::store::{Store, StoreError, TxnIds};

/// An amount the reconciler can count with: `i64` micro-credits from the store, or `Decimal`
/// from callers holding `Entry` values. Every comparison gives the same answer in both.
pub(crate) trait Amount: Balance + std::fmt::Debug + Send + Sync {
    fn to_decimal(self) -> Decimal;
    fn is_negative(self) -> bool;
    fn negated(self) -> Self;
    fn magnitude(self) -> Self;
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
}

/// One entry as numbers; labels are ids into the `Source`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fact<K> {
    pub row_id: i64,
    pub ts: i64,
    pub amount: K,
    pub after: K,
    pub kind: u32,
    pub description: u32,
    pub character: Option<u32>,
    pub model: Option<u32>,
}

impl<K: Amount> Fact<K> {
    pub fn before(&self) -> K {
        self.after - self.amount
    }
}

/// What the facts leave out: label texts, transaction IDs and whole entries for messages.
pub(crate) trait Source {
    /// Number of label ids (ids are below this).
    fn label_count(&self) -> usize;
    fn label(&self, id: u32) -> &str;
    /// The full entry at position `i` of the facts.
    fn entry(&self, i: usize) -> Entry;
    /// Whether positions `i` and `j` carry the same transaction ID.
    fn same_txn(&self, i: usize, j: usize) -> bool;
    /// Positions of the entries whose transaction ID is one of `ids`.
    fn find_txns(&self, ids: &[&str]) -> HashMap<String, usize>;
}

/// Facts over entries held in memory (the public `reconcile_chain`).
pub(crate) struct EntrySource<'a> {
    entries: &'a [Entry],
    labels: Vec<&'a str>,
}

impl<'a> EntrySource<'a> {
    /// Interns the entries' labels; `entries` must already be in walk order.
    pub fn new(entries: &'a [Entry]) -> (EntrySource<'a>, Vec<Fact<Decimal>>) {
        let mut ids: HashMap<&'a str, u32> = HashMap::default();
        let mut labels: Vec<&'a str> = Vec::new();
        let mut intern = |text: &'a str| -> u32 {
            *ids.entry(text).or_insert_with(|| {
                labels.push(text);
                labels.len() as u32 - 1
            })
        };
        let facts = entries
            .iter()
            .map(|e| Fact {
                row_id: e.row_id,
                ts: e.ts,
                amount: e.amount,
                after: e.balance_after,
                kind: intern(&e.kind),
                description: intern(&e.description),
                character: e.character.as_deref().map(&mut intern),
                model: e.model.as_deref().map(&mut intern),
            })
            .collect();
        (EntrySource { entries, labels }, facts)
    }
}

impl Source for EntrySource<'_> {
    fn label_count(&self) -> usize {
        self.labels.len()
    }
    fn label(&self, id: u32) -> &str {
        self.labels[id as usize]
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

/// Facts read from the store; entries are fetched by id when a finding names them.
pub(crate) struct StoreSource<'a> {
    store: &'a Store,
    labels: Vec<Arc<str>>,
    row_ids: Vec<i64>,
    txn_ids: TxnIds,
    /// The first store error met while fetching; `check` reports it after the walk.
    error: RefCell<Option<StoreError>>,
}

impl<'a> StoreSource<'a> {
    pub fn new(store: &'a Store, labels: Vec<Arc<str>>, facts: &[Fact<i64>], txn_ids: TxnIds) -> StoreSource<'a> {
        StoreSource {
            store,
            labels,
            row_ids: facts.iter().map(|f| f.row_id).collect(),
            txn_ids,
            error: RefCell::new(None),
        }
    }

    /// The first error met while fetching entries, if any.
    pub fn into_error(self) -> Option<StoreError> {
        self.error.into_inner()
    }

    fn fail(&self, e: StoreError) {
        self.error.borrow_mut().get_or_insert(e);
    }
}

impl Source for StoreSource<'_> {
    fn label_count(&self) -> usize {
        self.labels.len()
    }
    fn label(&self, id: u32) -> &str {
        self.labels.get(id as usize).map_or("", |l| l)
    }
    fn entry(&self, i: usize) -> Entry {
        match self.store.entry_by_row(self.row_ids[i], &self.labels) {
            Ok(e) => e,
            Err(e) => {
                self.fail(e);
                Entry {
                    row_id: self.row_ids[i],
                    txn_id: String::new(),
                    ts: 0,
                    kind: Arc::from(""),
                    description: Arc::from(""),
                    amount: Decimal::ZERO,
                    balance_after: Decimal::ZERO,
                    character: None,
                    model: None,
                }
            }
        }
    }
    fn same_txn(&self, i: usize, j: usize) -> bool {
        // A transaction ID is stored once per chain.
        i == j
    }
    fn find_txns(&self, ids: &[&str]) -> HashMap<String, usize> {
        let wanted: rustc_hash::FxHashSet<&[u8]> = ids.iter().map(|id| id.as_bytes()).collect();
        let mut found = HashMap::default();
        if wanted.is_empty() {
            return found;
        }
        for i in 0..self.txn_ids.len() {
            let id = self.txn_ids.get(i);
            if wanted.contains(id) {
                found.insert(String::from_utf8_lossy(id).into_owned(), i);
            }
        }
        found
    }
}
