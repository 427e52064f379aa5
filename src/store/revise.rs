//! Later exports that revise what is stored, for the sources whose
//! [`Revisions`](crate::model::source::Revisions) say so (workspace usage records): an
//! aggregate's later figure becomes a revision entry carrying the change, an older or equal
//! one changes nothing; a package reset records an anchor of kind reset.
//!
//! *Invariant:* the entries of one aggregate add up to its latest figure: the first is stored
//! under the row's own ID, each later one as `ID@<Updated At>` with the difference.

use std::borrow::Cow;
use std::collections::hash_map::Entry;

use chrono::{DateTime, SecondsFormat};
use rusqlite::{params, Transaction};
use rustc_hash::FxHashMap;

use super::block::Row;
use super::StoreError;
use crate::model::source::Revisions;
use crate::model::{content_hash, ParsedEntry, ParsedFile, MAX_DIMS};

/// The files as the store takes them after revision, and how many rows of each changed
/// nothing (an aggregate's older or equal figure, counted as known).
pub(super) struct Revised {
    pub files: Vec<ParsedFile>,
    pub unchanged: Vec<u64>,
}

/// `ID@<time>`: the transaction ID of an aggregate's revision at `ts`.
pub fn revision_id(base: &str, ts: i64) -> String {
    let at = DateTime::from_timestamp_micros(ts).unwrap_or_default();
    format!("{base}@{}", at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// The aggregate ID and revision time of a stored transaction ID (`None`: the first figure).
pub fn split_revision(txn_id: &str) -> (&str, Option<i64>) {
    if let Some((base, at)) = txn_id.rsplit_once('@') {
        if let Ok(t) = DateTime::parse_from_rfc3339(at) {
            return (base, Some(t.timestamp_micros()));
        }
    }
    (txn_id, None)
}

/// An aggregate as stored: its latest revision and what its entries add up to.
#[derive(Debug, Clone)]
struct Aggregate<'a> {
    latest_ts: i64,
    /// The transaction ID of the latest revision: borrowed from the store or the files, made
    /// only for a revision this import adds.
    latest_id: Cow<'a, str>,
    /// The latest revision's own amount.
    latest_amount: i64,
    /// Every revision's amount together: the aggregate's figure (negative for usage).
    total: i64,
}

/// What becomes of one incoming aggregate row.
enum Change {
    /// An older figure: left out.
    Drop,
    /// Stored under this ID (`None`: its own) with this amount.
    Revise(Option<Box<str>>, i64),
}

/// Rewrites the aggregate rows of `files` against what `stored` holds (and each other, oldest
/// figure first): a later figure becomes `ID@<time>` with the change; an equal time keeps the
/// stored revision's ID, so the same figure is known and another one conflicts; an older
/// figure is left out. `texts` gives the store's label texts for stored rows.
///
/// The aggregates are keyed by IDs borrowed from the stored rows and the files, so a million
/// conversations cost no allocation each (a first import of 1M rows spent 0.8 s here, most of
/// it making and hashing owned keys).
pub(super) fn aggregates<'a>(
    stored: &[Row<'a>],
    texts: &FxHashMap<u32, &str>,
    files: &'a [ParsedFile],
    revisions: &Revisions,
) -> Revised {
    let started = std::time::Instant::now();
    let is_aggregate = |kind: &str| revisions.aggregate_types.contains(&kind);
    // Every incoming aggregate row, oldest figure first (file order among equal times).
    let mut order: Vec<(i64, usize, usize)> = Vec::new();
    for (f, file) in files.iter().enumerate() {
        let kinds: Vec<bool> =
            (0..=file.labels.len() as u32).map(|id| id != 0 && is_aggregate(file.labels.text(id))).collect();
        for (i, e) in file.entries.iter().enumerate() {
            if kinds.get(e.kind as usize).copied().unwrap_or(false) {
                order.push((e.ts, f, i));
            }
        }
    }
    // The keys are distinct: no stable sort needed.
    order.sort_unstable();
    let stored_kinds: Vec<u32> = texts.iter().filter(|(_, t)| is_aggregate(t)).map(|(&id, _)| id).collect();
    let mut known: FxHashMap<&'a str, Aggregate<'a>> = FxHashMap::default();
    known.reserve(order.len() + if stored_kinds.is_empty() { 0 } else { stored.len() });
    for r in stored {
        if !stored_kinds.contains(&r.kind) {
            continue;
        }
        let (base, _) = split_revision(r.txn_id);
        let a = known.entry(base).or_insert(Aggregate {
            latest_ts: i64::MIN,
            latest_id: Cow::Borrowed(""),
            latest_amount: 0,
            total: 0,
        });
        a.total += r.amount;
        if r.ts >= a.latest_ts {
            a.latest_ts = r.ts;
            a.latest_id = Cow::Borrowed(r.txn_id);
            a.latest_amount = r.amount;
        }
    }
    let mut changes: Vec<(usize, usize, Change)> = Vec::new();
    for (ts, f, i) in order {
        let e = &files[f].entries[i];
        let figure = e.amount;
        let base: &'a str = &e.txn_id;
        let a = match known.entry(base) {
            Entry::Vacant(v) => {
                v.insert(Aggregate {
                    latest_ts: ts,
                    latest_id: Cow::Borrowed(base),
                    latest_amount: figure,
                    total: figure,
                });
                continue;
            }
            Entry::Occupied(o) => o.into_mut(),
        };
        if ts < a.latest_ts {
            changes.push((f, i, Change::Drop));
        } else if ts == a.latest_ts {
            // The same revision again: known when its figure is the same, else a conflict.
            let id = (a.latest_id != base).then(|| Box::from(&*a.latest_id));
            changes.push((f, i, Change::Revise(id, figure - (a.total - a.latest_amount))));
        } else {
            let id = revision_id(base, ts);
            let amount = figure - a.total;
            changes.push((f, i, Change::Revise(Some(id.as_str().into()), amount)));
            *a = Aggregate { latest_ts: ts, latest_id: Cow::Owned(id), latest_amount: amount, total: figure };
        }
    }
    drop(known);
    let mut files: Vec<ParsedFile> = files.to_vec();
    let mut dropped: Vec<Vec<bool>> = files.iter().map(|f| vec![false; f.entries.len()]).collect();
    for (f, i, change) in changes {
        match change {
            Change::Drop => dropped[f][i] = true,
            Change::Revise(id, amount) => {
                let e = &mut files[f].entries[i];
                if let Some(id) = id {
                    e.txn_id = id.into();
                }
                e.amount = amount;
            }
        }
    }
    let mut unchanged = Vec::with_capacity(files.len());
    for (file, dropped) in files.iter_mut().zip(dropped) {
        unchanged.push(dropped.iter().filter(|&&d| d).count() as u64);
        let mut keep = dropped.into_iter().map(|d| !d);
        file.entries.retain(|_| keep.next().unwrap_or(true));
        let labels = &file.labels;
        for e in &mut file.entries {
            if is_aggregate(labels.text(e.kind)) {
                e.hash = identity_hash(e, &|id| labels.text(id), revisions.mutable_dimension, file.dimensions.len());
            }
        }
    }
    // Part of ingest's "deduplicate, order".
    crate::trace::phase("import: revise aggregates", started);
    Revised { files, unchanged }
}

/// An entry's content hash with the mutable dimension left out, as readers of such sources
/// compute it; `text` gives a label's text.
pub(super) fn identity_hash<'t>(
    e: &ParsedEntry,
    text: &dyn Fn(u32) -> &'t str,
    mutable: Option<usize>,
    dims: usize,
) -> i64 {
    let mut values = [None; MAX_DIMS];
    for (d, (v, &id)) in values.iter_mut().zip(&e.dims).enumerate() {
        *v = (id != 0 && Some(d) != mutable).then(|| text(id));
    }
    content_hash(e.ts, text(e.kind), text(e.description), e.amount, e.balance_after, &values[..dims])
}

/// Records an anchor of kind reset for each new entry of a reset type (`(ts, amount, note)`),
/// unless the chain has the same reset anchor already (a file imported again).
pub(super) fn record_resets(
    tx: &Transaction,
    chain_id: i64,
    resets: &[(i64, i64, String)],
    created: i64,
) -> Result<(), StoreError> {
    for (ts, units, note) in resets {
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM anchor WHERE chain_id = ?1 AND ts = ?2 AND balance = ?3 AND kind = 'reset')",
            params![chain_id, ts, units],
            |r| r.get(0),
        )?;
        if !exists {
            tx.execute(
                "INSERT INTO anchor (chain_id, ts, balance, kind, note, created) VALUES (?1, ?2, ?3, 'reset', ?4, ?5)",
                params![chain_id, ts, units, note, created],
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_ids_read_back() {
        let ts = 1_772_532_000_000_000; // 2026-03-03T10:00:00Z
        let id = revision_id("conv_1", ts);
        assert_eq!(id, "conv_1@2026-03-03T10:00:00Z");
        assert_eq!(split_revision(&id), ("conv_1", Some(ts)));
        assert_eq!(split_revision("user@example.com"), ("user@example.com", None));
        assert_eq!(split_revision("conv_2"), ("conv_2", None));
    }
}
