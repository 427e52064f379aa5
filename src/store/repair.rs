//! Verifying a chain's blocks against everything the store keeps about them (`reckon
//! doctor`), and rebuilding a damaged chain from its files read again. The caller reads the
//! files (the store knows no format): `repair_sources` says which, `repair_chain` rebuilds.
//!
//! *Invariant:* a repair keeps the sequence number (id) of every entry it can still read. An
//! entry that was only in a damaged block gets a new one after the highest the chain ever
//! gave (its old one cannot be read back); notes are keyed by finding ID (kind, transaction
//! IDs, delta), not entry id, so they survive.

use std::path::PathBuf;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use rustc_hash::{FxHashMap, FxHashSet};

use super::block::{self, Row, BLOCK};
use super::labels::{label_id, label_sum, load_label_ids, record_label_sum, recorded_label_sum};
use super::query::Cache;
use super::rows::{self, dim_field, Field, Schema, TYPE};
use super::{ChainInfo, Store, StoreError};
use crate::model::ParsedFile;
use crate::order::walk_order;

/// What verifying a chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHealth {
    pub chain: ChainInfo,
    /// Blocks the chain records (a missing one counted: it is listed in `damaged`).
    pub blocks: u64,
    /// Entries the chain records.
    pub entries: u64,
    /// Every block that fails a check or is missing, oldest first.
    pub damaged: Vec<BlockDamage>,
    /// What is wrong with the chain beyond its blocks (blocks it does not record).
    pub problems: Vec<String>,
    /// A repair dropped entries only a sync can bring back, and none has yet.
    pub awaiting_sync: bool,
}

impl ChainHealth {
    pub fn is_ok(&self) -> bool {
        self.damaged.is_empty() && self.problems.is_empty() && !self.awaiting_sync
    }
}

/// A block that fails verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockDamage {
    /// The block's number in its chain.
    pub block: u64,
    /// Whether its entries can still be read (only what the store keeps about them is wrong).
    pub readable: bool,
    pub problem: String,
}

/// A file a chain's entries were first stored from, as `source_file` recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSource {
    pub id: i64,
    pub path: PathBuf,
    /// The reader's name (`reverie-csv`).
    pub format: String,
    /// xxh3 of the whole file when it was imported.
    pub file_hash: String,
}

impl StoredSource {
    /// A `source_file` row selected as `id, path, format, file_hash, ...`.
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredSource> {
        Ok(StoredSource {
            id: r.get(0)?,
            path: PathBuf::from(r.get::<_, String>(1)?),
            format: r.get(2)?,
            file_hash: r.get(3)?,
        })
    }
}

/// What a repair did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairSummary {
    /// Entries read from the chain's intact blocks, ids kept.
    pub kept: u64,
    /// Entries read again from the files, numbered after the highest id the chain gave.
    pub recovered: u64,
    /// Entries neither a readable block nor a file held, dropped until a sync fetches them
    /// again (`drop_damaged_blocks`; always 0 for `repair_chain`).
    pub dropped: u64,
}

/// One stored block as `verify` reads it.
struct StoredBlock {
    id: i64,
    entries: i64,
    first_ts: i64,
    last_ts: i64,
    last_balance: i64,
    seq: Option<(u64, u64)>,
    data: Vec<u8>,
}

fn stored_blocks(conn: &Connection, chain_id: i64) -> Result<Vec<StoredBlock>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT b.id, b.entries, b.first_ts, b.last_ts, b.last_balance, s.min_seq, s.max_seq, b.data
         FROM entry_block b LEFT JOIN block_seq s ON s.block_id = b.id
         WHERE b.id >= ?1 AND b.id < ?2 ORDER BY b.id",
    )?;
    let rows = stmt.query_map(params![block::block_id(chain_id, 0), block::block_id(chain_id + 1, 0)], |r| {
        let seq = match (r.get::<_, Option<i64>>(5)?, r.get::<_, Option<i64>>(6)?) {
            (Some(lo), Some(hi)) => Some((lo as u64, hi as u64)),
            _ => None,
        };
        Ok(StoredBlock {
            id: r.get(0)?,
            entries: r.get(1)?,
            first_ts: r.get(2)?,
            last_ts: r.get(3)?,
            last_balance: r.get(4)?,
            seq,
            data: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// `(field, label)` with entries, credits in and credits out, as `block_label_total` rows.
type Totals = Vec<((Field, u32), [i64; 3])>;

/// A block's label totals as `block_label_total` should hold them, sorted.
fn label_totals(rows: &[Row<'_>], dims: usize) -> Totals {
    let mut totals: FxHashMap<(Field, u32), [i64; 3]> = FxHashMap::default();
    for row in rows {
        let (credits_in, credits_out) = if row.amount > 0 { (row.amount, 0) } else { (0, row.amount) };
        let keys = std::iter::once((TYPE, row.kind)).chain((0..dims).map(|d| (dim_field(d), row.dims[d])));
        for key in keys {
            let t = totals.entry(key).or_default();
            t[0] += 1;
            t[1] += credits_in;
            t[2] += credits_out;
        }
    }
    let mut sorted: Vec<_> = totals.into_iter().collect();
    sorted.sort_unstable_by_key(|&(key, _)| key);
    sorted
}

fn stored_totals(conn: &Connection, block_id: i64) -> Result<Totals, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT field, label_id, entries, credits_in, credits_out FROM block_label_total
         WHERE block_id = ?1 ORDER BY field, label_id",
    )?;
    let rows = stmt.query_map([block_id], |r| Ok(((r.get(0)?, r.get(1)?), [r.get(2)?, r.get(3)?, r.get(4)?])))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Decodes a whole block.
fn decode(data: &[u8]) -> Result<Vec<Row<'_>>, StoreError> {
    let mut rows = Vec::new();
    block::for_each_row(data, |_, r| {
        rows.push(r);
        Ok(())
    })?;
    Ok(rows)
}

/// What a chain's row records about its blocks.
struct Recorded {
    entries: u64,
    blocks: u64,
    resync: bool,
}

fn recorded(conn: &Connection, chain_id: i64) -> Result<Recorded, StoreError> {
    Ok(conn.query_row("SELECT entry_count, block_count, resync FROM chain WHERE id = ?1", [chain_id], |r| {
        Ok(Recorded {
            entries: r.get::<_, i64>(0)?.max(0) as u64,
            blocks: r.get::<_, i64>(1)?.max(0) as u64,
            resync: r.get(2)?,
        })
    })?)
}

/// Entries block `number` held, by what the chain records: every block but the last is full.
fn recorded_entries(rec: &Recorded, number: u64) -> u64 {
    if number + 1 < rec.blocks {
        BLOCK as u64
    } else {
        rec.entries.saturating_sub(rec.blocks.saturating_sub(1) * BLOCK as u64)
    }
}

/// Checks every block of a chain against what the chain records (how many blocks and
/// entries: a block that is gone is found) and against itself: checksum, encoding, entry
/// count, times, last balance, sequence range, label totals, and that no sequence number
/// appears twice.
fn verify(conn: &Connection, chain: ChainInfo) -> Result<(ChainHealth, Vec<StoredBlock>), StoreError> {
    let dims = chain.dimensions.len();
    let blocks = stored_blocks(conn, chain.id)?;
    let rec = recorded(conn, chain.id)?;
    let mut damaged = Vec::new();
    let mut chain_problems = Vec::new();
    let mut seen: FxHashSet<u64> = FxHashSet::default();
    let present: FxHashSet<u64> = blocks.iter().map(|b| block::split_entry_id(b.id).1).collect();
    for number in (0..rec.blocks).filter(|n| !present.contains(n)) {
        damaged.push(BlockDamage {
            block: number,
            readable: false,
            problem: format!("is missing: the ledger records {} blocks", rec.blocks),
        });
    }
    let found: u64 = blocks.iter().map(|b| b.entries.max(0) as u64).sum();
    if damaged.is_empty() && found != rec.entries {
        chain_problems.push(format!("its blocks hold {found} entries where the ledger records {}", rec.entries));
    }
    for b in &blocks {
        let number = block::split_entry_id(b.id).1;
        let mut problems = Vec::new();
        if number >= rec.blocks {
            problems.push(format!("is beyond the {} blocks the ledger records", rec.blocks));
        }
        let rows = match block::Decoder::new(&b.data).and_then(|d| Ok((d.dims(), decode(&b.data)?))) {
            Ok((block_dims, rows)) => {
                if block_dims != dims {
                    problems.push(format!("carries {block_dims} dimensions, the ledger {dims}"));
                }
                rows
            }
            Err(_) => {
                damaged.push(BlockDamage {
                    block: number,
                    readable: false,
                    problem: "fails its checksum: its entries cannot be read".into(),
                });
                continue;
            }
        };
        let last = number + 1 >= rec.blocks;
        if rows.len() as i64 != b.entries || (!last && rows.len() != BLOCK) {
            problems.push(format!("holds {} entries where {} are recorded", rows.len(), b.entries));
        }
        if let (Some(first), Some(end)) = (rows.first(), rows.last()) {
            if (first.ts, end.ts, end.after) != (b.first_ts, b.last_ts, b.last_balance) {
                problems.push("its recorded times or last balance differ from its entries".into());
            }
            let lo = rows.iter().map(|r| r.seq).min().unwrap_or(0);
            let hi = rows.iter().map(|r| r.seq).max().unwrap_or(0);
            if b.seq != Some((lo, hi)) {
                problems.push(format!("its recorded sequence range {:?} is not its entries' {lo}..={hi}", b.seq));
            }
        }
        if let Some(twice) = rows.iter().find(|r| !seen.insert(r.seq)) {
            problems.push(format!("sequence number {} appears twice in the ledger", twice.seq));
        }
        if stored_totals(conn, b.id)? != label_totals(&rows, dims) {
            problems.push("its recorded label totals differ from its entries".into());
        }
        if !problems.is_empty() {
            damaged.push(BlockDamage { block: number, readable: true, problem: problems.join("; ") });
        }
    }
    damaged.sort_by_key(|d| d.block);
    let health = ChainHealth {
        chain,
        blocks: rec.blocks,
        entries: rec.entries,
        damaged,
        problems: chain_problems,
        awaiting_sync: rec.resync,
    };
    Ok((health, blocks))
}

/// A stored entry's parsed twin and its file's labels, by `(source_file id, byte offset)`.
type Places<'f> = FxHashMap<(i64, u64), (&'f crate::model::ParsedEntry, &'f crate::model::Labels)>;

/// Notes the texts the file at `place` gives the labels a stored row points to.
fn expect<'f>(
    at: &Places<'f>,
    expected: &mut FxHashMap<u32, &'f str>,
    place: (i64, u64),
    kind: u32,
    description: u32,
    dims: &[u32],
) -> Result<(), StoreError> {
    let Some(&(e, labels)) = at.get(&place) else { return Ok(()) };
    let mut want = |id: u32, text: &'f str| match expected.insert(id, text) {
        Some(other) if id != 0 && other != text => Err(StoreError::BadValue(format!(
            "the files give label {id} two texts ({other:?} and {text:?}); the label table was not changed"
        ))),
        _ => Ok(()),
    };
    if kind != 0 {
        want(kind, labels.text(e.kind))?;
    }
    if description != 0 {
        want(description, labels.text(e.description))?;
    }
    for (d, &id) in dims.iter().enumerate() {
        if id != 0 && e.dims[d] != 0 {
            want(id, labels.text(e.dims[d]))?;
        }
    }
    Ok(())
}

/// What a rebuild does with entries that neither a readable block nor a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lost {
    /// Changes nothing: every lost entry must come back from the files.
    Refuse,
    /// Drops them and marks the chain for a sync that fetches its whole ledger again.
    AwaitSync,
}

impl Store {
    /// Verifies every block of chain `chain_id` (`reckon doctor`).
    pub fn verify_chain(&self, chain_id: i64) -> Result<ChainHealth, StoreError> {
        Ok(verify(&self.conn, self.chain(chain_id)?)?.0)
    }

    /// Checks the checksum of every block of a chain without decoding them, and that the
    /// chain holds the blocks it records: a damaged or missing block is a `Damaged` error.
    /// A chain that does not exist passes.
    pub fn verify_checksums(&self, chain_id: i64) -> Result<(), StoreError> {
        rows::verify_checksums(&self.conn, chain_id)
    }

    /// Whether a repair dropped entries of the chain that only a sync can bring back, and no
    /// sync has fetched its whole ledger since.
    pub fn awaiting_sync(&self, chain_id: i64) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT resync FROM chain WHERE id = ?1", [chain_id], |r| r.get(0))
            .optional()?
            .unwrap_or(false))
    }

    /// Clears the mark `awaiting_sync` reads, once a sync has fetched these chains' whole ledgers.
    pub fn clear_awaiting_sync(&mut self, chain_ids: &[i64]) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare("UPDATE chain SET resync = 0 WHERE id = ?1")?;
            for id in chain_ids {
                stmt.execute([id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The files a repair of chain `chain_id` must read again: those whose first-stored
    /// entries are not all in the chain's readable blocks, oldest import first. A path stored
    /// relative (before imports stored absolute ones) is replaced by an absolute path the same
    /// file was recorded under later, if any; else it is read relative to the working folder.
    pub fn repair_sources(&self, chain_id: i64) -> Result<Vec<StoredSource>, StoreError> {
        let (health, blocks) = verify(&self.conn, self.chain(chain_id)?)?;
        let unreadable: FxHashSet<u64> = health.damaged.iter().filter(|d| !d.readable).map(|d| d.block).collect();
        let mut readable: FxHashMap<i64, i64> = FxHashMap::default();
        for b in blocks.iter().filter(|b| !unreadable.contains(&block::split_entry_id(b.id).1)) {
            for r in decode(&b.data)? {
                *readable.entry(r.source).or_default() += 1;
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT id, path, format, file_hash, entries_new FROM source_file WHERE chain_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([chain_id], |r| Ok((StoredSource::from_row(r)?, r.get::<_, i64>(4)?)))?;
        let mut needed = Vec::new();
        for row in rows {
            let (mut source, new) = row?;
            if new > readable.get(&source.id).copied().unwrap_or(0) {
                self.prefer_absolute(chain_id, &mut source)?;
                needed.push(source);
            }
        }
        Ok(needed)
    }

    /// Replaces a relative path with an absolute one recorded for the same file (same chain,
    /// same xxh3), newest first.
    fn prefer_absolute(&self, chain_id: i64, source: &mut StoredSource) -> Result<(), StoreError> {
        if source.path.is_absolute() {
            return Ok(());
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT path FROM source_file WHERE chain_id = ?1 AND file_hash = ?2 ORDER BY id DESC")?;
        let paths = stmt.query_map(params![chain_id, source.file_hash], |r| r.get::<_, String>(0))?;
        for path in paths {
            let path = PathBuf::from(path?);
            if path.is_absolute() {
                source.path = path;
                break;
            }
        }
        Ok(())
    }

    /// Rebuilds chain `chain_id` from its readable blocks and `files` (each the part of a file
    /// `repair_sources` named that went to this chain, read again, with its `source_file`
    /// id), in one transaction. Every entry of a file that no readable block holds is
    /// recovered, the first version of a transaction ID (oldest import first) kept; the
    /// recovered count must equal what the unreadable or missing blocks held, or nothing
    /// changes.
    pub fn repair_chain(&mut self, chain_id: i64, files: &[(i64, ParsedFile)]) -> Result<RepairSummary, StoreError> {
        self.rebuild(chain_id, files, Lost::Refuse)
    }

    /// `repair_chain` for a chain whose lost entries came from a vendor's API, which no file
    /// holds: what the readable blocks and `files` hold is kept (ids kept), the rest dropped,
    /// and the chain is marked to wait for a sync that fetches its whole ledger again (reads
    /// of it are refused until then, `awaiting_sync`).
    pub fn drop_damaged_blocks(
        &mut self,
        chain_id: i64,
        files: &[(i64, ParsedFile)],
    ) -> Result<RepairSummary, StoreError> {
        self.rebuild(chain_id, files, Lost::AwaitSync)
    }

    fn rebuild(&mut self, chain_id: i64, files: &[(i64, ParsedFile)], mode: Lost) -> Result<RepairSummary, StoreError> {
        let chain = self.chain(chain_id)?;
        let Store { conn, cache, .. } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let dims = chain.dimensions.len();
        let rec = recorded(&tx, chain_id)?;
        let (health, blocks) = verify(&tx, chain)?;
        let unreadable: FxHashSet<u64> = health.damaged.iter().filter(|d| !d.readable).map(|d| d.block).collect();
        // What the unreadable blocks held: a present one says so in its row, a missing one
        // held what the chain records (every block but the last is full).
        let entries_of = |number: u64| match blocks.iter().find(|b| block::split_entry_id(b.id).1 == number) {
            Some(b) => b.entries.max(0) as u64,
            None => recorded_entries(&rec, number),
        };
        let lost: u64 = unreadable.iter().map(|&n| entries_of(n)).sum();
        let mut rows: Vec<Row<'_>> = Vec::new();
        for b in blocks.iter().filter(|b| !unreadable.contains(&block::split_entry_id(b.id).1)) {
            rows.extend(decode(&b.data)?);
        }
        let kept = rows.len() as u64;
        // New numbers go after every one the chain gave, damaged blocks' recorded ranges included.
        let mut next_seq = tx
            .query_row(
                "SELECT max(max_seq) FROM block_seq WHERE block_id >= ?1 AND block_id < ?2",
                params![block::block_id(chain_id, 0), block::block_id(chain_id + 1, 0)],
                |r| r.get::<_, Option<i64>>(0),
            )?
            .map_or(0, |m| m as u64 + 1);
        next_seq = next_seq.max(rows.iter().map(|r| r.seq + 1).max().unwrap_or(0));
        // A sequence number read twice (a damaged range) is given anew to the later entry.
        let mut seqs: FxHashSet<u64> = FxHashSet::default();
        for r in &mut rows {
            if !seqs.insert(r.seq) {
                r.seq = next_seq;
                next_seq += 1;
            }
        }
        let mut held: FxHashSet<&str> = rows.iter().map(|r| r.txn_id).collect();
        let mut label_ids = load_label_ids(&tx)?;
        let mut recovered = 0u64;
        for (source, file) in files {
            let mut map = vec![0u32];
            for id in 1..=file.labels.len() as u32 {
                map.push(label_id(&tx, &mut label_ids, file.labels.text(id))?);
            }
            for e in &file.entries {
                if !held.insert(&e.txn_id) {
                    continue;
                }
                rows.push(Row::parsed(e, &map, *source, next_seq));
                next_seq += 1;
                recovered += 1;
            }
        }
        label_ids.record(&tx)?;
        let dropped = lost.saturating_sub(recovered);
        if mode == Lost::Refuse && recovered != lost {
            return Err(StoreError::BadValue(format!(
                "the ledger {}/{}: its files hold {recovered} entries its readable blocks lack, where the damaged \
                 blocks held {lost}; nothing was changed",
                health.chain.key.account, health.chain.key.currency
            )));
        }
        walk_order(&mut rows, |r| r.ts, |r| r.txn_id, |r| r.after - r.amount, |r| r.after);
        rows::write_blocks(&tx, chain_id, 0, dims, Schema::Current, true, rows.into_iter())?;
        if mode == Lost::AwaitSync && dropped > 0 {
            tx.execute("UPDATE chain SET resync = 1 WHERE id = ?1", [chain_id])?;
        }
        tx.commit()?;
        *cache.borrow_mut() = Cache::default();
        Ok(RepairSummary { kept, recovered, dropped })
    }

    /// Checks the label table against its checksum; `Some` says what is wrong.
    pub fn verify_labels(&self) -> Result<Option<String>, StoreError> {
        let (found, recorded) = (label_sum(&self.conn)?, recorded_label_sum(&self.conn)?);
        Ok(if found.labels != recorded.labels {
            Some(format!("holds {} labels where {} are recorded", found.labels, recorded.labels))
        } else if found.hash != recorded.hash {
            Some("a label's text differs from what was recorded (its checksum does not match)".into())
        } else {
            None
        })
    }

    /// The files a repair of the label table reads again: every one a readable stored entry
    /// or a kept conflicting version came from (the checksum says the table is wrong, not
    /// where), oldest first.
    pub fn label_sources(&self) -> Result<Vec<StoredSource>, StoreError> {
        let mut ids: FxHashSet<i64> = FxHashSet::default();
        for chain in self.chains()? {
            for b in stored_blocks(&self.conn, chain.id)? {
                let Ok(rows) = decode(&b.data) else { continue };
                ids.extend(rows.iter().map(|r| r.source));
            }
        }
        let mut stmt = self.conn.prepare("SELECT DISTINCT source_id FROM conflict")?;
        for id in stmt.query_map([], |r| r.get::<_, i64>(0))? {
            ids.insert(id?);
        }
        let mut stmt =
            self.conn.prepare("SELECT id, path, format, file_hash, chain_id FROM source_file ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((StoredSource::from_row(r)?, r.get::<_, i64>(4)?)))?;
        let mut sources = Vec::new();
        for row in rows {
            let (mut source, chain_id) = row?;
            if ids.contains(&source.id) {
                self.prefer_absolute(chain_id, &mut source)?;
                sources.push(source);
            }
        }
        Ok(sources)
    }

    /// Restores the label table from `files` (every one `label_sources` named, read again
    /// whole, with its `source_file` id): each label a stored entry or conflicting version
    /// points to gets back the text its file gives at that entry's place, a removed one is
    /// put back, and the checksum is recorded anew; in one transaction. `recovered` counts
    /// the labels restored, `kept` those found right.
    pub fn repair_labels(&mut self, files: &[(i64, ParsedFile)]) -> Result<RepairSummary, StoreError> {
        let chains = self.chains()?;
        let Store { conn, cache, labels } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut at: Places<'_> = FxHashMap::default();
        for (source, file) in files {
            for e in &file.entries {
                at.insert((*source, e.offset), (e, &file.labels));
            }
        }
        let mut expected: FxHashMap<u32, &str> = FxHashMap::default();
        for chain in &chains {
            let dims = chain.dimensions.len();
            for b in stored_blocks(&tx, chain.id)? {
                let Ok(rows) = decode(&b.data) else { continue };
                for r in rows {
                    let place = (r.source, r.offset);
                    expect(&at, &mut expected, place, r.kind, r.description, &r.dims[..dims])?;
                }
            }
        }
        {
            let mut stmt = tx.prepare(
                "SELECT source_id, source_offset, type_id, description_id, coalesce(dim1_id, 0),
                        coalesce(dim2_id, 0), coalesce(dim3_id, 0), coalesce(dim4_id, 0)
                 FROM conflict",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let dims = [r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?];
                let place = (r.get(0)?, r.get::<_, i64>(1)? as u64);
                expect(&at, &mut expected, place, r.get(2)?, r.get(3)?, &dims)?;
            }
        }
        let current: FxHashMap<u32, String> = tx
            .prepare("SELECT id, text FROM label")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut changes: Vec<(u32, &str)> = expected
            .iter()
            .filter(|(id, text)| current.get(id).map(String::as_str) != Some(text))
            .map(|(&id, &t)| (id, t))
            .collect();
        changes.sort_unstable();
        // Texts are unique: the labels that keep theirs hold them, and each label changed
        // takes a text no other holds (labels changed may swap their texts).
        let changed: FxHashSet<u32> = changes.iter().map(|&(id, _)| id).collect();
        let mut holders: FxHashMap<&str, u32> =
            current.iter().filter(|(id, _)| !changed.contains(id)).map(|(&id, text)| (text.as_str(), id)).collect();
        for &(id, text) in &changes {
            if let Some(&holder) = holders.get(text) {
                return Err(StoreError::BadValue(format!(
                    "label {id} should read {text:?}, which label {holder} holds; the label table was not changed"
                )));
            }
            holders.insert(text, id);
            tx.execute(
                "INSERT INTO label (id, text) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET text = ?2",
                params![id, text],
            )?;
        }
        record_label_sum(&tx, label_sum(&tx)?)?;
        tx.commit()?;
        *cache.borrow_mut() = Cache::default();
        labels.clear();
        let restored = changes.len() as u64;
        Ok(RepairSummary { kept: expected.len() as u64 - restored, recovered: restored, dropped: 0 })
    }
}
