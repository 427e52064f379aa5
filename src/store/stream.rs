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

use std::cell::Cell;
use std::collections::HashMap;
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
    /// Whether each entry names its ledger in a dimension of its own (the grant ledger's
    /// currency); `None`: every entry goes to the ledger the import is asked for.
    pub split: Option<Split>,
}

/// How a file whose entries name their ledgers is split: each entry into the ledger of the
/// import's account in the currency its dimension `dim` names, ledgers numbered in the order
/// the file (read whole) first names them.
#[derive(Debug, Clone)]
pub struct Split {
    pub dim: usize,
    pub account: String,
    /// The file runs newest first: the stream meets ledgers in the other order than the file
    /// names them, so a second ledger sends it to the whole-file path.
    pub newest_first: bool,
}

/// How a streamed store ended.
#[derive(Debug)]
pub enum Streamed {
    /// Every entry stored, new or known; the `source_file` rows `file_ids` (one per ledger)
    /// await their fingerprint (`Ingest::record_fingerprint`).
    Stored { summary: ImportSummary, file_ids: Vec<i64> },
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
const STREAM_CACHE_KIB: i64 = 4 << 10;

/// What the cutter sends the connection's thread, in the order to insert it.
enum Piece {
    /// Labels `LabelIds::assign` numbered, `(id, text)`.
    Labels(Vec<(u32, String)>),
    /// A split file's ledger met for the first time: its number (in the order met) and the
    /// currency its entries name. Its `source_file` row's id is the first ledger's plus its
    /// number, as the whole-file path, recording one ledger after another, numbers them.
    Ledger(usize, String),
    /// A block of ledger number `.0`.
    Block(usize, Block),
}

/// One ledger's way to its blocks: its entries put in walk order, then cut.
struct Lane {
    order: InOrder<Pending, i64>,
    cut: LaneCut,
    /// The time of the ledger's last entry so far.
    last_ts: i64,
}

/// The cutting half of a `Lane`.
struct LaneCut {
    cutter: BlockCutter,
    /// The next new entry's sequence number.
    seq: u64,
    /// Its `source_file` row, and its number among the file's ledgers.
    file_id: i64,
    number: usize,
    new: u64,
}

impl Lane {
    fn new(dims: usize, first_block: u64, seq: u64, file_id: i64, number: usize) -> Lane {
        let cut = LaneCut { cutter: BlockCutter::from_block(dims, first_block), seq, file_id, number, new: 0 };
        Lane { order: InOrder::default(), cut, last_ts: i64::MIN }
    }

    /// Takes a new entry (or a stored one of a continued chain's tail) in time order.
    fn push(&mut self, p: Pending, out: &Sender<Piece>, open: &Cell<bool>) {
        self.order.push(p, &mut |p| self.cut.place(p, out, open));
    }

    /// Hands on what is held: the ledger's entries have ended.
    fn finish(mut self, out: &Sender<Piece>, open: &Cell<bool>) {
        self.order.finish(&mut |p| self.cut.place(p, out, open));
        if let Some(block) = self.cut.cutter.finish() {
            // A failed send means the other side stopped, and knows why.
            let _ = out.send(Piece::Block(self.cut.number, block));
        }
    }
}

impl LaneCut {
    /// The next row in walk order, into the block being cut.
    fn place(&mut self, p: Pending, out: &Sender<Piece>, open: &Cell<bool>) {
        let e = &p.entry;
        let (seq, source) = p.stored.unwrap_or_else(|| {
            self.seq += 1;
            (self.seq - 1, self.file_id)
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
        if let Some(block) = self.cutter.push(&row) {
            if out.send(Piece::Block(self.number, block)).is_err() {
                open.set(false);
            }
        }
    }
}

/// A transaction ID's hash, per ledger (the same ID in two ledgers is no repeat).
fn id_hash(id: &[u8], ledger: usize) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(id, ledger as u64)
}

/// A window handed to the cutter, with the stored blocks (of a chain it continues) that reach
/// as far as the window's newest entry and were not handed over before.
struct Handed {
    stored: Vec<Vec<u8>>,
    /// The window's oldest entry's time.
    oldest: i64,
    /// The window; `None` while more stored blocks than `HAND_BLOCKS` come ahead of it (a few
    /// new entries after a long chain).
    window: Option<ParsedFile>,
}

/// Stored blocks handed to the cutter at a time: a window after the whole of a 10M-entry chain
/// reaches 2,442 blocks, which are passed through a few at a time, not held at once.
const HAND_BLOCKS: usize = 8;

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
    /// Every window cut into blocks and sent: how many entries were new, per ledger, and how
    /// many stored.
    Done { new: Vec<u64>, known: u64 },
    /// Store the file the whole-file way instead: why.
    WholeFile(&'static str),
}

/// Takes the windows (entries oldest first), numbers their labels in the store, puts each
/// second's ties in walk order and cuts the entries into blocks, sending labels and blocks to
/// `out`; stops early when `out` hangs up. Memory holds one window, one block and one second's
/// ties per ledger and the transaction IDs' hashes (`IdHashes`: bounded, the rest in temporary
/// files), looked through at the end for a repeat; for a chain it continues, the stored blocks
/// the windows reach, a few at a time (`StoredRows`). The ledgers' `source_file` rows are
/// numbered from `first_file_id`.
fn cut_blocks(
    windows: Receiver<Handed>,
    out: Sender<Piece>,
    label_ids: &mut LabelIds,
    file: &StreamedFile,
    first_file_id: i64,
    continued: Option<&Continued>,
) -> Result<Cut, StoreError> {
    let dims = file.dimensions.len();
    let mut lanes: Vec<Lane> = Vec::new();
    // A split file's ledgers by the store's label of their currency.
    let mut lane_of: HashMap<u32, usize> = HashMap::new();
    if file.split.is_none() {
        let (block, seq) = continued.map_or((0, 0), |c| (c.tail_block, c.next_seq));
        lanes.push(Lane::new(dims, block, seq, first_file_id, 0));
    }
    let mut hashes = IdHashes::new(id_hashes::held());
    let mut stored_rows = StoredRows::new(dims);
    let mut known = 0u64;
    let mut tail_placed = continued.is_none();
    // False once `out` hangs up: the connection's thread stopped on an error of its own.
    let open = Cell::new(true);
    let temp = |source| StoreError::TempFile { source };
    let done = |lanes: &[Lane], known| Cut::Done { new: lanes.iter().map(|l| l.cut.new).collect(), known };
    for Handed { stored, oldest, window } in windows {
        for data in stored {
            let mut spilled = Ok(());
            let added = stored_rows.add(data, |id| {
                if spilled.is_ok() {
                    spilled = hashes.push(id_hash(id, 0));
                }
            });
            spilled.map_err(temp)?;
            if added.is_err() {
                return Ok(Cut::WholeFile("a stored block does not read back"));
            }
            // The stored rows before the window's oldest entry are not looked up again.
            stored_rows.drop_before(oldest);
        }
        let Some(window) = window else { continue };
        if window.chains.iter().any(Option::is_some) || window.dimensions != file.dimensions {
            return Ok(Cut::WholeFile("a window names its own ledgers"));
        }
        let first_new = label_ids.next();
        let mut map = Vec::with_capacity(window.labels.len() + 1);
        map.push(0);
        for id in 1..=window.labels.len() as u32 {
            map.push(label_ids.assign(window.labels.text(id))?);
        }
        // Each window's new labels, numbered in this order: appended to the label table.
        let labels: Vec<(u32, String)> = (1..map.len())
            .filter(|&i| u64::from(map[i]) >= first_new)
            .map(|i| (map[i], window.labels.text(i as u32).to_string()))
            .collect();
        if !labels.is_empty() && out.send(Piece::Labels(labels)).is_err() {
            return Ok(done(&lanes, known));
        }
        for mut entry in window.entries {
            let named = file.split.as_ref().map(|split| (split, entry.dims[split.dim]));
            entry.relabel(&map);
            let lane = match named {
                None => 0,
                Some((split, label)) => match lane_of.get(&entry.dims[split.dim]) {
                    Some(&lane) => lane,
                    None => {
                        if split.newest_first && !lanes.is_empty() {
                            return Ok(Cut::WholeFile("a file of several ledgers runs newest first"));
                        }
                        let number = lanes.len();
                        let currency = window.labels.text(label).to_string();
                        if out.send(Piece::Ledger(number, currency)).is_err() {
                            return Ok(done(&lanes, known));
                        }
                        lanes.push(Lane::new(dims, 0, 0, first_file_id + number as i64, number));
                        lane_of.insert(entry.dims[split.dim], number);
                        number
                    }
                },
            };
            // Each ledger's entries in time order (a file of several may list one after another).
            if entry.ts < lanes[lane].last_ts {
                return Ok(Cut::WholeFile("an entry is out of time order"));
            }
            lanes[lane].last_ts = entry.ts;
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
                    if !place_tail(c, &mut lanes[0], &out, &open)? {
                        return Ok(Cut::WholeFile("a stored block does not read back"));
                    }
                }
            }
            hashes.push(id_hash(entry.txn_id.as_bytes(), lane)).map_err(temp)?;
            lanes[lane].cut.new += 1;
            lanes[lane].push(Pending::new(entry), &out, &open);
        }
        if !open.get() {
            return Ok(done(&lanes, known));
        }
    }
    let new: Vec<u64> = lanes.iter().map(|l| l.cut.new).collect();
    if continued.is_some() && new[0] == 0 {
        // Every entry stored already: nothing to write.
        return Ok(Cut::Done { new, known });
    }
    if lanes.is_empty() {
        return Ok(Cut::WholeFile("the file has no entries"));
    }
    for lane in lanes {
        lane.finish(&out, &open);
    }
    // A transaction ID twice in a ledger (or two sharing a hash), among the new entries or a
    // new one and a stored one: the whole-file path tells known from conflicting versions.
    let t = std::time::Instant::now();
    let repeats = hashes.repeats().map_err(temp)?;
    trace::phase("import: transaction IDs looked through for a repeat", t);
    if repeats {
        return Ok(Cut::WholeFile("a transaction ID hash repeats"));
    }
    Ok(Cut::Done { new, known })
}

/// Puts the tail of continued chain `c` back on its way to the blocks: the rows before the
/// anchor straight into `lane`'s blocks, the anchor and the last same-time group into its walk
/// order, where the new entries follow them. False when a block does not decode.
fn place_tail(c: &Continued, lane: &mut Lane, out: &Sender<Piece>, open: &Cell<bool>) -> Result<bool, StoreError> {
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
    rows.by_ref().take(anchor).for_each(|p| lane.cut.place(p, out, open));
    rows.for_each(|p| lane.push(p, out, open));
    Ok(true)
}

impl Ingest<'_> {
    /// Stores the windows `next` hands over (each a piece of `file`, entries oldest first)
    /// into chain `key`, or, for a file split by currency (`StreamedFile::split`), into a
    /// chain per currency, each new. A chain with entries is continued when the file holds
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
        let source = Some((file.source, &file.dimensions[..]));
        // The ledgers written, in the order met, and their writers; a split file's are added
        // as the cutter meets them.
        let mut chain_ids = Vec::new();
        let mut writers = Vec::new();
        let first_file_id = self.last_file_id()? + 1;
        let (mut continued, mut blocks) = (None, Vec::new());
        if file.split.is_none() {
            let chain_id = self.chain(key, source)?;
            let stored: i64 = tx.query_row("SELECT entry_count FROM chain WHERE id = ?1", [chain_id], |r| r.get(0))?;
            if stored > 0 {
                if crate::model::source::revisions(file.source).is_some() {
                    return Ok(Streamed::WholeFile("the source revises stored entries"));
                }
                // A damaged chain, or one awaiting a refill, is the whole-file path's to report or fill.
                if rows::check_shape(tx, chain_id, Awaiting::Refuse).is_err() {
                    return Ok(Streamed::WholeFile("the ledger is damaged or awaits a sync"));
                }
                blocks = rows::chain_blocks(tx, chain_id)?;
                continued = Some(continued_at(tx, &blocks)?);
            }
            self.record_streamed_file(file, first_file_id, chain_id, now)?;
            writers.push(match &continued {
                Some(c) => BlockWriter::replacing(tx, chain_id, c.tail_block),
                None => BlockWriter::new(tx, chain_id),
            });
            chain_ids.push(chain_id);
        }
        self.flush_labels()?;
        let mut label_ids = load_label_ids(tx)?;
        // A small cache while the blocks pass through it: pages spill to the file as the
        // stream goes, on this thread while the cutter and readers parse, instead of all at
        // the commit with nothing else to do (1M: 439 ms with 64 MiB, 416 ms with SQLite's
        // 32 MB, 404 ms with 4 MiB, medians of 11 alternated; 10M: 3.91 -> 3.82 s and peak
        // RSS 307 -> 244 MiB; a customer base the same, 10.9 s). Back to what it was once
        // the blocks are written (or the stream gave up: the whole-file read needs no more).
        let cache: i64 = tx.pragma_query_value(None, "cache_size", |r| r.get(0))?;
        tx.pragma_update(None, "cache_size", -STREAM_CACHE_KIB)?;
        // Why a ledger the cutter met cannot be streamed into (it has entries).
        let mut refused: Option<&'static str> = None;
        // This thread hands windows to the cutter and inserts what it sends back; the
        // cutter numbers labels, orders and encodes. At most two windows wait for it, and
        // what it sends is taken after each window handed over: about a window's blocks.
        let cut = std::thread::scope(|scope| -> Result<Cut, StoreError> {
            let (hand, windows) = sync_channel::<Handed>(1);
            let (send, pieces) = channel::<Piece>();
            let (label_ids, continues) = (&mut label_ids, continued.as_ref());
            let cutter = scope.spawn(move || cut_blocks(windows, send, label_ids, file, first_file_id, continues));
            let mut take = |piece: Piece| -> Result<(), StoreError> {
                match piece {
                    Piece::Labels(labels) => insert_labels(tx, &labels),
                    Piece::Ledger(number, currency) => {
                        let Some(split) = &file.split else { return Ok(()) };
                        let chain_id = self.chain(&ChainKey::new(split.account.clone(), currency), source)?;
                        let stored: i64 =
                            tx.query_row("SELECT entry_count FROM chain WHERE id = ?1", [chain_id], |r| r.get(0))?;
                        if stored > 0 {
                            refused.get_or_insert("a ledger the file names has entries");
                        }
                        self.record_streamed_file(file, first_file_id + number as i64, chain_id, now)?;
                        writers.push(BlockWriter::new(tx, chain_id));
                        chain_ids.push(chain_id);
                        Ok(())
                    }
                    // Once refused, the write is dropped: the blocks need not be inserted.
                    Piece::Block(_, _) if refused.is_some() => Ok(()),
                    Piece::Block(number, block) => writers[number].insert(block),
                }
            };
            // The stored blocks handed over so far: those the windows reach, oldest first. All
            // of them are by the time the cutter cuts a block again (a new entry is after them).
            let mut handed = 0;
            while let Some(window) = next() {
                let newest = window.entries.iter().map(|e| e.ts).max().unwrap_or(i64::MIN);
                let oldest = window.entries.iter().map(|e| e.ts).min().unwrap_or(i64::MIN);
                let reached = blocks[handed..].iter().take_while(|b| b.first_ts <= newest).count();
                let mut chunks = blocks[handed..handed + reached].chunks(HAND_BLOCKS).peekable();
                let mut window = Some(window);
                let mut stopped = false;
                while chunks.peek().is_some() || window.is_some() {
                    let stored = match chunks.next() {
                        Some(chunk) => {
                            chunk.iter().map(|b| rows::block_data(tx, b.id)).collect::<Result<Vec<_>, _>>()?
                        }
                        None => Vec::new(),
                    };
                    let window = if chunks.peek().is_none() { window.take() } else { None };
                    // A send fails when the cutter stopped: it says why below.
                    if hand.send(Handed { stored, oldest, window }).is_err() {
                        stopped = true;
                        break;
                    }
                    pieces.try_iter().try_for_each(&mut take)?;
                }
                handed += reached;
                if stopped {
                    break;
                }
            }
            drop(hand);
            pieces.iter().try_for_each(&mut take)?;
            cutter.join().expect("the block cutter panicked")
        });
        tx.pragma_update(None, "cache_size", cache)?;
        let (new, known) = match cut? {
            Cut::WholeFile(why) => return Ok(Streamed::WholeFile(why)),
            Cut::Done { .. } if refused.is_some() => return Ok(Streamed::WholeFile(refused.unwrap_or_default())),
            Cut::Done { new, known } => (new, known),
        };
        let t = trace::phase("import: stream windows", t);
        label_ids.record(tx)?;
        let mut file_ids = Vec::with_capacity(writers.len());
        for (number, writer) in writers.into_iter().enumerate() {
            let added = new.get(number).copied().unwrap_or(0);
            if added > 0 || continued.is_none() {
                writer.finish()?;
            }
            let file_id = first_file_id + number as i64;
            // A continued chain's stored entries met again are its file's known ones.
            let known = if number == 0 { known } else { 0 };
            tx.execute(
                "UPDATE source_file SET entries_new = ?2, entries_known = ?3 WHERE id = ?1",
                params![file_id, added as i64, known as i64],
            )?;
            file_ids.push(file_id);
        }
        trace::phase("import: stream dedupe", t);
        let new: u64 = new.iter().sum();
        let summary = ImportSummary {
            chain_ids,
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
        Ok(Streamed::Stored { summary, file_ids })
    }

    /// Records `file` as imported into chain `chain_id`, as `source_file` row `file_id` (the
    /// counts and the fingerprint follow once known).
    fn record_streamed_file(
        &self,
        file: &StreamedFile,
        file_id: i64,
        chain_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.tx().execute(
            "INSERT INTO source_file (id, path, format, file_hash, bytes, imported_at, entries_new, entries_known,
                                      entries_conflicting, chain_id)
             VALUES (?1, ?2, ?3, '', ?4, ?5, 0, 0, 0, ?6)",
            params![
                file_id,
                file.path.to_string_lossy(),
                file.format,
                file.bytes as i64,
                now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                chain_id,
            ],
        )?;
        Ok(())
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
fn continued_at(tx: &rusqlite::Transaction<'_>, blocks: &[BlockInfo]) -> Result<Continued, StoreError> {
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
