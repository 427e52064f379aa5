//! The backward walk: from the anchor (the stated balance, else the newest entry's balance
//! after) back to the oldest entry, every link between neighbours must agree. A link that
//! does not is classified: one entry whose figure alone is off is a `misreported_balance`,
//! anything else is a `balance_break` with the unexplained delta and what could explain it.

use rustc_hash::FxHashMap as HashMap;

use rust_decimal::Decimal;

use crate::model::{format_ts, ChainKey, Entry, Fact, Finding, FindingKind};
use crate::money::{format, format_signed};

use super::facts::{Amount, Lookup};
use super::Anchors;

/// What the walk reads of a chain: its facts by position. A chain in memory gives all of them
/// (`Whole`); one streamed from the store gives only those around the links that break, found
/// in a first pass, and the entries of the amounts those breaks leave unexplained.
pub(super) trait Links<K> {
    /// How many entries the chain has.
    fn len(&self) -> usize;
    /// The facts of entry `i`: the walk asks only for the first two, the last, and the entries
    /// from two before to one after each link that breaks.
    fn fact(&self, i: usize) -> &Fact<K>;
    /// The links that break (link `i` joins entries `i - 1` and `i`: `breaks`), newest first.
    fn broken(&self) -> Vec<usize>;
    /// Positions of the oldest entries (at least five, where there are) of amount `amount`,
    /// oldest first. Asked only for a break's unexplained delta.
    fn with_amount(&mut self, amount: K) -> Vec<usize>;
}

/// Whether the link from entry `a` to the entry after it, `b`, breaks: the balance after `a`
/// is not the balance `b` starts from. A link to an entry that states no balance (a feed
/// without its Balance column) is not judged.
pub(super) fn breaks<K: Amount>(a: &Fact<K>, b: &Fact<K>) -> bool {
    a.after != b.before() && !a.after.is_unstated() && !b.after.is_unstated()
}

/// A chain's facts in memory.
struct Whole<'a, K> {
    facts: &'a [Fact<K>],
    by_amount: Option<HashMap<K, Vec<usize>>>,
}

impl<K: Amount> Links<K> for Whole<'_, K> {
    fn len(&self) -> usize {
        self.facts.len()
    }
    fn fact(&self, i: usize) -> &Fact<K> {
        &self.facts[i]
    }
    fn broken(&self) -> Vec<usize> {
        (1..self.facts.len()).rev().filter(|&i| breaks(&self.facts[i - 1], &self.facts[i])).collect()
    }
    fn with_amount(&mut self, amount: K) -> Vec<usize> {
        let facts = self.facts;
        let index = self.by_amount.get_or_insert_with(|| {
            let mut m: HashMap<K, Vec<usize>> = HashMap::default();
            for (k, f) in facts.iter().enumerate() {
                m.entry(f.amount).or_default().push(k);
            }
            m
        });
        index.get(&amount).map(|ks| ks.iter().copied().take(ELSEWHERE + 2).collect()).unwrap_or_default()
    }
}

/// How many entries of a break's delta elsewhere in the ledger its message names.
pub(super) const ELSEWHERE: usize = 3;

pub(super) fn walk<K: Amount>(chain: &ChainKey, facts: &[Fact<K>], src: &dyn Lookup, anchors: Anchors) -> Vec<Finding> {
    walk_links(chain, &mut Whole { facts, by_amount: None }, src, anchors)
}

/// Whether link `i` breaks.
fn broken<K: Amount>(links: &impl Links<K>, i: usize) -> bool {
    breaks(links.fact(i - 1), links.fact(i))
}

/// Entry i alone is off when its neighbours agree once its amount is applied.
fn lone_misreport<K: Amount>(links: &impl Links<K>, i: usize) -> bool {
    i + 1 < links.len()
        && broken(links, i)
        && broken(links, i + 1)
        && links.fact(i - 1).after + links.fact(i).amount == links.fact(i + 1).before()
}

/// The walk over any `Links`.
pub(super) fn walk_links<K: Amount>(
    chain: &ChainKey,
    links: &mut impl Links<K>,
    src: &dyn Lookup,
    anchors: Anchors,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let n = links.len();
    if n == 0 {
        return findings;
    }
    let mut head_explained = false;
    let mut skip_link = 0; // a link already explained by a misreport at the oldest entry

    if let Some(opening) = anchors.opening.filter(|_| !links.fact(0).after.is_unstated()) {
        let first = *links.fact(0);
        if first.before().to_decimal() != opening {
            let off_alone =
                n > 1 && broken(links, 1) && opening + first.amount.to_decimal() == links.fact(1).before().to_decimal();
            let first = src.entry(0);
            if off_alone {
                findings.push(misreported(chain, &first, opening + first.amount));
                skip_link = 1;
            } else {
                let delta = first.balance_before() - opening;
                findings.push(Finding::new(
                    FindingKind::OpeningMismatch,
                    chain,
                    &[&first],
                    Some(delta),
                    format!(
                        "{}, the oldest entry ({}), starts from a balance of {}, but the opening balance is {}: {} is unexplained before it. Entries before {} may be missing from the export.",
                        first.txn_id, format_ts(first.ts), format(first.balance_before()), format(opening), format_signed(delta), format_ts(first.ts)
                    ),
                ));
            }
        }
    }

    // Walk from the newest link back to the oldest, as a person does with the ledger page;
    // links above `cursor` are done.
    let mut cursor = n - 1;
    for i in links.broken() {
        if i > cursor || i == skip_link {
            continue;
        }
        if i >= 2 && lone_misreport(links, i - 1) {
            // Links i-1 and i both break around entry i-1: one wrong figure, not two gaps.
            let expected = (links.fact(i - 2).after + links.fact(i - 1).amount).to_decimal();
            findings.push(misreported(chain, &src.entry(i - 1), expected));
            cursor = i - 2;
            continue;
        }
        cursor = i - 1;
        let expected = links.fact(i - 1).after + links.fact(i).amount;
        let newest_off_alone = i == n - 1 && anchors.stated == Some(expected.to_decimal());
        if newest_off_alone {
            findings.push(misreported(chain, &src.entry(i), expected.to_decimal()));
            head_explained = true;
            continue;
        }
        let delta = links.fact(i).before() - links.fact(i - 1).after;
        let elsewhere: Vec<usize> =
            links.with_amount(delta).into_iter().filter(|&k| k != i && k != i - 1).take(ELSEWHERE).collect();
        let elsewhere = src.entries(&elsewhere);
        let elsewhere: Vec<&Entry> = elsewhere.iter().collect();
        let (a, b) = (src.entry(i - 1), src.entry(i));
        let delta = delta.to_decimal();
        findings.push(Finding::new(
            FindingKind::BalanceBreak,
            chain,
            &[&a, &b],
            Some(delta),
            break_message(&a, &b, delta, &elsewhere),
        ));
    }

    let head_stated = !links.fact(n - 1).after.is_unstated();
    if let (Some(stated), false, true) = (anchors.stated, head_explained, head_stated) {
        if stated != links.fact(n - 1).after.to_decimal() {
            let last = src.entry(n - 1);
            let delta = stated - last.balance_after;
            findings.push(Finding::new(
                FindingKind::HeadMismatch,
                chain,
                &[&last],
                Some(delta),
                format!(
                    "The stated balance is {}, but the ledger ends at {} after {} ({}): {} is unexplained. Entries after {} may be missing from the export, or the stated balance includes credits not yet in the ledger (a pending grant or refund).",
                    format(stated), format(last.balance_after), last.txn_id, format_ts(last.ts), format_signed(delta), format_ts(last.ts)
                ),
            ));
        }
    }
    findings
}

fn misreported(chain: &ChainKey, e: &Entry, expected: Decimal) -> Finding {
    let delta = e.balance_after - expected;
    Finding::new(
        FindingKind::MisreportedBalance,
        chain,
        &[e],
        Some(delta),
        format!(
            "{} ({}, {} {}) states a balance after of {}, but the entries on both sides agree it should be {} (off by {}). The running balance is otherwise consistent; only this line's figure is wrong.",
            e.txn_id, format_ts(e.ts), e.kind, format_signed(e.amount), format(e.balance_after), format(expected), format_signed(delta)
        ),
    )
}

fn break_message(a: &Entry, b: &Entry, delta: Decimal, elsewhere: &[&Entry]) -> String {
    let magnitude = format(delta.abs());
    let mut text = format!(
        "Between {} ({}) and {} ({}) the balance moved by {} more than the entries explain: {} ends at {}, {} starts from {}.",
        a.txn_id, format_ts(a.ts), b.txn_id, format_ts(b.ts), format_signed(delta),
        a.txn_id, format(a.balance_after), b.txn_id, format(b.balance_before())
    );
    if delta < Decimal::ZERO {
        text.push_str(&format!(" Likely a charge of {magnitude} missing from the export"));
    } else {
        text.push_str(&format!(" Likely a credit of {magnitude} (a refund or grant) applied without its ledger line, e.g. a refund not yet posted"));
    }
    if elsewhere.is_empty() {
        text.push('.');
    } else {
        let list: Vec<String> = elsewhere
            .iter()
            .map(|e| format!("{} ({} {}, {})", e.txn_id, e.kind, format_signed(e.amount), format_ts(e.ts)))
            .collect();
        text.push_str(&format!(
            "; entries of exactly that amount elsewhere in the ledger may have been posted out of place: {}.",
            list.join(", ")
        ));
    }
    text
}
