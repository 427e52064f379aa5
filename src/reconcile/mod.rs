//! Reconciliation: put each chain in walk order, walk its running balance back from the
//! anchor, classify every place it stops adding up, and flag entries nobody can explain.
//! Pure functions over entries; `check` is the one entry point that reads the store.

pub(crate) mod facts;
pub mod order;
mod rules;
mod walk;

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::model::{ChainKey, Entry, Finding, Severity};
use crate::store::{Conflict, Note, Store, StoreError};

pub use rules::{RuleConfig, UnusualRule};

/// The balances a walk is anchored to, beyond the entries themselves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Anchors {
    /// What the vendor's page states now; the newest entry should end there.
    pub stated: Option<Decimal>,
    /// The balance before the oldest entry.
    pub opening: Option<Decimal>,
}

/// Reconciles one chain. `entries` are reordered into walk order, oldest first.
pub fn reconcile_chain(
    chain: &ChainKey,
    entries: &mut [Entry],
    anchors: Anchors,
    conflicts: &[Conflict],
    config: &RuleConfig,
) -> Vec<Finding> {
    let t = std::time::Instant::now();
    order::walk_order(entries, |e| e.ts, |e| &e.txn_id, Entry::balance_before, |e| e.balance_after);
    crate::trace::phase("check: walk order", t);
    let (src, facts) = facts::EntrySource::new(entries);
    findings(chain, &facts, &src, anchors, conflicts, config)
}

/// The walk and the rules over facts already in walk order.
fn findings<K: facts::Amount>(
    chain: &ChainKey,
    facts: &[facts::Fact<K>],
    src: &dyn facts::Source,
    anchors: Anchors,
    conflicts: &[Conflict],
    config: &RuleConfig,
) -> Vec<Finding> {
    let t = std::time::Instant::now();
    let mut findings = walk::walk(chain, facts, src, anchors);
    let t = crate::trace::phase("check: walk", t);
    findings.extend(rules::unexplained(chain, facts, src, config));
    crate::trace::phase("check: rules", t);
    findings.extend(conflicts.iter().map(|c| rules::conflicting_duplicate(chain, c)));
    findings.sort_by(|a, b| a.ts.cmp(&b.ts).then(a.kind.cmp(&b.kind)).then_with(|| a.id.cmp(&b.id)));
    findings
}

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

/// The state of one chain after a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainStatus {
    pub chain_id: i64,
    pub key: ChainKey,
    pub entries: u64,
    /// The newest entry's balance after.
    pub ledger_balance: Option<Decimal>,
    pub stated_balance: Option<Decimal>,
    pub opening_balance: Option<Decimal>,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
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

/// Every chain walked, with every finding (explained ones carry their note).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub chains: Vec<ChainStatus>,
    pub findings: Vec<CheckedFinding>,
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
}

/// Why `check` could not run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A balance was given for "the" chain while several exist.
    #[error(
        "the database holds {0} chains; name one with --account and --currency to give it a stated or opening balance"
    )]
    AmbiguousChain(usize),
    /// The named chain does not exist.
    #[error("no chain {0}/{1} in the database; import a ledger first or check the names")]
    NoSuchChain(String, String),
}

/// Walks every chain in the store (or the one named) and collects findings.
pub fn check(store: &Store, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    let mut chains = store.chains()?;
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
    let notes: HashMap<String, Note> = store.notes()?;
    let mut report = CheckReport::default();
    for chain in chains {
        let t = std::time::Instant::now();
        // Chains are stored in walk order (the import computes it over the whole chain), so the
        // facts come back in it, with the transaction IDs packed beside them.
        let (facts, labels, txn_ids) = store.load_facts(&chain)?;
        let conflicts = store.conflicts(chain.id)?;
        crate::trace::phase("check: load chain", t);
        let anchors = Anchors {
            stated: options.stated.or(chain.stated_balance),
            opening: options.opening.or(chain.opening_balance),
        };
        let src = facts::StoreSource::new(store, labels, &facts, txn_ids);
        let findings = findings(&chain.key, &facts, &src, anchors, &conflicts, &options.rules);
        if let Some(e) = src.into_error() {
            return Err(e.into());
        }
        report.chains.push(ChainStatus {
            chain_id: chain.id,
            key: chain.key.clone(),
            entries: facts.len() as u64,
            ledger_balance: facts.last().map(|f| crate::money::from_units(f.after)),
            stated_balance: anchors.stated,
            opening_balance: anchors.opening,
            first_ts: facts.first().map(|f| f.ts),
            last_ts: facts.last().map(|f| f.ts),
        });
        report.findings.extend(findings.into_iter().map(|finding| CheckedFinding {
            chain_id: chain.id,
            note: notes.get(&finding.id).cloned(),
            finding,
        }));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::FindingKind;

    fn entry(txn: &str, ts: i64, amount: i64, after: i64) -> Entry {
        Entry {
            row_id: 0,
            txn_id: txn.into(),
            ts,
            kind: Arc::from("CHAT"),
            description: Arc::from(txn),
            amount: Decimal::from(amount),
            balance_after: Decimal::from(after),
            character: None,
            model: None,
        }
    }

    fn kinds(entries: &mut [Entry], anchors: Anchors) -> Vec<(FindingKind, Vec<String>, Option<Decimal>)> {
        let chain = ChainKey::new("a", "credits");
        reconcile_chain(&chain, entries, anchors, &[], &RuleConfig::default())
            .into_iter()
            .map(|f| (f.kind, f.transaction_ids, f.delta))
            .collect()
    }

    #[test]
    fn a_wrong_figure_inside_a_same_second_group_is_flagged_once() {
        // 100 -> 90 -> 85 -> 70 -> 60, the middle three in one second and shuffled; the -5
        // entry states 84 instead of 85.
        let mut entries = vec![
            entry("a", 1, 100, 100),
            entry("z", 2, -15, 70),
            entry("x", 2, -5, 84),
            entry("y", 2, -10, 90),
            entry("b", 3, -10, 60),
        ];
        assert_eq!(
            kinds(&mut entries, Anchors::default()),
            vec![(FindingKind::MisreportedBalance, vec!["x".to_string()], Some(Decimal::from(-1)))]
        );
        let order: Vec<&str> = entries.iter().map(|e| e.txn_id.as_str()).collect();
        assert_eq!(order, ["a", "y", "x", "z", "b"]);
    }

    #[test]
    fn a_gap_is_one_break_whatever_the_anchor() {
        let mut entries = vec![entry("a", 1, 100, 100), entry("b", 2, -10, 90), entry("c", 3, -10, 77)];
        let expected =
            vec![(FindingKind::BalanceBreak, vec!["b".to_string(), "c".to_string()], Some(Decimal::from(-3)))];
        assert_eq!(kinds(&mut entries, Anchors::default()), expected);
        let stated = Anchors { stated: Some(Decimal::from(77)), opening: Some(Decimal::ZERO) };
        assert_eq!(kinds(&mut entries, stated), expected);
    }

    #[test]
    fn a_shuffled_group_that_adds_up_gives_nothing() {
        let mut entries =
            vec![entry("c", 5, -1, 96), entry("a", 5, -2, 99), entry("b", 5, -2, 97), entry("o", 4, 101, 101)];
        assert_eq!(kinds(&mut entries, Anchors::default()), vec![]);
    }
}
