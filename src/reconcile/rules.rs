//! Rules for entries nobody can explain, each documented where it is defined:
//! `unknown_type`, `unmatched_refund`, `duplicate_charge`, `unusual_amount`, and the
//! `conflicting_duplicate` the store keeps when an export rewrote history. A source with a
//! `refund_of` column has its refunds paired by `refunds.rs`.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use rust_decimal::Decimal;

use super::facts::{Amount, Lookup};
use super::Reference;
use crate::model::{format_ts, ChainKey, Conflict, Dims, Entry, Fact, Finding, FindingKind, REFUND};
use crate::money::{format, format_signed};

pub(super) const SECOND: i64 = 1_000_000;

/// Thresholds of the rules. Defaults are what `reckon check` uses unless told otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleConfig {
    /// A refund pairs with an unpaired charge of the same magnitude at most this long before it.
    pub refund_window_secs: i64,
    /// Two identical charges at most this far apart are a possible duplicate.
    pub duplicate_window_secs: i64,
    pub unusual: UnusualRule,
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig { refund_window_secs: 7 * 24 * 3600, duplicate_window_secs: 10, unusual: UnusualRule::default() }
    }
}

/// `unusual_amount` judges **charges** only: credits (grants, rewards, prizes, refunds) are
/// not judged by size (a rare big prize is what a prize table promises; a refund is judged
/// against the charge it names, `refund_mismatch`). A charge is compared with the charges of
/// its type on its price dimension (Reverie: the same model), or, when those are fewer than
/// `min_history`, of its type, or else with every charge of the chain. It is unusual when its
/// magnitude is at least `ratio` times the group's median, more than `mad_multiple` median
/// absolute deviations above it, **and** at least `gap` times the group's regular high
/// (the magnitude that all but the top 1% of the group stay under, or all but 3 entries for
/// small groups), so a heavy but continuous tail (long replies) is not flagged; and its exact
/// amount does not recur in the group (a price level that at least `recurring` entries, and
/// one in a thousand, share is a regular price).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusualRule {
    pub min_history: usize,
    pub ratio: Decimal,
    pub mad_multiple: Decimal,
    pub gap: Decimal,
    pub recurring: usize,
}

impl Default for UnusualRule {
    fn default() -> Self {
        UnusualRule {
            min_history: 20,
            ratio: Decimal::from(10),
            mad_multiple: Decimal::from(6),
            gap: Decimal::from(3),
            recurring: 3,
        }
    }
}

pub(super) fn unexplained<K: Amount>(
    chain: &ChainKey,
    reference: &Reference<'_>,
    facts: &[Fact<K>],
    src: &dyn Lookup,
    config: &RuleConfig,
) -> Vec<Finding> {
    let t = std::time::Instant::now();
    let labels = LabelKinds::new(facts, src, reference);
    let t = crate::trace::phase("rules: types", t);
    // The unusual-amount statistics need no `Lookup` (which is not thread-safe): on a long
    // chain they run on the other core while the rules that fetch text run here; on a short one
    // a thread costs more than it saves (a customer base checks 100,000 chains of 100).
    let statistics = || {
        let t = std::time::Instant::now();
        let flagged = unusual_candidates(facts, &labels, reference.price_dim, &config.unusual);
        crate::trace::phase("rules: unusual amounts", t);
        flagged
    };
    let (mut findings, flagged) = if facts.len() >= OTHER_CORE_MIN {
        std::thread::scope(|scope| {
            let flagged = scope.spawn(statistics);
            let findings = text_rules(chain, reference, facts, src, &labels, config, t);
            (findings, flagged.join().expect("the unusual-amount thread panicked"))
        })
    } else {
        (text_rules(chain, reference, facts, src, &labels, config, t), statistics())
    };
    findings.extend(unusual_amounts(chain, src, flagged));
    findings
}

/// Facts from which the unusual-amount statistics run on a second thread.
const OTHER_CORE_MIN: usize = 20_000;

/// The rules that fetch entries' text through `src`: unknown types, refunds, pending and
/// expired grants, duplicate charges.
fn text_rules<K: Amount>(
    chain: &ChainKey,
    reference: &Reference<'_>,
    facts: &[Fact<K>],
    src: &dyn Lookup,
    labels: &LabelKinds,
    config: &RuleConfig,
    t: std::time::Instant,
) -> Vec<Finding> {
    let mut findings =
        if reference.types.is_empty() { Vec::new() } else { unknown_types(chain, reference, facts, src, labels) };
    let t = crate::trace::phase("rules: unknown types", t);
    let named_by_column = reference.dimensions.iter().position(|&d| d == super::refunds::REFUND_OF);
    let (refund_findings, refunded) = match named_by_column {
        Some(dim) => super::refunds::named_by_column(chain, facts, src, labels, config, dim),
        None => refunds(chain, facts, src, labels, config),
    };
    findings.extend(refund_findings);
    let t = crate::trace::phase("rules: refunds", t);
    let dim = |key| reference.dimensions.iter().position(|&d| d == key);
    if let (Some(pending), Some(settles)) = (dim(super::pending::PENDING), dim(super::pending::SETTLES)) {
        findings.extend(super::pending::findings(chain, facts, src, pending, settles));
    }
    let t = crate::trace::phase("rules: pending grants", t);
    if let (Some(grant), Some(expires)) = (dim(super::expired_grants::GRANT), dim(super::expired_grants::EXPIRES_AT)) {
        findings.extend(super::expired_grants::findings(chain, facts, src, grant, expires));
    }
    findings.extend(duplicate_charges(chain, facts, src, labels, config, &refunded));
    crate::trace::phase("rules: duplicates", t);
    findings
}

/// What the rules need to know about each type, worked out once per type the chain has (not
/// per label: descriptions may be millions of labels).
pub(super) struct LabelKinds {
    known_type: HashSet<u32>,
    refund: HashSet<u32>,
}

impl LabelKinds {
    fn new<K>(facts: &[Fact<K>], src: &dyn Lookup, reference: &Reference<'_>) -> Self {
        let mut kinds: Vec<u32> = facts.iter().map(|f| f.kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let mut labels = LabelKinds::empty();
        for kind in kinds {
            labels.learn(kind, src, reference);
        }
        labels
    }

    /// Knows no type yet: a caller that streams a chain learns each type as it meets it.
    pub(super) fn empty() -> Self {
        LabelKinds { known_type: HashSet::default(), refund: HashSet::default() }
    }

    /// Learns what type `kind` is; returns whether it is on the reference table and whether
    /// it is a refund.
    pub(super) fn learn(&mut self, kind: u32, src: &dyn Lookup, reference: &Reference<'_>) -> (bool, bool) {
        let text = src.label(kind);
        let (known, refund) = (reference.types.contains(&&*text), &*text == REFUND);
        if known {
            self.known_type.insert(kind);
        }
        if refund {
            self.refund.insert(kind);
        }
        (known, refund)
    }

    pub(super) fn is_refund<K>(&self, f: &Fact<K>) -> bool {
        self.refund.contains(&f.kind)
    }

    pub(super) fn is_charge<K: Amount>(&self, f: &Fact<K>) -> bool {
        f.amount.is_negative() && !self.is_refund(f)
    }
}

/// `unknown_type`: a type that is not on the vendor's reference table.
fn unknown_types<K: Amount>(
    chain: &ChainKey,
    reference: &Reference<'_>,
    facts: &[Fact<K>],
    src: &dyn Lookup,
    labels: &LabelKinds,
) -> Vec<Finding> {
    let unknown: Vec<usize> = (0..facts.len()).filter(|&i| !labels.known_type.contains(&facts[i].kind)).collect();
    src.entries(&unknown).into_iter().map(|e| unknown_type_finding(chain, reference, &e)).collect()
}

/// The `unknown_type` finding of entry `e`.
pub(super) fn unknown_type_finding(chain: &ChainKey, reference: &Reference<'_>, e: &Entry) -> Finding {
    Finding::new(
        FindingKind::UnknownType,
        chain,
        &[e],
        None,
        format!(
            "{} ({}, {}) has type {:?}, which is not on {}'s transaction types reference. Ask the vendor what it is.",
            e.txn_id,
            format_ts(e.ts),
            format_signed(e.amount),
            &*e.kind,
            reference.title
        ),
    )
}

/// `unmatched_refund` and `refund_mismatch`: a REFUND pairs with an earlier charge. First the
/// charge its description names by ID, whatever its amount (a refund of another amount than
/// the charge it names, a partial refund included, is a `refund_mismatch` for a person to
/// confirm); otherwise the nearest unpaired charge of the same magnitude within the window.
/// Each charge pairs at most once. Returns the findings and, for each refunded charge's
/// index, the refund's.
fn refunds<K: Amount>(
    chain: &ChainKey,
    facts: &[Fact<K>],
    src: &dyn Lookup,
    labels: &LabelKinds,
    config: &RuleConfig,
) -> (Vec<Finding>, HashMap<usize, usize>) {
    let refund_idx: Vec<usize> = (0..facts.len()).filter(|&i| labels.is_refund(&facts[i])).collect();
    let mut paired: HashMap<usize, usize> = HashMap::default();
    if refund_idx.is_empty() {
        return (Vec::new(), paired);
    }
    let texts = src.labels(&refund_idx.iter().map(|&r| facts[r].description).collect::<Vec<_>>());
    let descriptions: HashMap<usize, std::sync::Arc<str>> = refund_idx.iter().copied().zip(texts).collect();
    let tokens = |r: usize| id_tokens(&descriptions[&r]);
    let mut wanted: Vec<&str> = refund_idx.iter().flat_map(|&r| tokens(r)).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let by_id = src.find_txns(&wanted);
    // Only magnitudes some refund has can pair by amount.
    let refund_amounts: HashSet<K> = refund_idx.iter().map(|&r| facts[r].amount).collect();
    let mut by_magnitude: HashMap<K, Vec<usize>> = HashMap::default();
    for (i, f) in facts.iter().enumerate() {
        if labels.is_charge(f) && refund_amounts.contains(&f.amount.negated()) {
            by_magnitude.entry(f.amount.negated()).or_default().push(i);
        }
    }
    let mut matched: HashSet<usize> = HashSet::default();
    // (refund, charge) pairs whose amounts differ.
    let mut mismatched: Vec<(usize, usize)> = Vec::new();
    // Pass 1: the charge named in the description.
    for &r in &refund_idx {
        let refund = &facts[r];
        let named = tokens(r)
            .filter_map(|token| by_id.get(token).copied())
            .find(|&c| labels.is_charge(&facts[c]) && facts[c].ts <= refund.ts && !paired.contains_key(&c));
        if let Some(c) = named {
            paired.insert(c, r);
            matched.insert(r);
            if facts[c].amount.negated() != refund.amount {
                mismatched.push((r, c));
            }
        }
    }
    // Pass 2: the nearest earlier unpaired charge of the same magnitude within the window.
    let window = config.refund_window_secs * SECOND;
    for &r in &refund_idx {
        if matched.contains(&r) {
            continue;
        }
        let refund = &facts[r];
        // The latest time wins; of charges at that time, the oldest in walk order. Charges
        // are in walk order, so time order: search back from the refund.
        let nearest = by_magnitude.get(&refund.amount).and_then(|cs| {
            let mut nearest: Option<usize> = None;
            for &c in cs[..cs.partition_point(|&c| c < r)].iter().rev() {
                if refund.ts - facts[c].ts > window || nearest.is_some_and(|n| facts[c].ts < facts[n].ts) {
                    break;
                }
                if !paired.contains_key(&c) {
                    nearest = Some(c);
                }
            }
            nearest
        });
        if let Some(c) = nearest {
            paired.insert(c, r);
            matched.insert(r);
        }
    }
    let unmatched: Vec<usize> = refund_idx.iter().copied().filter(|r| !matched.contains(r)).collect();
    let mut findings: Vec<Finding> =
        src.entries(&unmatched).into_iter().map(|e| unmatched_refund_finding(chain, config, &e)).collect();
    for (r, c) in mismatched {
        findings.push(refund_mismatch_finding(chain, &src.entry(r), &src.entry(c)));
    }
    (findings, paired)
}

/// The words of a refund's description that may be the transaction ID of the charge it names.
pub(super) fn id_tokens(description: &str) -> impl Iterator<Item = &str> {
    description.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
}

/// The `unmatched_refund` finding of refund `e`.
pub(super) fn unmatched_refund_finding(chain: &ChainKey, config: &RuleConfig, e: &Entry) -> Finding {
    Finding::new(
        FindingKind::UnmatchedRefund,
        chain,
        &[e],
        Some(e.amount),
        format!(
            "{} refunds {} on {} (\"{}\"), but no earlier charge of {} is named by it or left unpaired within {} days before it. Ask the vendor which charge it reverses.",
            e.txn_id, format_signed(e.amount), format_ts(e.ts), e.description, format(e.amount),
            config.refund_window_secs / 86_400
        ),
    )
}

/// The `refund_mismatch` finding of a refund that names a charge of another amount.
pub(super) fn refund_mismatch_finding(chain: &ChainKey, refund: &Entry, charge: &Entry) -> Finding {
    let delta = refund.amount - charge.amount.abs();
    let what = if delta < Decimal::ZERO { "a partial refund" } else { "more than was charged" };
    Finding::new(
        FindingKind::RefundMismatch,
        chain,
        &[refund, charge],
        Some(delta),
        format!(
            "{} refunds {} on {}, naming {} ({} charge of {} on {}): {} ({} {}). Confirm the refund's amount with the vendor.",
            refund.txn_id, format_signed(refund.amount), format_ts(refund.ts), charge.txn_id, charge.kind,
            format(charge.amount.abs()), format_ts(charge.ts), what, format_signed(delta),
            if delta < Decimal::ZERO { "not refunded" } else { "beyond the charge" }
        ),
    )
}

/// Whether a refund's description says it reverses a duplicate charge.
pub(super) fn reverses_duplicate(description: &str) -> bool {
    description.to_lowercase().contains("duplicate")
}

/// `duplicate_charge`: two charges with different IDs and the same type, amount, description
/// and dimensions (character and model) within the window. A pair is settled, and not
/// reported, when both charges were refunded, or one was by a refund that says it reverses a
/// duplicate. When one was refunded for another reason (no reply generated), the other is
/// still owed back: reported, citing that refund.
fn duplicate_charges<K: Amount>(
    chain: &ChainKey,
    facts: &[Fact<K>],
    src: &dyn Lookup,
    labels: &LabelKinds,
    config: &RuleConfig,
    refunded: &HashMap<usize, usize>,
) -> Vec<Finding> {
    type Key<K> = (u32, K, u32, Dims);
    let key = |f: &Fact<K>| -> Key<K> { (f.kind, f.amount, f.description, f.dims) };
    // The latest charge of each kind within the window before the current one: facts are in
    // time order, so charges older than the window leave the map as the walk passes them,
    // and the map stays as small as a window's worth of charges.
    let mut last_seen: HashMap<Key<K>, usize> = HashMap::default();
    let mut in_window: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    let window = config.duplicate_window_secs * SECOND;
    let mut findings = Vec::new();
    for (i, f) in facts.iter().enumerate() {
        if !labels.is_charge(f) {
            continue;
        }
        while let Some(&old) = in_window.front() {
            if f.ts - facts[old].ts <= window {
                break;
            }
            in_window.pop_front();
            let k = key(&facts[old]);
            if last_seen.get(&k) == Some(&old) {
                last_seen.remove(&k);
            }
        }
        in_window.push_back(i);
        if let Some(prev) = last_seen.insert(key(f), i) {
            let refund = match (refunded.get(&prev), refunded.get(&i)) {
                (Some(_), Some(_)) => continue,
                (Some(&r), None) | (None, Some(&r)) => Some(r),
                (None, None) => None,
            };
            if let Some(r) = refund {
                if reverses_duplicate(&src.label(facts[r].description)) {
                    continue;
                }
            }
            if f.ts - facts[prev].ts <= window && !src.same_txn(prev, i) {
                let refund = refund.map(|r| src.entry(r));
                findings.push(duplicate_finding(chain, &src.entry(prev), &src.entry(i), refund.as_ref()));
            }
        }
    }
    findings
}

/// The `duplicate_charge` finding of charges `p` and `e`, citing the refund of one of them
/// that does not say it reverses a duplicate.
pub(super) fn duplicate_finding(chain: &ChainKey, p: &Entry, e: &Entry, refund: Option<&Entry>) -> Finding {
    let refund_note = refund.map_or_else(String::new, |r| {
        format!(
            " {} refunded one of them ({}, \"{}\") but does not say it reverses a duplicate, so the other is still owed back.",
            r.txn_id, format_signed(r.amount), r.description
        )
    });
    let whom = match (e.label("character"), e.label("model")) {
        (Some(c), Some(m)) => format!(" with {c} on {m}"),
        (Some(c), None) => format!(" with {c}"),
        (None, Some(m)) => format!(" on {m}"),
        (None, None) => String::new(),
    };
    Finding::new(
        FindingKind::DuplicateCharge,
        chain,
        &[p, e],
        Some(e.amount),
        format!(
            "{} and {} are both {} charges of {} for \"{}\"{}, {} seconds apart ({}). If only one was delivered, ask for a refund of {}.{}",
            p.txn_id, e.txn_id, e.kind, format(e.amount.abs()), e.description, whom,
            (e.ts - p.ts) / SECOND, format_ts(e.ts), format(e.amount.abs()), refund_note
        ),
    )
}

/// A group's magnitudes as `(value, how many)`, values ascending and distinct.
pub(super) fn counted<K: Amount>(counts: impl IntoIterator<Item = (K, usize)>) -> Vec<(K, usize)> {
    let mut counts: Vec<(K, usize)> = counts.into_iter().collect();
    counts.sort_unstable_by_key(|c| c.0);
    counts
}

/// The value at rank `k` (0: the smallest) of a multiset counted by value, ascending.
fn rank<K: Copy>(sorted: &[(K, usize)], mut k: usize) -> Option<K> {
    for &(value, count) in sorted {
        if k < count {
            return Some(value);
        }
        k -= count;
    }
    None
}

/// The middle value of a multiset of `n` counted by value (the middle two for an even count).
fn middle<K: Copy>(sorted: &[(K, usize)], n: usize) -> Option<(K, K)> {
    if n == 0 {
        return None;
    }
    let upper = rank(sorted, n / 2)?;
    let lower = if n % 2 == 1 { upper } else { rank(sorted, n / 2 - 1)? };
    Some((lower, upper))
}

/// What `UnusualRule` judges a group's charges by: order statistics of the group's magnitudes,
/// which depend only on how many charges have each magnitude, so a caller that streams the
/// chain can count them in one pass and judge in the next.
#[derive(Debug, Clone, Copy)]
pub(super) struct Thresholds<K> {
    median: Decimal,
    /// The group's regular high (see `UnusualRule`).
    high: Decimal,
    history: usize,
    /// The middle two magnitudes added: |m - median| doubled stays in K.
    mid: K,
    floor: Decimal,
    above: Decimal,
    recurring: usize,
}

impl<K: Amount> Thresholds<K> {
    /// The thresholds of a group whose magnitudes are `sorted` (see `counted`); `None` when it
    /// judges nothing (no charges, or a median of zero).
    pub(super) fn new(sorted: &[(K, usize)], rule: &UnusualRule) -> Option<Thresholds<K>> {
        let n: usize = sorted.iter().map(|c| c.1).sum();
        let (a, b) = middle(sorted, n)?;
        let median = (a.to_decimal() + b.to_decimal()) / Decimal::TWO;
        if median.is_zero() {
            return None;
        }
        // The regular high: all but the top 1% (all but 3 in small groups) stay at or under it.
        let outliers = (n / 100).max(3).min(n - 1);
        let high = rank(sorted, n - 1 - outliers)?.to_decimal();
        let mid = a + b;
        let deviations =
            counted(sorted.iter().map(|&(m, c)| (if m + m >= mid { m + m - mid } else { mid - (m + m) }, c)));
        let (c, d) = middle(&deviations, n)?;
        let mad = (c.to_decimal() + d.to_decimal()) / Decimal::TWO / Decimal::TWO;
        Some(Thresholds {
            median,
            high,
            history: n,
            mid,
            floor: (median * rule.ratio).max(high * rule.gap),
            above: median + mad * rule.mad_multiple,
            recurring: rule.recurring.max(n / 1000),
        })
    }

    /// Whether a charge of `magnitude`, which `same` charges of the group share, is unusual.
    pub(super) fn judges(&self, magnitude: K, same: usize) -> bool {
        if magnitude + magnitude <= self.mid {
            return false;
        }
        let m = magnitude.to_decimal();
        // A price level this group keeps charging is a regular price, not an outlier.
        m >= self.floor && m > self.above && same < self.recurring
    }

    /// The entry at `index`, of `magnitude`, flagged against this group.
    pub(super) fn flag(&self, index: usize, magnitude: K, group: Group) -> Unusual {
        Unusual {
            index,
            group,
            magnitude: magnitude.to_decimal(),
            median: self.median,
            high: self.high,
            history: self.history,
        }
    }
}

/// An entry `unusual_amounts` flags, before its text is fetched.
#[derive(Debug)]
pub(super) struct Unusual {
    pub(super) index: usize,
    /// Its amount's magnitude.
    magnitude: Decimal,
    /// What it was compared with.
    group: Group,
    median: Decimal,
    /// The group's regular high (see `UnusualRule`).
    high: Decimal,
    history: usize,
}

/// The charges an entry is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Group {
    /// Its type on its price dimension's value (label id; 0: none).
    TypeAndPrice(u32, u32),
    Type(u32),
}

/// `unusual_amount`: see `UnusualRule`. Entries are fetched in one batch.
pub(super) fn unusual_amounts(chain: &ChainKey, src: &dyn Lookup, flagged: Vec<Unusual>) -> Vec<Finding> {
    let entries = src.entries(&flagged.iter().map(|u| u.index).collect::<Vec<_>>());
    flagged
        .into_iter()
        .zip(entries)
        .map(|(u, e)| {
            let m = u.magnitude;
            let over = match u.group {
                Group::TypeAndPrice(kind, price) if price != 0 => {
                    format!("{} charges on {}", src.label(kind), src.label(price))
                }
                Group::TypeAndPrice(kind, _) | Group::Type(kind) => format!("{} charges", src.label(kind)),
            };
            Finding::new(
                FindingKind::UnusualAmount,
                chain,
                &[&e],
                Some(e.amount),
                format!(
                    "{} ({}) is a {} charge of {}, {}x the median of {} over {} {} and {}x their regular high of {}. Confirm it was intended.",
                    e.txn_id, format_ts(e.ts), e.kind, format_signed(e.amount), (m / u.median).round_dp(1),
                    format(u.median), u.history, over, (m / u.high).round_dp(1), format(u.high)
                ),
            )
        })
        .collect()
}

/// The charges `unusual_amounts` reports, in walk order. Needs no `Lookup`, so it runs beside
/// the other rules; linear in the number of charges.
fn unusual_candidates<K: Amount>(
    facts: &[Fact<K>],
    labels: &LabelKinds,
    price_dim: Option<usize>,
    rule: &UnusualRule,
) -> Vec<Unusual> {
    let charges: Vec<usize> = (0..facts.len()).filter(|&i| labels.is_charge(&facts[i])).collect();
    let mut by_price: HashMap<(u32, u32), Vec<usize>> = HashMap::default();
    for &i in &charges {
        let price = price_dim.and_then(|d| facts[i].dims.get(d).copied()).unwrap_or(0);
        by_price.entry((facts[i].kind, price)).or_default().push(i);
    }
    // Entries of groups too small to judge fall back to their type. A type with too few
    // charges is not judged: few entries say nothing of a price (videos cost more than replies).
    let mut by_type: HashMap<u32, Vec<usize>> = HashMap::default();
    let mut flagged = Vec::new();
    for ((kind, price), idx) in by_price {
        if idx.len() >= rule.min_history {
            flag_unusual(facts, Group::TypeAndPrice(kind, price), &idx, &idx, rule, &mut flagged);
        } else {
            by_type.entry(kind).or_default().extend(idx);
        }
    }
    for (kind, small) in by_type {
        let whole: Vec<usize> = charges.iter().copied().filter(|&i| facts[i].kind == kind).collect();
        if whole.len() >= rule.min_history {
            flag_unusual(facts, Group::Type(kind), &whole, &small, rule, &mut flagged);
        }
    }
    flagged.sort_by_key(|u| u.index);
    flagged
}

/// Flags the entries of `judged` that are unusual among the magnitudes of `history`.
fn flag_unusual<K: Amount>(
    facts: &[Fact<K>],
    group: Group,
    history: &[usize],
    judged: &[usize],
    rule: &UnusualRule,
    flagged: &mut Vec<Unusual>,
) {
    let mut counts: HashMap<K, usize> = HashMap::default();
    for &i in history {
        *counts.entry(facts[i].amount.magnitude()).or_default() += 1;
    }
    let Some(thresholds) = Thresholds::new(&counted(counts.iter().map(|(&m, &c)| (m, c))), rule) else { return };
    for &i in judged {
        let magnitude = facts[i].amount.magnitude();
        if thresholds.judges(magnitude, counts[&magnitude]) {
            flagged.push(thresholds.flag(i, magnitude, group));
        }
    }
}

/// `conflicting_duplicate`: one transaction ID, two contents.
pub(super) fn conflicting_duplicate(chain: &ChainKey, c: &Conflict) -> Finding {
    let (s, o) = (&c.stored, &c.other);
    // A source without a running balance states none (the usage feed without its Balance).
    let after = |d: Decimal| {
        if super::states_balance(d) {
            format!("balance after {}", format(d))
        } else {
            "no balance".into()
        }
    };
    let mut finding = Finding::new(
        FindingKind::ConflictingDuplicate,
        chain,
        &[s],
        None,
        format!(
            "{} appears with two different contents: the ledger has {} {} \"{}\" at {} ({}), but {}:{} says {} {} \"{}\" at {} ({}). The export rewrote history; ask the vendor which is right.",
            s.txn_id, s.kind, format_signed(s.amount), s.description, format_ts(s.ts), after(s.balance_after),
            c.other_source, c.other_line, o.kind, format_signed(o.amount), o.description, format_ts(o.ts), after(o.balance_after)
        ),
    );
    // Two different rewrites of one ID are two findings.
    let variant = c.other_hash;
    finding.id = crate::model::finding_id(
        FindingKind::ConflictingDuplicate,
        chain,
        &[s.txn_id.clone(), format!("{variant:016x}")],
        None,
    );
    finding
}
