//! Reconciliation: walk each chain's running balance back from the anchor, classify every
//! place it stops adding up, and flag entries nobody can explain. Pure functions over facts
//! in walk order; the caller loads them (`crate::check` from the store) and supplies a
//! `Lookup` for the few whole entries a finding names.

mod anchors;
mod expired_grants;
mod facts;
pub mod matching;
mod pending;
mod refunds;
mod rules;
mod stream;
mod walk;

use rust_decimal::Decimal;

use crate::model::{ChainKey, Conflict, Entry, Fact, Finding};

pub use anchors::{anchored, rebuilt_end, states_balance, AnchoredStream};
pub use facts::{Amount, Held, Lookup};
pub use pending::{PendingBalance, PendingStep};
pub use rules::{RuleConfig, UnusualRule};
pub use stream::{streams, OldestAmounts, Pass, Stream};

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
    /// The chain's dimension keys, in the order facts carry them.
    pub dimensions: &'a [&'a str],
    /// The dimension prices vary by (Reverie: the model), by index: charges are compared
    /// with charges of the same type on the same value of it.
    pub price_dim: Option<usize>,
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
    let (src, facts) = facts::EntrySource::new(entries, reference.dimensions);
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

/// The pending balance of a chain whose source keeps pending grants apart from the available
/// balance (the grant ledger): `None` for other sources, and for a chain with no pending grant.
pub fn pending_balance<K: Amount>(
    reference: &Reference<'_>,
    facts: &[Fact<K>],
    src: &dyn Lookup,
) -> Option<PendingBalance> {
    let dim = |key| reference.dimensions.iter().position(|&d| d == key);
    pending::balance(facts, src, dim(pending::PENDING)?, dim(pending::SETTLES)?)
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
        let reference = Reference { title: "Reverie", types: &["CHAT"], dimensions: &[], price_dim: None };
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

    /// Entries that add up, oldest first, one a minute: `(type, amount in cents, model)`, with a
    /// description per type and model, and ids `e0`, `e1`, ...
    fn ledger(rows: &[(&str, i64, Option<&str>, &str)]) -> Vec<Entry> {
        let mut balance = Decimal::from(1_000_000);
        rows.iter()
            .enumerate()
            .map(|(i, &(kind, cents, model, description))| {
                let amount = Decimal::new(cents, 2);
                balance += amount;
                Entry {
                    row_id: i as i64,
                    txn_id: format!("e{i}"),
                    ts: i as i64 * 60_000_000,
                    kind: Arc::from(kind),
                    description: Arc::from(description),
                    amount,
                    balance_after: balance,
                    labels: model.map(|m| vec![(Arc::from("model"), Arc::from(m))]).unwrap_or_default(),
                }
            })
            .collect()
    }

    fn reverie(entries: &mut [Entry]) -> Vec<Finding> {
        let types = ["CHAT", "IMAGE", "VIDEO", "LUCKY_DRAW", "BONUS", "REFUND", "PURCHASE"];
        let reference =
            Reference { title: "Reverie", types: &types, dimensions: &["character", "model"], price_dim: Some(1) };
        reconcile_chain(
            &ChainKey::new("a", "credits"),
            &reference,
            entries,
            Anchors::default(),
            &[],
            &RuleConfig::default(),
        )
    }

    fn found(findings: &[Finding]) -> Vec<(FindingKind, Vec<String>)> {
        findings.iter().map(|f| (f.kind, f.transaction_ids.clone())).collect()
    }

    #[test]
    fn prizes_and_grants_are_not_judged_by_size() {
        // Forty draws of 5 and one jackpot of 500; bonuses of 2 and one of 50.
        let mut rows: Vec<(&str, i64, Option<&str>, &str)> = vec![("LUCKY_DRAW", 500, None, "Lucky draw"); 40];
        rows.push(("LUCKY_DRAW", 50_000, None, "Lucky draw"));
        rows.extend(vec![("BONUS", 200, None, "Bonus"); 30]);
        rows.push(("BONUS", 5_000, None, "Bonus"));
        assert_eq!(found(&reverie(&mut ledger(&rows))), vec![]);
    }

    #[test]
    fn charges_are_compared_with_the_same_model() {
        // A mini model's replies at 0.05-0.09 and a large model's at 1.00-1.40: 20x apart,
        // each model's own prices regular.
        let mut rows = Vec::new();
        for i in 0..50 {
            rows.push(("CHAT", -(5 + i % 5), Some("mini"), "reply"));
        }
        for i in 0..25 {
            rows.push(("CHAT", -(100 + 10 * (i % 5)), Some("large"), "reply"));
        }
        assert_eq!(found(&reverie(&mut ledger(&rows))), vec![]);
        // A reply of 950.00 on the large model is flagged, against the large model's prices.
        rows.push(("CHAT", -95_000, Some("large"), "reply"));
        let findings = reverie(&mut ledger(&rows));
        assert_eq!(found(&findings), vec![(FindingKind::UnusualAmount, vec!["e75".to_string()])]);
        assert!(findings[0].message.contains("CHAT charges on large"), "{}", findings[0].message);
    }

    #[test]
    fn a_recurring_price_level_is_not_unusual() {
        // Images at 2.00, and a 4K tier at 40.00 that recurs: a price, not an outlier.
        let mut rows: Vec<(&str, i64, Option<&str>, &str)> = vec![("IMAGE", -200, Some("flux"), "image"); 60];
        for i in 0..4 {
            rows.insert(10 + 12 * i, ("IMAGE", -4_000, Some("flux"), "image 4K"));
        }
        assert_eq!(found(&reverie(&mut ledger(&rows))), vec![]);
        // A single charge of that size would be.
        let mut once: Vec<(&str, i64, Option<&str>, &str)> = vec![("IMAGE", -200, Some("flux"), "image"); 60];
        once.push(("IMAGE", -4_000, Some("flux"), "image 4K"));
        assert_eq!(found(&reverie(&mut ledger(&once))), vec![(FindingKind::UnusualAmount, vec!["e60".to_string()])]);
    }

    #[test]
    fn a_refund_is_judged_against_the_charge_it_names() {
        let rows = [
            ("VIDEO", -15_000, Some("kling"), "Image-to-video, 10 s"),
            ("REFUND", 2_500, None, "Refund for e0: video generation failed"),
            ("VIDEO", -4_000, Some("kling"), "Image-to-video, 5 s"),
            ("REFUND", 4_000, None, "Refund for e2"),
        ];
        let findings = reverie(&mut ledger(&rows));
        assert_eq!(found(&findings), vec![(FindingKind::RefundMismatch, vec!["e1".to_string(), "e0".to_string()])]);
        assert_eq!(findings[0].delta, Some(Decimal::new(-12_500, 2)), "refunded minus charged");
    }

    #[test]
    fn a_duplicate_stays_owed_when_only_one_charge_was_refunded_for_another_reason() {
        let twice = |reason: &'static str| {
            let mut e = ledger(&[
                ("PURCHASE", 10_000, None, "Credit pack"),
                ("CHAT", -85, Some("large"), "reply"),
                ("CHAT", -85, Some("large"), "reply"),
                ("REFUND", 85, None, reason),
            ]);
            // Both charges in the same second, as a double submit writes them.
            e[2].ts = e[1].ts;
            reverie(&mut e)
        };
        let owed = twice("Refund for e2: no reply generated");
        assert_eq!(found(&owed), vec![(FindingKind::DuplicateCharge, vec!["e1".to_string(), "e2".to_string()])]);
        assert!(owed[0].message.contains("e3 refunded one of them"), "{}", owed[0].message);
        assert_eq!(found(&twice("Refund for e2: duplicate charge")), vec![]);
    }
}
