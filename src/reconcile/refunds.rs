//! Refunds of a source that names the refunded charge in a column of its own (the usage feed's
//! `Refund of`, FORMATS.md section 4): `unmatched_refund`, `refund_mismatch` and
//! `double_refund`. Sources that name the charge only in a description keep `rules::refunds`.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use rust_decimal::Decimal;

use super::facts::{Amount, Lookup};
use super::rules::{LabelKinds, RuleConfig, SECOND};
use crate::model::{format_ts, ChainKey, Entry, Fact, Finding, FindingKind};
use crate::money::{format, format_signed};

/// The dimension key a source names the refunded charge's ID in.
pub(super) const REFUND_OF: &str = "refund_of";

/// Each refund pairs with a charge: the one its `refund_of` (dimension `dim`) names, whatever
/// its amount and however often it was refunded before; else, when it names none (or a
/// charge the ledger does not hold), the latest charge of the same magnitude within the window
/// before it that nothing has refunded yet. A refund that pairs with nothing is an
/// `unmatched_refund`; one of another amount than the charge it names, a `refund_mismatch`
/// (the refund, the charge; refunded minus charged); a charge refunded more than once, a
/// `double_refund` (the charge, then its refunds in time order; refunded beyond the charge).
/// Returns the findings and, for each refunded charge's index, its first refund's.
pub(super) fn named_by_column<K: Amount>(
    chain: &ChainKey,
    facts: &[Fact<K>],
    src: &dyn Lookup,
    labels: &LabelKinds,
    config: &RuleConfig,
    dim: usize,
) -> (Vec<Finding>, HashMap<usize, usize>) {
    let refund_idx: Vec<usize> = (0..facts.len()).filter(|&i| labels.is_refund(&facts[i])).collect();
    if refund_idx.is_empty() {
        return (Vec::new(), HashMap::default());
    }
    let named_label = |r: usize| facts[r].dims.get(dim).copied().unwrap_or(0);
    let mut wanted_labels: Vec<u32> = refund_idx.iter().map(|&r| named_label(r)).filter(|&l| l != 0).collect();
    wanted_labels.sort_unstable();
    wanted_labels.dedup();
    let texts = src.labels(&wanted_labels);
    let wanted: Vec<&str> = texts.iter().map(|t| &**t).collect();
    let by_id = src.find_txns(&wanted);
    let charge_named: HashMap<u32, usize> = wanted_labels
        .iter()
        .zip(&texts)
        .filter_map(|(&l, t)| by_id.get(&**t).copied().filter(|&c| labels.is_charge(&facts[c])).map(|c| (l, c)))
        .collect();

    // Refunds of each charge, in time order (facts are).
    let mut refunds_of: HashMap<usize, Vec<usize>> = HashMap::default();
    let mut unnamed = Vec::new();
    for &r in &refund_idx {
        match charge_named.get(&named_label(r)) {
            Some(&c) => refunds_of.entry(c).or_default().push(r),
            None => unnamed.push(r),
        }
    }
    // By amount: only magnitudes some unnamed refund has can pair.
    let amounts: HashSet<K> = unnamed.iter().map(|&r| facts[r].amount).collect();
    let mut by_magnitude: HashMap<K, Vec<usize>> = HashMap::default();
    for (i, f) in facts.iter().enumerate() {
        if labels.is_charge(f) && amounts.contains(&f.amount.negated()) {
            by_magnitude.entry(f.amount.negated()).or_default().push(i);
        }
    }
    let window = config.refund_window_secs * SECOND;
    let mut unmatched = Vec::new();
    for &r in &unnamed {
        let refund = &facts[r];
        let latest = by_magnitude.get(&refund.amount).and_then(|cs| {
            cs.iter()
                .rev()
                .copied()
                .find(|&c| c < r && refund.ts - facts[c].ts <= window && !refunds_of.contains_key(&c))
        });
        match latest {
            Some(c) => refunds_of.entry(c).or_default().push(r),
            None => unmatched.push(r),
        }
    }

    let mut findings: Vec<Finding> = src
        .entries(&unmatched)
        .into_iter()
        .zip(&unmatched)
        .map(|(e, &r)| unmatched_finding(chain, config, &e, &src.label(named_label(r))))
        .collect();

    let mut charges: Vec<usize> = refunds_of.keys().copied().collect();
    charges.sort_unstable();
    for &c in &charges {
        let refunds = &refunds_of[&c];
        for &r in refunds.iter().filter(|&&r| facts[r].amount != facts[c].amount.negated()) {
            findings.push(mismatch(chain, src, r, c));
        }
        if refunds.len() > 1 {
            findings.push(double(chain, src, c, refunds));
        }
    }
    let first = refunds_of.into_iter().map(|(c, rs)| (c, rs[0])).collect();
    (findings, first)
}

/// `unmatched_refund`: refund `e`, which names `named` (or nothing: empty), pairs with no charge.
pub(super) fn unmatched_finding(chain: &ChainKey, config: &RuleConfig, e: &Entry, named: &str) -> Finding {
    let why = if named.is_empty() {
        String::new()
    } else {
        format!(" It names {named}, which is not a charge in this ledger.")
    };
    Finding::new(
        FindingKind::UnmatchedRefund,
        chain,
        &[e],
        Some(e.amount),
        format!(
            "{} refunds {} on {} (\"{}\"), but no charge of {} is left unrefunded within {} days before it.{} Ask the vendor which charge it reverses.",
            e.txn_id, format_signed(e.amount), format_ts(e.ts), e.description, format(e.amount),
            config.refund_window_secs / 86_400, why
        ),
    )
}

/// `refund_mismatch`: refund `r` names charge `c` and differs from it.
pub(super) fn mismatch(chain: &ChainKey, src: &dyn Lookup, r: usize, c: usize) -> Finding {
    let (refund, charge) = (src.entry(r), src.entry(c));
    let delta = refund.amount - charge.amount.abs();
    let what = if delta < Decimal::ZERO { "a partial refund" } else { "more than was charged" };
    Finding::new(
        FindingKind::RefundMismatch,
        chain,
        &[&refund, &charge],
        Some(delta),
        format!(
            "{} refunds {} on {} for {}, a charge of {} on {}: {} ({} {}). Confirm the refund's amount with the vendor.",
            refund.txn_id, format_signed(refund.amount), format_ts(refund.ts), charge.txn_id,
            format(charge.amount.abs()), format_ts(charge.ts), what, format_signed(delta),
            if delta < Decimal::ZERO { "not refunded" } else { "beyond the charge" }
        ),
    )
}

/// `double_refund`: charge `c` refunded by each of `refunds`, in time order.
pub(super) fn double(chain: &ChainKey, src: &dyn Lookup, c: usize, refunds: &[usize]) -> Finding {
    let charge = src.entry(c);
    let refunds = src.entries(refunds);
    let total: Decimal = refunds.iter().map(|r| r.amount).sum();
    let delta = total - charge.amount.abs();
    let list: Vec<String> =
        refunds.iter().map(|r| format!("{} ({}, {})", r.txn_id, format_signed(r.amount), format_ts(r.ts))).collect();
    let mut named = vec![&charge];
    named.extend(refunds.iter());
    Finding::new(
        FindingKind::DoubleRefund,
        chain,
        &named,
        Some(delta),
        format!(
            "{} (a charge of {} on {}, \"{}\") was refunded {} times: {}. That is {} in all, {} beyond the charge. Ask the vendor whether one refund should be reversed.",
            charge.txn_id, format(charge.amount.abs()), format_ts(charge.ts), charge.description, refunds.len(),
            list.join(", "), format(total), format_signed(delta)
        ),
    )
}
