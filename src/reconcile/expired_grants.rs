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
                    "{} ({}) applied {} from grant {} after the grant expired at {}. Ask the vendor why expired credits were applied, and whether the invoice should be charged again.",
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
