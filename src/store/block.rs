//! How entries are laid out in the database: a chain's entries, in walk order, packed
//! [`BLOCK`] to a row of `entry_block`. One row per entry costs SQLite about a microsecond to
//! insert and another to index; a million-entry import spent more time there than in
//! everything else together. Packed, the same million entries are 245 rows, written in a few
//! hundred milliseconds, and a whole chain decodes in tens of milliseconds.
//!
//! An entry's id is its chain's id times 2^32 plus its sequence number, given once when the
//! entry is first stored and never changed (the first import numbers entries in walk order).
//! A block's id is the chain's id times 2^32 plus its number; every block but a chain's last
//! holds exactly `BLOCK` entries, so a position finds its block without a lookup, and each
//! block row keeps the lowest and highest sequence number it holds, so an id finds its block.
//!
//! Encoding, version 2: a version byte, the entry count, the number of dimensions `d`, then
//! per entry, all as LEB128 varints (signed ones zigzag): transaction ID length and bytes,
//! time minus the previous entry's, type, description, amount, balance after minus the
//! previous entry's, `d` dimension label ids (0 for none), source file, line minus the
//! previous entry's, byte offset minus the previous entry's, sequence number minus the
//! previous entry's. Within a block entries follow one another in walk order, so the deltas
//! are small. Last, 8 bytes: the xxh3-64 of everything before them, little-endian, which
//! `Decoder::new` checks before it reads a row, so a flipped bit anywhere in a block is
//! `StoreError::Damaged`, never a wrong entry (a block decodes in ~1 ms; the hash of its
//! ~190 KB takes ~20 µs). Version 1 (read only, by the migration to version 3 of the schema)
//! had no `d` (always character and model, each label id + 1), no sequence numbers and no
//! checksum.

use super::StoreError;
use crate::model::{Dims, MAX_DIMS};

/// Entries per block.
pub(crate) const BLOCK: usize = 4096;

const VERSION: u8 = 2;

/// Id of the entry with sequence number `seq` in `chain_id`.
pub(crate) fn entry_id(chain_id: i64, seq: u64) -> i64 {
    (chain_id << 32) | seq as i64
}

/// `(chain_id, seq)` of an entry id, or `(chain_id, number)` of a block id.
pub(crate) fn split_entry_id(id: i64) -> (i64, u64) {
    (id >> 32, (id & 0xFFFF_FFFF) as u64)
}

/// Id of block number `number` of `chain_id`.
pub(crate) fn block_id(chain_id: i64, number: u64) -> i64 {
    (chain_id << 32) | number as i64
}

/// One stored entry as a block holds it: label ids are ids of the `label` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Row<'a> {
    pub txn_id: &'a str,
    pub ts: i64,
    pub kind: u32,
    pub description: u32,
    pub amount: i64,
    pub after: i64,
    /// The chain's dimensions, in declared order; 0 where the entry has none.
    pub dims: Dims,
    pub source: i64,
    pub line: u64,
    pub offset: u64,
    /// The entry's sequence number: its id within the chain, for the life of the database.
    pub seq: u64,
}

impl<'a> Row<'a> {
    /// A parsed entry as a block row: its file's label ids mapped to the store's through
    /// `labels` (indexed by the file's id), stored from source file `source` as number `seq`.
    pub(crate) fn parsed(e: &'a crate::model::ParsedEntry, labels: &[u32], source: i64, seq: u64) -> Row<'a> {
        Row {
            txn_id: &e.txn_id,
            ts: e.ts,
            kind: labels[e.kind as usize],
            description: labels[e.description as usize],
            amount: e.amount,
            after: e.balance_after,
            dims: e.dims.map(|d| labels[d as usize]),
            source,
            line: e.line,
            offset: e.offset,
            seq,
        }
    }
}

/// Writes a block's bytes, one row at a time.
#[derive(Debug)]
pub(crate) struct Encoder {
    rows: Vec<u8>,
    count: u64,
    dims: usize,
    prev: Prev,
}

#[derive(Debug, Default, Clone, Copy)]
struct Prev {
    ts: i64,
    after: i64,
    line: i64,
    offset: i64,
    seq: i64,
}

impl Encoder {
    /// An encoder for entries with `dims` dimensions (at most `MAX_DIMS`).
    pub fn new(dims: usize) -> Encoder {
        Encoder { rows: Vec::new(), count: 0, dims: dims.min(MAX_DIMS), prev: Prev::default() }
    }

    pub fn push(&mut self, row: &Row<'_>) {
        let out = &mut self.rows;
        put(out, row.txn_id.len() as u64);
        out.extend_from_slice(row.txn_id.as_bytes());
        put_signed(out, row.ts.wrapping_sub(self.prev.ts));
        put(out, row.kind.into());
        put(out, row.description.into());
        put_signed(out, row.amount);
        put_signed(out, row.after.wrapping_sub(self.prev.after));
        for &d in &row.dims[..self.dims] {
            put(out, d.into());
        }
        put_signed(out, row.source);
        put_signed(out, (row.line as i64).wrapping_sub(self.prev.line));
        put_signed(out, (row.offset as i64).wrapping_sub(self.prev.offset));
        put_signed(out, (row.seq as i64).wrapping_sub(self.prev.seq));
        self.prev = Prev {
            ts: row.ts,
            after: row.after,
            line: row.line as i64,
            offset: row.offset as i64,
            seq: row.seq as i64,
        };
        self.count += 1;
    }

    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// The block's bytes; the encoder starts over.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.rows.len() + 12);
        out.push(VERSION);
        put(&mut out, self.count);
        put(&mut out, self.dims as u64);
        out.append(&mut self.rows);
        let sum = xxhash_rust::xxh3::xxh3_64(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        *self = Encoder { rows: std::mem::take(&mut self.rows), ..Encoder::new(self.dims) };
        out
    }
}

/// Reads a block's rows in order.
#[derive(Debug)]
pub(crate) struct Decoder<'a> {
    data: &'a [u8],
    at: usize,
    left: u64,
    version: u8,
    dims: usize,
    /// Rows read so far: a version 1 block's sequence numbers are its positions.
    read: u64,
    prev: Prev,
}

impl<'a> Decoder<'a> {
    pub fn new(data: &'a [u8]) -> Result<Decoder<'a>, StoreError> {
        let version = match data.first() {
            Some(1) => 1,
            Some(&VERSION) => {
                if !checksum_matches(data) {
                    return Err(corrupt());
                }
                VERSION
            }
            // Only a damaged byte makes another version: this Reckon writes every block.
            Some(_) | None => return Err(corrupt()),
        };
        let data = if version == 1 { data } else { &data[..data.len() - CHECKSUM] };
        let mut d = Decoder { data, at: 1, left: 0, version, dims: 2, read: 0, prev: Prev::default() };
        d.left = d.get()?;
        if d.version >= 2 {
            d.dims = usize::try_from(d.get()?).ok().filter(|&n| n <= MAX_DIMS).ok_or_else(corrupt)?;
        }
        Ok(d)
    }

    /// The encoding version (1 only in databases not yet migrated).
    pub fn version(&self) -> u8 {
        self.version
    }

    /// How many dimensions each row carries.
    pub fn dims(&self) -> usize {
        self.dims
    }

    #[inline]
    fn get(&mut self) -> Result<u64, StoreError> {
        // Most values fit one byte.
        if let Some(&byte) = self.data.get(self.at) {
            if byte < 0x80 {
                self.at += 1;
                return Ok(u64::from(byte));
            }
        }
        self.get_long()
    }

    fn get_long(&mut self) -> Result<u64, StoreError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let &byte = self.data.get(self.at).ok_or_else(corrupt)?;
            self.at += 1;
            value |= u64::from(byte & 0x7F) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(corrupt())
    }

    #[inline]
    fn get_signed(&mut self) -> Result<i64, StoreError> {
        let v = self.get()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn get_label(&mut self) -> Result<u32, StoreError> {
        u32::try_from(self.get()?).map_err(|_| corrupt())
    }

    /// The next row, or `None` after the last.
    pub fn next_row(&mut self) -> Result<Option<Row<'a>>, StoreError> {
        Ok(match self.next_parts()? {
            Some((txn, row)) => Some(Row { txn_id: std::str::from_utf8(txn).map_err(|_| corrupt())?, ..row }),
            None => None,
        })
    }

    /// The next row with its transaction ID as bytes, not checked as text (`row.txn_id` is
    /// empty): for readers that only hash or compare it.
    pub fn next_parts(&mut self) -> Result<Option<(&'a [u8], Row<'a>)>, StoreError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let len = self.get()? as usize;
        let txn = self.data.get(self.at..self.at.saturating_add(len)).ok_or_else(corrupt)?;
        self.at += len;
        let ts = self.prev.ts.wrapping_add(self.get_signed()?);
        let kind = self.get_label()?;
        let description = self.get_label()?;
        let amount = self.get_signed()?;
        let after = self.prev.after.wrapping_add(self.get_signed()?);
        let mut dims = [0u32; MAX_DIMS];
        for d in dims.iter_mut().take(self.dims) {
            *d = self.get_label()?;
            if self.version == 1 {
                // Version 1 wrote label id + 1, and 0 for none; ids start at 1.
                *d = d.saturating_sub(1);
            }
        }
        let source = self.get_signed()?;
        let line = self.prev.line.wrapping_add(self.get_signed()?);
        let offset = self.prev.offset.wrapping_add(self.get_signed()?);
        let seq = if self.version == 1 { self.read as i64 } else { self.prev.seq.wrapping_add(self.get_signed()?) };
        self.prev = Prev { ts, after, line, offset, seq };
        self.read += 1;
        Ok(Some((
            txn,
            Row {
                txn_id: "",
                ts,
                kind,
                description,
                amount,
                after,
                dims,
                source,
                line: line as u64,
                offset: offset as u64,
                seq: seq as u64,
            },
        )))
    }
}

/// Calls `each` with every row of a block and its index in the block.
pub(crate) fn for_each_row<'a>(
    data: &'a [u8],
    mut each: impl FnMut(usize, Row<'a>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut d = Decoder::new(data)?;
    let mut i = 0;
    while let Some(row) = d.next_row()? {
        each(i, row)?;
        i += 1;
    }
    Ok(())
}

/// Bytes of the checksum that ends a version 2 block.
const CHECKSUM: usize = 8;

/// Whether a version 2 block's last 8 bytes are the xxh3-64 of the bytes before them.
fn checksum_matches(data: &[u8]) -> bool {
    let Some(split) = data.len().checked_sub(CHECKSUM).filter(|&n| n > 0) else { return false };
    let (body, sum) = data.split_at(split);
    sum == xxhash_rust::xxh3::xxh3_64(body).to_le_bytes()
}

/// Damage somewhere in a block; callers that know which block say so (`StoreError::in_block`).
fn corrupt() -> StoreError {
    StoreError::Damaged { chain: None, block: None }
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_signed(out: &mut Vec<u8>, v: i64) {
    put(out, ((v << 1) ^ (v >> 63)) as u64);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: u64) -> Row<'static> {
        const IDS: [&str; 3] = ["txn_a", "", "txn_\u{e9}\u{e9}"];
        Row {
            txn_id: IDS[i as usize % 3],
            ts: if i == 1 { i64::MIN } else { 1_700_000_000_000_000 + i as i64 * 1_000_000 },
            kind: i as u32,
            description: u32::MAX - i as u32,
            amount: if i == 2 { i64::MAX } else { -(i as i64) * 340_000 },
            after: if i == 0 { i64::MIN } else { 168_835_270_000 - i as i64 },
            dims: [if i % 2 == 0 { i as u32 + 1 } else { 0 }, if i == 2 { u32::MAX - 1 } else { 0 }, 0, 0],
            source: i as i64 + 1,
            line: 1_000_000 - i,
            offset: if i == 1 { u64::MAX >> 1 } else { 115_000_000 - i * 100 },
            seq: [7, 0, u64::from(u32::MAX)][i as usize % 3],
        }
    }

    #[test]
    fn rows_come_back_exactly_as_written() {
        let rows: Vec<Row<'static>> = (0..3).map(row).collect();
        let mut enc = Encoder::new(2);
        rows.iter().for_each(|r| enc.push(r));
        assert_eq!(enc.len(), 3);
        let data = enc.finish();
        assert_eq!(enc.len(), 0, "finish starts the encoder over");
        let mut back = Vec::new();
        for_each_row(&data, |i, r| {
            assert_eq!(i, back.len());
            back.push(r);
            Ok(())
        })
        .unwrap();
        assert_eq!(back, rows);
        // A second block from the same encoder does not carry deltas over.
        enc.push(&rows[2]);
        let again = enc.finish();
        assert_eq!(Decoder::new(&again).unwrap().next_row().unwrap(), Some(rows[2]));
    }

    #[test]
    fn a_damaged_block_is_an_error_not_a_panic() {
        let mut enc = Encoder::new(2);
        (0..3).for_each(|i| enc.push(&row(i)));
        let data = enc.finish();
        for cut in 0..data.len() {
            let r = Decoder::new(&data[..cut]).and_then(|mut d| {
                while d.next_row()?.is_some() {}
                Ok(())
            });
            assert!(r.is_err(), "a block cut at {cut} of {} bytes decoded", data.len());
        }
        let mut other = data.clone();
        other[0] = 9;
        assert!(matches!(Decoder::new(&other), Err(StoreError::Damaged { .. })));
    }

    /// Decodes every row of a block, as a reader of the store would.
    fn decode_all(data: &[u8]) -> Result<Vec<Row<'_>>, StoreError> {
        let mut rows = Vec::new();
        for_each_row(data, |_, r| {
            rows.push(r);
            Ok(())
        })?;
        Ok(rows)
    }

    /// Flips each bit of `data` whose index `pick` accepts, one at a time; returns
    /// (flips, flips detected as damage).
    fn flip_bits(data: &[u8], pick: impl Fn(usize) -> bool) -> (usize, usize) {
        decode_all(data).expect("the block decodes before any flip");
        let (mut flips, mut detected) = (0, 0);
        let mut damaged = data.to_vec();
        for bit in (0..data.len() * 8).filter(|&b| pick(b)) {
            damaged[bit / 8] ^= 1 << (bit % 8);
            flips += 1;
            if matches!(decode_all(&damaged), Err(StoreError::Damaged { .. })) {
                detected += 1;
            }
            damaged[bit / 8] ^= 1 << (bit % 8);
        }
        (flips, detected)
    }

    fn block_of(rows: u64) -> Vec<u8> {
        let mut enc = Encoder::new(2);
        for i in 0..rows {
            let mut r = row(i % 3);
            r.ts = 1_700_000_000_000_000 + i as i64 * 1_000_000;
            r.seq = i;
            r.line = i + 2;
            enc.push(&r);
        }
        enc.finish()
    }

    #[test]
    fn every_single_bit_flip_in_a_block_is_detected() {
        // Every bit of the edge-value block and of a 64-entry block (about 23,000 flips);
        // a debug build hashes too slowly to flip all 1.3 million bits of a full block, so
        // there every 101st bit is flipped, plus every bit of its header and checksum.
        let mut enc = Encoder::new(2);
        (0..3).for_each(|i| enc.push(&row(i)));
        let small = enc.finish();
        let (flips, detected) = flip_bits(&small, |_| true);
        assert_eq!(detected, flips, "edge-value block: {detected} of {flips} flips detected");
        let block = block_of(64);
        let (flips, detected) = flip_bits(&block, |_| true);
        assert_eq!(detected, flips, "64-entry block: {detected} of {flips} flips detected");
        let full = block_of(BLOCK as u64);
        let bits = full.len() * 8;
        let (flips, detected) = flip_bits(&full, |b| b % 101 == 0 || b < 64 || b >= bits - 64);
        assert_eq!(detected, flips, "full block: {detected} of {flips} flips detected");
    }

    #[test]
    fn a_version_1_block_reads_with_positions_as_sequence_numbers() {
        // Version 1: count 2; rows with character label+1 and model 0, no sequence numbers.
        let mut data = vec![1u8, 2];
        for (i, character) in [(0u8, 4u8), (1, 0)] {
            data.extend_from_slice(&[1, b'a' + i, 2, 3, 5, 2, 2, character, 0, 2, 2, 2]);
        }
        let mut d = Decoder::new(&data).unwrap();
        assert_eq!(d.version(), 1);
        let first = d.next_row().unwrap().unwrap();
        assert_eq!((first.txn_id, first.dims, first.seq), ("a", [3, 0, 0, 0], 0));
        let second = d.next_row().unwrap().unwrap();
        assert_eq!((second.txn_id, second.dims, second.seq), ("b", [0, 0, 0, 0], 1));
        assert_eq!(d.next_row().unwrap(), None);
    }

    #[test]
    fn ids_split_into_chain_and_position() {
        let id = entry_id(7, 4_000_000_123);
        assert_eq!(split_entry_id(id), (7, 4_000_000_123));
        assert!(id > 0 && id < (1i64 << 53), "ids stay exact as JavaScript numbers");
        assert_eq!(block_id(7, 3), entry_id(7, 3));
    }

    proptest::proptest! {
        /// Arbitrary bytes, and damaged real blocks, decode to rows or an error, never a panic.
        #[test]
        fn fuzz_block_decoder(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            flips in proptest::collection::vec((0usize..1000, proptest::num::u8::ANY), 0..4),
            real in proptest::bool::ANY,
        ) {
            let mut data = if real {
                let mut enc = Encoder::new(2);
                (0..3).for_each(|i| enc.push(&row(i)));
                enc.finish()
            } else {
                bytes
            };
            for (at, byte) in flips {
                if !data.is_empty() {
                    let n = data.len();
                    data[at % n] = byte;
                }
            }
            let _ = Decoder::new(&data).and_then(|mut d| {
                while d.next_row()?.is_some() {}
                Ok(())
            });
        }
    }
}
