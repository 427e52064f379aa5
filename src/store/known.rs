//! The stored entries of a chain that a streamed import continues, met again in the file (a
//! grown export imported again): the chain's blocks arrive oldest first as the file's windows
//! reach their times, and each entry of the file at or before the chain's last second is
//! looked up among the stored rows of its second. Memory holds the blocks between the file's
//! last entry looked up and its window's end, never the chain.

use std::collections::VecDeque;

use super::block::Decoder;
use super::StoreError;
use crate::model::{Dims, ParsedEntry};

/// What an entry of the file is to the stored chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Met {
    /// Stored in its second, with the same content.
    Known,
    /// Stored in its second with other content: a conflicting version.
    Differs,
    /// Not stored in its second (new, or stored at another time).
    Absent,
}

/// A stored row as a lookup needs it; its transaction ID a range of its block's data.
struct Kept {
    id: (u32, u32),
    ts: i64,
    kind: u32,
    description: u32,
    amount: i64,
    after: i64,
    dims: Dims,
}

struct Decoded {
    data: Vec<u8>,
    rows: Vec<Kept>,
}

impl Decoded {
    fn id(&self, row: usize) -> &[u8] {
        let (at, len) = self.rows[row].id;
        &self.data[at as usize..(at + len) as usize]
    }
}

/// Seconds with more stored rows than this are looked up by hash instead of one by one.
const SCAN_MAX: usize = 16;

/// A chain's stored rows in walk order, a block at a time, looked up by entries in time order.
pub(super) struct StoredRows {
    blocks: VecDeque<Decoded>,
    /// The cursor: the first row of the front block not before the last second looked up.
    row: usize,
    dims: usize,
    /// The last second looked up and its rows, `(block from the front, row)`.
    second: Option<i64>,
    group: Vec<(usize, usize)>,
    /// For a second with more than `SCAN_MAX` rows: each one's ID hash and place in `group`, sorted.
    by_hash: Vec<(u64, usize)>,
}

impl StoredRows {
    /// For a chain whose entries carry `dims` dimensions.
    pub(super) fn new(dims: usize) -> StoredRows {
        StoredRows { blocks: VecDeque::new(), row: 0, dims, second: None, group: Vec::new(), by_hash: Vec::new() }
    }

    /// Takes the chain's next block (encoded), handing each row's transaction ID to `id`.
    pub(super) fn add(&mut self, data: Vec<u8>, mut id: impl FnMut(&[u8])) -> Result<(), StoreError> {
        let mut rows = Vec::with_capacity(super::block::BLOCK);
        let base = data.as_ptr() as usize;
        let mut d = Decoder::new(&data)?;
        while let Some((txn, r)) = d.next_parts()? {
            id(txn);
            let at = (txn.as_ptr() as usize - base) as u32;
            rows.push(Kept {
                id: (at, txn.len() as u32),
                ts: r.ts,
                kind: r.kind,
                description: r.description,
                amount: r.amount,
                after: r.after,
                dims: r.dims,
            });
        }
        // A new block may hold more rows of the second looked up last.
        self.second = None;
        self.blocks.push_back(Decoded { data, rows });
        Ok(())
    }

    /// Drops the blocks whose rows are all before `ts`: no entry to come is looked up there
    /// (entries come in time order), so a long run of stored blocks before the file's next
    /// entry, or before new entries after the chain, is never held.
    pub(super) fn drop_before(&mut self, ts: i64) {
        while self.blocks.front().is_some_and(|b| b.rows.last().is_none_or(|r| r.ts < ts)) {
            self.blocks.pop_front();
            self.row = 0;
            self.second = None;
        }
    }

    /// Looks `e` up (its labels the store's); entries come in time order.
    pub(super) fn meet(&mut self, e: &ParsedEntry) -> Met {
        if self.second != Some(e.ts) {
            self.seek(e.ts);
        }
        let id = e.txn_id.as_bytes();
        let same = |&(b, r): &(usize, usize)| self.blocks[b].id(r) == id;
        let found = if self.group.len() <= SCAN_MAX {
            self.group.iter().find(|p| same(p))
        } else {
            let hash = xxhash_rust::xxh3::xxh3_64(id);
            let from = self.by_hash.partition_point(|&(h, _)| h < hash);
            self.by_hash[from..].iter().take_while(|&&(h, _)| h == hash).map(|&(_, g)| &self.group[g]).find(|p| same(p))
        };
        let Some(&(b, r)) = found else { return Met::Absent };
        let k = &self.blocks[b].rows[r];
        let dims = self.dims;
        let equal = k.kind == e.kind
            && k.description == e.description
            && k.amount == e.amount
            && k.after == e.balance_after
            && k.dims[..dims] == e.dims[..dims];
        if equal {
            Met::Known
        } else {
            Met::Differs
        }
    }

    /// Moves the cursor to the first row at or after `ts` (dropping the blocks before it) and
    /// gathers the rows at `ts`.
    fn seek(&mut self, ts: i64) {
        while let Some(front) = self.blocks.front() {
            while self.row < front.rows.len() && front.rows[self.row].ts < ts {
                self.row += 1;
            }
            if self.row < front.rows.len() {
                break;
            }
            self.blocks.pop_front();
            self.row = 0;
        }
        self.group.clear();
        'blocks: for (b, block) in self.blocks.iter().enumerate() {
            let from = if b == 0 { self.row } else { 0 };
            for (r, k) in block.rows.iter().enumerate().skip(from) {
                if k.ts != ts {
                    break 'blocks;
                }
                self.group.push((b, r));
            }
        }
        self.by_hash.clear();
        if self.group.len() > SCAN_MAX {
            let blocks = &self.blocks;
            self.by_hash.extend(
                self.group.iter().enumerate().map(|(g, &(b, r))| (xxhash_rust::xxh3::xxh3_64(blocks[b].id(r)), g)),
            );
            self.by_hash.sort_unstable();
        }
        self.second = Some(ts);
    }
}
