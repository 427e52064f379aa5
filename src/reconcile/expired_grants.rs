//! `expired_grant_spend`: a debit that applied credits from a grant after the grant expired
//! (FORMATS.md section 6). For sources whose chains hold their grants as entries (Stripe
//! billing credits: type `CREDIT_GRANT`, the grant's ID in `grant`, its `expires_at` as
//! RFC 3339) beside the transactions that name the grant they draw on in `grant`.
//!
//! A debit at exactly `expires_at` is not after it. A debit whose grant is not in the chain
//! (its grants never imported) cannot be judged and gives nothing.

use rustc_hash::FxHashMap as HashMap;

use super::facts::{Amount, Lookup};
use crate::model::{format_ts, ChainKey, Fact, Finding, FindingKind};
use crate::money::format;

/// The dimension a transaction names its grant in (a grant's entry: its own ID).
pub(super) const GRANT: &str = "grant";
/// The dimension a grant's entry keeps its `expires_at` in.
pub(super) const EXPIRES_AT: &str = "expires_at";
/// The type of a grant's own entry.
const GRANT_TYPE: &str = "CREDIT_GRANT";
/// The debit type that applies credits to an invoice.
const APPLIED: &str = "CREDITS_APPLIED";

/// The findings of a chain whose source has a `grant` and an `expires_at` dimension, by
/// index into the facts' dimensions.
pub(super) fn findings<K: Amount>(
    chain: &ChainKey,
    facts: &[Fact<K>],
    src: &dyn Lookup,
    grant: usize,
    expires_at: usize,
) -> Vec<Finding> {
    let mut kinds: Vec<u32> = facts.iter().map(|f| f.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let kind_of = |name: &str| kinds.iter().copied().find(|&k| &*src.label(k) == name);
    let (Some(grant_kind), Some(applied)) = (kind_of(GRANT_TYPE), kind_of(APPLIED)) else { return Vec::new() };
    // Grant label id -> when it expires (Unix microseconds).
    let mut expiry: HashMap<u32, i64> = HashMap::default();
    for f in facts.iter().filter(|f| f.kind == grant_kind && f.dims[grant] != 0 && f.dims[expires_at] != 0) {
        let text = src.label(f.dims[expires_at]);
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&text) {
            expiry.insert(f.dims[grant], t.timestamp_micros());
        }
    }
    let late: Vec<usize> = (0..facts.len())
        .filter(|&i| {
            let f = &facts[i];
            f.kind == applied && expiry.get(&f.dims[grant]).is_some_and(|&expires| f.ts > expires)
        })
        .collect();
    src.entries(&late)
        .into_iter()
        .zip(&late)
        .map(|(e, &i)| {
            let grant_id = src.label(facts[i].dims[grant]);
            let expires = expiry[&facts[i].dims[grant]];
            Finding::new(
                FindingKind::ExpiredGrantSpend,
                chain,
                &[&e],
                Some(e.amount),
                format!(
                    "{} ({}) applied {} from grant {}, which expired at {}: credits of an expired grant should not be applied. Ask the vendor why they were, and whether the credit on that invoice stands.",
                    e.txn_id,
                    format_ts(e.ts),
                    format(e.amount.abs()),
                    grant_id,
                    format_ts(expires)
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rust_decimal::Decimal;

    use super::super::facts::EntrySource;
    use super::*;
    use crate::model::Entry;

    const KEYS: [&str; 4] = ["grant", "category", "priority", "expires_at"];

    fn entry(txn: &str, secs: i64, kind: &str, cents: i64, labels: &[(&str, &str)]) -> Entry {
        Entry {
            row_id: 0,
            txn_id: txn.into(),
            ts: secs * 1_000_000,
            kind: Arc::from(kind),
            description: Arc::from(""),
            amount: Decimal::new(cents, 2),
            balance_after: Decimal::ZERO,
            labels: labels.iter().map(|(k, v)| (Arc::from(*k), Arc::from(*v))).collect(),
        }
    }

    fn found(entries: &[Entry]) -> Vec<(FindingKind, Vec<String>, Option<Decimal>)> {
        let (src, facts) = EntrySource::new(entries, &KEYS);
        findings(&ChainKey::new("cus_1", "usd"), &facts, &src, 0, 3)
            .into_iter()
            .map(|f| (f.kind, f.transaction_ids, f.delta))
            .collect()
    }

    #[test]
    fn only_credits_applied_after_the_grants_expiry_are_flagged() {
        // g1 expires at 100 s; g2 never; g3 is not in the chain.
        let entries = [
            entry("g1", 0, "CREDIT_GRANT", 0, &[("grant", "g1"), ("expires_at", "1970-01-01T00:01:40Z")]),
            entry("g2", 0, "CREDIT_GRANT", 0, &[("grant", "g2")]),
            entry("at", 100, "CREDITS_APPLIED", -100, &[("grant", "g1")]),
            entry("late", 101, "CREDITS_APPLIED", -450, &[("grant", "g1")]),
            entry("expired", 150, "CREDITS_EXPIRED", -300, &[("grant", "g1")]),
            entry("forever", 200, "CREDITS_APPLIED", -700, &[("grant", "g2")]),
            entry("unknown", 300, "CREDITS_APPLIED", -800, &[("grant", "g3")]),
        ];
        assert_eq!(
            found(&entries),
            [(FindingKind::ExpiredGrantSpend, vec!["late".to_string()], Some(Decimal::new(-450, 2)))]
        );
        // Without the grant's own entry nothing can be judged.
        assert_eq!(found(&entries[1..]), []);
    }
}
