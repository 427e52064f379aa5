//! Reconciliation: walk each chain's running balance back from the anchor, classify every
//! place it stops adding up, and flag entries nobody can explain. Pure functions over facts
//! in walk order; the caller loads them (`crate::check` from the store) and supplies a
//! `Lookup` for the few whole entries a finding names.

mod facts;
mod rules;
mod walk;

use rust_decimal::Decimal;

use crate::model::{ChainKey, Conflict, Entry, Fact, Finding};

pub use facts::{Amount, Lookup};
pub use rules::{RuleConfig, UnusualRule};

/// The balances a walk is anchored to, beyond the entries themselves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Anchors {
    /// What the vendor's page states now; the newest entry should end there.
    pub stated: Option<Decimal>,
    /// The balance before the oldest entry.
    pub opening: Option<Decimal>,
}

/// What the rules know of a chain's source: its name for messages and its type reference
/// table (empty: types are not judged).
#[derive(Debug, Clone, Copy)]
pub struct Reference<'a> {
    pub title: &'a str,
    pub types: &'a [&'a str],
}

/// Reconciles one chain. `entries` are reordered into walk order, oldest first.
pub fn reconcile_chain(
    chain: &ChainKey,
    reference: &Reference<'_>,
    entries: &mut [Entry],
    anchors: Anchors,
    conflicts: &[Conflict],
    config: &RuleConfig,
) -> Vec<Finding> {
    let t = std::time::Instant::now();
    crate::order::walk_order(entries, |e| e.ts, |e| &e.txn_id, Entry::balance_before, |e| e.balance_after);
    crate::trace::phase("check: walk order", t);
    let (src, facts) = facts::EntrySource::new(entries);
    findings(chain, reference, &facts, &src, anchors, conflicts, config)
}

/// The walk and the rules over facts already in walk order, sorted by time.
pub fn findings<K: Amount>(
    chain: &ChainKey,
    reference: &Reference<'_>,
    facts: &[Fact<K>],
    src: &dyn Lookup,
    anchors: Anchors,
    conflicts: &[Conflict],
    config: &RuleConfig,
) -> Vec<Finding> {
    let t = std::time::Instant::now();
    let mut findings = walk::walk(chain, facts, src, anchors);
    let t = crate::trace::phase("check: walk", t);
    findings.extend(rules::unexplained(chain, reference, facts, src, config));
    crate::trace::phase("check: rules", t);
    findings.extend(conflicts.iter().map(|c| rules::conflicting_duplicate(chain, c)));
    findings.sort_by(|a, b| a.ts.cmp(&b.ts).then(a.kind.cmp(&b.kind)).then_with(|| a.id.cmp(&b.id)));
    findings
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
            labels: Vec::new(),
        }
    }

    fn kinds(entries: &mut [Entry], anchors: Anchors) -> Vec<(FindingKind, Vec<String>, Option<Decimal>)> {
        let chain = ChainKey::new("a", "credits");
        let reference = Reference { title: "Reverie", types: &["CHAT"] };
        reconcile_chain(&chain, &reference, entries, anchors, &[], &RuleConfig::default())
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
