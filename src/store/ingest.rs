//! Writing parsed files into the store: deduplicate against what is known, keep conflicting
//! versions apart, put every entry in walk order, all in one transaction.
//!
//! *Invariant:* an import either stores everything it read or nothing.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use rustc_hash::{FxHashMap, FxHashSet};

use super::block::{self, Row, BLOCK};
use super::{rows, Store, StoreError};
use crate::import::{self, Format, ImportError, ParsedFile, Progress, ProgressSink, Stage};
use crate::model::ChainKey;
use crate::reconcile::order::walk_order;
use crate::trace;

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
        // A file can only be a known one if the chain has a file of its size; otherwise its
        // fingerprint is worked out on another thread while it is parsed and stored.
        let prints = if self.sizes_seen(paths, options)? {
            let prints = fingerprints(paths)?;
            if let Some(summary) = self.import_known(paths, &prints, options, sink)? {
                trace::phase("import: known files", t);
                return Ok(summary);
            }
            Prints::Ready(prints)
        } else {
            let paths = paths.to_vec();
            Prints::Pending(std::thread::spawn(move || fingerprints(&paths)))
        };
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
        // IMMEDIATE: the write lock is taken before anything is read, so a note committed on
        // another connection meanwhile is waited for instead of failing the import.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(StoreError::from)?;
        let summary = store_files(&tx, &files, prints, options)?;
        t = trace::phase("import: store (total)", t);
        if sink.progress(&stage(Stage::Done)) == ControlFlow::Break(()) {
            return Err(ImportError::Cancelled);
        }
        tx.commit().map_err(StoreError::from)?;
        self.forget();
        trace::phase("import: commit", t);
        Ok(summary)
    }
}

/// The files' fingerprints, worked out or on their way.
enum Prints {
    Ready(Vec<String>),
    Pending(std::thread::JoinHandle<Result<Vec<String>, ImportError>>),
}

impl Prints {
    fn get(self) -> Result<Vec<String>, ImportError> {
        match self {
            Prints::Ready(p) => Ok(p),
            Prints::Pending(handle) => handle.join().expect("the fingerprint thread panicked"),
        }
    }
}

fn fingerprints(paths: &[PathBuf]) -> Result<Vec<String>, ImportError> {
    paths.iter().map(|p| fingerprint(p).map_err(|source| ImportError::Io { path: p.clone(), source })).collect()
}

impl Store {
    /// Whether the chain has, for every file, an imported file of the same size.
    fn sizes_seen(&self, paths: &[PathBuf], options: &ImportOptions) -> Result<bool, ImportError> {
        let Some(chain_id) = self.chain_id(&options.chain).map_err(ImportError::from)? else { return Ok(false) };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM source_file WHERE chain_id = ?1 AND bytes = ?2)")
            .map_err(StoreError::from)?;
        for path in paths {
            let bytes = std::fs::metadata(path).map_err(|source| ImportError::Io { path: path.clone(), source })?.len();
            if !stmt.query_row(params![chain_id, bytes as i64], |r| r.get::<_, bool>(0)).map_err(StoreError::from)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

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
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(StoreError::from)?;
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
    prints: Prints,
    options: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
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
    // The chain's stored entries in walk order, borrowing from its blocks' data.
    let blocks = rows::chain_data(tx, chain_id)?;
    let mut stored: Vec<Row<'_>> = Vec::new();
    for data in &blocks {
        block::for_each_row(data, |_, r| {
            stored.push(r);
            Ok(())
        })?;
    }
    t = trace::phase("import: load stored", t);

    let mut file_labels: Vec<Vec<u32>> = Vec::with_capacity(files.len());
    for file in files {
        let mut map = Vec::with_capacity(file.labels.len());
        for id in 0..file.labels.len() as u32 {
            map.push(label_id(tx, &mut label_ids, file.labels.text(id))?);
        }
        file_labels.push(map);
    }
    let entries = Entries::new(&stored, files, &label_ids);
    let conflicts_known = load_conflict_keys(tx, chain_id)?;
    // Deduplicate on one core while the other puts everything in walk order, betting that
    // every incoming entry is new, when that is likely: a first import, or entries all older or
    // all newer than the stored ones (a stored entry imported again has the same time). A lost
    // bet only costs time, and a lot of it: each known entry would sit in a tie with its stored
    // twin. So an export that overlaps what is stored is deduplicated first, then ordered.
    let all: Vec<usize> = (stored.len()..entries.len()).collect();
    let (status, conflicts, slots) = if likely_all_new(&entries) {
        let ((status, conflicts), slots) = std::thread::scope(|scope| {
            let classified = scope.spawn(|| classify(&entries, conflicts_known));
            let slots = walk_slots(&entries, &all);
            (classified.join().expect("the deduplicating thread panicked"), slots)
        });
        (status, conflicts, Some(slots))
    } else {
        let (status, conflicts) = classify(&entries, conflicts_known);
        (status, conflicts, None)
    };
    let slots = match slots {
        Some(slots) if status.iter().all(|&s| s == Status::New) => slots,
        _ => {
            let new: Vec<usize> = all.into_iter().filter(|&n| status[n - stored.len()] == Status::New).collect();
            walk_slots(&entries, &new)
        }
    };
    t = trace::phase("import: deduplicate, order", t);
    let prints = prints.get()?;
    let mut summaries = Vec::with_capacity(files.len());
    let mut source_ids = Vec::with_capacity(files.len());
    for (f, file) in files.iter().enumerate() {
        let range = entries.file_range(f);
        let count = |want: Status| status[range.clone()].iter().filter(|&&s| s == want).count() as u64;
        let summary = FileSummary {
            path: file.path.clone(),
            format: file.format,
            entries: file.entries.len() as u64,
            new: count(Status::New),
            known: count(Status::Known),
            conflicting: count(Status::Conflicting),
        };
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
    t = trace::phase("import: source files", t);

    // Blocks before the first entry whose position changed stay as they are.
    let unchanged = slots.iter().enumerate().take_while(|&(i, s)| s.index == i && i < stored.len()).count();

    if unchanged < slots.len() {
        let from_block = (unchanged / BLOCK) as u64;
        let rows = slots[from_block as usize * BLOCK..].iter().map(|slot| match slot.index.checked_sub(stored.len()) {
            None => stored[slot.index],
            Some(i) => {
                let f = entries.file_of(stored.len() + i);
                let (map, e) = (&file_labels[f], entries.parsed(stored.len() + i));
                Row {
                    txn_id: &e.txn_id,
                    ts: e.ts,
                    kind: map[e.kind as usize],
                    description: map[e.description as usize],
                    amount: e.amount,
                    after: e.balance_after,
                    character: e.character.map(|c| map[c as usize]),
                    model: e.model.map(|m| map[m as usize]),
                    source: source_ids[f],
                    line: e.line,
                    offset: e.offset,
                }
            }
        });
        rows::write_blocks(tx, chain_id, from_block, rows)?;
    }
    t = trace::phase("import: write blocks", t);

    let mut insert = tx.prepare_cached(
        "INSERT INTO conflict (chain_id, txn_id, ts, type_id, description_id, amount, balance_after,
                               character_id, model_id, source_id, source_line, source_offset, content_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    for g in conflicts {
        let f = entries.file_of(g);
        let (map, entry) = (&file_labels[f], entries.parsed(g));
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
    trace::phase("import: conflicts", t);
    Ok(ImportSummary { chain_id, files: summaries })
}

/// What an incoming entry is to the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Its transaction ID is not stored (nor earlier in this import).
    New,
    /// Stored already, with the same content.
    Known,
    /// Stored already, with other content.
    Conflicting,
}

/// The stored entries and the incoming ones under one numbering: stored entries first, in
/// walk order, then every file's entries in file order.
struct Entries<'a> {
    stored: &'a [Row<'a>],
    files: &'a [ParsedFile],
    /// Number of the first entry of each file, and one past the last.
    starts: Vec<usize>,
    /// Label texts by id, for stored entries' content hashes.
    texts: FxHashMap<u32, &'a str>,
}

impl<'a> Entries<'a> {
    fn new(stored: &'a [Row<'a>], files: &'a [ParsedFile], label_ids: &'a FxHashMap<String, u32>) -> Entries<'a> {
        let mut starts = vec![stored.len()];
        for f in files {
            starts.push(starts.last().copied().unwrap_or(0) + f.entries.len());
        }
        let texts = label_ids.iter().map(|(t, &id)| (id, t.as_str())).collect();
        Entries { stored, files, starts, texts }
    }

    fn len(&self) -> usize {
        self.starts.last().copied().unwrap_or(0)
    }

    /// Incoming entries of file `f`, numbered from 0 at the first incoming entry.
    fn file_range(&self, f: usize) -> std::ops::Range<usize> {
        self.starts[f] - self.stored.len()..self.starts[f + 1] - self.stored.len()
    }

    /// The file an incoming entry comes from.
    fn file_of(&self, n: usize) -> usize {
        self.starts.partition_point(|&s| s <= n) - 1
    }

    /// An incoming entry.
    fn parsed(&self, n: usize) -> &'a crate::import::ParsedEntry {
        let f = self.file_of(n);
        &self.files[f].entries[n - self.starts[f]]
    }

    fn txn_id(&self, n: usize) -> &'a str {
        match self.stored.get(n) {
            Some(s) => s.txn_id,
            None => &self.parsed(n).txn_id,
        }
    }

    /// The content hash; a stored entry's is worked out from its fields when first needed
    /// (only entries whose transaction ID is imported again need one).
    fn hash(&self, n: usize) -> i64 {
        let Some(s) = self.stored.get(n) else { return self.parsed(n).hash };
        let text = |id: u32| self.texts.get(&id).copied().unwrap_or("");
        crate::import::content_hash(
            s.ts,
            text(s.kind),
            text(s.description),
            s.amount,
            s.after,
            s.character.map(text),
            s.model.map(text),
        )
    }
}

/// Walk order over the stored entries (already in it) and the incoming entries `new`.
fn walk_slots<'a>(entries: &Entries<'a>, new: &[usize]) -> Vec<Slot<'a>> {
    let mut slots: Vec<Slot<'a>> = Vec::with_capacity(entries.stored.len() + new.len());
    for (i, s) in entries.stored.iter().enumerate() {
        slots.push(Slot { index: i, ts: s.ts, before: s.after - s.amount, after: s.after, txn_id: s.txn_id });
    }
    // Exports come newest first; reversed, the sort below finds them nearly in order.
    let newest_first = new.len() > 1 && entries.parsed(new[0]).ts > entries.parsed(new[new.len() - 1]).ts;
    let mut push = |n: usize| {
        let e = entries.parsed(n);
        slots.push(Slot {
            index: n,
            ts: e.ts,
            before: e.balance_after - e.amount,
            after: e.balance_after,
            txn_id: &e.txn_id,
        });
    };
    if newest_first {
        new.iter().rev().for_each(|&n| push(n));
    } else {
        new.iter().for_each(|&n| push(n));
    }
    if new.is_empty() {
        return slots;
    }
    // Stored entries are in walk order already. Those before the last same-time group that
    // precedes every new entry keep their places whatever arrives, and that group's order
    // depends only on the entry before it and on what follows: so only the rest is ordered
    // again, after that entry (an anchor; it sorts first, being older than everything after).
    let stored = entries.stored.len();
    let oldest_new = slots[stored..].iter().map(|s| s.ts).min().unwrap_or(i64::MAX);
    let before_new = slots[..stored].partition_point(|s| s.ts < oldest_new);
    let from = match before_new.checked_sub(1) {
        Some(last) => slots[..stored].partition_point(|s| s.ts < slots[last].ts),
        None => 0,
    };
    let anchor = from.saturating_sub(1);
    walk_order(&mut slots[anchor..], |s| s.ts, |s| s.txn_id, |s| s.before, |s| s.after);
    debug_assert!(anchor == from || slots[anchor].index == anchor, "the anchor stays first");
    slots
}

/// Whether every incoming entry is likely new: nothing is stored yet, or the incoming entries'
/// times all fall before or after the stored ones.
fn likely_all_new(entries: &Entries<'_>) -> bool {
    let (Some(first), Some(last)) = (entries.stored.first(), entries.stored.last()) else {
        return true;
    };
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for n in entries.stored.len()..entries.len() {
        let ts = entries.parsed(n).ts;
        lo = lo.min(ts);
        hi = hi.max(ts);
    }
    hi < first.ts || lo > last.ts
}

/// `(txn_id, content hash)` of the conflicting versions already kept for a chain.
fn load_conflict_keys(tx: &Transaction, chain_id: i64) -> Result<FxHashSet<(String, i64)>, StoreError> {
    let mut keys = FxHashSet::default();
    let mut stmt = tx.prepare_cached("SELECT txn_id, content_hash FROM conflict WHERE chain_id = ?1")?;
    let mut rows = stmt.query([chain_id])?;
    while let Some(r) = rows.next()? {
        keys.insert((r.get(0)?, r.get(1)?));
    }
    Ok(keys)
}

/// Sorts every entry's transaction ID hash once and classifies each incoming entry: the first
/// entry with a transaction ID (stored ones come first) is the one kept. Returns the status of
/// every incoming entry, and the numbers of the conflicting versions not yet in `conflict`,
/// in import order.
fn classify(entries: &Entries<'_>, mut conflicts_known: FxHashSet<(String, i64)>) -> (Vec<Status>, Vec<usize>) {
    let stored = entries.stored.len();
    let mut keys: Vec<(u64, u32)> =
        (0..entries.len()).map(|n| (xxhash_rust::xxh3::xxh3_64(entries.txn_id(n).as_bytes()), n as u32)).collect();
    keys.sort_unstable();
    let mut status = vec![Status::New; entries.len() - stored];
    let mut conflicts = Vec::new();
    for run in keys.chunk_by(|a, b| a.0 == b.0) {
        // A run is one transaction ID seen several times, or (rarely) several IDs sharing a hash.
        for (k, &(_, n)) in run.iter().enumerate().skip(1) {
            let n = n as usize;
            let txn = entries.txn_id(n);
            let Some(&(_, first)) = run[..k].iter().find(|&&(_, m)| entries.txn_id(m as usize) == txn) else {
                continue;
            };
            if n < stored {
                continue;
            }
            let hash = entries.hash(n);
            status[n - stored] = if entries.hash(first as usize) == hash {
                Status::Known
            } else {
                if conflicts_known.insert((txn.to_string(), hash)) {
                    conflicts.push(n);
                }
                Status::Conflicting
            };
        }
    }
    conflicts.sort_unstable();
    (status, conflicts)
}

/// The fields the walk order needs, for stored and new entries alike.
#[derive(Debug, Clone)]
struct Slot<'a> {
    /// Number in `Entries`.
    index: usize,
    ts: i64,
    before: i64,
    after: i64,
    txn_id: &'a str,
}

fn load_label_ids(tx: &Transaction) -> Result<FxHashMap<String, u32>, StoreError> {
    let mut stmt = tx.prepare_cached("SELECT text, id FROM label")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn label_id(tx: &Transaction, ids: &mut FxHashMap<String, u32>, text: &str) -> Result<u32, StoreError> {
    if let Some(&id) = ids.get(text) {
        return Ok(id);
    }
    tx.execute("INSERT INTO label (text) VALUES (?1)", [text])?;
    let id = u32::try_from(tx.last_insert_rowid())
        .map_err(|_| StoreError::BadValue("more labels than the store can number".into()))?;
    ids.insert(text.to_string(), id);
    Ok(id)
}

impl From<rusqlite::Error> for ImportError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::from(e).into()
    }
}
