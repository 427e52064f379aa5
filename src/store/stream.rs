//! Storing a large file window by window, when it can be: one file whose entries arrive in
//! time order (the reader hands them oldest first, window by window), into a chain with no
//! entries, or into one whose entries the file holds again unchanged with its new entries
//! after the chain's last second (a grown export imported again: `Continued`, and
//! `known::StoredRows` for the stored entries met again). Memory holds a few windows and
//! blocks in flight, the current second's ties, the label table and up to 4M transaction ID
//! hashes (32 MiB; more are sorted into temporary files, `id_hashes`). Two threads: the
//! caller's holds the connection and inserts; a second one (`cut_blocks`) numbers labels,
//! orders and encodes.
//!
//! Anything the streaming path cannot do exactly as `Ingest::store_files` would (an entry out
//! of time order, a transaction ID seen twice, a new entry among the stored ones, a stored
//! one changed) is answered `Streamed::WholeFile` before the caller commits: it drops the
//! write and stores the file the whole-file way, so the database never differs by path.

use std::path::PathBuf;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::block::{self, Row, BLOCK};
use super::id_hashes::{self, IdHashes};
use super::ingest::{FileSummary, ImportSummary, Ingest};
use super::known::{Met, StoredRows};
use super::labels::{insert_labels, load_label_ids, LabelIds};
use super::rows::{self, Awaiting, Block, BlockCutter, BlockInfo, BlockWriter};
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

/// An entry on its way to a block, its labels already the store's; a stored one (of the tail
/// a continued chain cuts again) with its sequence number and source file.
struct Pending {
    entry: ParsedEntry,
    stored: Option<(u64, i64)>,
}

impl Pending {
    fn new(entry: ParsedEntry) -> Pending {
        Pending { entry, stored: None }
    }

    /// A stored row, owned.
    fn stored(r: &Row<'_>) -> Pending {
        let entry = ParsedEntry {
            txn_id: r.txn_id.into(),
            ts: r.ts,
            kind: r.kind,
            description: r.description,
            amount: r.amount,
            balance_after: r.after,
            dims: r.dims,
            chain: 0,
            line: r.line,
            offset: r.offset,
            hash: 0,
        };
        Pending { entry, stored: Some((r.seq, r.source)) }
    }
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

/// A window handed to the cutter, with the stored blocks (of a chain it continues) that reach
/// as far as the window's newest entry and were not handed over before.
struct Handed {
    stored: Vec<Vec<u8>>,
    window: ParsedFile,
}

/// A chain with entries that a stream continues: the file may hold its stored entries again
/// (known, left as they are) and new ones after its last second. As `store_files` would, the
/// chain's last same-time group and the entry before it (the anchor) are put in walk order
/// again with the new entries, so their blocks are cut again: the tail.
struct Continued {
    /// The chain's last second.
    last_ts: i64,
    /// The sequence number of the first new entry.
    next_seq: u64,
    /// The number of the first block cut again (the anchor's), and its data and every later
    /// block's.
    tail_block: u64,
    tail: Vec<Vec<u8>>,
}

/// How the cutter ended.
enum Cut {
    /// Every window cut into blocks and sent: how many entries were new, how many stored.
    Done { new: u64, known: u64 },
    /// Store the file the whole-file way instead: why.
    WholeFile(&'static str),
}

/// Takes the windows (entries oldest first), numbers their labels in the store, puts each
/// second's ties in walk order and cuts the entries into blocks, sending labels and blocks to
/// `out`; stops early when `out` hangs up. Memory holds one window, one block, one second's
/// ties and the transaction IDs' hashes (`IdHashes`: bounded, the rest in temporary files),
/// looked through at the end for a repeat; for a chain it continues, the stored blocks the
/// windows reach, a few at a time (`StoredRows`).
fn cut_blocks(
    windows: Receiver<Handed>,
    out: Sender<Piece>,
    label_ids: &mut LabelIds,
    file: &StreamedFile,
    file_id: i64,
    continued: Option<&Continued>,
) -> Result<Cut, StoreError> {
    let dims = file.dimensions.len();
    let mut cutter = BlockCutter::from_block(dims, continued.map_or(0, |c| c.tail_block));
    let mut order: InOrder<Pending, i64> = InOrder::default();
    let mut hashes = IdHashes::new(id_hashes::held());
    let mut stored_rows = StoredRows::new(dims);
    let (mut last_ts, mut seq) = (i64::MIN, continued.map_or(0, |c| c.next_seq));
    let (mut new, mut known) = (0u64, 0u64);
    let mut tail_placed = continued.is_none();
    // False once `out` hangs up: the connection's thread stopped on an error of its own.
    let open = std::cell::Cell::new(true);
    let mut place = |p: Pending| {
        let e = &p.entry;
        let (seq, source) = p.stored.unwrap_or_else(|| {
            seq += 1;
            (seq - 1, file_id)
        });
        let row = Row {
            txn_id: &e.txn_id,
            ts: e.ts,
            kind: e.kind,
            description: e.description,
            amount: e.amount,
            after: e.balance_after,
            dims: e.dims,
            source,
            line: e.line,
            offset: e.offset,
            seq,
        };
        if let Some(block) = cutter.push(&row) {
            if out.send(Piece::Block(block)).is_err() {
                open.set(false);
            }
        }
    };
    let hash = |id: &[u8]| xxhash_rust::xxh3::xxh3_64(id);
    let temp = |source| StoreError::TempFile { source };
    for Handed { stored, window } in windows {
        for data in stored {
            let mut spilled = Ok(());
            let added = stored_rows.add(data, |id| {
                if spilled.is_ok() {
                    spilled = hashes.push(hash(id));
                }
            });
            spilled.map_err(temp)?;
            if added.is_err() {
                return Ok(Cut::WholeFile("a stored block does not read back"));
            }
        }
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
        let mut labels: Vec<(u32, String)> = (1..map.len())
            .filter(|&i| u64::from(map[i]) >= first_new)
            .map(|i| (map[i], window.labels.text(i as u32).to_string()))
            .collect();
        labels.sort_unstable_by(|a, b| a.1.cmp(&b.1));
        if !labels.is_empty() && out.send(Piece::Labels(labels)).is_err() {
            return Ok(Cut::Done { new, known });
        }
        for mut entry in window.entries {
            if entry.ts < last_ts {
                return Ok(Cut::WholeFile("an entry is out of time order"));
            }
            last_ts = entry.ts;
            entry.relabel(&map);
            if let Some(c) = continued {
                if entry.ts <= c.last_ts {
                    // At or before the chain's last second: only a stored entry, unchanged, is
                    // taken here (one left out of an earlier export would move stored ones).
                    match stored_rows.meet(&entry) {
                        Met::Known => {
                            known += 1;
                            continue;
                        }
                        Met::Differs => return Ok(Cut::WholeFile("an entry differs from its stored version")),
                        Met::Absent => return Ok(Cut::WholeFile("a new entry among the stored ones")),
                    }
                }
                if !tail_placed {
                    tail_placed = true;
                    if !place_tail(c, &mut order, &mut place)? {
                        return Ok(Cut::WholeFile("a stored block does not read back"));
                    }
                }
            }
            hashes.push(hash(entry.txn_id.as_bytes())).map_err(temp)?;
            new += 1;
            order.push(Pending::new(entry), &mut place);
        }
        if !open.get() {
            return Ok(Cut::Done { new, known });
        }
    }
    if new == 0 && continued.is_some() {
        // Every entry stored already: nothing to write.
        return Ok(Cut::Done { new, known });
    }
    order.finish(&mut place);
    if let Some(block) = cutter.finish() {
        // A failed send means the other side stopped, and knows why.
        let _ = out.send(Piece::Block(block));
    }
    // A transaction ID twice (or two sharing a hash), among the new entries or a new one and
    // a stored one: the whole-file path tells known from conflicting versions.
    if hashes.repeats().map_err(temp)? {
        return Ok(Cut::WholeFile("a transaction ID hash repeats"));
    }
    Ok(Cut::Done { new, known })
}

/// Puts the tail of continued chain `c` back on its way to the blocks: the rows before the
/// anchor straight to `place`, the anchor and the last same-time group into `order`, where
/// the new entries follow them. False when a block does not decode.
fn place_tail(
    c: &Continued,
    order: &mut InOrder<Pending, i64>,
    place: &mut impl FnMut(Pending),
) -> Result<bool, StoreError> {
    let mut rows = Vec::new();
    for data in &c.tail {
        if block::for_each_row(data, |_, r| {
            rows.push(Pending::stored(&r));
            Ok(())
        })
        .is_err()
        {
            return Ok(false);
        }
    }
    let group = rows.iter().position(|p| p.entry.ts == c.last_ts).unwrap_or(rows.len());
    let anchor = group.saturating_sub(1);
    let mut rows = rows.into_iter();
    rows.by_ref().take(anchor).for_each(&mut *place);
    rows.for_each(|p| order.push(p, place));
    Ok(true)
}

impl Ingest<'_> {
    /// Stores the windows `next` hands over (each a piece of `file`, entries oldest first,
    /// one chain) into chain `key`. A chain with entries is continued when the file holds
    /// them again unchanged and new entries only after its last second (a grown export).
    /// `next` returns `None` at the end, or when it stopped (the caller knows why and drops
    /// this write).
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
        let (continued, blocks) = if stored > 0 {
            if crate::model::source::revisions(file.source).is_some() {
                return Ok(Streamed::WholeFile("the source revises stored entries"));
            }
            // A damaged chain, or one awaiting a refill, is the whole-file path's to report or fill.
            if rows::check_shape(tx, chain_id, Awaiting::Refuse).is_err() {
                return Ok(Streamed::WholeFile("the ledger is damaged or awaits a sync"));
            }
            let blocks = rows::chain_blocks(tx, chain_id)?;
            (Some(continued(tx, &blocks)?), blocks)
        } else {
            (None, Vec::new())
        };
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
        let mut writer = match &continued {
            Some(c) => BlockWriter::replacing(tx, chain_id, c.tail_block),
            None => BlockWriter::new(tx, chain_id),
        };
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
            let (hand, windows) = sync_channel::<Handed>(1);
            let (send, pieces) = channel::<Piece>();
            let (label_ids, continues) = (&mut label_ids, continued.as_ref());
            let cutter = scope.spawn(move || cut_blocks(windows, send, label_ids, file, file_id, continues));
            let mut take = |piece: Piece| match piece {
                Piece::Labels(labels) => insert_labels(tx, &labels),
                Piece::Block(block) => writer.insert(block),
            };
            // The stored blocks handed over so far: those the windows reach, oldest first. All
            // of them are by the time the cutter cuts a block again (a new entry is after them).
            let mut handed = 0;
            while let Some(window) = next() {
                let newest = window.entries.iter().map(|e| e.ts).max().unwrap_or(i64::MIN);
                let reached = blocks[handed..].iter().take_while(|b| b.first_ts <= newest).count();
                let stored = blocks[handed..handed + reached]
                    .iter()
                    .map(|b| rows::block_data(tx, b.id))
                    .collect::<Result<Vec<_>, _>>()?;
                handed += reached;
                // A send fails when the cutter stopped: it says why below.
                if hand.send(Handed { stored, window }).is_err() {
                    break;
                }
                pieces.try_iter().try_for_each(&mut take)?;
            }
            drop(hand);
            pieces.iter().try_for_each(&mut take)?;
            cutter.join().expect("the block cutter panicked")
        });
        tx.pragma_update(None, "cache_size", cache)?;
        let (new, known) = match cut? {
            Cut::WholeFile(why) => return Ok(Streamed::WholeFile(why)),
            Cut::Done { new, known } => (new, known),
        };
        let t = trace::phase("import: stream windows", t);
        label_ids.record(tx)?;
        if new > 0 || continued.is_none() {
            writer.finish()?;
        }
        tx.execute(
            "UPDATE source_file SET entries_new = ?2, entries_known = ?3 WHERE id = ?1",
            params![file_id, new as i64, known as i64],
        )?;
        trace::phase("import: stream dedupe", t);
        let summary = ImportSummary {
            chain_ids: vec![chain_id],
            files: vec![FileSummary {
                path: file.path.clone(),
                format: file.format.to_string(),
                entries: new + known,
                new,
                known,
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

/// What a stream that continues a chain with `blocks` (oldest first, at least one) needs of
/// it: its last second, its next sequence number and its tail, from the anchor's block on.
fn continued(tx: &rusqlite::Transaction<'_>, blocks: &[BlockInfo]) -> Result<Continued, StoreError> {
    let last_ts = blocks.iter().map(|b| b.last_ts).max().unwrap_or(i64::MIN);
    let next_seq = blocks.iter().map(|b| b.max_seq + 1).max().unwrap_or(0);
    // The last same-time group starts in the first block that reaches the last second; the
    // anchor before it is in that block, or is the previous block's last row.
    let first = blocks.iter().position(|b| b.last_ts == last_ts).unwrap_or(0);
    let tail_block = if first > 0 && blocks[first].first_ts == last_ts { first - 1 } else { first };
    let tail = blocks[tail_block..].iter().map(|b| rows::block_data(tx, b.id)).collect::<Result<_, _>>()?;
    debug_assert_eq!(blocks[tail_block].start, tail_block as u64 * BLOCK as u64);
    Ok(Continued { last_ts, next_seq, tail_block: tail_block as u64, tail })
}
