//! Rules for entries nobody can explain, each documented where it is defined:
//! `unknown_type`, `unmatched_refund`, `duplicate_charge`, `unusual_amount`, and the
//! `conflicting_duplicate` the store keeps when an export rewrote history. A source with a
//! `refund_of` column has its refunds paired by `refunds.rs`.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use rust_decimal::Decimal;

use super::facts::{Amount, Lookup};
use super::Reference;
use crate::model::{format_ts, ChainKey, Conflict, Dims, Fact, Finding, FindingKind, REFUND};
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
    // The unusual-amount statistics need no `Lookup` (which is not thread-safe): they run on
    // the other core while the rules that fetch text run here.
    let (mut findings, flagged) = std::thread::scope(|scope| {
        let flagged = scope.spawn(|| {
            let t = std::time::Instant::now();
            let flagged = unusual_candidates(facts, &labels, reference.price_dim, &config.unusual);
            crate::trace::phase("rules: unusual amounts (other core)", t);
            flagged
        });
        let mut findings =
            if reference.types.is_empty() { Vec::new() } else { unknown_types(chain, reference, facts, src, &labels) };
        let t = crate::trace::phase("rules: unknown types", t);
        let named_by_column = reference.dimensions.iter().position(|&d| d == super::refunds::REFUND_OF);
        let (refund_findings, refunded) = match named_by_column {
            Some(dim) => super::refunds::named_by_column(chain, facts, src, &labels, config, dim),
            None => refunds(chain, facts, src, &labels, config),
        };
        findings.extend(refund_findings);
        let t = crate::trace::phase("rules: refunds", t);
        let dim = |key| reference.dimensions.iter().position(|&d| d == key);
        if let (Some(pending), Some(settles)) = (dim(super::pending::PENDING), dim(super::pending::SETTLES)) {
            findings.extend(super::pending::findings(chain, facts, src, pending, settles));
        }
        let t = crate::trace::phase("rules: pending grants", t);
        if let (Some(grant), Some(expires)) =
            (dim(super::expired_grants::GRANT), dim(super::expired_grants::EXPIRES_AT))
        {
            findings.extend(super::expired_grants::findings(chain, facts, src, grant, expires));
        }
        findings.extend(duplicate_charges(chain, facts, src, &labels, config, &refunded));
        crate::trace::phase("rules: duplicates", t);
        (findings, flagged.join().expect("the unusual-amount thread panicked"))
    });
    findings.extend(unusual_amounts(chain, facts, src, flagged));
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
        let (mut known_type, mut refund) = (HashSet::default(), HashSet::default());
        for kind in kinds {
            let text = src.label(kind);
            if reference.types.contains(&&*text) {
                known_type.insert(kind);
            }
            if &*text == REFUND {
                refund.insert(kind);
            }
        }
        LabelKinds { known_type, refund }
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
    src.entries(&unknown)
        .into_iter()
        .map(|e| {
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
    let tokens = |r: usize| descriptions[&r].split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'));
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
        let nearest = by_magnitude.get(&refund.amount).and_then(|cs| {
            cs.iter()
                .rev()
                .copied()
                .filter(|&c| c < r && refund.ts - facts[c].ts <= window && !paired.contains_key(&c))
                .max_by_key(|&c| facts[c].ts)
        });
        if let Some(c) = nearest {
            paired.insert(c, r);
            matched.insert(r);
        }
    }
    let unmatched: Vec<usize> = refund_idx.iter().copied().filter(|r| !matched.contains(r)).collect();
    let mut findings: Vec<Finding> = src
        .entries(&unmatched)
        .into_iter()
        .map(|e| {
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
    for (r, c) in mismatched {
        let (refund, charge) = (src.entry(r), src.entry(c));
        let delta = refund.amount - charge.amount.abs();
        let what = if delta < Decimal::ZERO { "a partial refund" } else { "more than was charged" };
        findings.push(Finding::new(
            FindingKind::RefundMismatch,
            chain,
            &[&refund, &charge],
            Some(delta),
            format!(
                "{} refunds {} on {}, naming {} ({} charge of {} on {}): {} ({} {}). Confirm the refund's amount with the vendor.",
                refund.txn_id, format_signed(refund.amount), format_ts(refund.ts), charge.txn_id, charge.kind,
                format(charge.amount.abs()), format_ts(charge.ts), what, format_signed(delta),
                if delta < Decimal::ZERO { "not refunded" } else { "beyond the charge" }
            ),
        ));
    }
    (findings, paired)
}

/// Whether a refund's description says it reverses a duplicate charge.
fn reverses_duplicate(description: &str) -> bool {
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
                let (p, e) = (src.entry(prev), src.entry(i));
                let refund_note = refund.map(|r| src.entry(r)).map_or_else(String::new, |r| {
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
                findings.push(Finding::new(
                    FindingKind::DuplicateCharge,
                    chain,
                    &[&p, &e],
                    Some(e.amount),
                    format!(
                        "{} and {} are both {} charges of {} for \"{}\"{}, {} seconds apart ({}). If only one was delivered, ask for a refund of {}.{}",
                        p.txn_id, e.txn_id, e.kind, format(e.amount.abs()), e.description, whom,
                        (e.ts - p.ts) / SECOND, format_ts(e.ts), format(e.amount.abs()), refund_note
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
    /// What it was compared with.
    group: Group,
    median: Decimal,
    /// The group's regular high (see `UnusualRule`).
    high: Decimal,
    history: usize,
}

/// The charges an entry is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Group {
    /// Its type on its price dimension's value (label id; 0: none).
    TypeAndPrice(u32, u32),
    Type(u32),
}

/// `unusual_amount`: see `UnusualRule`. Entries are fetched in one batch.
fn unusual_amounts<K: Amount>(
    chain: &ChainKey,
    facts: &[Fact<K>],
    src: &dyn Lookup,
    flagged: Vec<Unusual>,
) -> Vec<Finding> {
    let entries = src.entries(&flagged.iter().map(|u| u.index).collect::<Vec<_>>());
    flagged
        .into_iter()
        .zip(entries)
        .map(|(u, e)| {
            let m = facts[u.index].amount.magnitude().to_decimal();
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
    let n = history.len();
    let mut magnitudes: Vec<K> = history.iter().map(|&i| facts[i].amount.magnitude()).collect();
    let Some((a, b)) = middle(&mut magnitudes) else { return };
    let med = (a.to_decimal() + b.to_decimal()) / Decimal::TWO;
    if med.is_zero() {
        return;
    }
    // The regular high: all but the top 1% (all but 3 in small groups) stay at or under it.
    let outliers = (n / 100).max(3).min(n - 1);
    let (_, &mut high, _) = magnitudes.select_nth_unstable(n - 1 - outliers);
    let high = high.to_decimal();
    // |m - median| doubled, so it stays in K: the median of the middle two is (a + b) / 2.
    let mid = a + b;
    let mut deviations: Vec<K> =
        magnitudes.iter().map(|&m| if m + m >= mid { m + m - mid } else { mid - (m + m) }).collect();
    let Some((c, d)) = middle(&mut deviations) else { return };
    let mad = (c.to_decimal() + d.to_decimal()) / Decimal::TWO / Decimal::TWO;
    let floor = (med * rule.ratio).max(high * rule.gap);
    let above = med + mad * rule.mad_multiple;
    let recurring = rule.recurring.max(n / 1000);
    for &i in judged {
        let magnitude = facts[i].amount.magnitude();
        if magnitude + magnitude <= mid {
            continue;
        }
        let m = magnitude.to_decimal();
        if m < floor || m <= above {
            continue;
        }
        // A price level this group keeps charging is a regular price, not an outlier.
        let same = history.iter().filter(|&&j| facts[j].amount.magnitude() == magnitude).count();
        if same >= recurring {
            continue;
        }
        flagged.push(Unusual { index: i, group, median: med, high, history: n });
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
