//! A chain too long to load checked as a stream (`reconcile::Stream`): its facts read from the
//! store a block at a time, once, twice or three times over, so memory stays bounded whatever
//! its length (the first pass holds the last `LOOK_BACK` to twice that entries, `Recent`, to
//! find the charges refunds name, so that the second pass is mostly left out), with the
//! anchored walk beside it (`reconcile::AnchoredStream`) where the chain has anchors or an
//! opening balance. Findings are the same as `check_chain`'s; chains it cannot
//! stream (sources whose credit grants expire, one-sided entries of a kept match) are loaded.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::{ChainChecked, CheckError, CheckedFinding};
use crate::model::{Anchor, AnchorKind, Entry, Fact, Note};
use crate::reconcile::{self, AnchoredStream, Anchors, Held, Lookup, OldestAmounts, Pass, RuleConfig, Stream};
use crate::store::{ChainInfo, HeldFacts, Store, StoreError};

/// A chain of at least this many entries is streamed. Loaded whole a chain takes about 70
/// bytes an entry; streamed it is read once (twice or three times when the first pass cannot
/// gather what the others find), and each block is decoded on the other core while the rules
/// run, so from about here on it is also the faster (1M entries: 0.2 s loaded, less
/// streamed). Smaller chains are loaded: a customer base of 100,000 small ledgers would pay
/// the streaming's few extra queries and a thread per pass 100,000 times.
pub const STREAM_FROM: u64 = 100_000;

/// Entries handed to the rules at a time.
const BLOCK: usize = 4096;

/// `RECKON_CHECK_BLOCK=N`: stream every chain that can be, N entries at a time (tests force
/// the streaming path on small ledgers with it, down to one entry a block).
pub const BLOCK_VAR: &str = "RECKON_CHECK_BLOCK";

fn forced_block() -> Option<usize> {
    std::env::var(BLOCK_VAR).ok()?.trim().parse().ok().filter(|&n| n > 0)
}

/// The chain checked as a stream when it is long (or `RECKON_CHECK_BLOCK` is set) and can be;
/// `None` when it is to be loaded whole.
pub(super) fn check_streamed(
    store: &Store,
    chain: &ChainInfo,
    anchors: Anchors,
    notes: &HashMap<String, Note>,
    rules: &RuleConfig,
) -> Result<Option<ChainChecked>, CheckError> {
    let forced = forced_block();
    if chain.entries == 0 || (forced.is_none() && chain.entries < STREAM_FROM) {
        return Ok(None);
    }
    let keys: Vec<&str> = chain.dimensions.iter().map(|d| d.key.as_str()).collect();
    let reference = super::reference(chain, &keys);
    if !reconcile::streams(&reference) {
        return Ok(None);
    }
    // One-sided entries of a kept match are found by entry id in the loaded chain.
    if !store.unmatched_entries(chain.id)?.is_empty() {
        return Ok(None);
    }
    // As `check_chain` has them: the balances stated at points in time, and, where the newest
    // entry states no balance, the stated balance as one more of them, at that entry.
    let mut points = store.anchors(chain.id)?;
    let mut walk_anchors = anchors;
    if let Some(stated) = anchors.stated {
        let last = store.entries_at(chain.id, &[chain.entries - 1])?;
        if let Some(last) = last.first().filter(|e| !reconcile::states_balance(e.balance_after)) {
            points.push(Anchor {
                id: 0,
                ts: last.ts,
                balance: stated,
                kind: AnchorKind::Stated,
                note: "the stated balance".into(),
                created: 0,
            });
            walk_anchors.stated = None;
        }
    }
    let opening = anchors.opening.unwrap_or(Decimal::ZERO);
    let mut anchored = (!points.is_empty() || anchors.opening.is_some()).then(|| AnchoredStream::new(&points, opening));
    let block = forced.unwrap_or(BLOCK);
    let t = std::time::Instant::now();
    let lookup = StreamLookup { store, chain, error: RefCell::new(None) };
    let conflicts = store.conflicts(chain.id)?;
    let mut stream = Stream::new(&chain.key, reference, walk_anchors, rules);
    // The first pass holds the recent entries, so that the second need not look for the
    // charges refunds name, and notes the lengths of all IDs, to show the other names absent,
    // and the oldest entries of each amount, on the thread decoding blocks.
    let mut lengths = IdLengths::default();
    let mut amounts = OldestAmounts::default();
    let mut first = |start: usize, facts: &[Fact<i64>], stream: &mut Stream<'_>| {
        stream.first(start, facts, &lookup);
        if let Some(anchored) = &mut anchored {
            anchored.first(start, facts);
        }
    };
    if stream.gather_second() {
        let mut held = Recent::new(look_back());
        let watch = |run: &HeldFacts| {
            (0..run.len()).for_each(|k| lengths.insert(run.id(k).len()));
            amounts.note(run.start, &run.facts);
        };
        store.scan_held(chain, block, watch, |run| {
            if held.entries >= 2 * held.look_back {
                stream.look_back(&held, &lookup);
                held.trim();
            }
            held.push(run);
            let run = held.runs.back().expect("a run was just pushed");
            first(run.start, &run.facts, &mut stream);
        })?;
        stream.look_back(&held, &lookup);
    } else {
        store.scan_facts(chain, block, false, |start, facts, _| first(start, facts, &mut stream))?;
    }
    stream.end_first(&lookup);
    if let Some(anchored) = &mut anchored {
        anchored.end_first();
    }
    // The second pass finds what closes each gap the anchored walk found.
    let mut gaps = anchored.as_mut().filter(|a| a.wants_second());
    let t = crate::trace::phase("check: stream, first pass", t);
    let skipped = stream.skip_second(&amounts, &|id| lengths.may_hold(id));
    if !skipped || gaps.is_some() {
        let ids = !skipped && stream.wants_ids();
        store.scan_facts(chain, block, ids, |start, facts, ids| {
            if !skipped {
                stream.second(start, facts, ids);
            }
            if let Some(anchored) = &mut gaps {
                anchored.second(start, facts);
            }
        })?;
        if !skipped {
            stream.end_second();
        }
    }
    let t = crate::trace::phase(
        if skipped { "check: stream, second pass (the rules' part left out)" } else { "check: stream, second pass" },
        t,
    );
    if stream.pass() == Pass::Third {
        store.scan_facts(chain, block, false, |start, facts, _| stream.third(start, facts))?;
        crate::trace::phase("check: stream, third pass (refunds by amount, spends of pending credits)", t);
    }
    let pending = stream.pending_balance();
    let mut findings = stream.finish(&lookup, &conflicts);
    let rebuilt_end = anchored.as_ref().map(AnchoredStream::rebuilt_end);
    if let Some(anchored) = anchored.filter(|_| !points.is_empty()) {
        findings.extend(anchored.finish(&chain.key, &lookup));
        findings.sort_by(|a, b| a.ts.cmp(&b.ts).then(a.kind.cmp(&b.kind)).then_with(|| a.id.cmp(&b.id)));
    }
    if let Some(e) = lookup.error.into_inner() {
        return Err(e.into());
    }
    let findings = findings
        .into_iter()
        .map(|finding| CheckedFinding { chain_id: chain.id, note: notes.get(&finding.id).cloned(), finding })
        .collect();
    // A ledger that ends on a pending grant ends at the available balance before it.
    let ledger_balance = chain.ledger_balance.or(pending.as_ref().and_then(|p| p.available));
    let rebuilt = rebuilt_end.filter(|_| ledger_balance.is_none() && pending.is_none());
    Ok(Some(ChainChecked { findings, pending, rebuilt, ledger_balance }))
}

/// `RECKON_CHECK_LOOK_BACK=N`: the entries the first pass holds before each refund, to find
/// the charge it names without a second pass (tests make it small).
pub const LOOK_BACK_VAR: &str = "RECKON_CHECK_LOOK_BACK";

/// Entries held before each refund: a refund names a charge of the last few days, a few
/// thousand entries back on the busiest ledgers made so far.
const LOOK_BACK: usize = 65_536;

fn look_back() -> usize {
    std::env::var(LOOK_BACK_VAR).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(LOOK_BACK).max(1)
}

/// The runs of facts the first pass has passed and holds, oldest first: after each `trim`, at
/// least `look_back` entries before the run pushed next; at most twice that and a run.
struct Recent {
    runs: VecDeque<HeldFacts>,
    entries: usize,
    look_back: usize,
}

impl Recent {
    fn new(look_back: usize) -> Recent {
        Recent { runs: VecDeque::new(), entries: 0, look_back }
    }

    fn push(&mut self, run: HeldFacts) {
        self.entries += run.len();
        self.runs.push_back(run);
    }

    /// Drops the oldest runs not needed to keep `look_back` entries.
    fn trim(&mut self) {
        while let Some(oldest) = self.runs.front().filter(|r| self.entries - r.len() >= self.look_back) {
            self.entries -= oldest.len();
            self.runs.pop_front();
        }
    }
}

impl Held for Recent {
    fn find(&self, id: &[u8], near: usize) -> Option<(usize, Fact<i64>)> {
        let hash = HeldFacts::hash(id);
        // The run holding `near`, then the older ones, newest first, then the newer ones.
        let at = self.runs.partition_point(|run| run.start + run.len() <= near);
        let older = (0..self.runs.len().min(at + 1)).rev();
        older.chain(at + 1..self.runs.len()).find_map(|r| {
            let run = &self.runs[r];
            run.find(id, hash).map(|k| (run.start + k, run.facts[k]))
        })
    }
}

/// The lengths of a chain's transaction IDs: a name of another length is certainly no ID of
/// it (the words of a refund's description beside the ID it names).
#[derive(Debug, Default)]
struct IdLengths {
    short: [u64; 4],
    long: std::collections::BTreeSet<usize>,
}

impl IdLengths {
    fn insert(&mut self, len: usize) {
        match self.short.get_mut(len / 64) {
            Some(bits) => *bits |= 1 << (len % 64),
            None => {
                self.long.insert(len);
            }
        }
    }

    /// Whether some ID met is as long as `id` (`false`: none is `id`).
    fn may_hold(&self, id: &[u8]) -> bool {
        let len = id.len();
        match self.short.get(len / 64) {
            Some(bits) => bits & (1 << (len % 64)) != 0,
            None => self.long.contains(&len),
        }
    }
}

/// Whole entries for the findings of a streamed chain, read from their blocks by position.
struct StreamLookup<'a> {
    store: &'a Store,
    chain: &'a ChainInfo,
    /// The first store error met; `check` reports it after the walk.
    error: RefCell<Option<StoreError>>,
}

impl StreamLookup<'_> {
    fn failed(&self, e: StoreError) -> Entry {
        self.error.borrow_mut().get_or_insert(e);
        Entry {
            row_id: 0,
            txn_id: String::new(),
            ts: 0,
            kind: Arc::from(""),
            description: Arc::from(""),
            amount: Decimal::ZERO,
            balance_after: Decimal::ZERO,
            labels: Vec::new(),
        }
    }
}

impl Lookup for StreamLookup<'_> {
    fn label(&self, id: u32) -> Arc<str> {
        self.store.label(id)
    }
    fn labels(&self, ids: &[u32]) -> Vec<Arc<str>> {
        match self.store.labels(ids) {
            Ok(texts) => texts,
            Err(e) => {
                self.error.borrow_mut().get_or_insert(e);
                ids.iter().map(|_| Arc::from("")).collect()
            }
        }
    }
    fn entry(&self, i: usize) -> Entry {
        match self.entries(&[i]).pop() {
            Some(e) => e,
            None => self.failed(StoreError::NotFound(format!("entry at position {i}"))),
        }
    }
    fn entries(&self, positions: &[usize]) -> Vec<Entry> {
        let at: Vec<u64> = positions.iter().map(|&i| i as u64).collect();
        match self.store.entries_at(self.chain.id, &at) {
            Ok(entries) => entries,
            Err(e) => {
                let message = e.to_string();
                self.error.borrow_mut().get_or_insert(e);
                positions.iter().map(|_| self.failed(StoreError::BadValue(message.clone()))).collect()
            }
        }
    }
    fn same_txn(&self, i: usize, j: usize) -> bool {
        // A transaction ID is stored once per chain.
        i == j
    }
    fn find_txns(&self, ids: &[&str]) -> FxHashMap<String, usize> {
        let wanted: rustc_hash::FxHashSet<&[u8]> = ids.iter().map(|id| id.as_bytes()).collect();
        let mut found = FxHashMap::default();
        if wanted.is_empty() {
            return found;
        }
        let scanned = self.store.scan_facts(self.chain, BLOCK, true, |start, _, txns| {
            for (i, id) in (start..).zip(txns) {
                if wanted.contains(id) {
                    found.insert(String::from_utf8_lossy(id).into_owned(), i);
                }
            }
        });
        if let Err(e) = scanned {
            self.error.borrow_mut().get_or_insert(e);
        }
        found
    }
}
