//! The walk and the rules over a chain too long to hold in memory: its facts pass by in walk
//! order, block by block, two or three times, and only what the rules keep between entries
//! stays. The findings are exactly `findings`' on the whole chain (tests/it/stream_check.rs
//! compares them on every fixture, blocks of one entry and up).
//!
//! - First pass: the types met; the links that break, with the entries around them; the
//!   refunds; each group's charge magnitudes counted by value (amounts repeat: the counts are
//!   small); the pairs of identical charges within the duplicate window.
//! - Second pass: the transaction IDs refunds name; the oldest entries of each break's delta;
//!   the unusual charges, judged by thresholds computed from the counts.
//! - The second pass is left out when the first gathered what it would find
//!   (`gather_second`, `look_back`, `skip_second`): the charges refunds name among the recent
//!   entries the caller holds (`Held`), each name not found there shown absent from the whole
//!   chain (no ID has its length); the oldest few entries of every amount (`OldestAmounts`,
//!   while at most `AMOUNTS_HELD` amounts); the positions of each charge group's magnitudes met
//!   at most `RARE` times. Otherwise it runs, as before.
//! - Third pass, only when a refund names no charge it can pair with: the nearest unpaired
//!   charge of its magnitude, over the refund window's charges of those magnitudes.
//!
//! A source that names the refunded charge in a column of its own (the usage feed's `Refund
//! of`, `refunds.rs`) pairs its refunds as `refunds::named_by_column` does: the second pass
//! finds the charges the column names, the third pairs the rest by amount, the latest charge
//! first. A source that keeps pending grants apart (the grant ledger, `pending.rs`) has the
//! link over each run of entries that state no balance judged in the first pass, the grants
//! that settle pending ones found in the second and the spends only pending credits could
//! cover in the third; its pending grants and the grants naming them are held (a few in a
//! hundred entries), not the chain. The sources whose credit grants expire
//! (`expired_grants.rs`) are not streamed: `streams` says which are.

use std::collections::VecDeque;
use std::sync::Arc;

use rust_decimal::Decimal;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::facts::{Amount, Held, Lookup};
use super::rules::{self, Group, LabelKinds, RuleConfig, Thresholds, Unusual, SECOND};
use super::walk::{self, Links};
use super::{Anchors, Reference};
use crate::model::{ChainKey, Conflict, Dims, Entry, Fact, Finding};

/// Whether a chain of this source can be checked as a stream: its rules are the walk, unknown
/// types, refunds (named in descriptions or in a column), pending grants, duplicates and
/// unusual amounts.
pub fn streams(reference: &Reference<'_>) -> bool {
    let own_rules = [super::expired_grants::GRANT, super::expired_grants::EXPIRES_AT];
    !reference.dimensions.iter().any(|d| own_rules.contains(d))
}

/// Which pass a `Stream` expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    First,
    Second,
    Third,
    Done,
}

type DuplicateKey = (u32, i64, u32, Dims);

/// A charge group's magnitude: (type, price dimension's value, magnitude).
type MagnitudeKey = (u32, u32, i64);

/// Oldest entries of an amount a break's delta looks for (`Links::with_amount`).
const OLDEST: usize = walk::ELSEWHERE + 2;

/// Distinct amounts `OldestAmounts` keeps the oldest entries of; past this many it keeps none
/// and the second pass finds them.
const AMOUNTS_HELD: usize = 1 << 16;

/// A magnitude met at most this often in a group has its positions kept by the first pass,
/// so that the second need not find them if the group flags it as unusual.
const RARE: usize = 8;

/// What the second pass would find, gathered in the first (`Stream::gather_second`).
#[derive(Default)]
struct Fold {
    /// Refunds whose names were looked for among the held entries.
    resolved: usize,
    /// Each name a refund gives found among held entries: the entry's position and facts.
    found: HashMap<String, (usize, Fact<i64>)>,
    /// The names not found among the entries held when they were looked for.
    missing: HashSet<String>,
    /// The positions of each charge group's magnitude, up to its `RARE`-th.
    rare: HashMap<MagnitudeKey, Vec<usize>>,
    /// The unusual charges, from `rare` (`end_first`); `None` when a magnitude some group flags
    /// was met more than `RARE` times.
    flagged: Option<Vec<Unusual>>,
}

/// The oldest few positions of each amount of a chain, noted in walk order by the first pass
/// (on the thread decoding blocks, `check/stream.rs`): what the second pass finds of each
/// break's delta. Past `AMOUNTS_HELD` distinct amounts it holds none.
#[derive(Debug)]
pub struct OldestAmounts {
    /// The positions, and how many are filled.
    amounts: Option<HashMap<i64, ([usize; OLDEST], u8)>>,
}

impl Default for OldestAmounts {
    fn default() -> Self {
        OldestAmounts { amounts: Some(HashMap::default()) }
    }
}

impl OldestAmounts {
    /// The facts of positions `start..`, the next in walk order.
    pub fn note(&mut self, start: usize, facts: &[Fact<i64>]) {
        let Some(amounts) = &mut self.amounts else { return };
        for (i, f) in (start..).zip(facts) {
            let (at, n) = amounts.entry(f.amount).or_insert(([0; OLDEST], 0));
            if usize::from(*n) < OLDEST {
                at[usize::from(*n)] = i;
                *n += 1;
            }
        }
        if amounts.len() > AMOUNTS_HELD {
            self.amounts = None;
        }
    }
}

/// How a charge group is judged for `unusual_amount`: against its own charges (`Some`), or
/// not at all (`None`: its median is zero).
type Judge = Option<(Group, Thresholds<i64>, HashSet<i64>)>;

/// One chain's check, fed its facts in walk order: `first` with every block, then `end_first`,
/// then `second` likewise, `end_second`, and `third` when `pass()` asks for it; `finish`.
pub struct Stream<'r> {
    chain: ChainKey,
    reference: Reference<'r>,
    config: RuleConfig,
    anchors: Anchors,
    pass: Pass,
    /// Entries seen in the first pass.
    n: usize,
    labels: LabelKinds,
    /// Each type met: whether it is on the reference table, whether it is a refund (one
    /// lookup an entry, where `LabelKinds` takes one a question).
    kinds: HashMap<u32, (bool, bool)>,

    // The walk: the last two entries, the links that break (oldest first) and the entries
    // from two before to one after each of them, with the first two and the last.
    last: [Option<Fact<i64>>; 2],
    broken: Vec<usize>,
    kept: HashMap<usize, Fact<i64>>,
    keep_next: usize,
    /// Each break's delta, with the oldest entries of that amount (second pass).
    deltas: HashMap<i64, Vec<usize>>,

    unknown: Vec<usize>,

    // Refunds: each with its facts and its description.
    refunds: Vec<(usize, Fact<i64>)>,
    descriptions: Vec<Arc<str>>,
    /// The dimension that names a refund's charge (`refunds::REFUND_OF`), if the source has
    /// one; then the texts of the labels refunds name, and each charge's refunds, in order.
    named_by: Option<usize>,
    named: HashMap<u32, Arc<str>>,
    refunds_of: HashMap<usize, Vec<usize>>,
    wanted: HashSet<Box<[u8]>>,
    by_id: HashMap<String, (usize, Fact<i64>)>,
    /// Refunded charge -> its refund.
    paired: HashMap<usize, usize>,
    matched: HashSet<usize>,
    mismatched: Vec<(usize, usize)>,
    // Pending grants, where the source keeps them (`pending.rs`): the `pending` and `settles`
    // dimensions; the entry before the run of entries that state no balance now passing and
    // its balance; the runs whose ends disagree; each pending grant (position, time, entry
    // id, label) and each grant naming one it settles (position, time, entry id, amount,
    // label); then the pending amounts, what settles each, the spends only they could cover
    // (position, spend, available, pending) and the newest stated balance.
    pending_dims: Option<(usize, usize)>,
    run_from: Option<(usize, i64)>,
    bridges: Vec<(usize, usize)>,
    pending_at: Vec<(usize, i64, i64, u32)>,
    settling: Vec<(usize, i64, i64, i64, u32)>,
    pending_amounts: HashMap<usize, Decimal>,
    settle_texts: Vec<Arc<str>>,
    settled_by: HashMap<usize, usize>,
    settles_at: HashMap<usize, usize>,
    /// What each grant that settles a pending one paid.
    paid: HashMap<usize, i64>,
    unsettled: Decimal,
    overspends: Vec<(usize, Decimal, Decimal, Decimal)>,
    available: Option<i64>,
    /// Third pass: the charges of each magnitude an unpaired refund has, within the window.
    by_magnitude: HashMap<i64, VecDeque<(usize, i64)>>,
    next_refund: usize,

    // Duplicates: the charges within the window, the latest of each kind, the pairs found.
    window: VecDeque<(usize, i64, DuplicateKey)>,
    last_seen: HashMap<DuplicateKey, (usize, i64)>,
    pairs: Vec<(usize, usize)>,

    // Unusual amounts: charge magnitudes counted by (type, price dimension's value); then how
    // each group is judged, and what was flagged.
    counts: HashMap<(u32, u32, i64), usize>,
    judges: HashMap<(u32, u32), Judge>,
    by_type: HashMap<u32, Judge>,
    flagged: Vec<Unusual>,
    /// Every magnitude some group flags.
    suspects: HashSet<i64>,

    /// Refunds whose texts (descriptions, or the labels naming their charges) are fetched.
    texted: usize,
    /// What the second pass would find, gathered in the first when asked (`gather_second`).
    fold: Option<Fold>,
}

impl std::fmt::Debug for Stream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream").field("chain", &self.chain).field("pass", &self.pass).field("n", &self.n).finish()
    }
}

impl<'r> Stream<'r> {
    pub fn new(chain: &ChainKey, reference: Reference<'r>, anchors: Anchors, config: &RuleConfig) -> Stream<'r> {
        Stream {
            chain: chain.clone(),
            reference,
            config: config.clone(),
            anchors,
            pass: Pass::First,
            n: 0,
            labels: LabelKinds::empty(),
            kinds: HashMap::default(),
            last: [None, None],
            broken: Vec::new(),
            kept: HashMap::default(),
            keep_next: usize::MAX,
            deltas: HashMap::default(),
            unknown: Vec::new(),
            refunds: Vec::new(),
            descriptions: Vec::new(),
            named_by: reference.dimensions.iter().position(|&d| d == super::refunds::REFUND_OF),
            named: HashMap::default(),
            refunds_of: HashMap::default(),
            pending_dims: {
                let dim = |key| reference.dimensions.iter().position(|&d| d == key);
                dim(super::pending::PENDING).zip(dim(super::pending::SETTLES))
            },
            run_from: None,
            bridges: Vec::new(),
            pending_at: Vec::new(),
            settling: Vec::new(),
            pending_amounts: HashMap::default(),
            settle_texts: Vec::new(),
            settled_by: HashMap::default(),
            settles_at: HashMap::default(),
            paid: HashMap::default(),
            unsettled: Decimal::ZERO,
            overspends: Vec::new(),
            available: None,
            wanted: HashSet::default(),
            by_id: HashMap::default(),
            paired: HashMap::default(),
            matched: HashSet::default(),
            mismatched: Vec::new(),
            by_magnitude: HashMap::default(),
            next_refund: 0,
            window: VecDeque::new(),
            last_seen: HashMap::default(),
            pairs: Vec::new(),
            counts: HashMap::default(),
            judges: HashMap::default(),
            by_type: HashMap::default(),
            flagged: Vec::new(),
            suspects: HashSet::default(),
            texted: 0,
            fold: None,
        }
    }

    /// Asks the first pass to gather what the second would find, so that `skip_second` may
    /// leave it out; the caller then calls `look_back` as it drops entries it held. `false`
    /// (and nothing asked) for a source that keeps pending grants apart. Before `first`.
    pub fn gather_second(&mut self) -> bool {
        debug_assert_eq!((self.pass, self.n), (Pass::First, 0));
        if self.pending_dims.is_some() {
            return false;
        }
        self.fold = Some(Fold::default());
        true
    }

    /// The pass the stream expects next.
    pub fn pass(&self) -> Pass {
        self.pass
    }

    /// Whether the second pass reads transaction IDs (some refund's description may name one).
    pub fn wants_ids(&self) -> bool {
        !self.wanted.is_empty()
    }

    /// Whether `f` is a charge (`LabelKinds::is_charge`), its type met in the first pass.
    fn is_charge(&self, f: &Fact<i64>) -> bool {
        f.amount < 0 && !self.kinds.get(&f.kind).is_some_and(|k| k.1)
    }

    fn price(&self, f: &Fact<i64>) -> u32 {
        self.reference.price_dim.and_then(|d| f.dims.get(d).copied()).unwrap_or(0)
    }

    /// First pass: the block of facts starting at position `start`.
    pub fn first(&mut self, start: usize, facts: &[Fact<i64>], src: &dyn Lookup) {
        debug_assert_eq!(self.pass, Pass::First);
        let window = self.config.duplicate_window_secs * SECOND;
        for (i, f) in (start..).zip(facts) {
            let (known, refund) = match self.kinds.get(&f.kind) {
                Some(&kind) => kind,
                None => {
                    let kind = self.labels.learn(f.kind, src, &self.reference);
                    self.kinds.insert(f.kind, kind);
                    kind
                }
            };
            if !self.reference.types.is_empty() && !known {
                self.unknown.push(i);
            }
            if let Some(dims) = self.pending_dims {
                self.gather_pending(i, f, dims);
            }
            // The walk.
            if let [second_last, Some(last)] = self.last {
                if walk::breaks(&last, f) {
                    self.broken.push(i);
                    if let Some(before) = second_last {
                        self.kept.insert(i - 2, before);
                    }
                    self.kept.insert(i - 1, last);
                    self.keep_next = i + 1;
                }
            }
            if i <= 1 || i == self.keep_next || self.broken.last() == Some(&i) {
                self.kept.insert(i, *f);
            }
            self.last = [self.last[1], Some(*f)];
            if refund {
                self.refunds.push((i, *f));
            }
            if refund || f.amount >= 0 {
                continue;
            }
            let price = self.price(f);
            let group = (f.kind, price, f.amount.magnitude());
            let count = self.counts.entry(group).or_default();
            *count += 1;
            if let Some(fold) = self.fold.as_mut().filter(|_| *count <= RARE) {
                fold.rare.entry(group).or_default().push(i);
            }
            // Duplicates, as `rules::duplicate_charges` pairs them: the latest charge of each
            // kind within the window before this one.
            let key = (f.kind, f.amount, f.description, f.dims);
            while let Some(&(old, ts, k)) = self.window.front() {
                if f.ts - ts <= window {
                    break;
                }
                self.window.pop_front();
                // One lookup: the kind's latest charge is forgotten if it is this one.
                if let std::collections::hash_map::Entry::Occupied(latest) = self.last_seen.entry(k) {
                    if latest.get().0 == old {
                        latest.remove();
                    }
                }
            }
            self.window.push_back((i, f.ts, key));
            if let Some((prev, ts)) = self.last_seen.insert(key, (i, f.ts)) {
                if f.ts - ts <= window {
                    self.pairs.push((prev, i));
                }
            }
        }
        self.n = start + facts.len();
    }

    /// First pass, for a source that keeps pending grants apart: the link over a run of
    /// entries that state no balance (`pending::bridged_links`), the pending grants, the grants
    /// that name one, the newest stated balance.
    fn gather_pending(&mut self, i: usize, f: &Fact<i64>, (pending, settles): (usize, usize)) {
        if let Some(last) = self.last[1] {
            if f.after.is_unstated() {
                if self.run_from.is_none() && !last.after.is_unstated() {
                    self.run_from = Some((i - 1, last.after));
                }
            } else if let Some((before, after)) = self.run_from.take() {
                if after != f.before() {
                    self.bridges.push((before, i));
                }
            }
        }
        if !f.after.is_unstated() {
            self.available = Some(f.after);
        }
        if f.dims[pending] != 0 {
            self.pending_at.push((i, f.ts, f.row_id, f.dims[pending]));
        }
        if f.dims[settles] != 0 {
            self.settling.push((i, f.ts, f.row_id, f.amount, f.dims[settles]));
        }
    }

    /// After the first pass: the words refunds name, the deltas of the breaks, and how each
    /// charge group is judged.
    pub fn end_first(&mut self, src: &dyn Lookup) {
        self.pass = Pass::Second;
        if let Some(last) = self.last[1] {
            self.kept.insert(self.n - 1, last);
        }
        self.window = VecDeque::new();
        self.last_seen = HashMap::default();
        for &i in &self.broken {
            let delta = self.kept[&i].before() - self.kept[&(i - 1)].after;
            self.deltas.insert(delta, Vec::new());
        }
        self.fetch_refund_texts(src);
        if self.fold.is_none() {
            self.want_ids();
        }
        if !self.pending_at.is_empty() {
            // `pending::Grants::of`: the pending amounts, and the IDs the settling grants name.
            let labels: Vec<u32> = self.pending_at.iter().map(|p| p.3).collect();
            self.pending_amounts = self
                .pending_at
                .iter()
                .zip(src.labels(&labels))
                .filter_map(|(p, text)| crate::money::parse(&text).ok().map(|a| (p.0, a)))
                .collect();
            self.settle_texts = src.labels(&self.settling.iter().map(|g| g.4).collect::<Vec<_>>());
            self.wanted.extend(self.settle_texts.iter().map(|t| t.as_bytes().into()));
        }
        // `rules::unusual_candidates`: a (type, price) group with enough history is judged
        // against itself; the charges of smaller groups against their whole type, when it has
        // enough.
        let rule = &self.config.unusual;
        let judge = |group: Group, counts: &HashMap<i64, usize>| -> Judge {
            let sorted = rules::counted(counts.iter().map(|(&m, &c)| (m, c)));
            let t = Thresholds::new(&sorted, rule)?;
            let flagged = sorted.iter().filter(|&&(m, c)| t.judges(m, c)).map(|&(m, _)| m).collect();
            Some((group, t, flagged))
        };
        let mut groups: HashMap<(u32, u32), HashMap<i64, usize>> = HashMap::default();
        for (&(kind, price, magnitude), &count) in &self.counts {
            groups.entry((kind, price)).or_default().insert(magnitude, count);
        }
        let mut small: HashSet<u32> = HashSet::default();
        for (&(kind, price), counts) in &groups {
            if counts.values().sum::<usize>() >= rule.min_history {
                self.judges.insert((kind, price), judge(Group::TypeAndPrice(kind, price), counts));
            } else {
                small.insert(kind);
            }
        }
        for kind in small {
            let mut whole: HashMap<i64, usize> = HashMap::default();
            for (_, counts) in groups.iter().filter(|((k, _), _)| *k == kind) {
                for (&m, &c) in counts {
                    *whole.entry(m).or_default() += c;
                }
            }
            if whole.values().sum::<usize>() >= rule.min_history {
                self.by_type.insert(kind, judge(Group::Type(kind), &whole));
            }
        }
        let counts = std::mem::take(&mut self.counts);
        let judged = self.judges.values().chain(self.by_type.values()).flatten();
        self.suspects = judged.flat_map(|(_, _, flagged)| flagged.iter().copied()).collect();
        if let Some(mut fold) = self.fold.take() {
            fold.flagged = self.rare_flagged(&counts, &fold.rare);
            self.fold = Some(fold);
        }
    }

    /// The texts of the refunds met since the last call: their descriptions, or the labels of
    /// the column naming their charges.
    fn fetch_refund_texts(&mut self, src: &dyn Lookup) {
        let new = &self.refunds[self.texted..];
        if let Some(dim) = self.named_by {
            let mut labels: Vec<u32> =
                new.iter().map(|(_, f)| f.dims[dim]).filter(|l| *l != 0 && !self.named.contains_key(l)).collect();
            labels.sort_unstable();
            labels.dedup();
            let texts = src.labels(&labels);
            self.named.extend(labels.into_iter().zip(texts));
        } else if !new.is_empty() {
            self.descriptions.extend(src.labels(&new.iter().map(|(_, f)| f.description).collect::<Vec<_>>()));
        }
        self.texted = self.refunds.len();
    }

    /// The transaction IDs the second pass looks for: every name refunds give.
    fn want_ids(&mut self) {
        let names: HashSet<&str> = (0..self.refunds.len()).flat_map(|k| self.names_of(k)).collect();
        let names: Vec<Box<[u8]>> = names.into_iter().map(|t| t.as_bytes().into()).collect();
        self.wanted.extend(names);
    }

    /// The names refund `k` gives for the charge it refunds: the label of the column naming
    /// it, or the words of its description (`fetch_refund_texts` first).
    fn names_of(&self, k: usize) -> impl Iterator<Item = &str> {
        let named = self.named_by.and_then(|dim| self.named.get(&self.refunds[k].1.dims[dim]));
        let described = self.named_by.is_none().then(|| rules::id_tokens(&self.descriptions[k]));
        named.map(|t| &**t).into_iter().chain(described.into_iter().flatten())
    }

    /// While the first pass gathers (`gather_second`): the charges the refunds met since the
    /// last call name, looked for among the entries `held` (the caller calls this before it
    /// drops any, and once after the last block).
    pub fn look_back(&mut self, held: &dyn Held, src: &dyn Lookup) {
        let Some(mut fold) = self.fold.take() else { return };
        self.fetch_refund_texts(src);
        for k in fold.resolved..self.refunds.len() {
            for name in self.names_of(k) {
                // A name not found once stays missing (the words of descriptions, mostly): if
                // some later entry has it, the second pass finds it.
                if fold.found.contains_key(name) || fold.missing.contains(name) {
                    continue;
                }
                match held.find(name.as_bytes(), self.refunds[k].0) {
                    Some(at) => {
                        fold.found.insert(name.to_string(), at);
                    }
                    None => {
                        fold.missing.insert(name.to_string());
                    }
                }
            }
        }
        fold.resolved = self.refunds.len();
        self.fold = Some(fold);
    }

    /// The unusual charges, as the second pass flags them, from the positions the first kept
    /// of each group's rare magnitudes; `None` if a flagged magnitude was met too often to keep.
    fn rare_flagged(
        &self,
        counts: &HashMap<MagnitudeKey, usize>,
        rare: &HashMap<MagnitudeKey, Vec<usize>>,
    ) -> Option<Vec<Unusual>> {
        let mut flagged = Vec::new();
        for (key, &count) in counts.iter().filter(|((_, _, m), _)| self.suspects.contains(m)) {
            let &(kind, price, magnitude) = key;
            let judge = match self.judges.get(&(kind, price)) {
                Some(judge) => judge.as_ref(),
                None => self.by_type.get(&kind).and_then(|j| j.as_ref()),
            };
            let Some((group, t, _)) = judge.filter(|(_, _, flags)| flags.contains(&magnitude)) else { continue };
            if count > RARE {
                return None;
            }
            flagged.extend(rare.get(key)?.iter().map(|&i| t.flag(i, magnitude, *group)));
        }
        flagged.sort_by_key(|u| u.index);
        Some(flagged)
    }

    /// After `end_first`: when the first pass gathered all the second would find
    /// (`gather_second`), the second pass is left out (as if it and `end_second` had run) and
    /// this is `true`. Otherwise `false`: the second pass is to run. `amounts` are the chain's,
    /// noted in the first pass; `may_hold` says whether the chain may hold an entry of a
    /// transaction ID (`false`: certainly not).
    pub fn skip_second(&mut self, amounts: &OldestAmounts, may_hold: &dyn Fn(&[u8]) -> bool) -> bool {
        debug_assert_eq!(self.pass, Pass::Second);
        let Some(fold) = self.fold.take() else { return false };
        let deltas_found = self.deltas.is_empty() || amounts.amounts.is_some();
        let names_found = fold.missing.iter().all(|name| !may_hold(name.as_bytes()));
        let (Some(flagged), true, true) = (fold.flagged, deltas_found, names_found) else {
            self.want_ids();
            return false;
        };
        if let Some(amounts) = &amounts.amounts {
            for (delta, at) in &mut self.deltas {
                if let Some((oldest, n)) = amounts.get(delta) {
                    at.extend_from_slice(&oldest[..usize::from(*n)]);
                }
            }
        }
        self.flagged = flagged;
        self.by_id = fold.found;
        self.end_second();
        true
    }

    /// Second pass: the block of facts starting at `start`, with their transaction IDs when
    /// `wants_ids` (else `ids` may be empty).
    pub fn second(&mut self, start: usize, facts: &[Fact<i64>], ids: &[&[u8]]) {
        debug_assert_eq!(self.pass, Pass::Second);
        for (i, f) in (start..).zip(facts) {
            if !self.wanted.is_empty() {
                let id = ids[i - start];
                if self.wanted.contains(id) {
                    // The last entry with an ID wins, as `Lookup::find_txns` has it.
                    self.by_id.insert(String::from_utf8_lossy(id).into_owned(), (i, *f));
                }
            }
            if !self.deltas.is_empty() {
                if let Some(at) = self.deltas.get_mut(&f.amount) {
                    if at.len() < walk::ELSEWHERE + 2 {
                        at.push(i);
                    }
                }
            }
            // Most charges have a magnitude no group flags: one lookup settles them.
            if f.amount >= 0 || !self.suspects.contains(&f.amount.magnitude()) || !self.is_charge(f) {
                continue;
            }
            let group = (f.kind, self.price(f));
            let judge = match self.judges.get(&group) {
                Some(judge) => judge.as_ref(),
                None => self.by_type.get(&f.kind).and_then(|j| j.as_ref()),
            };
            let magnitude = f.amount.magnitude();
            if let Some((group, t, flagged)) = judge {
                if flagged.contains(&magnitude) {
                    self.flagged.push(t.flag(i, magnitude, *group));
                }
            }
        }
    }

    /// After the second pass: each refund paired with the charge its description names, as
    /// `rules::refunds` pairs them; a third pass follows when some refund is left.
    pub fn end_second(&mut self) {
        // The first grant (in walk order) that names each pending grant settles it.
        for (g, text) in self.settling.iter().zip(&self.settle_texts) {
            let named = self.by_id.get(&**text).map(|&(p, _)| p).filter(|p| self.pending_amounts.contains_key(p));
            if let Some(p) = named {
                self.settled_by.entry(p).or_insert(g.0);
            }
        }
        self.settles_at = self.settled_by.iter().map(|(&p, &g)| (g, p)).collect();
        self.paid = self.settling.iter().filter(|s| self.settles_at.contains_key(&s.0)).map(|s| (s.0, s.3)).collect();
        if let Some(dim) = self.named_by {
            self.pair_named(dim);
        } else {
            self.pair_by_description();
        }
        // The spends pending credits covered are found in walk order, once settling is known.
        if !self.pending_amounts.is_empty() {
            self.pass = Pass::Third;
        }
    }

    /// `end_second` for a source that names refunded charges in descriptions.
    fn pair_by_description(&mut self) {
        for (k, &(r, refund)) in self.refunds.iter().enumerate() {
            let named = rules::id_tokens(&self.descriptions[k])
                .filter_map(|token| self.by_id.get(token).copied())
                .find(|(c, charge)| {
                    self.labels.is_charge(charge) && charge.ts <= refund.ts && !self.paired.contains_key(c)
                });
            if let Some((c, charge)) = named {
                self.paired.insert(c, r);
                self.matched.insert(r);
                if charge.amount.negated() != refund.amount {
                    self.mismatched.push((r, c));
                }
            }
        }
        self.by_id = HashMap::default();
        for (r, refund) in &self.refunds {
            if !self.matched.contains(r) {
                self.by_magnitude.entry(refund.amount).or_default();
            }
        }
        self.pass = if self.by_magnitude.is_empty() { Pass::Done } else { Pass::Third };
    }

    /// `end_second` for a source that names refunded charges in dimension `dim`, as
    /// `refunds::named_by_column` pairs them: each refund with the charge it names (the last
    /// entry with that ID), whatever its amount and however often it was refunded; a third
    /// pass pairs the others by amount.
    fn pair_named(&mut self, dim: usize) {
        for &(r, refund) in &self.refunds {
            let charge = self.named.get(&refund.dims[dim]).and_then(|text| self.by_id.get(&**text));
            match charge.filter(|(_, charge)| self.labels.is_charge(charge)) {
                Some(&(c, charge)) => {
                    self.refunds_of.entry(c).or_default().push(r);
                    self.matched.insert(r);
                    if charge.amount.negated() != refund.amount {
                        self.mismatched.push((r, c));
                    }
                }
                None => {
                    self.by_magnitude.entry(refund.amount).or_default();
                }
            }
        }
        self.by_id = HashMap::default();
        self.pass = if self.by_magnitude.is_empty() { Pass::Done } else { Pass::Third };
    }

    /// Third pass: the nearest earlier unpaired charge of each unpaired refund's magnitude
    /// within the refund window.
    pub fn third(&mut self, start: usize, facts: &[Fact<i64>]) {
        debug_assert_eq!(self.pass, Pass::Third);
        let window = self.config.refund_window_secs * SECOND;
        for (i, f) in (start..).zip(facts) {
            if !self.pending_amounts.is_empty() {
                self.pending_spend(i, f);
            }
            if self.is_charge(f) {
                if let Some(charges) = self.by_magnitude.get_mut(&f.amount.negated()) {
                    charges.push_back((i, f.ts));
                    while charges.front().is_some_and(|&(_, ts)| f.ts - ts > window) {
                        charges.pop_front();
                    }
                }
            }
            let Some(&(r, refund)) = self.refunds.get(self.next_refund) else { continue };
            if r != i {
                continue;
            }
            self.next_refund += 1;
            if self.matched.contains(&r) {
                continue;
            }
            let Some(charges) = self.by_magnitude.get(&refund.amount) else { continue };
            if self.named_by.is_some() {
                // The latest charge in walk order within the window that nothing refunded.
                let latest = charges
                    .iter()
                    .rev()
                    .take_while(|&&(_, ts)| refund.ts - ts <= window)
                    .find(|&&(c, _)| !self.refunds_of.contains_key(&c));
                if let Some(&(c, _)) = latest {
                    self.refunds_of.entry(c).or_default().push(r);
                    self.matched.insert(r);
                }
                continue;
            }
            // The latest time wins; of charges at that time, the oldest in walk order.
            let mut nearest: Option<(usize, i64)> = None;
            for &(c, ts) in charges.iter().rev() {
                if refund.ts - ts > window || nearest.is_some_and(|(_, t)| ts < t) {
                    break;
                }
                if !self.paired.contains_key(&c) {
                    nearest = Some((c, ts));
                }
            }
            if let Some((c, _)) = nearest {
                self.paired.insert(c, r);
                self.matched.insert(r);
            }
        }
    }

    /// Third pass, as `pending::findings` walks the chain: the pending balance after entry `i`,
    /// and whether `f` spends what only it could cover.
    fn pending_spend(&mut self, i: usize, f: &Fact<i64>) {
        if let Some(a) = self.pending_amounts.get(&i) {
            self.unsettled += a;
        } else if let Some(p) = self.settles_at.get(&i) {
            self.unsettled -= self.pending_amounts[p];
        } else if self.unsettled > Decimal::ZERO && f.amount < 0 && !f.after.is_unstated() {
            if let Some((spend, available)) = super::pending::overspends(f, self.unsettled) {
                self.overspends.push((i, spend, available, self.unsettled));
            }
        }
    }

    /// The pending balance (`super::pending_balance`) of a chain whose source keeps pending
    /// grants apart, after the passes.
    pub fn pending_balance(&self) -> Option<super::PendingBalance> {
        self.pending_dims?;
        if self.pending_at.is_empty() {
            return None;
        }
        let mut at: HashMap<usize, (i64, i64)> = self.pending_at.iter().map(|p| (p.0, (p.1, p.2))).collect();
        at.extend(self.settling.iter().map(|g| (g.0, (g.1, g.2))));
        let positions: Vec<usize> = self.pending_at.iter().map(|p| p.0).collect();
        Some(super::pending::balance_of(
            &positions,
            &self.pending_amounts,
            &self.settled_by,
            |i| at[&i],
            self.available.map(Amount::to_decimal),
        ))
    }

    /// The findings, in report order, as `super::findings` gives them for the whole chain.
    pub fn finish(mut self, src: &dyn Lookup, conflicts: &[Conflict]) -> Vec<Finding> {
        let chain = &self.chain;
        let t = std::time::Instant::now();
        // Every entry a finding may name, fetched in one batch: a store reads each block once
        // for all of them, where one at a time it would read a block per entry.
        let mut wanted: Vec<usize> = [0, self.n.saturating_sub(1)].into_iter().filter(|&i| i < self.n).collect();
        wanted.extend(self.broken.iter().flat_map(|&i| [i - 1, i]));
        wanted.extend(self.deltas.values().flatten());
        wanted.extend(self.refunds.iter().map(|&(r, _)| r).filter(|r| !self.matched.contains(r)));
        wanted.extend(self.mismatched.iter().flat_map(|&(r, c)| [r, c]));
        for (&c, refunds) in self.refunds_of.iter().filter(|(_, refunds)| refunds.len() > 1) {
            wanted.push(c);
            wanted.extend(refunds);
        }
        if self.named_by.is_some() {
            self.paired = self.refunds_of.iter().map(|(&c, refunds)| (c, refunds[0])).collect();
        }
        for &(p, i) in &self.pairs {
            wanted.extend([p, i]);
            wanted.extend(self.paired.get(&p).or(self.paired.get(&i)));
        }
        wanted.extend(self.flagged.iter().map(|u| u.index));
        wanted.extend(self.pending_named());
        wanted.sort_unstable();
        wanted.dedup();
        let fetched = src.entries(&wanted);
        let src = &Prefetched { src, entries: wanted.into_iter().zip(fetched).collect() };
        let t = crate::trace::phase("check: entries named", t);
        // Before the walk takes what it keeps; added after the refunds, as `rules` orders them.
        let pending = if self.pending_dims.is_some() { self.pending_findings(src) } else { Vec::new() };
        let mut links = Sparse { n: self.n, kept: self.kept, broken: self.broken, deltas: self.deltas };
        let mut findings = walk::walk_links(chain, &mut links, src, self.anchors);
        let t = crate::trace::phase("check: walk", t);
        findings.extend(
            src.entries(&self.unknown).into_iter().map(|e| rules::unknown_type_finding(chain, &self.reference, &e)),
        );
        let unmatched: Vec<(usize, Fact<i64>)> =
            self.refunds.iter().copied().filter(|(r, _)| !self.matched.contains(r)).collect();
        let entries = src.entries(&unmatched.iter().map(|&(r, _)| r).collect::<Vec<_>>());
        match self.named_by {
            Some(dim) => {
                for (e, (_, refund)) in entries.iter().zip(&unmatched) {
                    let named = src.label(refund.dims[dim]);
                    findings.push(super::refunds::unmatched_finding(chain, &self.config, e, &named));
                }
                // As `named_by_column` gives them: by charge, each one's mismatches in time
                // order, then whether it was refunded twice.
                let mut charges: Vec<usize> = self.refunds_of.keys().copied().collect();
                charges.sort_unstable();
                let mismatched: HashSet<usize> = self.mismatched.iter().map(|&(r, _)| r).collect();
                for c in charges {
                    let refunds = &self.refunds_of[&c];
                    for &r in refunds.iter().filter(|r| mismatched.contains(r)) {
                        findings.push(super::refunds::mismatch(chain, src, r, c));
                    }
                    if refunds.len() > 1 {
                        findings.push(super::refunds::double(chain, src, c, refunds));
                    }
                }
            }
            None => {
                findings.extend(entries.iter().map(|e| rules::unmatched_refund_finding(chain, &self.config, e)));
                for &(r, c) in &self.mismatched {
                    findings.push(rules::refund_mismatch_finding(chain, &src.entry(r), &src.entry(c)));
                }
            }
        }
        findings.extend(pending);
        let description: HashMap<usize, u32> = self.refunds.iter().map(|&(r, f)| (r, f.description)).collect();
        for &(prev, i) in &self.pairs {
            let refund = match (self.paired.get(&prev), self.paired.get(&i)) {
                (Some(_), Some(_)) => continue,
                (Some(&r), None) | (None, Some(&r)) => Some(r),
                (None, None) => None,
            };
            if let Some(r) = refund {
                if rules::reverses_duplicate(&src.label(description[&r])) {
                    continue;
                }
            }
            if !src.same_txn(prev, i) {
                let refund = refund.map(|r| src.entry(r));
                findings.push(rules::duplicate_finding(chain, &src.entry(prev), &src.entry(i), refund.as_ref()));
            }
        }
        findings.extend(rules::unusual_amounts(chain, src, self.flagged));
        findings.extend(conflicts.iter().map(|c| rules::conflicting_duplicate(chain, c)));
        crate::trace::phase("check: rules", t);
        findings.sort_by(|a, b| a.ts.cmp(&b.ts).then(a.kind.cmp(&b.kind)).then_with(|| a.id.cmp(&b.id)));
        findings
    }
}

impl Stream<'_> {
    /// The chain's last entry's time, once the first pass has kept it.
    fn newest(&self) -> Option<i64> {
        self.n.checked_sub(1).and_then(|last| self.kept.get(&last)).map(|f| f.ts)
    }

    /// The pending grant that settles as `pending_findings` reports it: `Some(None)` unsettled
    /// too long, `Some(Some((grant, paid)))` settled for another amount.
    fn pending_fault(&self, p: usize, ts: i64, newest: i64) -> Option<Option<(usize, Decimal)>> {
        let amount = *self.pending_amounts.get(&p)?;
        match self.settled_by.get(&p) {
            None => super::pending::unsettled_long(newest, ts).then_some(None),
            Some(&g) => {
                let paid = self.paid.get(&g)?.to_decimal();
                (paid != amount).then_some(Some((g, paid)))
            }
        }
    }

    /// The positions of the entries the pending findings name (fetched ahead with the rest).
    fn pending_named(&self) -> Vec<usize> {
        let mut named: Vec<usize> = self.bridges.iter().flat_map(|&(b, n)| [b, n]).collect();
        if let Some(newest) = self.newest() {
            for &(p, ts, _, _) in &self.pending_at {
                match self.pending_fault(p, ts, newest) {
                    Some(None) => named.push(p),
                    Some(Some((g, _))) => named.extend([p, g]),
                    None => {}
                }
            }
        }
        named.extend(self.overspends.iter().map(|o| o.0));
        named
    }

    /// `pending::findings`: the runs of entries that state no balance whose ends disagree,
    /// the pending grants never settled or settled for another amount, the spends only
    /// pending credits could cover.
    fn pending_findings(&self, src: &dyn Lookup) -> Vec<Finding> {
        let chain = &self.chain;
        let mut findings = Vec::new();
        for &(before, next) in &self.bridges {
            let entries = src.entries(&[before, next]);
            findings.push(super::pending::bridge_finding(chain, &entries[0], &entries[1]));
        }
        let Some(newest) = self.newest() else { return findings };
        for &(p, ts, _, _) in &self.pending_at {
            let amount = self.pending_amounts.get(&p).copied().unwrap_or_default();
            match self.pending_fault(p, ts, newest) {
                Some(None) => {
                    findings.push(super::pending::unsettled_finding(chain, &src.entry(p), amount, newest));
                }
                Some(Some((g, paid))) => {
                    let entries = src.entries(&[p, g]);
                    findings.push(super::pending::settled_mismatch_finding(
                        chain,
                        &entries[0],
                        &entries[1],
                        amount,
                        paid,
                    ));
                }
                None => {}
            }
        }
        for &(i, spend, available, unsettled) in &self.overspends {
            findings.push(super::pending::overspend_finding(chain, &src.entry(i), spend, available, unsettled));
        }
        findings
    }
}

/// A `Lookup` with the entries findings name fetched ahead.
struct Prefetched<'a> {
    src: &'a dyn Lookup,
    entries: HashMap<usize, Entry>,
}

impl Lookup for Prefetched<'_> {
    fn label(&self, id: u32) -> Arc<str> {
        self.src.label(id)
    }
    fn labels(&self, ids: &[u32]) -> Vec<Arc<str>> {
        self.src.labels(ids)
    }
    fn entry(&self, i: usize) -> Entry {
        self.entries.get(&i).cloned().unwrap_or_else(|| self.src.entry(i))
    }
    fn entries(&self, positions: &[usize]) -> Vec<Entry> {
        let missing: Vec<usize> = positions.iter().copied().filter(|i| !self.entries.contains_key(i)).collect();
        let mut fetched: HashMap<usize, Entry> = missing.iter().copied().zip(self.src.entries(&missing)).collect();
        positions
            .iter()
            .map(|i| self.entries.get(i).cloned().or_else(|| fetched.remove(i)).unwrap_or_else(|| self.src.entry(*i)))
            .collect()
    }
    fn same_txn(&self, i: usize, j: usize) -> bool {
        self.src.same_txn(i, j)
    }
    fn find_txns(&self, ids: &[&str]) -> HashMap<String, usize> {
        self.src.find_txns(ids)
    }
}

/// The walk's view of a streamed chain: only the entries around the links that break.
struct Sparse {
    n: usize,
    kept: HashMap<usize, Fact<i64>>,
    broken: Vec<usize>,
    deltas: HashMap<i64, Vec<usize>>,
}

impl Links<i64> for Sparse {
    fn len(&self) -> usize {
        self.n
    }
    fn fact(&self, i: usize) -> &Fact<i64> {
        &self.kept[&i]
    }
    fn broken(&self) -> Vec<usize> {
        self.broken.iter().rev().copied().collect()
    }
    fn with_amount(&mut self, amount: i64) -> Vec<usize> {
        self.deltas.get(&amount).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::super::facts::EntrySource;
    use super::super::UnusualRule;
    use super::*;
    use crate::model::Entry;

    const TYPES: [&str; 4] = ["CHAT", "IMAGE", "REFUND", "PURCHASE"];
    const KEYS: [&str; 2] = ["character", "model"];

    /// Entries in time order from `(seconds later, type, cents, model, description, error)`:
    /// type 4 is one the reference does not know; description 3 names an earlier entry, 4 a
    /// later one; error 1 misreports one line, 2 breaks every later balance. With `named`,
    /// the entries whose description names an earlier or a later entry name it
    /// in a `refund_of` column too (the usage feed's `Refund of`).
    fn ledger_naming(rows: &[(u8, u8, i8, u8, u8, u8)], named: bool) -> Vec<Entry> {
        let (mut ts, mut balance, mut shift) = (0i64, 1_000_000i64, 0i64);
        let n = rows.len();
        rows.iter()
            .enumerate()
            .map(|(i, &(dt, kind, cents, model, description, error))| {
                ts += i64::from(dt) * 1_000_000;
                let kind = TYPES.get(usize::from(kind)).copied().unwrap_or("TIP");
                let amount = i64::from(cents);
                balance += amount;
                if error == 2 {
                    shift += 3;
                }
                let misreport = if error == 1 { 1 } else { 0 };
                let refund_of = match description {
                    3 => Some(format!("e{}", (i * 7) % (i + 1))),
                    4 => Some(format!("e{}", (i + 2).min(n - 1))),
                    _ => None,
                };
                let description = match description {
                    0 | 1 => format!("reply {description}"),
                    2 => "Refund: duplicate charge".to_string(),
                    3 => format!("Refund for e{}", (i * 7) % (i + 1)),
                    _ => format!("Refund for e{} and e{}", (i + 2).min(n - 1), i / 2),
                };
                let mut labels = vec![
                    (Arc::from("character"), Arc::from("Luna")),
                    (Arc::from("model"), Arc::from(["a", "b", "c"][usize::from(model % 3)])),
                ];
                if let (true, Some(id)) = (named, refund_of) {
                    labels.push((Arc::from("refund_of"), Arc::from(id.as_str())));
                }
                Entry {
                    row_id: i as i64,
                    txn_id: format!("e{i}"),
                    ts,
                    kind: Arc::from(kind),
                    description: Arc::from(description.as_str()),
                    amount: Decimal::new(amount, 2),
                    balance_after: Decimal::new(balance + shift + misreport, 2),
                    labels,
                }
            })
            .collect()
    }

    fn units(d: Decimal) -> i64 {
        crate::money::to_units(d).unwrap()
    }

    /// The findings of the ledger of `rows`, streamed in blocks of `block`; the same as the
    /// whole chain's, or the test fails.
    fn both_ways(rows: &[(u8, u8, i8, u8, u8, u8)], block: usize, anchors: Anchors) -> Vec<Finding> {
        both_ways_naming(rows, block, anchors, false, None).0
    }

    /// The entries of positions `from..to` of a chain, held by a test's first pass.
    struct Window<'a> {
        entries: &'a [Entry],
        facts: &'a [Fact<i64>],
        from: usize,
        to: usize,
    }

    impl Held for Window<'_> {
        fn find(&self, id: &[u8], _near: usize) -> Option<(usize, Fact<i64>)> {
            let i = (self.from..self.to).find(|&i| self.entries[i].txn_id.as_bytes() == id)?;
            Some((i, self.facts[i]))
        }
    }

    /// `both_ways`, with `named` on a source that names refunded charges in a column, and with
    /// `look_back`, the first pass gathering what the second finds while it holds that many
    /// entries (at least) before each block. Also whether the second pass was left out.
    fn both_ways_naming(
        rows: &[(u8, u8, i8, u8, u8, u8)],
        block: usize,
        anchors: Anchors,
        named: bool,
        look_back: Option<usize>,
    ) -> (Vec<Finding>, bool) {
        let entries = ledger_naming(rows, named);
        let keys: &[&str] = if named { &["character", "model", "refund_of"] } else { &KEYS };
        let (src, facts) = EntrySource::new(&entries, keys);
        let facts: Vec<Fact<i64>> = facts
            .iter()
            .map(|f| Fact {
                row_id: f.row_id,
                ts: f.ts,
                amount: units(f.amount),
                after: units(f.after),
                kind: f.kind,
                description: f.description,
                dims: f.dims,
            })
            .collect();
        let chain = ChainKey::new("a", "credits");
        let reference = Reference { title: "Reverie", types: &TYPES, dimensions: keys, price_dim: Some(1) };
        let config = RuleConfig {
            refund_window_secs: 20,
            duplicate_window_secs: 3,
            unusual: UnusualRule { min_history: 4, recurring: 2, ..UnusualRule::default() },
        };
        let whole = super::super::findings(&chain, &reference, &facts, &src, anchors, &[], &config);
        let mut stream = Stream::new(&chain, reference, anchors, &config);
        let mut amounts = OldestAmounts::default();
        let gathers = look_back.is_some() && stream.gather_second();
        let mut held = Window { entries: &entries, facts: &facts, from: 0, to: 0 };
        let look_back = look_back.unwrap_or(usize::MAX).max(1);
        for (k, part) in facts.chunks(block).enumerate() {
            if gathers {
                if held.to - held.from >= 2 * look_back {
                    stream.look_back(&held, &src);
                    held.from = held.to - look_back;
                }
                held.to += part.len();
                amounts.note(k * block, part);
            }
            stream.first(k * block, part, &src);
        }
        stream.look_back(&held, &src);
        stream.end_first(&src);
        let lengths: HashSet<usize> = entries.iter().map(|e| e.txn_id.len()).collect();
        let skipped = stream.skip_second(&amounts, &|id| lengths.contains(&id.len()));
        assert!(gathers || !skipped);
        if !skipped {
            for (k, part) in facts.chunks(block).enumerate() {
                let ids: Vec<&[u8]> =
                    entries[k * block..k * block + part.len()].iter().map(|e| e.txn_id.as_bytes()).collect();
                stream.second(k * block, part, if stream.wants_ids() { &ids } else { &[] });
            }
            stream.end_second();
        }
        if stream.pass() == Pass::Third {
            for (k, part) in facts.chunks(block).enumerate() {
                stream.third(k * block, part);
            }
        }
        let streamed = stream.finish(&src, &[]);
        assert_eq!(streamed, whole);
        (streamed, skipped)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn a_streamed_chain_has_the_findings_of_the_whole_chain(
            rows in prop::collection::vec((0u8..3, 0u8..5, -40i8..30, 0u8..3, 0u8..5, prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)]), 1..120),
            block in 1usize..9,
            stated in prop::option::of(-5i64..5),
            opening in prop::option::of(990_000i64..1_000_010),
        ) {
            let anchors = Anchors {
                stated: stated.map(|s| Decimal::new(1_000_000 + s, 2)),
                opening: opening.map(|o| Decimal::new(o, 2)),
            };
            both_ways(&rows, block, anchors);
        }

        #[test]
        fn a_streamed_chain_naming_refunded_charges_in_a_column_has_the_findings_of_the_whole_chain(
            rows in prop::collection::vec((0u8..3, 0u8..5, -40i8..30, 0u8..3, 0u8..5, prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)]), 1..120),
            block in 1usize..9,
        ) {
            both_ways_naming(&rows, block, Anchors::default(), true, None);
        }

        /// The first pass gathering what the second finds, holding from one entry to all of
        /// them: the second pass left out or not, the findings are the whole chain's.
        #[test]
        fn a_chain_whose_first_pass_gathers_the_second_has_the_findings_of_the_whole_chain(
            rows in prop::collection::vec((0u8..3, 0u8..5, -40i8..30, 0u8..3, 0u8..5, prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)]), 1..120),
            block in 1usize..9,
            look_back in prop_oneof![1usize..12, Just(1_000)],
            named in any::<bool>(),
            stated in prop::option::of(-5i64..5),
        ) {
            let anchors = Anchors { stated: stated.map(|s| Decimal::new(1_000_000 + s, 2)), opening: None };
            both_ways_naming(&rows, block, anchors, named, Some(look_back));
        }
    }

    /// A refund naming an earlier charge, a break: held long enough, the first pass gathers
    /// all the second finds, and it is left out; held too short to reach the charge, it runs.
    #[test]
    fn the_second_pass_is_left_out_when_the_first_gathered_it() {
        // (seconds later, type, cents, model, description, error): description 3 names an
        // earlier entry (e0 for entry 6), error 2 breaks.
        // Ten entries: every ID (e0 to e9) is shorter than "for" and "Refund", the words beside
        // the ID the refund names.
        let mut rows = vec![(1, 0, -5, 0, 0, 0); 10];
        rows[3] = (1, 0, -5, 0, 0, 2);
        rows[6] = (1, 2, 5, 0, 3, 0);
        rows[8] = (1, 0, -40, 0, 0, 0);
        let (findings, skipped) = both_ways_naming(&rows, 2, Anchors::default(), false, Some(1_000));
        assert!(skipped, "{findings:?}");
        let kinds: Vec<_> = findings.iter().map(|f| f.kind).collect();
        assert!(kinds.contains(&crate::model::FindingKind::BalanceBreak), "{kinds:?}");
        let (_, skipped) = both_ways_naming(&rows, 2, Anchors::default(), false, Some(1));
        assert!(!skipped);
    }

    /// A grant ledger from `(time step, what, cents, target, error)`: what 0 a spend of
    /// `cents`, 1 a grant, 2 a pending grant of `cents` (amount 0, no balance stated), 3 a
    /// grant of `cents` settling the entry `target` back (a pending grant or not); a time step
    /// of 3 is 20 days; error 1 shifts every later stated balance (a break, often over a run of
    /// pending grants).
    fn grant_ledger(rows: &[(u8, u8, u8, u8, u8)]) -> Vec<Entry> {
        let (mut ts, mut balance, mut shift) = (0i64, 1_000i64, 0i64);
        let unstated = crate::money::from_units(crate::model::NO_BALANCE);
        let mut entries: Vec<Entry> = Vec::new();
        for (i, &(dt, what, cents, target, error)) in rows.iter().enumerate() {
            ts += if dt == 3 { 20 * 86_400 } else { i64::from(dt) } * 1_000_000;
            shift += if error == 1 { 3 } else { 0 };
            let cents = i64::from(cents);
            let (kind, amount, labels) = match what {
                0 => ("SPEND", -cents, Vec::new()),
                1 => ("GRANT", cents, Vec::new()),
                2 => (
                    "PENDING",
                    0,
                    vec![(Arc::from("pending"), Arc::from(format!("{}.{:02}", cents / 100, cents % 100)))],
                ),
                _ => {
                    let named = format!("e{}", i.saturating_sub(usize::from(target) + 1));
                    ("GRANT", cents, vec![(Arc::from("settles"), Arc::from(named.as_str()))])
                }
            };
            balance += amount;
            let after = if what == 2 { unstated } else { Decimal::new(balance + shift, 2) };
            entries.push(Entry {
                row_id: i as i64,
                txn_id: format!("e{i}"),
                ts,
                kind: Arc::from(kind),
                description: Arc::from(kind.to_lowercase().as_str()),
                amount: Decimal::new(amount, 2),
                balance_after: after,
                labels,
            });
        }
        entries
    }

    /// The grant ledger of `rows` streamed in blocks of `block`: the same findings and the
    /// same pending balance as the whole chain's, or the test fails.
    fn grants_both_ways(rows: &[(u8, u8, u8, u8, u8)], block: usize) -> Vec<Finding> {
        let entries = grant_ledger(rows);
        let keys = ["pending", "settles"];
        let (src, facts) = EntrySource::new(&entries, &keys);
        let facts: Vec<Fact<i64>> = facts
            .iter()
            .map(|f| Fact {
                row_id: f.row_id,
                ts: f.ts,
                amount: units(f.amount),
                after: units(f.after),
                kind: f.kind,
                description: f.description,
                dims: f.dims,
            })
            .collect();
        let chain = ChainKey::new("a", "credits");
        let types = ["SPEND", "GRANT", "PENDING"];
        let reference = Reference { title: "Grants", types: &types, dimensions: &keys, price_dim: None };
        let config = RuleConfig::default();
        let whole = super::super::findings(&chain, &reference, &facts, &src, Anchors::default(), &[], &config);
        let whole_pending = super::super::pending_balance(&reference, &facts, &src);
        let mut stream = Stream::new(&chain, reference, Anchors::default(), &config);
        for (k, part) in facts.chunks(block).enumerate() {
            stream.first(k * block, part, &src);
        }
        stream.end_first(&src);
        for (k, part) in facts.chunks(block).enumerate() {
            let ids: Vec<&[u8]> =
                entries[k * block..k * block + part.len()].iter().map(|e| e.txn_id.as_bytes()).collect();
            stream.second(k * block, part, if stream.wants_ids() { &ids } else { &[] });
        }
        stream.end_second();
        if stream.pass() == Pass::Third {
            for (k, part) in facts.chunks(block).enumerate() {
                stream.third(k * block, part);
            }
        }
        assert_eq!(stream.pending_balance(), whole_pending);
        let streamed = stream.finish(&src, &[]);
        assert_eq!(streamed, whole);
        streamed
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn a_streamed_grant_ledger_has_the_findings_and_pending_balance_of_the_whole_chain(
            rows in prop::collection::vec((0u8..4, 0u8..4, 1u8..250, 0u8..4, prop_oneof![9 => Just(0u8), 1 => Just(1u8)]), 1..80),
            block in 1usize..9,
        ) {
            grants_both_ways(&rows, block);
        }
    }

    #[test]
    fn pending_grants_stream_as_they_load() {
        // Pending grants settled (for their amount and for another), left unsettled for
        // months, spent before they settle, and a break over a run of them.
        let mut rows = Vec::new();
        for i in 0..120u8 {
            let row = match i % 8 {
                0 | 1 => (1, 2, 100 + i, 0, 0),
                2 => (1, 0, 240, 0, u8::from(i % 24 == 2)),
                3 => (1, 3, 100 + i - 3, 2, 0),
                4 if i % 16 == 4 => (1, 3, 190, 2, 0),
                4 => (1, 1, 20, 0, 0),
                5 => (3, 1, 50, 0, 0),
                _ => (1, 0, 90, 0, 0),
            };
            rows.push(row);
        }
        let findings = grants_both_ways(&rows, 5);
        let kinds: HashSet<crate::model::FindingKind> = findings.iter().map(|f| f.kind).collect();
        use crate::model::FindingKind::*;
        for kind in [PendingUnsettled, SettledAmountMismatch, PendingOverspend, BalanceBreak] {
            assert!(kinds.contains(&kind), "{kind:?} in {kinds:?}");
        }
    }

    #[test]
    fn refunds_named_in_a_column_stream_as_they_load() {
        // Charges of a few amounts; refunds naming an earlier charge (in full, in part, one
        // charge twice), naming a later entry or nothing (paired by amount, or left unpaired).
        let mut rows = Vec::new();
        for i in 0..300u32 {
            rows.push((1, 0, -((i % 4) as i8 + 1), (i % 3) as u8, 0, 0));
            if i % 11 == 0 {
                let cents = if i % 22 == 0 { 2 } else { 1 };
                rows.push((0, 2, cents, 0, [3, 4, 1][(i % 3) as usize], 0));
            }
        }
        let (findings, _) = both_ways_naming(&rows, 5, Anchors::default(), true, None);
        let kinds: HashSet<crate::model::FindingKind> = findings.iter().map(|f| f.kind).collect();
        for kind in [crate::model::FindingKind::RefundMismatch, crate::model::FindingKind::UnmatchedRefund] {
            assert!(kinds.contains(&kind), "{kind:?} in {kinds:?}");
        }
    }

    #[test]
    fn charges_recurring_and_refunds_by_amount_stream_as_they_load() {
        // Many equal charges, a few large ones, refunds of their amounts without an ID.
        let mut rows = Vec::new();
        for i in 0..200u32 {
            let cents = if i % 50 == 7 { -120 } else { -((i % 5) as i8 + 1) };
            rows.push((1, 0, cents, (i % 2) as u8, 0, 0));
            if i % 9 == 0 {
                rows.push((0, 2, 3, 0, 1, 0));
            }
        }
        both_ways(&rows, 3, Anchors::default());
    }

    #[test]
    fn a_refund_by_amount_pairs_with_the_oldest_of_the_latest_charges() {
        // e0 and e2 are one charge twice (model b); e1 is another charge of that amount in
        // e2's second (model a). The refund pairs with e1, the oldest in walk order of the
        // charges of its second, so the duplicate stays unrefunded.
        let rows = [(0, 0, -5, 1, 0, 0), (1, 0, -5, 0, 0, 0), (0, 0, -5, 1, 0, 0), (1, 2, 5, 0, 1, 0)];
        for block in 1..5 {
            let findings = both_ways(&rows, block, Anchors::default());
            let found: Vec<(crate::model::FindingKind, &[String])> =
                findings.iter().map(|f| (f.kind, f.transaction_ids.as_slice())).collect();
            assert_eq!(
                found,
                [(crate::model::FindingKind::DuplicateCharge, &["e0".to_string(), "e2".to_string()][..])]
            );
            assert!(!findings[0].message.contains("refunded one of them"), "{}", findings[0].message);
        }
    }
}
