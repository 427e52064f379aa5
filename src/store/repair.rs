//! Verifying a chain's blocks against everything the store keeps about them (`reckon
//! doctor`), and rebuilding a damaged chain from its files read again. The caller reads the
//! files (the store knows no format): `repair_sources` says which, `repair_chain` rebuilds.
//!
//! *Invariant:* a repair keeps the sequence number (id) of every entry it can still read. An
//! entry that was only in a damaged block gets a new one after the highest the chain ever
//! gave (its old one cannot be read back); notes are keyed by finding ID (kind, transaction
//! IDs, delta), not entry id, so they survive.

use std::path::PathBuf;

use rusqlite::{params, Connection, TransactionBehavior};
use rustc_hash::{FxHashMap, FxHashSet};

use super::block::{self, Row, BLOCK};
use super::ingest::{label_id, load_label_ids};
use super::query::Cache;
use super::rows::{self, dim_field, Field, Schema, TYPE};
use super::{ChainInfo, Store, StoreError};
use crate::model::ParsedFile;
use crate::order::walk_order;

/// What verifying a chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHealth {
    pub chain: ChainInfo,
    pub blocks: u64,
    /// Entries the blocks' rows say they hold.
    pub entries: u64,
    /// Every block that fails a check, oldest first.
    pub damaged: Vec<BlockDamage>,
}

impl ChainHealth {
    pub fn is_ok(&self) -> bool {
        self.damaged.is_empty()
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

/// What a repair did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairSummary {
    /// Entries read from the chain's intact blocks, ids kept.
    pub kept: u64,
    /// Entries read again from the files, numbered after the highest id the chain gave.
    pub recovered: u64,
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

/// Checks every block of a chain: checksum, encoding, entry count, times, last balance,
/// sequence range, label totals, numbering, and that no sequence number appears twice.
fn verify(conn: &Connection, chain: ChainInfo) -> Result<(ChainHealth, Vec<StoredBlock>), StoreError> {
    let dims = chain.dimensions.len();
    let blocks = stored_blocks(conn, chain.id)?;
    let mut damaged = Vec::new();
    let mut seen: FxHashSet<u64> = FxHashSet::default();
    let mut entries = 0;
    for (n, b) in blocks.iter().enumerate() {
        let number = block::split_entry_id(b.id).1;
        entries += b.entries.max(0) as u64;
        let mut problems = Vec::new();
        if number != n as u64 {
            problems.push(format!("is numbered {number} where block {n} was expected"));
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
        let last = n + 1 == blocks.len();
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
    Ok((ChainHealth { chain, blocks: blocks.len() as u64, entries, damaged }, blocks))
}

impl Store {
    /// Verifies every block of chain `chain_id` (`reckon doctor`).
    pub fn verify_chain(&self, chain_id: i64) -> Result<ChainHealth, StoreError> {
        Ok(verify(&self.conn, self.chain(chain_id)?)?.0)
    }

    /// Checks the checksum of every block of a chain without decoding them: a damaged block
    /// is a `Damaged` error naming it. A chain that does not exist passes.
    pub fn verify_checksums(&self, chain_id: i64) -> Result<(), StoreError> {
        rows::verify_checksums(&self.conn, chain_id)
    }

    /// The files a repair of chain `chain_id` must read again: those whose first-stored
    /// entries are not all in the chain's readable blocks, oldest import first.
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
        let rows = stmt.query_map([chain_id], |r| {
            Ok((
                StoredSource {
                    id: r.get(0)?,
                    path: PathBuf::from(r.get::<_, String>(1)?),
                    format: r.get(2)?,
                    file_hash: r.get(3)?,
                },
                r.get::<_, i64>(4)?,
            ))
        })?;
        let mut needed = Vec::new();
        for row in rows {
            let (source, new) = row?;
            if new > readable.get(&source.id).copied().unwrap_or(0) {
                needed.push(source);
            }
        }
        Ok(needed)
    }

    /// Rebuilds chain `chain_id` from its readable blocks and `files` (each the part of a file
    /// `repair_sources` named that went to this chain, read again, with its `source_file`
    /// id), in one transaction. Every entry of a file that no readable block holds is
    /// recovered, the first version of a transaction ID (oldest import first) kept; the
    /// recovered count must equal what the unreadable blocks held, or nothing changes.
    pub fn repair_chain(&mut self, chain_id: i64, files: &[(i64, ParsedFile)]) -> Result<RepairSummary, StoreError> {
        let chain = self.chain(chain_id)?;
        let Store { conn, cache, .. } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let dims = chain.dimensions.len();
        let (health, blocks) = verify(&tx, chain)?;
        let unreadable: FxHashSet<u64> = health.damaged.iter().filter(|d| !d.readable).map(|d| d.block).collect();
        let lost: i64 =
            blocks.iter().filter(|b| unreadable.contains(&block::split_entry_id(b.id).1)).map(|b| b.entries).sum();
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
                rows.push(Row {
                    txn_id: &e.txn_id,
                    ts: e.ts,
                    kind: map[e.kind as usize],
                    description: map[e.description as usize],
                    amount: e.amount,
                    after: e.balance_after,
                    dims: e.dims.map(|d| map[d as usize]),
                    source: *source,
                    line: e.line,
                    offset: e.offset,
                    seq: next_seq,
                });
                next_seq += 1;
                recovered += 1;
            }
        }
        if recovered as i64 != lost {
            return Err(StoreError::BadValue(format!(
                "the ledger {}/{}: its files hold {recovered} entries its readable blocks lack, where the damaged \
                 blocks held {lost}; nothing was changed",
                health.chain.key.account, health.chain.key.currency
            )));
        }
        walk_order(&mut rows, |r| r.ts, |r| r.txn_id, |r| r.after - r.amount, |r| r.after);
        rows::write_blocks(&tx, chain_id, 0, dims, Schema::Current, rows.into_iter())?;
        tx.commit()?;
        *cache.borrow_mut() = Cache::default();
        Ok(RepairSummary { kept, recovered })
    }
}
