//! Storing a large file window by window, when it can be: a first import of one file into a
//! chain with no entries, whose entries arrive in time order (the reader hands them oldest
//! first, window by window). Memory holds a few windows and blocks in flight, the current
//! second's ties, the label table and up to 4M transaction ID hashes (32 MiB; more are sorted
//! into temporary files, `id_hashes`). Two threads: the caller's holds the connection and
//! inserts; a second one (`cut_blocks`) numbers labels, orders and encodes.
//!
//! Anything the streaming path cannot do exactly as `Ingest::store_files` would (an entry out
//! of time order, a transaction ID seen twice, a chain that has entries) is answered
//! `Streamed::WholeFile` before the caller commits: it drops the write and stores the file
//! the whole-file way, so the database never differs by path.

use std::path::PathBuf;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::block::Row;
use super::id_hashes::{self, IdHashes};
use super::ingest::{FileSummary, ImportSummary, Ingest};
use super::labels::{insert_labels, load_label_ids, LabelIds};
use super::rows::{Block, BlockCutter, BlockWriter};
use super::StoreError;
use crate::model::{ChainKey, Dimension, ParsedEntry, ParsedFile};
use crate::order::{InOrder, Link};
use crate::trace;

/// The file a stream of windows comes from, as `source_file` records it.
#[derive(Debug, Clone)]
pub struct StreamedFile {
    pub path: PathBuf,
    /// The reader's name (`reverie-csv`).
    pub format: &'static str,
    pub source: &'static str,
    pub dimensions: Vec<Dimension>,
    pub bytes: u64,
}

/// How a streamed store ended.
#[derive(Debug)]
pub enum Streamed {
    /// Every entry stored, new; `source_file` row `file_id` awaits its fingerprint
    /// (`Ingest::record_fingerprint`).
    Stored { summary: ImportSummary, file_id: i64 },
    /// Store the file the whole-file way instead (drop this write first): why, for the trace.
    WholeFile(&'static str),
}

/// An entry on its way to a block, its labels already the store's.
struct Pending {
    entry: ParsedEntry,
}

impl Link<i64> for Pending {
    fn ts(&self) -> i64 {
        self.entry.ts
    }
    fn name(&self) -> &str {
        &self.entry.txn_id
    }
    fn before(&self) -> i64 {
        self.entry.balance_after - self.entry.amount
    }
    fn after(&self) -> i64 {
        self.entry.balance_after
    }
}

/// SQLite's page cache while a stream is stored (KiB), against 32,000 otherwise.
const STREAM_CACHE_KIB: i64 = 64 << 10;

/// What the cutter sends the connection's thread, in the order to insert it.
enum Piece {
    /// Labels `LabelIds::assign` numbered, `(id, text)`.
    Labels(Vec<(u32, String)>),
    Block(Block),
}

/// How the cutter ended.
enum Cut {
    /// Every window cut into blocks and sent.
    Done,
    /// Store the file the whole-file way instead: why.
    WholeFile(&'static str),
}

/// Takes the windows (entries oldest first), numbers their labels in the store, puts each
/// second's ties in walk order and cuts the entries into blocks, sending labels and blocks to
/// `out`; stops early when `out` hangs up. Memory holds one window, one block, one second's
/// ties and the transaction IDs' hashes (`IdHashes`: bounded, the rest in temporary files),
/// looked through at the end for a repeat.
fn cut_blocks(
    windows: Receiver<ParsedFile>,
    out: Sender<Piece>,
    label_ids: &mut LabelIds,
    file: &StreamedFile,
    file_id: i64,
) -> Result<Cut, StoreError> {
    let mut cutter = BlockCutter::new(file.dimensions.len());
    let mut order: InOrder<Pending, i64> = InOrder::default();
    let mut hashes = IdHashes::new(id_hashes::held());
    let (mut last_ts, mut seq) = (i64::MIN, 0u64);
    // False once `out` hangs up: the connection's thread stopped on an error of its own.
    let open = std::cell::Cell::new(true);
    let mut place = |p: Pending| {
        let e = &p.entry;
        let row = Row {
            txn_id: &e.txn_id,
            ts: e.ts,
            kind: e.kind,
            description: e.description,
            amount: e.amount,
            after: e.balance_after,
            dims: e.dims,
            source: file_id,
            line: e.line,
            offset: e.offset,
            seq,
        };
        seq += 1;
        if let Some(block) = cutter.push(&row) {
            if out.send(Piece::Block(block)).is_err() {
                open.set(false);
            }
        }
    };
    for window in windows {
        if window.chains.iter().any(Option::is_some) || window.dimensions != file.dimensions {
            return Ok(Cut::WholeFile("a window names its own ledgers"));
        }
        let first_new = label_ids.next();
        let mut map = Vec::with_capacity(window.labels.len() + 1);
        map.push(0);
        for id in 1..=window.labels.len() as u32 {
            map.push(label_ids.assign(window.labels.text(id))?);
        }
        // In the order of their text, each window's new labels go into the label index
        // page after page rather than at random (7% less of the inserting thread at 10M).
        let mut new: Vec<(u32, String)> = (1..map.len())
            .filter(|&i| u64::from(map[i]) >= first_new)
            .map(|i| (map[i], window.labels.text(i as u32).to_string()))
            .collect();
        new.sort_unstable_by(|a, b| a.1.cmp(&b.1));
        if !new.is_empty() && out.send(Piece::Labels(new)).is_err() {
            return Ok(Cut::Done);
        }
        for mut entry in window.entries {
            if entry.ts < last_ts {
                return Ok(Cut::WholeFile("an entry is out of time order"));
            }
            last_ts = entry.ts;
            hashes
                .push(xxhash_rust::xxh3::xxh3_64(entry.txn_id.as_bytes()))
                .map_err(|source| StoreError::TempFile { source })?;
            entry.relabel(&map);
            order.push(Pending { entry }, &mut place);
        }
        if !open.get() {
            return Ok(Cut::Done);
        }
    }
    order.finish(&mut place);
    if let Some(block) = cutter.finish() {
        // A failed send means the other side stopped, and knows why.
        let _ = out.send(Piece::Block(block));
    }
    // A transaction ID twice (or two sharing a hash): the whole-file path tells known from
    // conflicting versions.
    if hashes.repeats().map_err(|source| StoreError::TempFile { source })? {
        return Ok(Cut::WholeFile("a transaction ID hash repeats"));
    }
    Ok(Cut::Done)
}

impl Ingest<'_> {
    /// Stores the windows `next` hands over (each a piece of `file`, entries oldest first,
    /// one chain) into chain `key`, which must have no entries. `next` returns `None` at the
    /// end, or when it stopped (the caller knows why and drops this write).
    pub fn store_stream(
        &self,
        key: &ChainKey,
        file: &StreamedFile,
        now: DateTime<Utc>,
        next: &mut dyn FnMut() -> Option<ParsedFile>,
    ) -> Result<Streamed, StoreError> {
        let t = std::time::Instant::now();
        let tx = self.tx();
        let chain_id = self.chain(key, Some((file.source, &file.dimensions)))?;
        let stored: i64 = tx.query_row("SELECT entry_count FROM chain WHERE id = ?1", [chain_id], |r| r.get(0))?;
        if stored > 0 {
            return Ok(Streamed::WholeFile("the ledger has entries"));
        }
        self.flush_labels()?;
        let mut label_ids = load_label_ids(tx)?;
        tx.execute(
            "INSERT INTO source_file (path, format, file_hash, bytes, imported_at, entries_new, entries_known,
                                      entries_conflicting, chain_id)
             VALUES (?1, ?2, '', ?3, ?4, 0, 0, 0, ?5)",
            params![
                file.path.to_string_lossy(),
                file.format,
                file.bytes as i64,
                now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                chain_id,
            ],
        )?;
        let file_id = tx.last_insert_rowid();
        let mut writer = BlockWriter::new(tx, chain_id);
        // The label index is read at random, a page or more per new label, between blocks
        // that pass through the cache once: at 10M entries it is 51 MB, and with the usual
        // 32 MB its pages were read back over and over (the inserting thread took a fifth
        // longer than with 128 MiB; 64 MiB does as well at 60 MB less). Back to what it was
        // once the blocks are written (or the stream gave up: the whole-file read needs no more).
        let cache: i64 = tx.pragma_query_value(None, "cache_size", |r| r.get(0))?;
        tx.pragma_update(None, "cache_size", -STREAM_CACHE_KIB)?;
        // This thread hands windows to the cutter and inserts what it sends back; the
        // cutter numbers labels, orders and encodes. At most two windows wait for it, and
        // what it sends is taken after each window handed over: about a window's blocks.
        let cut = std::thread::scope(|scope| -> Result<Cut, StoreError> {
            let (hand, windows) = sync_channel::<ParsedFile>(1);
            let (send, pieces) = channel::<Piece>();
            let cutter = scope.spawn(|| cut_blocks(windows, send, &mut label_ids, file, file_id));
            let mut take = |piece: Piece| match piece {
                Piece::Labels(labels) => insert_labels(tx, &labels),
                Piece::Block(block) => writer.insert(block),
            };
            while let Some(window) = next() {
                // A send fails when the cutter stopped: it says why below.
                if hand.send(window).is_err() {
                    break;
                }
                pieces.try_iter().try_for_each(&mut take)?;
            }
            drop(hand);
            pieces.iter().try_for_each(&mut take)?;
            cutter.join().expect("the block cutter panicked")
        });
        tx.pragma_update(None, "cache_size", cache)?;
        if let Cut::WholeFile(why) = cut? {
            return Ok(Streamed::WholeFile(why));
        }
        let t = trace::phase("import: stream windows", t);
        label_ids.record(tx)?;
        let entries = writer.finish()?;
        tx.execute("UPDATE source_file SET entries_new = ?2 WHERE id = ?1", params![file_id, entries as i64])?;
        trace::phase("import: stream dedupe", t);
        let summary = ImportSummary {
            chain_ids: vec![chain_id],
            files: vec![FileSummary {
                path: file.path.clone(),
                format: file.format.to_string(),
                entries,
                new: entries,
                known: 0,
                conflicting: 0,
            }],
            anchors: Vec::new(),
        };
        Ok(Streamed::Stored { summary, file_id })
    }

    /// Records the fingerprint of a streamed file once it is known.
    pub fn record_fingerprint(&self, file_id: i64, print: &str) -> Result<(), StoreError> {
        self.tx().execute("UPDATE source_file SET file_hash = ?2 WHERE id = ?1", params![file_id, print])?;
        Ok(())
    }

    /// The newest `source_file` row's id (0 when there is none): the rows this write adds
    /// come after it.
    pub fn last_file_id(&self) -> Result<i64, StoreError> {
        Ok(self.tx().query_row("SELECT coalesce(max(id), 0) FROM source_file", [], |r| r.get(0))?)
    }

    /// Records the fingerprint of a file streamed a few ledgers at a time (a `source_file`
    /// row each) on every row this write added after row `after`.
    pub fn record_fingerprint_after(&self, after: i64, print: &str) -> Result<(), StoreError> {
        self.tx().execute("UPDATE source_file SET file_hash = ?2 WHERE id > ?1", params![after, print])?;
        Ok(())
    }
}
