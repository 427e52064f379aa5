//! Later exports that revise what is stored, for the sources whose
//! [`Revisions`](crate::model::source::Revisions) say so (workspace usage records): an
//! aggregate's later figure becomes a revision entry carrying the change, an older or equal
//! one changes nothing; a package reset records an anchor of kind reset.
//!
//! *Invariant:* the entries of one aggregate add up to its latest figure: the first is stored
//! under the row's own ID, each later one as `ID@<Updated At>` with the difference.

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
struct Aggregate {
    latest_ts: i64,
    /// The transaction ID of the latest revision.
    latest_id: String,
    /// The latest revision's own amount.
    latest_amount: i64,
    /// Every revision's amount together: the aggregate's figure (negative for usage).
    total: i64,
}

/// Rewrites the aggregate rows of `files` against what `stored` holds (and each other, oldest
/// figure first): a later figure becomes `ID@<time>` with the change; an equal time keeps the
/// stored revision's ID, so the same figure is known and another one conflicts; an older
/// figure is left out. `texts` gives the store's label texts for stored rows.
pub(super) fn aggregates(
    stored: &[Row<'_>],
    texts: &FxHashMap<u32, &str>,
    files: &[ParsedFile],
    revisions: &Revisions,
) -> Revised {
    let is_aggregate = |kind: &str| revisions.aggregate_types.contains(&kind);
    let mut known: FxHashMap<String, Aggregate> = FxHashMap::default();
    for r in stored {
        if !is_aggregate(texts.get(&r.kind).copied().unwrap_or("")) {
            continue;
        }
        let (base, _) = split_revision(r.txn_id);
        let a = known.entry(base.to_string()).or_insert(Aggregate {
            latest_ts: i64::MIN,
            latest_id: String::new(),
            latest_amount: 0,
            total: 0,
        });
        a.total += r.amount;
        if r.ts >= a.latest_ts {
            a.latest_ts = r.ts;
            a.latest_id = r.txn_id.to_string();
            a.latest_amount = r.amount;
        }
    }
    // Every incoming aggregate row, oldest figure first (file order among equal times).
    let mut order: Vec<(i64, usize, usize)> = Vec::new();
    for (f, file) in files.iter().enumerate() {
        for (i, e) in file.entries.iter().enumerate() {
            if is_aggregate(file.labels.text(e.kind)) {
                order.push((e.ts, f, i));
            }
        }
    }
    order.sort_by_key(|&(ts, f, i)| (ts, f, i));
    let mut files: Vec<ParsedFile> = files.to_vec();
    let mut drop: Vec<Vec<bool>> = files.iter().map(|f| vec![false; f.entries.len()]).collect();
    for (ts, f, i) in order {
        let e = &mut files[f].entries[i];
        let figure = e.amount;
        let base = e.txn_id.to_string();
        match known.get_mut(&base) {
            None => {
                known.insert(
                    base.clone(),
                    Aggregate { latest_ts: ts, latest_id: base, latest_amount: figure, total: figure },
                );
            }
            Some(a) if ts < a.latest_ts => drop[f][i] = true,
            Some(a) if ts == a.latest_ts => {
                // The same revision again: known when its figure is the same, else a conflict.
                e.txn_id = a.latest_id.clone().into();
                e.amount = figure - (a.total - a.latest_amount);
            }
            Some(a) => {
                let id = revision_id(&base, ts);
                e.txn_id = id.clone().into();
                e.amount = figure - a.total;
                *a = Aggregate { latest_ts: ts, latest_id: id, latest_amount: e.amount, total: figure };
            }
        }
    }
    let mut unchanged = Vec::with_capacity(files.len());
    for (file, drop) in files.iter_mut().zip(drop) {
        unchanged.push(drop.iter().filter(|&&d| d).count() as u64);
        let mut keep = drop.into_iter().map(|d| !d);
        file.entries.retain(|_| keep.next().unwrap_or(true));
        let labels = &file.labels;
        for e in &mut file.entries {
            if is_aggregate(labels.text(e.kind)) {
                e.hash = identity_hash(e, &|id| labels.text(id), revisions.mutable_dimension, file.dimensions.len());
            }
        }
    }
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
