//! Rules for entries nobody can explain, each documented where it is defined:
//! `unknown_type`, `unmatched_refund`, `duplicate_charge`, `unusual_amount`, and the
//! `conflicting_duplicate` the store keeps when an export rewrote history.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use rust_decimal::Decimal;

use super::facts::{Amount, Lookup};
use super::Reference;
use crate::model::{format_ts, ChainKey, Conflict, Dims, Fact, Finding, FindingKind, REFUND};
use crate::money::{format, format_signed};

const SECOND: i64 = 1_000_000;

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

/// `unusual_amount`: an entry is far outside its type's own history when its magnitude is at
/// least `ratio` times the type's median magnitude **and** more than `mad_multiple` median
/// absolute deviations above that median. Types with fewer than `min_history` entries are not
/// judged. Both conditions together keep steady types (every DAILY_LOGIN is +10) from flagging
/// small variations and volatile types (PURCHASE packs) from flagging ordinary large packs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusualRule {
    pub min_history: usize,
    pub ratio: Decimal,
    pub mad_multiple: Decimal,
}

impl Default for UnusualRule {
    fn default() -> Self {
        UnusualRule { min_history: 20, ratio: Decimal::from(10), mad_multiple: Decimal::from(6) }
    }
}

pub(super) fn unexplained<K: Amount>(
    chain: &ChainKey,
    reference: &Reference<'_>,
    facts: &[Fact<K>],
    src: &dyn Lookup,
    config: &RuleConfig,
) -> Vec<Finding> {
    let labels = LabelKinds::new(src, reference);
    // The unusual-amount statistics need no `Lookup` (which is not thread-safe): they run on
    // the other core while the rules that fetch text run here.
    let (mut findings, flagged) = std::thread::scope(|scope| {
        let flagged = scope.spawn(|| unusual_candidates(facts, labels.refund.len(), &config.unusual));
        let mut findings =
            if reference.types.is_empty() { Vec::new() } else { unknown_types(chain, reference, facts, src, &labels) };
        let (unmatched, refunded) = refunds(chain, facts, src, &labels, config);
        findings.extend(unmatched);
        findings.extend(duplicate_charges(chain, facts, src, &labels, config, &refunded));
        (findings, flagged.join().expect("the unusual-amount thread panicked"))
    });
    findings.extend(unusual_amounts(chain, facts, src, flagged));
    findings
}

/// What the rules need to know about each label id, worked out once per label.
struct LabelKinds {
    known_type: Vec<bool>,
    refund: Vec<bool>,
}

impl LabelKinds {
    fn new(src: &dyn Lookup, reference: &Reference<'_>) -> Self {
        let n = src.label_count();
        LabelKinds {
            known_type: (0..n as u32).map(|id| reference.types.contains(&src.label(id))).collect(),
            refund: (0..n as u32).map(|id| src.label(id) == REFUND).collect(),
        }
    }

    fn is_refund<K>(&self, f: &Fact<K>) -> bool {
        self.refund.get(f.kind as usize).copied().unwrap_or(false)
    }

    fn is_charge<K: Amount>(&self, f: &Fact<K>) -> bool {
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
    (0..facts.len())
        .filter(|&i| !labels.known_type.get(facts[i].kind as usize).copied().unwrap_or(false))
        .map(|i| {
            let e = src.entry(i);
            Finding::new(
                FindingKind::UnknownType,
                chain,
                &[&e],
                None,
                format!(
                    "{} ({}, {}) has type {:?}, which is not on {}'s transaction types reference. Ask the vendor what it is.",
                    e.txn_id, format_ts(e.ts), format_signed(e.amount), &*e.kind, reference.title
                ),
            )
        })
        .collect()
}

/// `unmatched_refund`: a REFUND pairs with an earlier charge of the same magnitude. First the
/// charge its description names by ID; otherwise the nearest unpaired one within the window.
/// Each charge pairs at most once. Returns the findings and the refunded charges' indices.
fn refunds<K: Amount>(
    chain: &ChainKey,
    facts: &[Fact<K>],
    src: &dyn Lookup,
    labels: &LabelKinds,
    config: &RuleConfig,
) -> (Vec<Finding>, HashSet<usize>) {
    let refund_idx: Vec<usize> = (0..facts.len()).filter(|&i| labels.is_refund(&facts[i])).collect();
    let mut paired: HashSet<usize> = HashSet::default();
    if refund_idx.is_empty() {
        return (Vec::new(), paired);
    }
    let tokens =
        |r: usize| src.label(facts[r].description).split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'));
    let mut wanted: Vec<&str> = refund_idx.iter().flat_map(|&r| tokens(r)).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let by_id = src.find_txns(&wanted);
    // Only magnitudes some refund has can pair.
    let refund_amounts: HashSet<K> = refund_idx.iter().map(|&r| facts[r].amount).collect();
    let mut by_magnitude: HashMap<K, Vec<usize>> = HashMap::default();
    for (i, f) in facts.iter().enumerate() {
        if labels.is_charge(f) && refund_amounts.contains(&f.amount.negated()) {
            by_magnitude.entry(f.amount.negated()).or_default().push(i);
        }
    }
    let mut matched: HashSet<usize> = HashSet::default();
    // Pass 1: the charge named in the description.
    for &r in &refund_idx {
        let refund = &facts[r];
        let named = tokens(r).filter_map(|token| by_id.get(token).copied()).find(|&c| {
            labels.is_charge(&facts[c])
                && facts[c].amount.negated() == refund.amount
                && facts[c].ts <= refund.ts
                && !paired.contains(&c)
        });
        if let Some(c) = named {
            paired.insert(c);
            matched.insert(r);
        }
    }
    // Pass 2: the nearest earlier unpaired charge of the same magnitude within the window.
    let window = config.refund_window_secs * SECOND;
    for &r in &refund_idx {
        if matched.contains(&r) {
            continue;
        }
        let refund = &facts[r];
        let nearest = by_magnitude.get(&refund.amount).and_then(|cs| {
            cs.iter()
                .rev()
                .copied()
                .filter(|&c| c < r && refund.ts - facts[c].ts <= window && !paired.contains(&c))
                .max_by_key(|&c| facts[c].ts)
        });
        if let Some(c) = nearest {
            paired.insert(c);
            matched.insert(r);
        }
    }
    let findings = refund_idx
        .iter()
        .filter(|r| !matched.contains(r))
        .map(|&r| {
            let e = src.entry(r);
            Finding::new(
                FindingKind::UnmatchedRefund,
                chain,
                &[&e],
                Some(e.amount),
                format!(
                    "{} refunds {} on {} (\"{}\"), but no earlier charge of {} is named by it or left unpaired within {} days before it. Ask the vendor which charge it reverses.",
                    e.txn_id, format_signed(e.amount), format_ts(e.ts), e.description, format(e.amount),
                    config.refund_window_secs / 86_400
                ),
            )
        })
        .collect();
    (findings, paired)
}

/// `duplicate_charge`: two charges with different IDs and the same type, amount, description,
/// character and model within the window. A pair where either charge was refunded is settled
/// and not reported.
fn duplicate_charges<K: Amount>(
    chain: &ChainKey,
    facts: &[Fact<K>],
    src: &dyn Lookup,
    labels: &LabelKinds,
    config: &RuleConfig,
    refunded: &HashSet<usize>,
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
            let settled = refunded.contains(&prev) || refunded.contains(&i);
            if f.ts - facts[prev].ts <= window && !src.same_txn(prev, i) && !settled {
                let (p, e) = (src.entry(prev), src.entry(i));
                let whom = match (e.label("character"), e.label("model")) {
                    (Some(c), Some(m)) => format!(" with {c} on {m}"),
                    (Some(c), None) => format!(" with {c}"),
                    (None, Some(m)) => format!(" on {m}"),
                    (None, None) => String::new(),
                };
                findings.push(Finding::new(
                    FindingKind::DuplicateCharge,
                    chain,
                    &[&p, &e],
                    Some(e.amount),
                    format!(
                        "{} and {} are both {} charges of {} for \"{}\"{}, {} seconds apart ({}). If only one was delivered, ask for a refund of {}.",
                        p.txn_id, e.txn_id, e.kind, format(e.amount.abs()), e.description, whom,
                        (e.ts - p.ts) / SECOND, format_ts(e.ts), format(e.amount.abs())
                    ),
                ));
            }
        }
    }
    findings
}

/// The middle value of `values` (the middle two for an even count), in linear time; reorders
/// `values`. Empty input has none.
fn middle<K: Amount>(values: &mut [K]) -> Option<(K, K)> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (below, &mut upper, _) = values.select_nth_unstable(n / 2);
    let lower = if n % 2 == 1 { upper } else { below.iter().copied().max()? };
    Some((lower, upper))
}

/// An entry `unusual_amounts` flags, before its text is fetched.
#[derive(Debug)]
struct Unusual {
    index: usize,
    kind: u32,
    median: Decimal,
    floor: Decimal,
    history: usize,
}

/// `unusual_amount`: see `UnusualRule`.
fn unusual_amounts<K: Amount>(
    chain: &ChainKey,
    facts: &[Fact<K>],
    src: &dyn Lookup,
    flagged: Vec<Unusual>,
) -> Vec<Finding> {
    flagged
        .into_iter()
        .map(|u| {
            let e = src.entry(u.index);
            let kind = src.label(u.kind);
            let m = facts[u.index].amount.magnitude().to_decimal();
            Finding::new(
                FindingKind::UnusualAmount,
                chain,
                &[&e],
                Some(e.amount),
                format!(
                    "{} ({}) is a {} of {}, {}x the median {} amount of {} over {} entries (flagged from {}). Confirm it was intended.",
                    e.txn_id, format_ts(e.ts), kind, format_signed(e.amount), (m / u.median).round_dp(1), kind, format(u.median), u.history, format(u.floor)
                ),
            )
        })
        .collect()
}

/// The entries `unusual_amounts` reports, by type in label order, then in walk order. Needs
/// no `Lookup`, so it runs beside the other rules.
fn unusual_candidates<K: Amount>(facts: &[Fact<K>], type_count: usize, rule: &UnusualRule) -> Vec<Unusual> {
    let mut by_type: Vec<Vec<usize>> = vec![Vec::new(); type_count];
    for (i, f) in facts.iter().enumerate() {
        by_type[f.kind as usize].push(i);
    }
    let mut flagged = Vec::new();
    for (kind, idx) in by_type.iter().enumerate() {
        if idx.is_empty() || idx.len() < rule.min_history {
            continue;
        }
        let mut magnitudes: Vec<K> = idx.iter().map(|&i| facts[i].amount.magnitude()).collect();
        let Some((a, b)) = middle(&mut magnitudes) else { continue };
        let med = (a.to_decimal() + b.to_decimal()) / Decimal::TWO;
        if med.is_zero() {
            continue;
        }
        // |m - median| doubled, so it stays in K: the median of the middle two is (a + b) / 2.
        let mid = a + b;
        let mut deviations: Vec<K> =
            magnitudes.iter().map(|&m| if m + m >= mid { m + m - mid } else { mid - (m + m) }).collect();
        let Some((c, d)) = middle(&mut deviations) else { continue };
        let mad = (c.to_decimal() + d.to_decimal()) / Decimal::TWO / Decimal::TWO;
        let (at_least, above) = (med * rule.ratio, med + mad * rule.mad_multiple);
        let floor = at_least.max(above);
        // With a non-negative multiple only magnitudes above the median can pass: compare in
        // K first, in Decimal only then.
        let above_median_only = rule.mad_multiple >= Decimal::ZERO;
        for &i in idx {
            let magnitude = facts[i].amount.magnitude();
            if above_median_only && magnitude + magnitude <= mid {
                continue;
            }
            let m = magnitude.to_decimal();
            if m >= at_least && m > above {
                flagged.push(Unusual { index: i, kind: kind as u32, median: med, floor, history: idx.len() });
            }
        }
    }
    flagged
}

/// `conflicting_duplicate`: one transaction ID, two contents.
pub(super) fn conflicting_duplicate(chain: &ChainKey, c: &Conflict) -> Finding {
    let (s, o) = (&c.stored, &c.other);
    let mut finding = Finding::new(
        FindingKind::ConflictingDuplicate,
        chain,
        &[s],
        None,
        format!(
            "{} appears with two different contents: the ledger has {} {} \"{}\" at {} (balance after {}), but {}:{} says {} {} \"{}\" at {} (balance after {}). The export rewrote history; ask the vendor which is right.",
            s.txn_id, s.kind, format_signed(s.amount), s.description, format_ts(s.ts), format(s.balance_after),
            c.other_source, c.other_line, o.kind, format_signed(o.amount), o.description, format_ts(o.ts), format(o.balance_after)
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
