//! Writing parsed files into the store: deduplicate against what is known, keep conflicting
//! versions apart, put every entry in walk order, all in one transaction.
//!
//! *Invariant:* an import either stores everything it read or nothing.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use rustc_hash::{FxHashMap, FxHashSet};

use super::{Store, StoreError};
use crate::import::{self, Format, ImportError, ParsedFile, Progress, ProgressSink, Stage};
use crate::model::ChainKey;
use crate::reconcile::order::walk_order;
use crate::trace;

/// Above this many new rows (and more new rows than stored ones) the secondary indexes are
/// dropped and rebuilt once after the insert, which is several times faster than maintaining
/// them row by row.
const BULK_REBUILD_MIN: usize = 50_000;

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The chain the files belong to; Reverie exports carry no account of their own.
    pub chain: ChainKey,
    /// Forces a format instead of detecting it.
    pub format: Option<Format>,
    /// Recorded as the import time (the clock is a parameter).
    pub now: DateTime<Utc>,
}

impl ImportOptions {
    pub fn new(now: DateTime<Utc>) -> Self {
        ImportOptions { chain: ChainKey::new(ChainKey::DEFAULT_ACCOUNT, ChainKey::DEFAULT_CURRENCY), format: None, now }
    }
}

/// What one file contributed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    pub path: PathBuf,
    pub format: Format,
    pub entries: u64,
    pub new: u64,
    pub known: u64,
    pub conflicting: u64,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub chain_id: i64,
    pub files: Vec<FileSummary>,
}

impl ImportSummary {
    pub fn new_entries(&self) -> u64 {
        self.files.iter().map(|f| f.new).sum()
    }
    pub fn known_entries(&self) -> u64 {
        self.files.iter().map(|f| f.known).sum()
    }
    pub fn conflicting_entries(&self) -> u64 {
        self.files.iter().map(|f| f.conflicting).sum()
    }
}

/// The fields the walk order needs, for stored and new entries alike.
#[derive(Debug, Clone)]
struct Slot<'a> {
    /// Index into `new_rows`, or the stored row id negated minus one.
    origin: isize,
    ts: i64,
    before: i64,
    after: i64,
    txn_id: &'a str,
    seq: i64,
}

/// An entry already in the chain.
struct Stored {
    id: i64,
    txn_id: String,
    ts: i64,
    seq: i64,
    amount: i64,
    balance_after: i64,
    hash: i64,
}

#[derive(Clone, Copy)]
struct NewRow {
    file: usize,
    entry: usize,
}

impl Store {
    /// Reads every file, then stores them in one transaction. Progress goes to `sink`, which
    /// may cancel; a failure or cancellation leaves the database exactly as it was.
    pub fn import(
        &mut self,
        paths: &[PathBuf],
        options: &ImportOptions,
        sink: &mut dyn ProgressSink,
    ) -> Result<ImportSummary, ImportError> {
        let mut t = std::time::Instant::now();
        let prints = paths
            .iter()
            .map(|p| fingerprint(p).map_err(|source| ImportError::Io { path: p.clone(), source }))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(summary) = self.import_known(paths, &prints, options, sink)? {
            trace::phase("import: known files", t);
            return Ok(summary);
        }
        t = trace::phase("import: fingerprint", t);
        let mut files = Vec::with_capacity(paths.len());
        for (index, path) in paths.iter().enumerate() {
            let mut report = |done, total| {
                sink.progress(&Progress {
                    file: path,
                    file_index: index,
                    files: paths.len(),
                    bytes_done: done,
                    bytes_total: total,
                    stage: Stage::Reading,
                })
            };
            files.push(import::read_file(path, options.format, &mut report)?);
        }
        let last = paths.last().map_or(Path::new(""), PathBuf::as_path);
        let stage = |stage| Progress {
            file: last,
            file_index: paths.len().saturating_sub(1),
            files: paths.len(),
            bytes_done: files.iter().map(|f| f.bytes).sum(),
            bytes_total: files.iter().map(|f| f.bytes).sum(),
            stage,
        };
        if sink.progress(&stage(Stage::Storing)).is_break() {
            return Err(ImportError::Cancelled);
        }
        t = trace::phase("import: read files", t);
        let tx = self.conn.transaction().map_err(StoreError::from)?;
        let summary = store_files(&tx, &files, &prints, options)?;
        t = trace::phase("import: store (total)", t);
        if sink.progress(&stage(Stage::Done)) == ControlFlow::Break(()) {
            return Err(ImportError::Cancelled);
        }
        tx.commit().map_err(StoreError::from)?;
        trace::phase("import: commit", t);
        Ok(summary)
    }
}

impl Store {
    /// When every file was imported into this chain before (same bytes, same format), nothing
    /// can be new: its entries all matched or conflicted with the first stored versions then,
    /// and stored entries never change, so they still do. Records the import and returns the
    /// counts without parsing; `None` sends the import down the full path.
    fn import_known(
        &mut self,
        paths: &[PathBuf],
        prints: &[String],
        options: &ImportOptions,
        sink: &mut dyn ProgressSink,
    ) -> Result<Option<ImportSummary>, ImportError> {
        let chain_id: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM chain WHERE account = ?1 AND currency = ?2",
                params![options.chain.account, options.chain.currency],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::from)?;
        let Some(chain_id) = chain_id else { return Ok(None) };
        let mut seen = Vec::with_capacity(paths.len());
        for print in prints {
            let row: Option<(String, i64, i64, i64)> = self
                .conn
                .query_row(
                    "SELECT format, bytes, entries_new + entries_known, entries_conflicting
                     FROM source_file WHERE chain_id = ?1 AND file_hash = ?2 ORDER BY id DESC LIMIT 1",
                    params![chain_id, print],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .map_err(StoreError::from)?;
            match row {
                Some(row) if options.format.is_none_or(|f| f.name() == row.0) => seen.push(row),
                _ => return Ok(None),
            }
        }
        let total: u64 = seen.iter().map(|r| r.1 as u64).sum();
        for (index, path) in paths.iter().enumerate() {
            for stage in [Stage::Reading, Stage::Storing, Stage::Done] {
                let progress = Progress {
                    file: path,
                    file_index: index,
                    files: paths.len(),
                    bytes_done: total,
                    bytes_total: total,
                    stage,
                };
                if (stage == Stage::Reading || index + 1 == paths.len()) && sink.progress(&progress).is_break() {
                    return Err(ImportError::Cancelled);
                }
            }
        }
        let tx = self.conn.transaction().map_err(StoreError::from)?;
        let mut files = Vec::with_capacity(paths.len());
        for ((path, (format, bytes, known, conflicting)), print) in paths.iter().zip(seen).zip(prints) {
            tx.execute(
                "INSERT INTO source_file (path, format, file_hash, bytes, imported_at, entries_new, entries_known,
                                          entries_conflicting, chain_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8)",
                params![
                    path.to_string_lossy(),
                    format,
                    print,
                    bytes,
                    options.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    known,
                    conflicting,
                    chain_id,
                ],
            )
            .map_err(StoreError::from)?;
            let format = import::Format::from_name(&format)
                .ok_or_else(|| StoreError::BadValue(format!("unknown stored format {format}")))?;
            files.push(FileSummary {
                path: path.clone(),
                format,
                entries: (known + conflicting) as u64,
                new: 0,
                known: known as u64,
                conflicting: conflicting as u64,
            });
        }
        tx.commit().map_err(StoreError::from)?;
        Ok(Some(ImportSummary { chain_id, files }))
    }
}

/// xxh3 of a file's bytes, read in large blocks.
fn fingerprint(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buf)? {
            0 => break,
            n => hash.update(&buf[..n]),
        }
    }
    Ok(format!("{:016x}", hash.digest()))
}

fn store_files(
    tx: &Transaction,
    files: &[ParsedFile],
    prints: &[String],
    options: &ImportOptions,
) -> Result<ImportSummary, StoreError> {
    tx.execute(
        "INSERT INTO chain (account, currency) VALUES (?1, ?2) ON CONFLICT (account, currency) DO NOTHING",
        params![options.chain.account, options.chain.currency],
    )?;
    let chain_id: i64 = tx.query_row(
        "SELECT id FROM chain WHERE account = ?1 AND currency = ?2",
        params![options.chain.account, options.chain.currency],
        |r| r.get(0),
    )?;
    let mut t = std::time::Instant::now();
    let mut label_ids = load_label_ids(tx)?;
    let stored = load_stored(tx, chain_id, &label_ids)?;
    t = trace::phase("import: load stored", t);
    let mut conflicts_known: FxHashSet<(String, i64)> = FxHashSet::default();
    {
        let mut stmt = tx.prepare_cached("SELECT txn_id, content_hash FROM conflict WHERE chain_id = ?1")?;
        let mut rows = stmt.query([chain_id])?;
        while let Some(r) = rows.next()? {
            conflicts_known.insert((r.get(0)?, r.get(1)?));
        }
    }

    // Content hash by transaction ID, over what is stored and what this import adds.
    let incoming: usize = files.iter().map(|f| f.entries.len()).sum();
    let mut known: FxHashMap<&str, i64> =
        FxHashMap::with_capacity_and_hasher(stored.len() + incoming, Default::default());
    let mut slots: Vec<Slot<'_>> = Vec::with_capacity(stored.len() + incoming);
    for s in &stored {
        known.insert(&s.txn_id, s.hash);
        slots.push(Slot {
            origin: -(s.id as isize) - 1,
            ts: s.ts,
            before: s.balance_after - s.amount,
            after: s.balance_after,
            txn_id: &s.txn_id,
            seq: s.seq,
        });
    }

    let mut summaries = Vec::with_capacity(files.len());
    let mut new_rows: Vec<NewRow> = Vec::with_capacity(incoming);
    let mut file_labels: Vec<Vec<i64>> = Vec::with_capacity(files.len());
    let mut source_ids = Vec::with_capacity(files.len());
    let mut conflict_rows: Vec<NewRow> = Vec::new();

    for (f, file) in files.iter().enumerate() {
        let mut map = Vec::with_capacity(file.labels.len());
        for id in 0..file.labels.len() as u32 {
            map.push(label_id(tx, &mut label_ids, file.labels.text(id))?);
        }
        file_labels.push(map);
        let mut summary = FileSummary {
            path: file.path.clone(),
            format: file.format,
            entries: file.entries.len() as u64,
            new: 0,
            known: 0,
            conflicting: 0,
        };
        for (e, entry) in file.entries.iter().enumerate() {
            match known.get(&*entry.txn_id) {
                Some(&hash) if hash == entry.hash => summary.known += 1,
                Some(_) => {
                    summary.conflicting += 1;
                    if conflicts_known.insert((entry.txn_id.to_string(), entry.hash)) {
                        conflict_rows.push(NewRow { file: f, entry: e });
                    }
                }
                None => {
                    known.insert(&entry.txn_id, entry.hash);
                    slots.push(Slot {
                        origin: new_rows.len() as isize,
                        ts: entry.ts,
                        before: entry.balance_after - entry.amount,
                        after: entry.balance_after,
                        txn_id: &entry.txn_id,
                        seq: 0,
                    });
                    new_rows.push(NewRow { file: f, entry: e });
                    summary.new += 1;
                }
            }
        }
        tx.execute(
            "INSERT INTO source_file (path, format, file_hash, bytes, imported_at, entries_new, entries_known,
                                      entries_conflicting, chain_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                file.path.to_string_lossy(),
                file.format.name(),
                prints[f],
                file.bytes as i64,
                options.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                summary.new as i64,
                summary.known as i64,
                summary.conflicting as i64,
                chain_id,
            ],
        )?;
        source_ids.push(tx.last_insert_rowid());
        summaries.push(summary);
    }
    drop(known);
    t = trace::phase("import: deduplicate", t);

    // Walk order over old and new together; stored rows whose place changed get a new seq.
    walk_order(&mut slots, |s| s.ts, |s| s.txn_id, |s| s.before, |s| s.after);
    let mut new_seq = vec![0i64; new_rows.len()];
    let mut insert_order = Vec::with_capacity(new_rows.len());
    {
        let mut update = tx.prepare_cached("UPDATE entry SET seq = ?1 WHERE id = ?2")?;
        let mut seq = 0i64;
        for (i, slot) in slots.iter().enumerate() {
            seq = if i > 0 && slots[i - 1].ts == slot.ts { seq + 1 } else { 0 };
            if slot.origin >= 0 {
                new_seq[slot.origin as usize] = seq;
                insert_order.push(slot.origin as usize);
            } else if slot.seq != seq {
                update.execute(params![seq, -(slot.origin + 1) as i64])?;
            }
        }
    }
    drop(slots);
    t = trace::phase("import: walk order", t);

    // New rows go in walk order, so the time index grows at its right edge and the type,
    // character and model indexes at the right edge of each value's range: cheap to maintain.
    // Transaction IDs arrive in no order, so that index is cheaper to rebuild once after a
    // large insert than to maintain row by row.
    let bulk = new_rows.len() >= BULK_REBUILD_MIN && new_rows.len() > stored.len();
    if bulk {
        tx.execute_batch("DROP INDEX entry_chain_txn")?;
    }
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO entry (chain_id, txn_id, ts, seq, type_id, description_id, amount, balance_after,
                                character_id, model_id, source_id, source_line, source_offset)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        insert.raw_bind_parameter(1, chain_id)?;
        for &n in &insert_order {
            let NewRow { file: f, entry: e } = new_rows[n];
            let (map, entry) = (&file_labels[f], &files[f].entries[e]);
            insert.raw_bind_parameter(2, &*entry.txn_id)?;
            insert.raw_bind_parameter(3, entry.ts)?;
            insert.raw_bind_parameter(4, new_seq[n])?;
            insert.raw_bind_parameter(5, map[entry.kind as usize])?;
            insert.raw_bind_parameter(6, map[entry.description as usize])?;
            insert.raw_bind_parameter(7, entry.amount)?;
            insert.raw_bind_parameter(8, entry.balance_after)?;
            insert.raw_bind_parameter(9, entry.character.map(|c| map[c as usize]))?;
            insert.raw_bind_parameter(10, entry.model.map(|m| map[m as usize]))?;
            insert.raw_bind_parameter(11, source_ids[f])?;
            insert.raw_bind_parameter(12, entry.line as i64)?;
            insert.raw_bind_parameter(13, entry.offset as i64)?;
            insert.raw_execute()?;
        }
    }
    t = trace::phase("import: insert rows", t);
    if bulk {
        tx.execute_batch("CREATE UNIQUE INDEX entry_chain_txn ON entry (chain_id, txn_id)")?;
    }
    trace::phase("import: build indexes", t);
    add_type_totals(
        tx,
        chain_id,
        insert_order.iter().map(|&n| {
            let NewRow { file: f, entry: e } = new_rows[n];
            let entry = &files[f].entries[e];
            (file_labels[f][entry.kind as usize], entry.amount)
        }),
    )?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO conflict (chain_id, txn_id, ts, type_id, description_id, amount, balance_after,
                                   character_id, model_id, source_id, source_line, source_offset, content_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        for &NewRow { file: f, entry: e } in &conflict_rows {
            let (map, entry) = (&file_labels[f], &files[f].entries[e]);
            insert.execute(params![
                chain_id,
                &*entry.txn_id,
                entry.ts,
                map[entry.kind as usize],
                map[entry.description as usize],
                entry.amount,
                entry.balance_after,
                entry.character.map(|c| map[c as usize]),
                entry.model.map(|m| map[m as usize]),
                source_ids[f],
                entry.line as i64,
                entry.offset as i64,
                entry.hash,
            ])?;
        }
    }
    Ok(ImportSummary { chain_id, files: summaries })
}

/// Adds `(type_id, amount)` of new entries to `chain_type_total`.
fn add_type_totals(tx: &Transaction, chain_id: i64, rows: impl Iterator<Item = (i64, i64)>) -> Result<(), StoreError> {
    let mut totals: FxHashMap<i64, (i64, i64, i64)> = FxHashMap::default();
    for (type_id, amount) in rows {
        let t = totals.entry(type_id).or_default();
        t.0 += 1;
        if amount > 0 {
            t.1 += amount;
        } else {
            t.2 += amount;
        }
    }
    let mut upsert = tx.prepare_cached(
        "INSERT INTO chain_type_total (chain_id, type_id, entries, credits_in, credits_out) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (chain_id, type_id) DO UPDATE SET entries = entries + excluded.entries,
             credits_in = credits_in + excluded.credits_in, credits_out = credits_out + excluded.credits_out",
    )?;
    for (type_id, (n, credits_in, credits_out)) in totals {
        upsert.execute(params![chain_id, type_id, n, credits_in, credits_out])?;
    }
    Ok(())
}

/// The chain's stored entries with their content hashes, recomputed from the stored fields.
fn load_stored(tx: &Transaction, chain_id: i64, label_ids: &FxHashMap<String, i64>) -> Result<Vec<Stored>, StoreError> {
    let texts: FxHashMap<i64, &str> = label_ids.iter().map(|(t, &id)| (id, t.as_str())).collect();
    let text = |id: i64| texts.get(&id).copied().unwrap_or("");
    let mut stmt = tx.prepare_cached(
        "SELECT id, txn_id, ts, seq, amount, balance_after, type_id, description_id, character_id, model_id
         FROM entry WHERE chain_id = ?1",
    )?;
    let mut rows = stmt.query([chain_id])?;
    let mut stored = Vec::new();
    while let Some(r) = rows.next()? {
        let (ts, amount, balance_after): (i64, i64, i64) = (r.get(2)?, r.get(4)?, r.get(5)?);
        let hash = crate::import::content_hash(
            ts,
            text(r.get(6)?),
            text(r.get(7)?),
            amount,
            balance_after,
            r.get::<_, Option<i64>>(8)?.map(text),
            r.get::<_, Option<i64>>(9)?.map(text),
        );
        stored.push(Stored { id: r.get(0)?, txn_id: r.get(1)?, ts, seq: r.get(3)?, amount, balance_after, hash });
    }
    Ok(stored)
}

fn load_label_ids(tx: &Transaction) -> Result<FxHashMap<String, i64>, StoreError> {
    let mut stmt = tx.prepare_cached("SELECT text, id FROM label")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn label_id(tx: &Transaction, ids: &mut FxHashMap<String, i64>, text: &str) -> Result<i64, StoreError> {
    if let Some(&id) = ids.get(text) {
        return Ok(id);
    }
    tx.execute("INSERT INTO label (text) VALUES (?1)", [text])?;
    let id = tx.last_insert_rowid();
    ids.insert(text.to_string(), id);
    Ok(id)
}
