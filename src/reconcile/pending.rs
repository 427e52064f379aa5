//! Pending grants of a source that keeps them apart from the available balance (the grant
//! ledger, FORMATS.md section 5): `pending_unsettled`, `settled_amount_mismatch` and
//! `pending_overspend`. A pending grant is an entry of amount 0 that states no balance, its
//! amount in the `pending` dimension; a grant names the pending grant it settles in `settles`.
//! The walk does not judge links to an entry that states no balance, so the link over a run
//! of pending grants (the available balance before them against the one after) is judged here.

use rustc_hash::FxHashMap as HashMap;

use rust_decimal::Decimal;

use super::facts::{Amount, Lookup};
use super::rules::SECOND;
use crate::model::{format_ts, ChainKey, Entry, Fact, Finding, FindingKind};
use crate::money::{format, format_signed};

/// The dimension a source keeps a pending grant's amount in.
pub(super) const PENDING: &str = "pending";
/// The dimension a grant names the pending grant it settles in.
pub(super) const SETTLES: &str = "settles";
/// A pending grant still unsettled this long before the chain's newest entry never settled.
const UNSETTLED_AFTER: i64 = 30 * 24 * 3600 * SECOND;

/// The pending-grant findings of a chain whose source has a `pending` dimension (`pending`)
/// and a `settles` one (`settles`), by index into the facts' dimensions.
pub(super) fn findings<K: Amount>(
    chain: &ChainKey,
    facts: &[Fact<K>],
    src: &dyn Lookup,
    pending: usize,
    settles: usize,
) -> Vec<Finding> {
    let mut findings = bridged_links(chain, facts, src);
    let Some(Grants { pending_at, amounts, settled_by }) = Grants::of(facts, src, pending, settles) else {
        return findings;
    };

    let newest = facts[facts.len() - 1].ts;
    for &p in &pending_at {
        let Some(&pending_amount) = amounts.get(&p) else { continue };
        match settled_by.get(&p) {
            None if unsettled_long(newest, facts[p].ts) => {
                findings.push(unsettled_finding(chain, &src.entry(p), pending_amount, newest));
            }
            None => {}
            Some(&g) => {
                let settled = facts[g].amount.to_decimal();
                if settled != pending_amount {
                    let entries = src.entries(&[p, g]);
                    findings.push(settled_mismatch_finding(chain, &entries[0], &entries[1], pending_amount, settled));
                }
            }
        }
    }

    // Spends only the pending balance could cover, in walk order.
    let mut unsettled = Decimal::ZERO;
    let settles_at: HashMap<usize, usize> = settled_by.iter().map(|(&p, &g)| (g, p)).collect();
    for (i, f) in facts.iter().enumerate() {
        if let Some(a) = amounts.get(&i) {
            unsettled += a;
            continue;
        }
        if let Some(p) = settles_at.get(&i) {
            unsettled -= amounts[p];
            continue;
        }
        if unsettled <= Decimal::ZERO || !f.amount.is_negative() || f.after.is_unstated() {
            continue;
        }
        if let Some((spend, available)) = overspends(f, unsettled) {
            findings.push(overspend_finding(chain, &src.entry(i), spend, available, unsettled));
        }
    }
    findings
}

/// Whether a pending grant at `ts`, unsettled, has waited long enough for a chain whose newest
/// entry is at `newest`.
pub(super) fn unsettled_long(newest: i64, ts: i64) -> bool {
    newest - ts >= UNSETTLED_AFTER
}

/// `(spend, available)` when `f`, a spend with `unsettled` pending, could only be covered by
/// the pending balance; the caller has checked it is a spend that states its balance.
pub(super) fn overspends<K: Amount>(f: &Fact<K>, unsettled: Decimal) -> Option<(Decimal, Decimal)> {
    let spend = f.amount.to_decimal().abs();
    let available = f.before().to_decimal();
    (available < spend && available + unsettled >= spend).then_some((spend, available))
}

/// `pending_unsettled`: pending grant `e` of `amount`, in a ledger that runs to `newest`.
pub(super) fn unsettled_finding(chain: &ChainKey, e: &Entry, amount: Decimal, newest: i64) -> Finding {
    Finding::new(
        FindingKind::PendingUnsettled,
        chain,
        &[e],
        Some(amount),
        format!(
            "{} ({}, pending {}) has not settled: no grant names it in Settles, and the ledger runs to {}, 30 days or more after it. Ask the vendor whether the payment behind it arrived.",
            e.txn_id, format_ts(e.ts), format(amount), format_ts(newest)
        ),
    )
}

/// `settled_amount_mismatch`: `grant` settles `pending`, of `pending_amount`, for `settled`.
pub(super) fn settled_mismatch_finding(
    chain: &ChainKey,
    pending: &Entry,
    grant: &Entry,
    pending_amount: Decimal,
    settled: Decimal,
) -> Finding {
    let delta = settled - pending_amount;
    Finding::new(
        FindingKind::SettledAmountMismatch,
        chain,
        &[pending, grant],
        Some(delta),
        format!(
            "{} ({}) settles {}, pending {} since {}, for {}: {} against what was pending. Confirm with the vendor which amount was paid.",
            grant.txn_id, format_ts(grant.ts), pending.txn_id, format(pending_amount),
            format_ts(pending.ts), format(settled), format_signed(delta)
        ),
    )
}

/// `pending_overspend`: `e` spends `spend` with `available`, `unsettled` still pending.
pub(super) fn overspend_finding(
    chain: &ChainKey,
    e: &Entry,
    spend: Decimal,
    available: Decimal,
    unsettled: Decimal,
) -> Finding {
    let shortfall = spend - available;
    Finding::new(
        FindingKind::PendingOverspend,
        chain,
        &[e],
        Some(shortfall),
        format!(
            "{} ({}) spends {} with {} available: {} of it could only come from the {} still pending. Ask the vendor why pending credits were spent before they settled.",
            e.txn_id, format_ts(e.ts), format(spend), format(available), format(shortfall), format(unsettled)
        ),
    )
}

/// A chain's pending grants and the grants that settle them.
struct Grants {
    /// Positions of the pending grants, in walk order.
    pending_at: Vec<usize>,
    /// Pending position -> its amount (as its `pending` label reads).
    amounts: HashMap<usize, Decimal>,
    /// Pending position -> the first grant (in walk order) that names it in `settles`.
    settled_by: HashMap<usize, usize>,
}

impl Grants {
    /// `None` when the chain has no pending grant.
    fn of<K: Amount>(facts: &[Fact<K>], src: &dyn Lookup, pending: usize, settles: usize) -> Option<Grants> {
        let pending_at: Vec<usize> = (0..facts.len()).filter(|&i| facts[i].dims[pending] != 0).collect();
        if pending_at.is_empty() {
            return None;
        }
        let pending_labels: Vec<u32> = pending_at.iter().map(|&i| facts[i].dims[pending]).collect();
        let amounts: HashMap<usize, Decimal> = pending_at
            .iter()
            .zip(src.labels(&pending_labels))
            .filter_map(|(&i, text)| crate::money::parse(&text).ok().map(|a| (i, a)))
            .collect();
        let settling: Vec<usize> = (0..facts.len()).filter(|&i| facts[i].dims[settles] != 0).collect();
        let settle_labels: Vec<u32> = settling.iter().map(|&i| facts[i].dims[settles]).collect();
        let texts = src.labels(&settle_labels);
        let wanted: Vec<&str> = texts.iter().map(|t| &**t).collect();
        let by_id = src.find_txns(&wanted);
        let mut settled_by: HashMap<usize, usize> = HashMap::default();
        for (&g, text) in settling.iter().zip(&texts) {
            if let Some(&p) = by_id.get(&**text).filter(|p| amounts.contains_key(p)) {
                settled_by.entry(p).or_insert(g);
            }
        }
        Some(Grants { pending_at, amounts, settled_by })
    }
}

/// The pending balance of a chain that keeps pending grants apart from the available balance:
/// what is granted but not yet settled, at the chain's end and after each entry that changes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingBalance {
    /// Pending at the chain's end: the pending grants no grant has settled yet.
    pub balance: Decimal,
    /// Available at the chain's end: the balance after the newest entry that states one (a
    /// pending grant states none and changes nothing available); `None` if none does.
    pub available: Option<Decimal>,
    /// After each entry that changes it (a pending grant adds its amount; the grant that
    /// settles one takes that pending amount away, whatever it settles for), in walk order.
    pub steps: Vec<PendingStep>,
    /// The pending grants no grant settles (yet), by entry id, in walk order.
    pub unsettled: Vec<i64>,
}

/// The pending balance after one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingStep {
    /// The entry's position in walk order.
    pub position: usize,
    /// Its time, Unix microseconds.
    pub ts: i64,
    pub pending: Decimal,
}

impl PendingBalance {
    /// Pending just after time `ts` (every entry at or before it counted); 0 before the first step.
    pub fn at(&self, ts: i64) -> Decimal {
        let n = self.steps.partition_point(|s| s.ts <= ts);
        n.checked_sub(1).map_or(Decimal::ZERO, |i| self.steps[i].pending)
    }
}

/// The pending balance of a chain whose source keeps pending grants in a `pending` dimension
/// and names what a grant settles in a `settles` one (by index into the facts' dimensions);
/// `None` when the chain has no pending grant.
pub(super) fn balance<K: Amount>(
    facts: &[Fact<K>],
    src: &dyn Lookup,
    pending: usize,
    settles: usize,
) -> Option<PendingBalance> {
    let Grants { pending_at, amounts, settled_by } = Grants::of(facts, src, pending, settles)?;
    let available = facts.iter().rev().find(|f| !f.after.is_unstated()).map(|f| f.after.to_decimal());
    Some(balance_of(&pending_at, &amounts, &settled_by, |i| (facts[i].ts, facts[i].row_id), available))
}

/// The pending balance from a chain's pending grants (positions in walk order), their amounts,
/// the grant that settles each, each position's `(time, entry id)` and the available balance.
pub(super) fn balance_of(
    pending_at: &[usize],
    amounts: &HashMap<usize, Decimal>,
    settled_by: &HashMap<usize, usize>,
    at: impl Fn(usize) -> (i64, i64),
    available: Option<Decimal>,
) -> PendingBalance {
    let unsettled = pending_at
        .iter()
        .filter(|p| amounts.contains_key(p) && !settled_by.contains_key(p))
        .map(|&p| at(p).1)
        .collect();
    let settles_at: HashMap<usize, usize> = settled_by.iter().map(|(&p, &g)| (g, p)).collect();
    let mut changes: Vec<(usize, Decimal)> =
        amounts.iter().map(|(&p, &a)| (p, a)).chain(settles_at.iter().map(|(&g, p)| (g, -amounts[p]))).collect();
    changes.sort_unstable_by_key(|&(i, _)| i);
    let mut balance = Decimal::ZERO;
    let steps = changes
        .into_iter()
        .map(|(position, change)| {
            balance += change;
            PendingStep { position, ts: at(position).0, pending: balance }
        })
        .collect();
    PendingBalance { balance, available, steps, unsettled }
}

/// `balance_break` over a run of entries that state no balance (pending grants): the balance
/// after the entry before the run must be the balance the entry after it starts from.
fn bridged_links<K: Amount>(chain: &ChainKey, facts: &[Fact<K>], src: &dyn Lookup) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut i = 1;
    while i < facts.len() {
        if !facts[i].after.is_unstated() || facts[i - 1].after.is_unstated() {
            i += 1;
            continue;
        }
        let before = i - 1;
        let mut next = i;
        while next < facts.len() && facts[next].after.is_unstated() {
            next += 1;
        }
        if next < facts.len() && facts[before].after != facts[next].before() {
            let entries = src.entries(&[before, next]);
            findings.push(bridge_finding(chain, &entries[0], &entries[1]));
        }
        i = next + 1;
    }
    findings
}

/// `balance_break` over a run of pending grants: `next` does not start where `before` left.
pub(super) fn bridge_finding(chain: &ChainKey, before: &Entry, next: &Entry) -> Finding {
    let delta = next.balance_before() - before.balance_after;
    Finding::new(
        FindingKind::BalanceBreak,
        chain,
        &[before, next],
        Some(delta),
        format!(
            "{} ({}) starts from an available balance of {}, but {} ({}) left {}: {} is unexplained between them. An entry may be missing from the export.",
            next.txn_id, format_ts(next.ts), format(next.balance_before()), before.txn_id,
            format_ts(before.ts), format(before.balance_after), format_signed(delta)
        ),
    )
}
