//! Writing parsed files into the store: deduplicate against what is known, keep conflicting
//! versions apart, put every entry in walk order, all in one transaction. The caller reads
//! the files (the store knows no file format) and decides when to commit.
//!
//! *Invariant:* an import either stores everything it read or nothing.
//!
//! *Invariant:* an entry keeps the sequence number (its id) it was first stored with; new
//! entries are numbered after the chain's highest, in walk order.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use rustc_hash::{FxHashMap, FxHashSet};

use super::block::{self, Row, BLOCK};
use super::labels::{insert_labels, load_label_ids, LabelIds};
use super::open::RollbackJournal;
use super::query::Cache;
use super::revise;
use super::rows::{self, Schema};
use super::{Store, StoreError};
use crate::model::{content_hash, ChainKey, Dimension, ParsedEntry, ParsedFile, MAX_DIMS};
use crate::order::walk_order;
use crate::trace;

/// What one file contributed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    pub path: PathBuf,
    /// The reader's name (`reverie-csv`).
    pub format: String,
    pub entries: u64,
    pub new: u64,
    pub known: u64,
    pub conflicting: u64,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportSummary {
    /// The chains written to, in the order first written.
    pub chain_ids: Vec<i64>,
    pub files: Vec<FileSummary>,
    /// Balances the files stated (a saved Lago wallet), each kept as a stated anchor.
    pub anchors: Vec<KeptAnchor>,
}

/// A balance an imported file stated for a chain, and whether it was added as an anchor (not
/// when the chain had it already).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnchor {
    pub chain: ChainKey,
    /// Unix microseconds.
    pub ts: i64,
    pub balance: rust_decimal::Decimal,
    pub added: bool,
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

    /// What every part of one import did together: each chain once, and a file split over
    /// several chains once, with the counts of every part. One pass (a customer base is
    /// 100,000 parts; a search of the chains so far for each part's was quadratic).
    pub fn merged(parts: impl IntoIterator<Item = ImportSummary>) -> ImportSummary {
        let mut all = ImportSummary::default();
        let mut chains: FxHashSet<i64> = FxHashSet::default();
        let mut files: FxHashMap<PathBuf, usize> = FxHashMap::default();
        for part in parts {
            all.chain_ids.extend(part.chain_ids.into_iter().filter(|&id| chains.insert(id)));
            for f in part.files {
                match files.get(&f.path) {
                    Some(&i) => {
                        let s = &mut all.files[i];
                        s.entries += f.entries;
                        s.new += f.new;
                        s.known += f.known;
                        s.conflicting += f.conflicting;
                    }
                    None => {
                        files.insert(f.path.clone(), all.files.len());
                        all.files.push(f);
                    }
                }
            }
            all.anchors.extend(part.anchors);
        }
        all
    }
}

/// A file imported into a chain before, found by its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFile {
    pub format: String,
    pub bytes: i64,
    /// Entries stored or matched then.
    pub known: i64,
    pub conflicting: i64,
}

impl Store {
    /// Whether chain `key` has, for every size, an imported file of that size.
    pub fn has_files_of_sizes(&self, key: &ChainKey, sizes: &[u64]) -> Result<bool, StoreError> {
        let Some(chain_id) = self.chain_id(key)? else { return Ok(false) };
        let mut stmt =
            self.conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM source_file WHERE chain_id = ?1 AND bytes = ?2)")?;
        for &bytes in sizes {
            if !stmt.query_row(params![chain_id, bytes as i64], |r| r.get::<_, bool>(0))? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The file last imported into chain `key` with each fingerprint, or `None` unless every
    /// one was.
    pub fn known_files(&self, key: &ChainKey, prints: &[String]) -> Result<Option<Vec<KnownFile>>, StoreError> {
        let Some(chain_id) = self.chain_id(key)? else { return Ok(None) };
        let mut seen = Vec::with_capacity(prints.len());
        for print in prints {
            let row = self
                .conn
                .query_row(
                    "SELECT format, bytes, entries_new + entries_known, entries_conflicting
                     FROM source_file WHERE chain_id = ?1 AND file_hash = ?2 ORDER BY id DESC LIMIT 1",
                    params![chain_id, print],
                    |r| Ok(KnownFile { format: r.get(0)?, bytes: r.get(1)?, known: r.get(2)?, conflicting: r.get(3)? }),
                )
                .optional()?;
            match row {
                Some(row) => seen.push(row),
                None => return Ok(None),
            }
        }
        Ok(Some(seen))
    }

    /// Whether any chain has an imported file of `bytes` bytes.
    pub fn has_file_of_size(&self, bytes: u64) -> Result<bool, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM source_file WHERE bytes = ?1)")?;
        Ok(stmt.query_row([bytes as i64], |r| r.get(0))?)
    }

    /// The chains a file with fingerprint `print` was last imported into, each with what that
    /// import recorded (a file of many ledgers has a row per chain), in the order stored.
    pub fn chains_of_file(&self, print: &str) -> Result<Vec<(ChainKey, KnownFile)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.account, c.currency, f.format, f.bytes, f.entries_new + f.entries_known, f.entries_conflicting
             FROM source_file f JOIN chain c ON c.id = f.chain_id
             WHERE f.id IN (SELECT max(id) FROM source_file WHERE file_hash = ?1 GROUP BY chain_id)
             ORDER BY c.id",
        )?;
        let rows = stmt.query_map([print], |r| {
            Ok((
                ChainKey::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                KnownFile { format: r.get(2)?, bytes: r.get(3)?, known: r.get(4)?, conflicting: r.get(5)? },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Starts a write: the write lock is taken at once (IMMEDIATE), so a note committed on
    /// another connection meanwhile is waited for instead of failing the import. Nothing is
    /// kept unless `Ingest::commit` is called.
    pub fn begin(&mut self) -> Result<Ingest<'_>, StoreError> {
        self.begin_with(false)
    }

    /// `begin` for a write of tens of megabytes on (a streamed file, a customer base): when
    /// no other connection has the database open it is written through a rollback journal
    /// until the write ends (`RollbackJournal`), its pages going to the file once instead of
    /// twice. A program opening the database meanwhile waits for the write (up to its busy
    /// timeout) where in WAL it would have read the state before it.
    pub fn begin_large(&mut self) -> Result<Ingest<'_>, StoreError> {
        self.begin_with(true)
    }

    fn begin_with(&mut self, large: bool) -> Result<Ingest<'_>, StoreError> {
        let Store { conn, cache, .. } = self;
        let conn: &Connection = conn;
        let journal = if large { RollbackJournal::take(conn) } else { None };
        Ok(Ingest {
            tx: Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?,
            _journal: journal,
            cache,
            labels: std::cell::RefCell::new(None),
            new_labels: std::cell::RefCell::new(Vec::new()),
        })
    }
}

/// New labels `store_files` holds before inserting them (`Ingest::flush_labels`).
const LABELS_HELD: usize = 1 << 16;

/// An open write to the store.
#[derive(Debug)]
pub struct Ingest<'s> {
    tx: Transaction<'s>,
    /// A large write's rollback journal, put back to WAL when the write ends: after `tx`, so
    /// that it drops after the commit or rollback.
    _journal: Option<RollbackJournal<'s>>,
    cache: &'s std::cell::RefCell<Cache>,
    /// The label table, loaded by the first `store_files` and kept for the next chain's:
    /// loading it per chain made a file of 100,000 chains quadratic.
    labels: std::cell::RefCell<Option<LabelIds>>,
    /// Labels `store_files` numbered and has not inserted yet, `(id, text)`: inserted
    /// together, in the order they were numbered (`flush_labels`), before anything reads the
    /// label table and at the commit, one prepared statement run after another.
    new_labels: std::cell::RefCell<Vec<(u32, String)>>,
}

impl Ingest<'_> {
    pub(super) fn tx(&self) -> &Transaction<'_> {
        &self.tx
    }

    /// Inserts the labels `store_files` numbered, in that order (appended to the table).
    pub(super) fn flush_labels(&self) -> Result<(), StoreError> {
        let new = std::mem::take(&mut *self.new_labels.borrow_mut());
        insert_labels(&self.tx, &new)
    }

    /// Keeps everything written; the store's cache is emptied.
    pub fn commit(self) -> Result<(), StoreError> {
        self.flush_labels()?;
        self.tx.commit()?;
        *self.cache.borrow_mut() = Cache::default();
        Ok(())
    }

    /// Records files imported into chain `key` again, unchanged (`known_files` found them):
    /// nothing in them can be new, since stored entries never change.
    pub fn record_known_files(
        &self,
        key: &ChainKey,
        files: &[(PathBuf, String, KnownFile)],
        now: DateTime<Utc>,
    ) -> Result<ImportSummary, StoreError> {
        let chain_id = self.chain(key, None)?;
        let mut summary =
            ImportSummary { chain_ids: vec![chain_id], files: Vec::with_capacity(files.len()), anchors: Vec::new() };
        for (path, print, known) in files {
            self.tx.execute(
                "INSERT INTO source_file (path, format, file_hash, bytes, imported_at, entries_new, entries_known,
                                          entries_conflicting, chain_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8)",
                params![
                    path.to_string_lossy(),
                    known.format,
                    print,
                    known.bytes,
                    now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    known.known,
                    known.conflicting,
                    chain_id,
                ],
            )?;
            summary.files.push(FileSummary {
                path: path.clone(),
                format: known.format.clone(),
                entries: (known.known + known.conflicting) as u64,
                new: 0,
                known: known.known as u64,
                conflicting: known.conflicting as u64,
            });
        }
        Ok(summary)
    }

    /// The id of chain `key`, created if new. With a source, the chain must hold that source's
    /// entries (a new chain takes it and its dimensions).
    pub(super) fn chain(&self, key: &ChainKey, source: Option<(&str, &[Dimension])>) -> Result<i64, StoreError> {
        Ok(self.chain_created(key, source)?.0)
    }

    /// `chain`, and whether this call created it: a chain created in this write holds nothing
    /// yet (chains are never removed, so no row can carry its id).
    fn chain_created(&self, key: &ChainKey, source: Option<(&str, &[Dimension])>) -> Result<(i64, bool), StoreError> {
        // Statements cached: a customer base's import asks them 100,000 times.
        let found: Option<(i64, String)> = self
            .tx
            .prepare_cached("SELECT id, source FROM chain WHERE account = ?1 AND currency = ?2")?
            .query_row(params![key.account, key.currency], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match (found, source) {
            (Some((_, held)), Some((name, _))) if held != name => Err(StoreError::OtherSource {
                account: key.account.clone(),
                currency: key.currency.clone(),
                holds: held,
                found: name.to_string(),
            }),
            (Some((id, _)), _) => Ok((id, false)),
            (None, source) => {
                let (name, dims) = source.unwrap_or(("reverie", &[]));
                if dims.len() > MAX_DIMS {
                    return Err(StoreError::BadValue(format!("a source may declare at most {MAX_DIMS} dimensions")));
                }
                self.tx
                    .prepare_cached("INSERT INTO chain (account, currency, source) VALUES (?1, ?2, ?3)")?
                    .execute(params![key.account, key.currency, name])?;
                let id = self.tx.last_insert_rowid();
                for (d, dim) in dims.iter().enumerate() {
                    self.tx
                        .prepare_cached(
                            "INSERT INTO chain_dimension (chain_id, field, key, title) VALUES (?1, ?2, ?3, ?4)",
                        )?
                        .execute(params![id, rows::dim_field(d), dim.key, dim.title])?;
                }
                Ok((id, true))
            }
        }
    }

    /// Stores `files` (each already read, all of one source and all for chain `key`) with their
    /// fingerprints `prints`: deduplicated against the chain, conflicting versions kept apart,
    /// every entry in walk order.
    pub fn store_files(
        &self,
        key: &ChainKey,
        files: &[ParsedFile],
        prints: &[String],
        now: DateTime<Utc>,
    ) -> Result<ImportSummary, StoreError> {
        self.store_files_with(key, files, prints, now, None)
    }

    /// `store_files` of one file whose labels' store ids the caller may know already: `ids[i]`
    /// is label `i`'s (0 where it does not know it, and for `ids[0]`, no label). On return every
    /// one is filled in, new labels numbered as `store_files` numbers them, unless the source
    /// revised the file (then `ids` is left as it was). A customer base's ledgers use the same
    /// types and descriptions again and again: each one looked up in a table of half a
    /// million labels cost the connection's thread a tenth of its time.
    pub fn store_file_with_ids(
        &self,
        key: &ChainKey,
        file: &ParsedFile,
        print: &str,
        now: DateTime<Utc>,
        ids: &mut Vec<u32>,
    ) -> Result<ImportSummary, StoreError> {
        debug_assert_eq!(ids.len(), file.labels.len() + 1);
        self.store_files_with(key, std::slice::from_ref(file), &[print.to_string()], now, Some(ids))
    }

    fn store_files_with(
        &self,
        key: &ChainKey,
        files: &[ParsedFile],
        prints: &[String],
        now: DateTime<Utc>,
        known: Option<&mut Vec<u32>>,
    ) -> Result<ImportSummary, StoreError> {
        let Some(first) = files.first() else { return Ok(ImportSummary::default()) };
        if let Some(other) = files.iter().find(|f| f.source != first.source || f.dimensions != first.dimensions) {
            return Err(StoreError::BadValue(format!(
                "{} and {} are exports of different sources; import them into different accounts",
                first.path.display(),
                other.path.display()
            )));
        }
        let (chain_id, created) = self.chain_created(key, Some((first.source, &first.dimensions)))?;
        let mut kept = self.labels.borrow_mut();
        let mut label_ids = match kept.take() {
            // Still the table as it is (nothing else in this write added labels since).
            Some(ids) if ids.current(&self.tx)? => ids,
            _ => {
                self.flush_labels()?;
                load_label_ids(&self.tx)?
            }
        };
        let chain = Target { id: chain_id, created };
        let summary = store_files(
            &self.tx,
            chain,
            files,
            prints,
            now,
            Labelling { ids: &mut label_ids, new: &mut self.new_labels.borrow_mut(), known },
        )?;
        // In batches, so that a customer base's million labels are not all held to the end.
        if self.new_labels.borrow().len() >= LABELS_HELD {
            self.flush_labels()?;
        }
        *kept = Some(label_ids);
        Ok(summary)
    }
}

/// `Ingest::store_files` for chain `chain_id`, in its phases: the stored entries loaded, the
/// files' labels mapped to the store's, the incoming entries deduplicated and put in walk
/// order, the files recorded, the blocks from the first moved entry on written again, and the
/// new conflicting versions kept. Each phase is timed under `RECKON_TRACE`.
/// The chain a write stores into: its id, and whether this write created it.
#[derive(Debug, Clone, Copy)]
struct Target {
    id: i64,
    created: bool,
}

/// How `store_files` numbers a write's labels: the store's (`ids`), the new ones not inserted
/// yet (`new`), and the store's ids of the one file's labels, where the caller knows some.
struct Labelling<'a> {
    ids: &'a mut LabelIds,
    new: &'a mut Vec<(u32, String)>,
    known: Option<&'a mut Vec<u32>>,
}

fn store_files(
    tx: &Transaction,
    chain: Target,
    files: &[ParsedFile],
    prints: &[String],
    now: DateTime<Utc>,
    labelling: Labelling<'_>,
) -> Result<ImportSummary, StoreError> {
    let Labelling { ids: label_ids, new: new_labels, known } = labelling;
    let chain_id = chain.id;
    let dims = files.first().map_or(0, |f| f.dimensions.len());
    let t = std::time::Instant::now();
    let blocks = if chain.created { Vec::new() } else { rows::chain_data(tx, chain_id)? };
    let stored = stored_rows(&blocks)?;
    let t = trace::phase("import: load stored", t);

    // Sources whose later exports revise what is stored (aggregates that grow) have their
    // rows rewritten against the stored ones first.
    let revisions = files.first().and_then(|f| crate::model::source::revisions(f.source));
    let revised = revisions.map(|r| {
        let texts: FxHashMap<u32, &str> = label_ids.ids.iter().map(|(t, &id)| (id, t)).collect();
        revise::aggregates(&stored, &texts, files, r)
    });
    let (files, unchanged) = match &revised {
        Some(r) => (&r.files[..], r.unchanged.clone()),
        None => (files, vec![0; files.len()]),
    };
    let mutable = revisions.and_then(|r| r.mutable_dimension);

    // Ids the caller knows are of the file it gave, not of one the source revised.
    let known = known.filter(|_| revised.is_none() && files.len() == 1);
    let maps = match &known {
        Some(known) => vec![known.to_vec()],
        None => files.iter().map(|f| vec![0; f.labels.len() + 1]).collect(),
    };
    let file_labels = map_labels(tx, label_ids, files, maps, new_labels)?;
    if let Some(known) = known {
        known.clone_from(&file_labels[0]);
    }
    let mut entries = Entries::new(&stored, files, &label_ids.ids, dims);
    entries.mutable = mutable;
    entries.left_out = unchanged;
    let conflicts_known = if chain.created { FxHashSet::default() } else { load_conflict_keys(tx, chain_id)? };
    let Classified { status, conflicts, slots, matched } = dedupe_and_order(&entries, conflicts_known);
    let t = trace::phase("import: deduplicate, order", t);

    let (summaries, source_ids) = record_files(tx, chain_id, files, prints, now, &entries, &status)?;
    let t = trace::phase("import: source files", t);

    let incoming = Incoming { entries: &entries, file_labels: &file_labels, source_ids: &source_ids };
    let updates = match (revisions, mutable) {
        (Some(r), Some(d)) => filled_in(&incoming, &matched, &status, r.aggregate_types, d),
        _ => FxHashMap::default(),
    };
    write_blocks(tx, chain, dims, &incoming, &slots, &updates)?;
    let t = trace::phase("import: write blocks", t);

    write_conflicts(tx, chain_id, &incoming, &conflicts)?;
    if let Some(r) = revisions.filter(|r| !r.reset_types.is_empty()) {
        let resets = new_resets(&entries, &status, r.reset_types);
        revise::record_resets(tx, chain_id, &resets, now.timestamp_micros())?;
    }
    trace::phase("import: conflicts", t);
    Ok(ImportSummary { chain_ids: vec![chain_id], files: summaries, anchors: Vec::new() })
}

/// The stored entries whose mutable dimension `d` a later export fills in or replaces: those
/// a known incoming entry matches, and the earlier figures of an aggregate a new revision
/// names a value for. Stored number to its new label id.
fn filled_in(
    incoming: &Incoming<'_, '_>,
    matched: &[(usize, usize)],
    status: &[Status],
    aggregate_types: &[&str],
    d: usize,
) -> FxHashMap<usize, u32> {
    let entries = incoming.entries;
    let label_of = |n: usize| incoming.file_labels[entries.file_of(n)][entries.parsed(n).dims[d] as usize];
    let mut updates = FxHashMap::default();
    let mut fill = |first: usize, label: u32| {
        if let Some(stored) = entries.stored.get(first) {
            if label != 0 && stored.dims[d] != label {
                updates.insert(first, label);
            }
        }
    };
    for &(n, first) in matched {
        fill(first, label_of(n));
    }
    let stored = entries.stored.len();
    // Only the aggregates a new revision names a value for: their stored figures, found in one
    // pass over the stored rows.
    let named: FxHashSet<&str> = (0..status.len())
        .filter(|&i| status[i] == Status::New && label_of(stored + i) != 0)
        .map(|i| revise::split_revision(entries.txn_id(stored + i)).0)
        .collect();
    let mut figures: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    if !named.is_empty() {
        for (i, r) in entries.stored.iter().enumerate() {
            let base = revise::split_revision(r.txn_id).0;
            if named.contains(base) && aggregate_types.contains(&entries.texts.text(r.kind).unwrap_or("")) {
                figures.entry(base).or_default().push(i);
            }
        }
    }
    for (i, _) in status.iter().enumerate().filter(|&(_, &s)| s == Status::New) {
        let base = revise::split_revision(entries.txn_id(stored + i)).0;
        for &first in figures.get(base).into_iter().flatten() {
            fill(first, label_of(stored + i));
        }
    }
    updates
}

/// `(ts, amount, note)` of each new incoming entry of a reset type, for its anchor.
fn new_resets(entries: &Entries<'_>, status: &[Status], types: &[&str]) -> Vec<(i64, i64, String)> {
    let stored = entries.stored.len();
    let mut resets = Vec::new();
    for (i, _) in status.iter().enumerate().filter(|&(_, &s)| s == Status::New) {
        let n = stored + i;
        let file = &entries.files[entries.file_of(n)];
        let e = entries.parsed(n);
        let kind = file.labels.text(e.kind);
        if types.contains(&kind) {
            let mut words = kind.replace('_', " ").to_lowercase();
            if let Some(first) = words.get(..1).map(str::to_uppercase) {
                words.replace_range(..1, &first);
            }
            let name =
                file.path.file_name().map_or_else(|| file.path.display().to_string(), |f| f.to_string_lossy().into());
            let detail = file.labels.text(e.description);
            let what = if detail.is_empty() { String::new() } else { format!(" ({detail})") };
            resets.push((e.ts, e.amount, format!("{words}{what}, {name} line {}", e.line)));
        }
    }
    resets
}

/// The chain's stored entries in walk order, borrowing from its blocks' data.
fn stored_rows(blocks: &[Vec<u8>]) -> Result<Vec<Row<'_>>, StoreError> {
    let mut stored: Vec<Row<'_>> = Vec::new();
    for data in blocks {
        block::for_each_row(data, |_, r| {
            stored.push(r);
            Ok(())
        })?;
    }
    Ok(stored)
}

/// Each file's label ids (from 1; 0 is "none") to the store's, numbering the labels the store
/// lacks (into `new_labels`, for `Ingest::flush_labels` to insert) and recording the label
/// table's new checksum. `maps` holds, per file, the store ids already known (0: not known),
/// which are taken as they are; the others are filled in, in the order of the file's labels.
fn map_labels(
    tx: &Transaction,
    label_ids: &mut LabelIds,
    files: &[ParsedFile],
    mut maps: Vec<Vec<u32>>,
    new_labels: &mut Vec<(u32, String)>,
) -> Result<Vec<Vec<u32>>, StoreError> {
    for (file, map) in files.iter().zip(&mut maps) {
        map.resize(file.labels.len() + 1, 0);
        map[0] = 0;
        for (id, stored) in map.iter_mut().enumerate().skip(1) {
            if *stored != 0 {
                continue;
            }
            let text = file.labels.text(id as u32);
            let next = label_ids.next();
            *stored = label_ids.assign(text)?;
            if u64::from(*stored) >= next {
                new_labels.push((*stored, text.to_string()));
            }
        }
    }
    label_ids.record(tx)?;
    Ok(maps)
}

/// The status of every incoming entry, the conflicting versions not kept yet (see `classify`)
/// and the walk order of the stored entries with the new ones.
///
/// Deduplicates on one core while the other puts everything in walk order, betting that
/// every incoming entry is new, when that is likely: a first import, or entries all older or
/// all newer than the stored ones (a stored entry imported again has the same time). A lost
/// bet only costs time, and a lot of it: each known entry would sit in a tie with its stored
/// twin. So an export that overlaps what is stored is deduplicated first, then ordered.
fn dedupe_and_order<'a>(entries: &Entries<'a>, conflicts_known: FxHashSet<(String, i64)>) -> Classified<'a> {
    let stored = entries.stored.len();
    let all: Vec<usize> = (stored..entries.len()).collect();
    // Two threads only for a long chain: for a customer base's 100 entries a chain, a second
    // thread costs more than it saves (a wait for a core per chain on a busy machine).
    let (status, conflicts, slots, matched) = if likely_all_new(entries) && all.len() >= TWO_THREADS_MIN {
        let ((status, conflicts, matched), slots) = std::thread::scope(|scope| {
            let classified = scope.spawn(|| classify(entries, conflicts_known));
            let slots = walk_slots(entries, &all);
            (classified.join().expect("the deduplicating thread panicked"), slots)
        });
        (status, conflicts, Some(slots), matched)
    } else {
        let (status, conflicts, matched) = classify(entries, conflicts_known);
        (status, conflicts, None, matched)
    };
    let slots = match slots {
        Some(slots) if status.iter().all(|&s| s == Status::New) => slots,
        _ => {
            let new: Vec<usize> = all.into_iter().filter(|&n| status[n - stored] == Status::New).collect();
            walk_slots(entries, &new)
        }
    };
    Classified { status, conflicts, slots, matched }
}

/// Incoming entries from which [`dedupe_and_order`] classifies on one thread while ordering
/// on another.
const TWO_THREADS_MIN: usize = 20_000;

/// What [`dedupe_and_order`] found.
struct Classified<'a> {
    /// Of every incoming entry.
    status: Vec<Status>,
    /// The conflicting versions not kept yet.
    conflicts: Vec<usize>,
    /// The walk order of the stored entries with the new ones.
    slots: Vec<Slot<'a>>,
    /// `(incoming, the entry it is known as)` for every known incoming entry.
    matched: Vec<(usize, usize)>,
}

/// Records each file in `source_file` with what it contributed; returns the summaries and the
/// files' ids, in file order.
fn record_files(
    tx: &Transaction,
    chain_id: i64,
    files: &[ParsedFile],
    prints: &[String],
    now: DateTime<Utc>,
    entries: &Entries<'_>,
    status: &[Status],
) -> Result<(Vec<FileSummary>, Vec<i64>), StoreError> {
    let mut summaries = Vec::with_capacity(files.len());
    let mut source_ids = Vec::with_capacity(files.len());
    for (f, file) in files.iter().enumerate() {
        let range = entries.file_range(f);
        let count = |want: Status| status[range.clone()].iter().filter(|&&s| s == want).count() as u64;
        let summary = FileSummary {
            path: file.path.clone(),
            format: file.format.to_string(),
            entries: file.entries.len() as u64 + entries.left_out[f],
            new: count(Status::New),
            known: count(Status::Known) + entries.left_out[f],
            conflicting: count(Status::Conflicting),
        };
        tx.prepare_cached(
            "INSERT INTO source_file (path, format, file_hash, bytes, imported_at, entries_new, entries_known,
                                      entries_conflicting, chain_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            file.path.to_string_lossy(),
            file.format,
            prints[f],
            file.bytes as i64,
            now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            summary.new as i64,
            summary.known as i64,
            summary.conflicting as i64,
            chain_id,
        ])?;
        source_ids.push(tx.last_insert_rowid());
        summaries.push(summary);
    }
    Ok((summaries, source_ids))
}

/// What an incoming entry needs to be written: its file's label map and stored file id.
struct Incoming<'e, 'a> {
    entries: &'e Entries<'a>,
    /// Each file's label ids to the store's (`map_labels`).
    file_labels: &'e [Vec<u32>],
    /// Each file's id in `source_file` (`record_files`).
    source_ids: &'e [i64],
}

/// Writes the chain's blocks again from the first whose entries moved (blocks before it stay
/// as they are); new entries are numbered after every stored one, in walk order.
fn write_blocks(
    tx: &Transaction,
    chain: Target,
    dims: usize,
    incoming: &Incoming<'_, '_>,
    slots: &[Slot<'_>],
    updates: &FxHashMap<usize, u32>,
) -> Result<(), StoreError> {
    let Incoming { entries, file_labels, source_ids } = incoming;
    let stored = entries.stored;
    let unmoved = slots.iter().enumerate().take_while(|&(i, s)| s.index == i && i < stored.len()).count();
    let unchanged = updates.keys().copied().fold(unmoved, usize::min);
    if unchanged == slots.len() {
        return Ok(());
    }
    let from_block = (unchanged / BLOCK) as u64;
    let mut next_seq = stored.iter().map(|r| r.seq + 1).max().unwrap_or(0);
    let rows = slots[from_block as usize * BLOCK..].iter().map(|slot| match slot.index.checked_sub(stored.len()) {
        None => {
            let mut row = stored[slot.index];
            if let (Some(&label), Some(d)) = (updates.get(&slot.index), entries.mutable) {
                row.dims[d] = label;
            }
            row
        }
        Some(i) => {
            let f = entries.file_of(stored.len() + i);
            let (map, e) = (&file_labels[f], entries.parsed(stored.len() + i));
            next_seq += 1;
            Row::parsed(e, map, source_ids[f], next_seq - 1)
        }
    });
    // A chain this write created has no blocks to replace.
    let replaces = !chain.created;
    rows::write_blocks(tx, chain.id, from_block, dims, Schema::Current, replaces, rows)
}

/// Keeps the conflicting versions `classify` found new, in import order.
fn write_conflicts(
    tx: &Transaction,
    chain_id: i64,
    incoming: &Incoming<'_, '_>,
    conflicts: &[usize],
) -> Result<(), StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO conflict (chain_id, txn_id, ts, type_id, description_id, amount, balance_after,
                               dim1_id, dim2_id, dim3_id, dim4_id, source_id, source_line, source_offset,
                               content_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    for &g in conflicts {
        let f = incoming.entries.file_of(g);
        let (map, entry) = (&incoming.file_labels[f], incoming.entries.parsed(g));
        let dim = |d: usize| Some(map[entry.dims[d] as usize]).filter(|&id| id != 0);
        insert.execute(params![
            chain_id,
            &*entry.txn_id,
            entry.ts,
            map[entry.kind as usize],
            map[entry.description as usize],
            entry.amount,
            entry.balance_after,
            dim(0),
            dim(1),
            dim(2),
            dim(3),
            incoming.source_ids[f],
            entry.line as i64,
            entry.offset as i64,
            entry.hash,
        ])?;
    }
    Ok(())
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
    /// How many dimensions the chain's entries carry.
    dims: usize,
    /// Number of the first entry of each file, and one past the last.
    starts: Vec<usize>,
    /// Label texts by the store's id, for stored entries' content hashes.
    texts: &'a super::labels::TextIds,
    /// The dimension left out of entries' identity, which a later export may fill in.
    mutable: Option<usize>,
    /// Rows of each file left out before they got here, as changing nothing (an aggregate's
    /// older figure): counted as known.
    left_out: Vec<u64>,
}

impl<'a> Entries<'a> {
    fn new(
        stored: &'a [Row<'a>],
        files: &'a [ParsedFile],
        label_ids: &'a super::labels::TextIds,
        dims: usize,
    ) -> Entries<'a> {
        let mut starts = vec![stored.len()];
        for f in files {
            starts.push(starts.last().copied().unwrap_or(0) + f.entries.len());
        }
        let left_out = vec![0; files.len()];
        Entries { stored, files, dims, starts, texts: label_ids, mutable: None, left_out }
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
    fn parsed(&self, n: usize) -> &'a ParsedEntry {
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
        let text = |id: u32| self.texts.text(id).unwrap_or("");
        let mut dims = [None; MAX_DIMS];
        for (d, (value, &id)) in dims.iter_mut().zip(&s.dims).enumerate() {
            *value = (id != 0 && Some(d) != self.mutable).then(|| text(id));
        }
        content_hash(s.ts, text(s.kind), text(s.description), s.amount, s.after, &dims[..self.dims])
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
fn classify(
    entries: &Entries<'_>,
    mut conflicts_known: FxHashSet<(String, i64)>,
) -> (Vec<Status>, Vec<usize>, Vec<(usize, usize)>) {
    let stored = entries.stored.len();
    let mut keys: Vec<(u64, u32)> =
        (0..entries.len()).map(|n| (xxhash_rust::xxh3::xxh3_64(entries.txn_id(n).as_bytes()), n as u32)).collect();
    keys.sort_unstable();
    let mut status = vec![Status::New; entries.len() - stored];
    let mut conflicts = Vec::new();
    let mut matched = Vec::new();
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
                matched.push((n, first as usize));
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
    (status, conflicts, matched)
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
