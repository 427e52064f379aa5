//! Matching two sources that describe the same money (FORMATS.md section 7, `reckon match`):
//! the entries of one account paired with those of another, entry to entry. Pure: entries in,
//! pairs and one-sided entries out; the store keeps the result and `check` reports each
//! one-sided entry as an `unmatched_across_sources`.
//!
//! How entries pair, in this order:
//! 1. by transaction ID, where the same ID is on both sides (and the currency agrees);
//! 2. the rest by currency and amount as the ledger sees it (a usage record's credits are
//!    stored as spent, negative, like the ledger's charge), within the time tolerance; among
//!    several candidates the one whose description shares the most words wins, then the one
//!    closest in time, then the earliest. Each entry pairs at most once.
//!
//! Entries of amount 0 (a pending grant, a failed top-up, a credit grant's own record) move
//! no money and take no part.

use rustc_hash::FxHashMap;

use crate::model::{Entry, Finding, FindingKind};

/// One entry as matching reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchEntry {
    /// The store's stable entry id.
    pub row_id: i64,
    pub txn_id: String,
    pub currency: String,
    /// Unix microseconds.
    pub ts: i64,
    /// Micro-credits, as the ledger counts it (spent is negative).
    pub amount: i64,
    pub description: String,
}

/// What matching found: the pairs, and each side's entries with no counterpart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matched {
    /// `(row id in a, row id in b)`, by ID first, then by amount and time.
    pub pairs: Vec<(i64, i64)>,
    /// How many of `pairs` paired by transaction ID.
    pub by_id: usize,
    /// Row ids of `a`'s entries with no counterpart in `b`, in time order.
    pub only_a: Vec<i64>,
    /// Row ids of `b`'s entries with no counterpart in `a`, in time order.
    pub only_b: Vec<i64>,
}

/// Pairs the entries of `a` with those of `b`; two entries pair when their times are at most
/// `tolerance` microseconds apart (ID pairs need no time).
pub fn pair(a: &[MatchEntry], b: &[MatchEntry], tolerance: i64) -> Matched {
    let moves = |e: &&MatchEntry| e.amount != 0;
    let a: Vec<&MatchEntry> = a.iter().filter(moves).collect();
    let b: Vec<&MatchEntry> = b.iter().filter(moves).collect();
    let (mut used_a, mut used_b) = (vec![false; a.len()], vec![false; b.len()]);
    let mut out = Matched::default();

    // 1. The same transaction ID on both sides.
    let mut ids: FxHashMap<(&str, &str), usize> = FxHashMap::default();
    for (j, e) in b.iter().enumerate() {
        ids.entry((e.txn_id.as_str(), e.currency.as_str())).or_insert(j);
    }
    for (i, e) in a.iter().enumerate() {
        if let Some(&j) = ids.get(&(e.txn_id.as_str(), e.currency.as_str())) {
            if !used_b[j] {
                (used_a[i], used_b[j]) = (true, true);
                out.pairs.push((e.row_id, b[j].row_id));
            }
        }
    }
    out.by_id = out.pairs.len();

    // 2. Currency, amount, time within the tolerance; ranked by description, then time.
    let mut by_amount: FxHashMap<(&str, i64), Vec<usize>> = FxHashMap::default();
    for (j, e) in b.iter().enumerate().filter(|(j, _)| !used_b[*j]) {
        by_amount.entry((e.currency.as_str(), e.amount)).or_default().push(j);
    }
    for list in by_amount.values_mut() {
        list.sort_by_key(|&j| (b[j].ts, j));
    }
    let words_b: Vec<Vec<String>> = b.iter().map(|e| words(&e.description)).collect();
    // Candidate pairs: (similarity in thousandths, time apart, a's time, b's time, i, j).
    let mut candidates: Vec<(std::cmp::Reverse<u32>, i64, i64, i64, usize, usize)> = Vec::new();
    for (i, e) in a.iter().enumerate().filter(|(i, _)| !used_a[*i]) {
        let Some(list) = by_amount.get(&(e.currency.as_str(), e.amount)) else { continue };
        let from = list.partition_point(|&j| b[j].ts < e.ts.saturating_sub(tolerance));
        let wa = words(&e.description);
        for &j in list[from..].iter().take_while(|&&j| b[j].ts <= e.ts.saturating_add(tolerance)) {
            let apart = (b[j].ts - e.ts).abs();
            candidates.push((std::cmp::Reverse(similarity(&wa, &words_b[j])), apart, e.ts, b[j].ts, i, j));
        }
    }
    candidates.sort_unstable();
    for (_, _, _, _, i, j) in candidates {
        if !used_a[i] && !used_b[j] {
            (used_a[i], used_b[j]) = (true, true);
            out.pairs.push((a[i].row_id, b[j].row_id));
        }
    }

    let left = |side: &[&MatchEntry], used: &[bool]| {
        let mut rest: Vec<&MatchEntry> = side.iter().zip(used).filter(|(_, u)| !**u).map(|(e, _)| *e).collect();
        rest.sort_by_key(|e| (e.ts, e.row_id));
        rest.into_iter().map(|e| e.row_id).collect()
    };
    out.only_a = left(&a, &used_a);
    out.only_b = left(&b, &used_b);
    out
}

/// A description's words: lower case, letters and digits.
fn words(text: &str) -> Vec<String> {
    let mut w: Vec<String> =
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    w.sort_unstable();
    w.dedup();
    w
}

/// Shared words over all words (Jaccard), in thousandths; 0 when either has none.
fn similarity(a: &[String], b: &[String]) -> u32 {
    if a.is_empty() || b.is_empty() {
        return 0;
    }
    let shared = a.iter().filter(|w| b.binary_search(w).is_ok()).count();
    let all = a.len() + b.len() - shared;
    (shared * 1000 / all) as u32
}

/// The finding for `entry` of `account` (its chain `chain`) that has no counterpart among
/// `other`'s entries: warning, the entry, its amount.
pub fn unmatched_finding(
    chain: &crate::model::ChainKey,
    entry: &Entry,
    other: &str,
    tolerance_seconds: i64,
) -> Finding {
    let message = format!(
        "{} ({}, {}, {}) in {:?} has no counterpart in {:?}: no entry there has its transaction ID, or its amount within {} of its time. Ask which of the two sources is missing it.",
        entry.txn_id,
        crate::model::format_ts(entry.ts),
        entry.kind,
        crate::money::format_signed(entry.amount),
        chain.account,
        other,
        tolerance_words(tolerance_seconds),
    );
    let mut finding = Finding::new(FindingKind::UnmatchedAcrossSources, chain, &[entry], Some(entry.amount), message);
    // The same entry may be one-sided against two accounts: each is its own finding.
    let key = [entry.txn_id.clone(), format!("vs {other}")];
    finding.id = crate::model::finding_id(finding.kind, chain, &key, finding.delta);
    finding
}

fn tolerance_words(seconds: i64) -> String {
    match seconds {
        s if s % 86_400 == 0 && s > 0 => format!("{} day{}", s / 86_400, if s == 86_400 { "" } else { "s" }),
        s if s % 3600 == 0 && s > 0 => format!("{} hour{}", s / 3600, if s == 3600 { "" } else { "s" }),
        s if s % 60 == 0 && s > 0 => format!("{} minute{}", s / 60, if s == 60 { "" } else { "s" }),
        s => format!("{s} second{}", if s == 1 { "" } else { "s" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    fn e(row_id: i64, txn: &str, ts: i64, amount: i64, description: &str) -> MatchEntry {
        MatchEntry {
            row_id,
            txn_id: txn.into(),
            currency: "credits".into(),
            ts: ts * S,
            amount: amount * 10_000,
            description: description.into(),
        }
    }

    #[test]
    fn ids_pair_first_then_amount_and_time_and_the_rest_is_one_sided_both_ways() {
        let a = vec![
            e(1, "conv_1", 100, -150, "Conversation: plan a trip"),
            e(2, "call_7", 200, -20, "MCP call"),
            e(3, "conv_2", 300, -75, "Conversation: refactor"),
            e(4, "task_9", 400, -500, "Brand import"),
            e(5, "adj-1", 500, 0, "pending"),
        ];
        let b = vec![
            e(11, "conv_1", 9_000, -150, "CHAT"),
            e(12, "led_2", 230, -20, "API call"),
            e(13, "led_3", 290, -75, "Conversation refactor"),
            e(14, "led_4", 700, -999, "Unknown charge"),
            e(15, "led_5", 5_000, -500, "Brand import"),
        ];
        let m = pair(&a, &b, 60 * S);
        assert_eq!(m.by_id, 1);
        assert_eq!(m.pairs, vec![(1, 11), (3, 13), (2, 12)]);
        assert_eq!(m.only_a, vec![4], "the import's spend is 76 minutes off: outside a minute");
        assert_eq!(m.only_b, vec![14, 15]);
        // Idempotent: the same input gives the same answer.
        assert_eq!(pair(&a, &b, 60 * S), m);
        // Swapped sides swap the answer.
        let s = pair(&b, &a, 60 * S);
        assert_eq!((s.only_a, s.only_b), (m.only_b, m.only_a));
    }

    #[test]
    fn among_equal_amounts_the_description_then_the_time_decides() {
        let a = vec![e(1, "a1", 100, -10, "image generation"), e(2, "a2", 100, -10, "video generation")];
        let b = vec![e(11, "b1", 101, -10, "Video generation"), e(12, "b2", 130, -10, "Image generation")];
        let m = pair(&a, &b, 60 * S);
        assert_eq!(m.pairs, vec![(2, 11), (1, 12)], "the same words first, then the closer in time");
        assert!(m.only_a.is_empty() && m.only_b.is_empty());
        // Two identical charges on one side and one on the other: one is left, the later.
        let a = vec![e(1, "a1", 100, -10, "x"), e(2, "a2", 110, -10, "x")];
        let m = pair(&a, &[e(11, "b1", 100, -10, "x")], 60 * S);
        assert_eq!((m.pairs, m.only_a, m.only_b), (vec![(1, 11)], vec![2], vec![]));
    }

    #[test]
    fn the_tolerance_is_inclusive_and_currencies_never_pair() {
        let a = vec![e(1, "a1", 100, -10, "")];
        assert_eq!(pair(&a, &[e(11, "b1", 160, -10, "")], 60 * S).pairs, vec![(1, 11)]);
        assert!(pair(&a, &[e(11, "b1", 161, -10, "")], 60 * S).pairs.is_empty());
        let mut other = e(11, "a1", 100, -10, "");
        other.currency = "eur".into();
        assert_eq!(pair(&a, &[other], 60 * S).only_b, vec![11]);
        assert_eq!(tolerance_words(300), "5 minutes");
        assert_eq!(tolerance_words(86_400), "1 day");
    }
}
