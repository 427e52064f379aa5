//! `check`: the orchestration above the store and the reconciler. It loads each chain's facts
//! from the store, hands them to `reconcile` with the rules of the chain's source and the
//! anchors kept with it, and attaches the notes people left. The reconciler itself never sees
//! the store.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::model::{Anchor, AnchorKind, ChainKey, Conflict, Entry, Fact, Finding, Note, Severity};
use crate::reconcile::{self, Anchors, Lookup, PendingBalance, Reference, RuleConfig};
use crate::store::{ChainInfo, Store, StoreError, TxnIds, Unmatched};

mod stream;

pub use stream::{BLOCK_VAR, STREAM_FROM};

/// What `check` walks and how.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Only this chain; every chain when `None`.
    pub chain: Option<ChainKey>,
    /// Overrides the stated balance stored for the chain.
    pub stated: Option<Decimal>,
    /// Overrides the opening balance stored for the chain.
    pub opening: Option<Decimal>,
    pub rules: RuleConfig,
}

/// A finding with its chain and whether someone explained it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFinding {
    pub chain_id: i64,
    pub finding: Finding,
    pub note: Option<Note>,
}

impl CheckedFinding {
    pub fn is_open(&self) -> bool {
        self.note.is_none()
    }
}

/// Every chain walked, with every finding (explained ones carry their note). A chain's stated
/// and opening balances are the ones the walk used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub chains: Vec<ChainInfo>,
    pub findings: Vec<CheckedFinding>,
    /// By chain id, the pending balance of each chain that keeps pending grants apart from
    /// the available balance and has any (the grant ledger); other chains are absent.
    pub pending: std::collections::BTreeMap<i64, PendingBalance>,
    /// By chain id, where a chain's entries state no balance and it has anchors or an opening
    /// balance: the balance at its end, rebuilt from them as the anchored walk does.
    pub rebuilt: std::collections::BTreeMap<i64, Decimal>,
}

impl CheckReport {
    /// Findings nobody has explained yet.
    pub fn open(&self) -> impl Iterator<Item = &CheckedFinding> {
        self.findings.iter().filter(|f| f.is_open())
    }

    /// Open findings of severity error.
    pub fn open_errors(&self) -> usize {
        self.open().filter(|f| f.finding.severity() == Severity::Error).count()
    }

    pub fn finding(&self, id: &str) -> Option<&CheckedFinding> {
        self.findings.iter().find(|f| f.finding.id == id)
    }

    /// A chain's pending balance at its end: granted, not yet settled, so not available
    /// (`None` for a chain without pending grants).
    pub fn pending_balance(&self, chain_id: i64) -> Option<Decimal> {
        self.pending.get(&chain_id).map(|p| p.balance)
    }
}

/// Why `check` could not run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The store failed.
    // Not `transparent`: the store error stays in the chain, so a shell finds its remedy.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A balance was given for "the" chain while several exist.
    #[error("the database holds {0} ledgers; name the account and currency to give one a stated or opening balance")]
    AmbiguousChain(usize),
    /// The named chain does not exist.
    #[error("no ledger {0}/{1} in the database; import a ledger first or check the names")]
    NoSuchChain(String, String),
}

/// Walks every chain in the store (or the one named) and collects findings.
pub fn check(store: &Store, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    let t = std::time::Instant::now();
    let mut chains = store.chains()?;
    crate::trace::phase("check: list the chains", t);
    if let Some(key) = &options.chain {
        chains.retain(|c| &c.key == key);
        if chains.is_empty() {
            return Err(CheckError::NoSuchChain(key.account.clone(), key.currency.clone()));
        }
    }
    let overrides = options.stated.is_some() || options.opening.is_some();
    if overrides && chains.len() > 1 {
        return Err(CheckError::AmbiguousChain(chains.len()));
    }
    walk_chains(store, chains, options)
}

/// The chains `ids` only (those a sync reached), with their stored balances and the default
/// rules: what `check` would say of them. Ids that are no chain are left out.
pub fn check_chains(store: &Store, ids: &[i64]) -> Result<CheckReport, CheckError> {
    let wanted: std::collections::HashSet<i64> = ids.iter().copied().collect();
    let mut chains = store.chains()?;
    chains.retain(|c| wanted.contains(&c.id));
    walk_chains(store, chains, &CheckOptions::default())
}

/// Every chain's walk and rules, reading one snapshot of the store (`Store::in_one_read`).
fn walk_chains(store: &Store, chains: Vec<ChainInfo>, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    store.in_one_read(|| walk_chains_read(store, chains, options))?
}

/// Chains read ahead of the one being checked, handed over this many entries' worth at a time
/// (one hand-over per chain of a customer base cost more in thread switches than it saved).
const HAND_ENTRIES: u64 = 8192;

/// Batches of chains read ahead of the one being checked.
const AHEAD: usize = 4;

/// From this many chains on, a check reads on one thread and checks on another.
const TWO_THREADS_FROM: usize = 64;

/// `RECKON_CHECK_THREADS=1` checks every chain on the connection's thread, `=2` on a second
/// thread whatever the number of chains (tests compare the two).
pub const THREADS_VAR: &str = "RECKON_CHECK_THREADS";

/// Whether a check of `chains` chains checks them on a second thread.
fn two_threads(chains: usize) -> bool {
    match std::env::var(THREADS_VAR).ok().as_deref().map(str::trim) {
        Some("1") => false,
        Some("2") => true,
        _ => chains >= TWO_THREADS_FROM,
    }
}

/// One chain's part of the walk: read whole, or checked already (a streamed chain).
enum Walked {
    Loaded(Box<Loaded>),
    Checked(Box<(ChainInfo, Anchors, ChainChecked)>),
}

/// Reads each chain (its facts, conflicts, anchors and one-sided entries) and checks it. With
/// many chains, the connection's thread reads while a second thread checks the chains read
/// before, with a connection of its own for label texts (labels are only ever added, and
/// `Store::label_reader` gives one only if its label table is this snapshot's): a customer
/// base's check keeps both cores busy. Chains are reported in order either way.
fn walk_chains_read(store: &Store, chains: Vec<ChainInfo>, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    let notes: HashMap<String, Note> = store.notes()?;
    let (notes, rules) = (&notes, &options.rules);
    let reader = if two_threads(chains.len()) { store.label_reader() } else { None };
    let Some(labels) = reader else {
        let mut report = CheckReport::default();
        read_chains(store, chains, options, notes, &mut |walked| {
            report.push_walked(walked, store, notes, rules)?;
            Ok(true)
        })?;
        return Ok(report);
    };
    crate::trace::phase("check: on two threads", std::time::Instant::now());
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Walked>>(AHEAD);
        let checker = scope.spawn(move || -> Result<CheckReport, CheckError> {
            let mut report = CheckReport::default();
            for batch in receive {
                for walked in batch {
                    report.push_walked(walked, &labels, notes, rules)?;
                }
            }
            Ok(report)
        });
        let (mut batch, mut entries) = (Vec::new(), 0);
        let read = read_chains(store, chains, options, notes, &mut |walked| {
            entries += match &walked {
                Walked::Loaded(loaded) => loaded.facts.len() as u64,
                Walked::Checked(checked) => checked.0.entries,
            };
            batch.push(walked);
            if entries >= HAND_ENTRIES {
                entries = 0;
                // A checker that stopped (an error, a panic) says why when joined.
                return Ok(send.send(std::mem::take(&mut batch)).is_ok());
            }
            Ok(true)
        });
        if read.is_ok() && !batch.is_empty() {
            let _ = send.send(batch);
        }
        drop(send);
        let report = checker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        read.and(report)
    })
}

/// Reads every chain in turn and hands it to `walked`, until that says stop (`false`); a long
/// chain is checked here as it is read block by block (`stream.rs`).
fn read_chains(
    store: &Store,
    chains: Vec<ChainInfo>,
    options: &CheckOptions,
    notes: &HashMap<String, Note>,
    walked: &mut dyn FnMut(Walked) -> Result<bool, CheckError>,
) -> Result<(), CheckError> {
    for chain in chains {
        let anchors = Anchors {
            stated: options.stated.or(chain.stated_balance),
            opening: options.opening.or(chain.opening_balance),
        };
        let next = match stream::check_streamed(store, &chain, anchors, notes, &options.rules)? {
            Some(checked) => Walked::Checked(Box::new((chain, anchors, checked))),
            None => Walked::Loaded(Box::new(Loaded::read(store, chain, anchors)?)),
        };
        if !walked(next)? {
            break;
        }
    }
    Ok(())
}

/// A chain read whole from the store: what its check needs but label texts.
struct Loaded {
    chain: ChainInfo,
    anchors: Anchors,
    /// Its facts in walk order (chains are stored in it) and their transaction IDs.
    facts: Vec<Fact<i64>>,
    txn_ids: TxnIds,
    conflicts: Vec<Conflict>,
    points: Vec<Anchor>,
    unmatched: Vec<Unmatched>,
}

impl Loaded {
    fn read(store: &Store, chain: ChainInfo, anchors: Anchors) -> Result<Loaded, StoreError> {
        let t = std::time::Instant::now();
        let (facts, txn_ids) = store.load_facts(&chain)?;
        let conflicts = store.conflicts(chain.id)?;
        let points = store.anchors(chain.id)?;
        let unmatched = store.unmatched_entries(chain.id)?;
        crate::trace::phase("check: load chain", t);
        Ok(Loaded { chain, anchors, facts, txn_ids, conflicts, points, unmatched })
    }
}

impl CheckReport {
    /// Adds a chain walked: a loaded one checked here, its label texts read from `labels`.
    fn push_walked(
        &mut self,
        walked: Walked,
        labels: &Store,
        notes: &HashMap<String, Note>,
        rules: &RuleConfig,
    ) -> Result<(), CheckError> {
        let loaded = match walked {
            Walked::Checked(checked) => {
                let (chain, anchors, checked) = *checked;
                self.push(chain, anchors, checked);
                return Ok(());
            }
            Walked::Loaded(loaded) => *loaded,
        };
        let Loaded { chain, anchors, facts, txn_ids, conflicts, points, unmatched } = loaded;
        let lookup = StoreLookup::new(labels, &chain, &facts, txn_ids);
        let walk = ChainWalk {
            chain: &chain,
            facts: &facts,
            lookup: &lookup,
            anchors,
            points,
            conflicts: &conflicts,
            unmatched: &unmatched,
            notes,
        };
        let checked = check_chain(walk, rules);
        if let Some(e) = lookup.into_error() {
            return Err(e.into());
        }
        self.push(chain, anchors, checked);
        Ok(())
    }
}

/// One chain as the check walks it, wherever its entries come from (the store, a Parquet
/// export read by `reckon-scale`).
pub struct ChainWalk<'a> {
    /// Its key, source and dimensions.
    pub chain: &'a ChainInfo,
    /// Its entries' facts in walk order.
    pub facts: &'a [Fact<i64>],
    /// Whole entries for the findings, by position in `facts`.
    pub lookup: &'a dyn Lookup,
    /// The stated and opening balances the walk uses (a run's overrides applied).
    pub anchors: Anchors,
    /// Balances stated at points in time, as kept with the chain.
    pub points: Vec<Anchor>,
    /// Second versions of its transactions.
    pub conflicts: &'a [Conflict],
    /// Its entries a kept match with another account left one-sided.
    pub unmatched: &'a [Unmatched],
    /// The notes people left, by finding ID.
    pub notes: &'a HashMap<String, Note>,
}

impl std::fmt::Debug for ChainWalk<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainWalk").field("chain", &self.chain.key).field("facts", &self.facts.len()).finish()
    }
}

/// What the check finds in one chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainChecked {
    /// Its findings in report order, each with its note.
    pub findings: Vec<CheckedFinding>,
    /// Its pending balance, where it keeps pending grants apart.
    pub pending: Option<PendingBalance>,
    /// Its balance at the end rebuilt from the anchors, where its entries state none.
    pub rebuilt: Option<Decimal>,
    /// The balance it ends at: the store's, or the available balance before a trailing
    /// pending grant.
    pub ledger_balance: Option<Decimal>,
}

/// Checks one chain: the walk and the rules of its source, the anchored walk, the one-sided
/// entries of a kept match, the pending and rebuilt balances, the notes attached. Pure: what
/// the chain's entries say comes through `walk.lookup`, whose errors the caller collects.
pub fn check_chain(walk: ChainWalk<'_>, rules: &RuleConfig) -> ChainChecked {
    let ChainWalk { chain, facts, lookup, anchors, mut points, conflicts, unmatched, notes } = walk;
    // Balances stated at points in time. Where the newest entry states no balance, the
    // stated balance is one more of them, at that entry (never also a head_mismatch).
    let mut walk_anchors = anchors;
    if let (Some(stated), Some(last)) = (anchors.stated, facts.last()) {
        if !reconcile::states_balance(last.after) {
            points.push(Anchor {
                id: 0,
                ts: last.ts,
                balance: stated,
                kind: AnchorKind::Stated,
                note: "the stated balance".into(),
                created: 0,
            });
            walk_anchors.stated = None;
        }
    }
    let keys: Vec<&str> = chain.dimensions.iter().map(|d| d.key.as_str()).collect();
    let reference = reference(chain, &keys);
    let mut findings = reconcile::findings(&chain.key, &reference, facts, lookup, walk_anchors, conflicts, rules);
    if !points.is_empty() {
        let opening = anchors.opening.unwrap_or(Decimal::ZERO);
        findings.extend(reconcile::anchored(&chain.key, facts, lookup, opening, &points));
        findings.sort_by(|a, b| a.ts.cmp(&b.ts).then(a.kind.cmp(&b.kind)).then_with(|| a.id.cmp(&b.id)));
    }
    // Entries a kept match of this account with another left without a counterpart
    // (`reckon match`): one `unmatched_across_sources` each, naming the other account.
    if !unmatched.is_empty() {
        let at: FxHashMap<i64, usize> = facts.iter().enumerate().map(|(i, f)| (f.row_id, i)).collect();
        for u in unmatched {
            if let Some(&i) = at.get(&u.entry_id) {
                let entry = lookup.entry(i);
                findings.push(reconcile::matching::unmatched_finding(
                    &chain.key,
                    &entry,
                    &u.other_account,
                    u.tolerance_seconds,
                ));
            }
        }
        findings.sort_by(|a, b| a.ts.cmp(&b.ts).then(a.kind.cmp(&b.kind)).then_with(|| a.id.cmp(&b.id)));
    }
    let t = std::time::Instant::now();
    let mut ledger_balance = chain.ledger_balance;
    let pending = reconcile::pending_balance(&reference, facts, lookup);
    if let Some(pending) = &pending {
        // A ledger that ends on a pending grant ends at the available balance before it.
        ledger_balance = ledger_balance.or(pending.available);
    }
    crate::trace::phase("check: pending balance", t);
    let mut rebuilt = None;
    if ledger_balance.is_none() && pending.is_none() && (!points.is_empty() || anchors.opening.is_some()) {
        let opening = anchors.opening.unwrap_or(Decimal::ZERO);
        rebuilt = Some(reconcile::rebuilt_end(facts, opening, &points));
    }
    let findings = findings
        .into_iter()
        .map(|finding| CheckedFinding { chain_id: chain.id, note: notes.get(&finding.id).cloned(), finding })
        .collect();
    ChainChecked { findings, pending, rebuilt, ledger_balance }
}

/// What the rules know of a chain's source; `keys` are its dimension keys, in order.
fn reference<'a>(chain: &'a ChainInfo, keys: &'a [&'a str]) -> Reference<'a> {
    let source = crate::model::source::named(&chain.source);
    let price_dim =
        source.and_then(|s| s.price_dimension).and_then(|key| chain.dimensions.iter().position(|d| d.key == key));
    Reference {
        title: source.map_or(chain.source.as_str(), |s| s.title),
        types: source.map_or(&[], |s| s.types),
        dimensions: keys,
        price_dim,
    }
}

impl CheckReport {
    /// Adds a chain checked with these stated and opening balances, after those added before.
    pub fn push(&mut self, mut chain: ChainInfo, anchors: Anchors, checked: ChainChecked) {
        chain.stated_balance = anchors.stated;
        chain.opening_balance = anchors.opening;
        chain.ledger_balance = checked.ledger_balance;
        if let Some(pending) = checked.pending {
            self.pending.insert(chain.id, pending);
        }
        if let Some(rebuilt) = checked.rebuilt {
            self.rebuilt.insert(chain.id, rebuilt);
        }
        self.chains.push(chain);
        self.findings.extend(checked.findings);
    }
}

/// Whole entries for the findings: from the facts and the transaction IDs read with them, and
/// label texts from the store.
struct StoreLookup<'a> {
    store: &'a Store,
    chain_id: i64,
    /// What the walk read: a flagged entry is built from it and its labels, without reading
    /// its block again.
    facts: &'a [Fact<i64>],
    /// The chain's dimension keys, in order.
    dims: Vec<Arc<str>>,
    txn_ids: TxnIds,
    /// The first store error met while fetching; `check` reports it after the walk.
    error: RefCell<Option<StoreError>>,
}

impl<'a> StoreLookup<'a> {
    fn new(store: &'a Store, chain: &ChainInfo, facts: &'a [Fact<i64>], txn_ids: TxnIds) -> StoreLookup<'a> {
        StoreLookup {
            store,
            facts,
            dims: chain.dimensions.iter().map(|d| Arc::from(d.key.as_str())).collect(),
            chain_id: chain.id,
            txn_ids,
            error: RefCell::new(None),
        }
    }

    /// The first error met while fetching entries, if any.
    fn into_error(self) -> Option<StoreError> {
        self.error.into_inner()
    }

    /// A placeholder for an entry that could not be read, after recording why.
    fn failed(&self, i: usize, e: StoreError) -> Entry {
        self.error.borrow_mut().get_or_insert(e);
        Entry {
            row_id: self.facts.get(i).map_or(0, |f| f.row_id),
            txn_id: String::new(),
            ts: 0,
            kind: Arc::from(""),
            description: Arc::from(""),
            amount: Decimal::ZERO,
            balance_after: Decimal::ZERO,
            labels: Vec::new(),
        }
    }
}

impl Lookup for StoreLookup<'_> {
    fn label(&self, id: u32) -> Arc<str> {
        self.store.label(id)
    }
    fn labels(&self, ids: &[u32]) -> Vec<Arc<str>> {
        match self.store.labels(ids) {
            Ok(texts) => texts,
            Err(e) => {
                self.error.borrow_mut().get_or_insert(e);
                ids.iter().map(|_| Arc::from("")).collect()
            }
        }
    }
    fn entry(&self, i: usize) -> Entry {
        match self.entries(&[i]).pop() {
            Some(e) => e,
            None => self.failed(i, StoreError::NotFound(format!("entry at position {i}"))),
        }
    }
    fn entries(&self, positions: &[usize]) -> Vec<Entry> {
        // Every field is in the facts and the packed IDs; only label texts are fetched, in one
        // batch for all the entries.
        let ids: Vec<u32> = positions
            .iter()
            .filter_map(|&i| self.facts.get(i))
            .flat_map(|f| [f.kind, f.description].into_iter().chain(f.dims))
            .collect();
        if let Err(e) = self.store.labels(&ids) {
            let message = e.to_string();
            return positions.iter().map(|&i| self.failed(i, StoreError::BadValue(message.clone()))).collect();
        }
        positions
            .iter()
            .map(|&i| match self.facts.get(i) {
                Some(f) => Entry {
                    row_id: f.row_id,
                    txn_id: String::from_utf8_lossy(self.txn_ids.get(i)).into_owned(),
                    ts: f.ts,
                    kind: self.store.label(f.kind),
                    description: self.store.label(f.description),
                    amount: crate::money::from_units(f.amount),
                    balance_after: crate::money::from_units(f.after),
                    labels: self
                        .dims
                        .iter()
                        .zip(f.dims)
                        .filter(|(_, id)| *id != 0)
                        .map(|(k, id)| (k.clone(), self.store.label(id)))
                        .collect(),
                },
                None => {
                    self.failed(i, StoreError::NotFound(format!("entry at position {i} of chain {}", self.chain_id)))
                }
            })
            .collect()
    }
    fn same_txn(&self, i: usize, j: usize) -> bool {
        // A transaction ID is stored once per chain.
        i == j
    }
    fn find_txns(&self, ids: &[&str]) -> FxHashMap<String, usize> {
        let wanted: rustc_hash::FxHashSet<&[u8]> = ids.iter().map(|id| id.as_bytes()).collect();
        let mut found = FxHashMap::default();
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
