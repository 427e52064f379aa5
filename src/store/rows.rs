//! Reading and writing a chain's entries through `entry_block` (layout in `block.rs`).

use std::ops::ControlFlow;

use rusqlite::{params, Connection};
use rustc_hash::FxHashMap;

use super::block::{self, Encoder, Row, BLOCK};
use super::StoreError;

/// Which column of an entry a `block_label_total` row counts: 0 the type, `1 + d` dimension `d`.
pub(crate) type Field = u8;

/// The type's field.
pub(crate) const TYPE: Field = 0;

/// The field of dimension `d`.
pub(crate) fn dim_field(d: usize) -> Field {
    1 + d as Field
}

/// A block without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockInfo {
    pub id: i64,
    /// Position of the block's first entry in its chain.
    pub start: u64,
    pub entries: u64,
    pub first_ts: i64,
    pub last_ts: i64,
    /// Lowest and highest sequence number of the block's entries.
    pub min_seq: u64,
    pub max_seq: u64,
}

/// A chain's blocks, oldest first.
pub(crate) fn chain_blocks(conn: &Connection, chain_id: i64) -> Result<Vec<BlockInfo>, StoreError> {
    check_shape(conn, chain_id, Awaiting::Refuse)?;
    let mut stmt = conn.prepare_cached(
        "SELECT b.id, b.entries, b.first_ts, b.last_ts, s.min_seq, s.max_seq
         FROM entry_block b JOIN block_seq s ON s.block_id = b.id WHERE b.chain_id = ?1 ORDER BY b.id",
    )?;
    let mut rows = stmt.query([chain_id])?;
    let mut blocks = Vec::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let (_, number) = block::split_entry_id(id);
        blocks.push(BlockInfo {
            id,
            start: number * BLOCK as u64,
            entries: r.get::<_, i64>(1)? as u64,
            first_ts: r.get(2)?,
            last_ts: r.get(3)?,
            min_seq: r.get::<_, i64>(4)? as u64,
            max_seq: r.get::<_, i64>(5)? as u64,
        });
    }
    Ok(blocks)
}

/// What a read of a chain may find besides its blocks matching what the chain row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Awaiting {
    /// A chain waiting for a sync to refill what a repair dropped is refused (its walk would
    /// show breaks that are only the missing entries).
    Refuse,
    /// Allowed: the write that refills it.
    Allow,
}

/// Checks that a chain's blocks are the ones its row records: as many, numbered 0.., holding
/// as many entries. A block deleted or added behind the store's back is `Damaged` (a read
/// would otherwise show a shorter ledger as whole). A chain that does not exist passes.
pub(crate) fn check_shape(conn: &Connection, chain_id: i64, awaiting: Awaiting) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.account || '/' || c.currency, c.entry_count, c.block_count, c.resync,
                (SELECT count(*) FROM entry_block WHERE id >= ?2 AND id < ?3),
                (SELECT coalesce(sum(entries), 0) FROM entry_block WHERE id >= ?2 AND id < ?3),
                (SELECT max(id) FROM entry_block WHERE id >= ?2 AND id < ?3)
         FROM chain c WHERE c.id = ?1",
    )?;
    let mut rows = stmt.query(params![chain_id, block::block_id(chain_id, 0), block::block_id(chain_id + 1, 0)])?;
    let Some(r) = rows.next()? else { return Ok(()) };
    let name: String = r.get(0)?;
    let (entries, blocks, resync): (i64, i64, bool) = (r.get(1)?, r.get(2)?, r.get(3)?);
    let (found_blocks, found_entries, last): (i64, i64, Option<i64>) = (r.get(4)?, r.get(5)?, r.get(6)?);
    let last_number = last.map_or(-1, |id| block::split_entry_id(id).1 as i64);
    if found_blocks != blocks || found_entries != entries || last_number != blocks - 1 {
        return Err(StoreError::Damaged { chain: Some(name), block: None });
    }
    if resync && awaiting == Awaiting::Refuse {
        return Err(StoreError::AwaitingSync { chain: name });
    }
    Ok(())
}

/// The encoded data of a chain's blocks, oldest first, each checked against its checksum
/// (and the chain's shape, a chain waiting for a refill allowed: this is the write path).
pub(crate) fn chain_data(conn: &Connection, chain_id: i64) -> Result<Vec<Vec<u8>>, StoreError> {
    check_shape(conn, chain_id, Awaiting::Allow)?;
    let mut stmt = conn.prepare_cached("SELECT id, data FROM entry_block WHERE id >= ?1 AND id < ?2 ORDER BY id")?;
    let rows = stmt.query_map(params![block::block_id(chain_id, 0), block::block_id(chain_id + 1, 0)], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
    })?;
    let mut blocks = Vec::new();
    for row in rows {
        let (id, data) = row?;
        block::Decoder::new(&data).map_err(|e| e.in_block(conn, id))?;
        blocks.push(data);
    }
    Ok(blocks)
}

/// Checks the checksum of every block of a chain without decoding them; the first damaged
/// block is a `Damaged` error naming it.
pub(crate) fn verify_checksums(conn: &Connection, chain_id: i64) -> Result<(), StoreError> {
    check_shape(conn, chain_id, Awaiting::Refuse)?;
    let mut stmt = conn.prepare_cached("SELECT id, data FROM entry_block WHERE id >= ?1 AND id < ?2 ORDER BY id")?;
    let mut rows = stmt.query(params![block::block_id(chain_id, 0), block::block_id(chain_id + 1, 0)])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let data = r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
        block::Decoder::new(data).map_err(|e| e.in_block(conn, id))?;
    }
    Ok(())
}

/// The encoded data of one block.
pub(crate) fn block_data(conn: &Connection, block_id: i64) -> Result<Vec<u8>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT data FROM entry_block WHERE id = ?1")?;
    let mut rows = stmt.query([block_id])?;
    match rows.next()? {
        Some(r) => Ok(r.get(0)?),
        None => Err(StoreError::NotFound(format!("entry block {block_id}"))),
    }
}

/// Calls `each` with every entry of a chain from position `from` on, in walk order, with its
/// position; stops early when `each` breaks.
pub(crate) fn scan_chain(
    conn: &Connection,
    chain_id: i64,
    from: u64,
    mut each: impl FnMut(u64, Row<'_>) -> Result<ControlFlow<()>, StoreError>,
) -> Result<(), StoreError> {
    scan_chain_parts(conn, chain_id, from, |position, txn, row| {
        let txn_id = std::str::from_utf8(txn)
            .map_err(|_| StoreError::BadValue(format!("entry {position} of chain {chain_id} has a damaged ID")))?;
        each(position, Row { txn_id, ..row })
    })
}

/// `scan_chain` with each transaction ID as unchecked bytes and `row.txn_id` empty.
pub(crate) fn scan_chain_parts(
    conn: &Connection,
    chain_id: i64,
    from: u64,
    mut each: impl FnMut(u64, &[u8], Row<'_>) -> Result<ControlFlow<()>, StoreError>,
) -> Result<(), StoreError> {
    check_shape(conn, chain_id, Awaiting::Refuse)?;
    let first = block::block_id(chain_id, from / BLOCK as u64);
    let mut stmt = conn.prepare_cached("SELECT id, data FROM entry_block WHERE id >= ?1 AND id < ?2 ORDER BY id")?;
    let mut rows = stmt.query(params![first, block::block_id(chain_id + 1, 0)])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let (_, number) = block::split_entry_id(id);
        let start = number * BLOCK as u64;
        let data = r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
        let mut d = block::Decoder::new(data).map_err(|e| e.in_block(conn, id))?;
        let mut position = start;
        while let Some((txn, row)) = d.next_parts().map_err(|e| e.in_block(conn, id))? {
            if position >= from && each(position, txn, row)?.is_break() {
                return Ok(());
            }
            position += 1;
        }
    }
    Ok(())
}

/// The ids of the blocks of `chain_id` that may hold the entry with sequence number `seq`.
pub(crate) fn blocks_with_seq(conn: &Connection, chain_id: i64, seq: u64) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT block_id FROM block_seq WHERE block_id >= ?1 AND block_id < ?2 AND min_seq <= ?3 AND max_seq >= ?3
         ORDER BY block_id",
    )?;
    let (lo, hi) = (block::block_id(chain_id, 0), block::block_id(chain_id + 1, 0));
    let rows = stmt.query_map(params![lo, hi, seq as i64], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A block ready to insert.
struct Encoded {
    number: u64,
    entries: i64,
    first_ts: i64,
    last_ts: i64,
    last_balance: i64,
    min_seq: u64,
    max_seq: u64,
    data: Vec<u8>,
    /// `(field, label)` → entries, credits in, credits out, sorted.
    totals: Vec<((Field, u32), [i64; 3])>,
}

/// The block being filled: its rows encoded so far and their label totals.
struct Filling {
    encoder: Encoder,
    dims: usize,
    totals: FxHashMap<(Field, u32), [i64; 3]>,
    first_ts: i64,
    min_seq: u64,
    max_seq: u64,
}

impl Filling {
    fn new(dims: usize) -> Filling {
        Filling {
            encoder: Encoder::new(dims),
            dims,
            totals: FxHashMap::default(),
            first_ts: 0,
            min_seq: u64::MAX,
            max_seq: 0,
        }
    }

    fn len(&self) -> usize {
        self.encoder.len()
    }

    fn push(&mut self, row: &Row<'_>) {
        if self.encoder.len() == 0 {
            self.first_ts = row.ts;
        }
        self.encoder.push(row);
        (self.min_seq, self.max_seq) = (self.min_seq.min(row.seq), self.max_seq.max(row.seq));
        let (credits_in, credits_out) = if row.amount > 0 { (row.amount, 0) } else { (0, row.amount) };
        let keys = std::iter::once((TYPE, row.kind)).chain((0..self.dims).map(|d| (dim_field(d), row.dims[d])));
        for key in keys {
            let t = self.totals.entry(key).or_default();
            t[0] += 1;
            t[1] += credits_in;
            t[2] += credits_out;
        }
    }

    /// The block as numbered `number`, its last row at `last_ts` with balance `last_balance`;
    /// the next block starts empty.
    fn take(&mut self, number: u64, last_ts: i64, last_balance: i64) -> Encoded {
        let mut sorted: Vec<_> = self.totals.drain().collect();
        sorted.sort_unstable_by_key(|&(key, _)| key);
        let block = Encoded {
            number,
            entries: self.encoder.len() as i64,
            first_ts: self.first_ts,
            last_ts,
            last_balance,
            min_seq: self.min_seq,
            max_seq: self.max_seq,
            data: self.encoder.finish(),
            totals: sorted,
        };
        (self.min_seq, self.max_seq) = (u64::MAX, 0);
        block
    }
}

/// Encodes `rows` with `dims` dimensions into blocks numbered from `number`, handing each to `out`.
fn encode_blocks<'r>(
    rows: impl Iterator<Item = Row<'r>>,
    dims: usize,
    mut number: u64,
    mut out: impl FnMut(Encoded) -> bool,
) {
    let mut filling = Filling::new(dims);
    let mut rows = rows.peekable();
    while let Some(row) = rows.next() {
        filling.push(&row);
        if filling.len() == BLOCK || rows.peek().is_none() {
            let block = filling.take(number, row.ts, row.after);
            number += 1;
            if !out(block) {
                return;
            }
        }
    }
}

/// Inserts an encoded block of chain `chain_id`: its row, its sequence range (current schema)
/// and its label totals.
fn insert_block(conn: &Connection, chain_id: i64, schema: Schema, b: Encoded) -> Result<(), StoreError> {
    let id = block::block_id(chain_id, b.number);
    conn.prepare_cached(
        "INSERT INTO entry_block (id, chain_id, entries, first_ts, last_ts, last_balance, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![id, chain_id, b.entries, b.first_ts, b.last_ts, b.last_balance, b.data])?;
    if schema == Schema::Current {
        conn.prepare_cached("INSERT INTO block_seq (block_id, min_seq, max_seq) VALUES (?1, ?2, ?3)")?
            .execute(params![id, b.min_seq as i64, b.max_seq as i64])?;
    }
    let mut insert_total = conn.prepare_cached(
        "INSERT INTO block_label_total (block_id, field, label_id, entries, credits_in, credits_out)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for ((field, label), [n, credits_in, credits_out]) in b.totals {
        insert_total.execute(params![id, field, label, n, credits_in, credits_out])?;
    }
    Ok(())
}

/// Cuts rows that arrive in walk order into encoded blocks numbered from 0, so that memory
/// holds one block whatever the chain's length (`write_blocks` takes an iterator instead,
/// which must borrow every row from memory held elsewhere). It needs no connection: a
/// streamed import encodes on one thread while `BlockWriter` inserts on the other.
pub(crate) struct BlockCutter {
    filling: Filling,
    /// The last row pushed, owned: the block's last time and balance.
    last: Option<(i64, i64)>,
    blocks: u64,
}

impl BlockCutter {
    /// Cutting a chain's blocks from block number `number` on (its first row the block's first).
    pub(crate) fn from_block(dims: usize, number: u64) -> BlockCutter {
        BlockCutter { filling: Filling::new(dims), last: None, blocks: number }
    }

    /// Adds `row`; the block it fills, when it does.
    pub(crate) fn push(&mut self, row: &Row<'_>) -> Option<Block> {
        self.filling.push(row);
        self.last = Some((row.ts, row.after));
        if self.filling.len() == BLOCK {
            self.cut()
        } else {
            None
        }
    }

    fn cut(&mut self) -> Option<Block> {
        let (ts, after) = self.last?;
        if self.filling.len() == 0 {
            return None;
        }
        let block = self.filling.take(self.blocks, ts, after);
        self.blocks += 1;
        Some(Block(block))
    }

    /// The last block, partly filled, if there are rows left.
    pub(crate) fn finish(mut self) -> Option<Block> {
        self.cut()
    }
}

/// A block cut by `BlockCutter`, ready to insert.
pub(crate) struct Block(Encoded);

/// Inserts a chain's blocks as `BlockCutter` cuts them, in order, into a chain that had no
/// entries, or in place of its blocks from a number on; `finish` records the chain's blocks
/// and entries.
pub(crate) struct BlockWriter<'c> {
    conn: &'c Connection,
    chain_id: i64,
    blocks: u64,
    entries: i64,
    /// Whether the chain's blocks from `blocks` on are still to be deleted (before the first
    /// insert: until then they may still be read).
    replacing: bool,
}

impl<'c> BlockWriter<'c> {
    pub(crate) fn new(conn: &'c Connection, chain_id: i64) -> BlockWriter<'c> {
        BlockWriter { conn, chain_id, blocks: 0, entries: 0, replacing: false }
    }

    /// Replacing the chain's blocks from block number `from_block` on, which must be followed
    /// by at least one `insert`.
    pub(crate) fn replacing(conn: &'c Connection, chain_id: i64, from_block: u64) -> BlockWriter<'c> {
        let entries = (from_block as usize * BLOCK) as i64;
        BlockWriter { conn, chain_id, blocks: from_block, entries, replacing: true }
    }

    pub(crate) fn insert(&mut self, Block(block): Block) -> Result<(), StoreError> {
        if std::mem::take(&mut self.replacing) {
            delete_blocks(self.conn, self.chain_id, self.blocks, Schema::Current)?;
        }
        debug_assert_eq!(block.number, self.blocks, "blocks inserted out of order");
        self.entries += block.entries;
        self.blocks += 1;
        insert_block(self.conn, self.chain_id, Schema::Current, block)
    }

    /// Records the chain's blocks and entries; returns the entries.
    pub(crate) fn finish(self) -> Result<u64, StoreError> {
        self.conn.execute(
            "UPDATE chain SET entry_count = ?2, block_count = ?3 WHERE id = ?1",
            params![self.chain_id, self.entries, self.blocks as i64],
        )?;
        Ok(self.entries as u64)
    }
}

/// Which columns `entry_block` has: the migration to version 2 writes blocks before the
/// columns that version 3 adds exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Schema {
    Version2,
    Current,
}

/// Replaces a chain's blocks from block number `from_block` on with `rows` (entries with
/// `dims` dimensions), which continue the chain from position `from_block * BLOCK`, and their
/// label totals. Rows are encoded on a second thread while this one inserts, except for a
/// chain of two blocks or fewer, encoded here. With the current schema the chain's row records
/// the blocks and entries it now holds, in the same transaction, so a block that goes missing
/// later is noticed. Without `replaces` (a chain created in the same write) there is nothing
/// to delete first: three statements a chain of a customer base's 100,000.
pub(crate) fn write_blocks<'r>(
    conn: &Connection,
    chain_id: i64,
    from_block: u64,
    dims: usize,
    schema: Schema,
    replaces: bool,
    rows: impl Iterator<Item = Row<'r>> + Send,
) -> Result<(), StoreError> {
    if replaces {
        delete_blocks(conn, chain_id, from_block, schema)?;
    }
    let (mut blocks, mut entries) = (from_block as i64, (from_block as usize * BLOCK) as i64);
    let mut insert = |b: Encoded| {
        blocks += 1;
        entries += b.entries;
        insert_block(conn, chain_id, schema, b)
    };
    if rows.size_hint().1.is_some_and(|n| n <= ENCODE_ALONGSIDE_MIN) {
        // A short chain: a second thread would cost more than encoding here (on a busy machine,
        // a wait for a core per chain).
        let mut failed = None;
        encode_blocks(rows, dims, from_block, |b| insert(b).map_err(|e| failed = Some(e)).is_ok());
        if let Some(e) = failed {
            return Err(e);
        }
    } else {
        std::thread::scope(|scope| {
            let (send, receive) = std::sync::mpsc::sync_channel::<Encoded>(4);
            // The encoder stops when this side hangs up (on an error below).
            scope.spawn(move || encode_blocks(rows, dims, from_block, |block| send.send(block).is_ok()));
            receive.into_iter().try_for_each(&mut insert)
        })?;
    }
    if schema == Schema::Current {
        conn.prepare_cached("UPDATE chain SET entry_count = ?2, block_count = ?3 WHERE id = ?1")?
            .execute(params![chain_id, entries, blocks])?;
    }
    Ok(())
}

/// Deletes a chain's blocks from number `from_block` on, with their label totals and sequence ranges.
fn delete_blocks(conn: &Connection, chain_id: i64, from_block: u64, schema: Schema) -> Result<(), StoreError> {
    let (lo, hi) = (block::block_id(chain_id, from_block), block::block_id(chain_id + 1, 0));
    // Cached: an import of a customer base runs these once per chain, 100,000 times.
    conn.prepare_cached("DELETE FROM block_label_total WHERE block_id >= ?1 AND block_id < ?2")?
        .execute(params![lo, hi])?;
    if schema == Schema::Current {
        conn.prepare_cached("DELETE FROM block_seq WHERE block_id >= ?1 AND block_id < ?2")?
            .execute(params![lo, hi])?;
    }
    conn.prepare_cached("DELETE FROM entry_block WHERE id >= ?1 AND id < ?2")?.execute(params![lo, hi])?;
    Ok(())
}

/// Rows up to this many (two blocks) are encoded on the inserting thread.
const ENCODE_ALONGSIDE_MIN: usize = 2 * BLOCK;
