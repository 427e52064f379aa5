//! Stored rows back into the model: whole entries (`Entry`) with their label texts, a chain's
//! facts for the walk (`Fact`, `TxnIds`), entries by position or id, and conflicting versions.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use super::labels::label_text;
use super::{block, rows, ChainInfo, Store, StoreError};
use crate::model::{Conflict, Entry, Fact, MAX_DIMS};
use crate::money;

/// A chain's transaction IDs in walk order, packed: a million take one allocation, not a million.
#[derive(Debug, Default)]
pub struct TxnIds {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl TxnIds {
    fn with_capacity(n: usize) -> TxnIds {
        TxnIds { bytes: Vec::with_capacity(n * 24), ends: Vec::with_capacity(n) }
    }

    fn push(&mut self, id: &[u8]) {
        self.bytes.extend_from_slice(id);
        self.ends.push(self.bytes.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The ID at position `i`, as stored (the store wrote it from a `str`).
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
}

/// An `Entry` from a stored row of `chain_id`, label texts from `label`, its dimensions named
/// by `dims` (the chain's, in order).
fn entry_from_row(chain_id: i64, r: &block::Row<'_>, label: &dyn Fn(u32) -> Arc<str>, dims: &[Arc<str>]) -> Entry {
    Entry {
        row_id: block::entry_id(chain_id, r.seq),
        txn_id: r.txn_id.to_string(),
        ts: r.ts,
        kind: label(r.kind),
        description: label(r.description),
        amount: money::from_units(r.amount),
        balance_after: money::from_units(r.after),
        labels: entry_labels(&r.dims, label, dims),
    }
}

/// `(dimension key, value)` of each dimension an entry has a value in.
fn entry_labels(ids: &[u32], label: &dyn Fn(u32) -> Arc<str>, dims: &[Arc<str>]) -> Vec<(Arc<str>, Arc<str>)> {
    dims.iter().zip(ids).filter(|(_, &id)| id != 0).map(|(k, &id)| (k.clone(), label(id))).collect()
}

impl Store {
    /// A chain's entries in walk order (the whole chain: its labels are read in one pass).
    pub fn load_entries(&self, chain_id: i64) -> Result<Vec<Entry>, StoreError> {
        let table = self.label_table()?;
        let label = |id: u32| label_text(&table, id.into());
        let dims = self.dimension_keys(chain_id)?;
        let mut entries = Vec::new();
        rows::scan_chain(&self.conn, chain_id, 0, |_, r| {
            entries.push(entry_from_row(chain_id, &r, &label, &dims));
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(entries)
    }

    /// A chain's entries as numbers in walk order, with their transaction IDs packed in one
    /// buffer; label texts come from `label`, whole entries from `entries_at`.
    pub fn load_facts(&self, chain: &ChainInfo) -> Result<(Vec<Fact<i64>>, TxnIds), StoreError> {
        let mut facts: Vec<Fact<i64>> = Vec::with_capacity(chain.entries as usize);
        let mut txns = TxnIds::with_capacity(chain.entries as usize);
        rows::scan_chain_parts(&self.conn, chain.id, 0, |_, txn, r| {
            txns.push(txn);
            facts.push(Fact {
                row_id: block::entry_id(chain.id, r.seq),
                ts: r.ts,
                kind: r.kind,
                description: r.description,
                amount: r.amount,
                after: r.after,
                dims: r.dims,
            });
            Ok(ControlFlow::Continue(()))
        })?;
        Ok((facts, txns))
    }

    /// A chain's facts in walk order, at most `block` at a time (at least one): `each` gets
    /// the position of a run's first entry, its facts and, when `ids`, their transaction IDs
    /// (else nothing). Stored blocks are read here and decoded on another thread, a few ahead,
    /// so decoding overlaps what `each` does. Memory: a few blocks, whatever the chain's length.
    pub fn scan_facts(
        &self,
        chain: &ChainInfo,
        block: usize,
        ids: bool,
        mut each: impl FnMut(usize, &[Fact<i64>], &[&[u8]]),
    ) -> Result<(), StoreError> {
        let block = block.max(1);
        let chain_id = chain.id;
        self.scan_blocks(
            chain,
            |_, data| decode_facts(chain_id, data, ids),
            |start, d| {
                let id_list: Vec<&[u8]> = (0..d.txns.len()).map(|i| d.txns.get(i)).collect();
                for (k, facts) in d.facts.chunks(block).enumerate() {
                    let at = k * block;
                    each(start + at, facts, id_list.get(at..at + facts.len()).unwrap_or(&[]));
                }
            },
        )
    }

    /// As `scan_facts` with IDs, but each run of at most `block` facts is handed over to keep
    /// ([`HeldFacts`], which finds an entry of the run by ID), after `watch` has seen it on the
    /// decoding thread.
    pub fn scan_held(
        &self,
        chain: &ChainInfo,
        block: usize,
        mut watch: impl FnMut(&HeldFacts) + Send,
        mut each: impl FnMut(HeldFacts),
    ) -> Result<(), StoreError> {
        let block = block.max(1);
        let chain_id = chain.id;
        self.scan_blocks(
            chain,
            |id, data| {
                let d = decode_facts(chain_id, data, true)?;
                let start = block::split_entry_id(id).1 as usize * block::BLOCK;
                let runs = HeldFacts::runs(start, d, block);
                runs.iter().for_each(&mut watch);
                Ok(runs)
            },
            |_, runs| runs.into_iter().for_each(&mut each),
        )
    }

    /// A chain's stored blocks in order: read here, `decode`d on another thread (a few ahead),
    /// and `give`n here in order with the position of the block's first entry.
    fn scan_blocks<T: Send>(
        &self,
        chain: &ChainInfo,
        mut decode: impl FnMut(i64, &[u8]) -> Result<T, StoreError> + Send,
        mut give: impl FnMut(usize, T),
    ) -> Result<(), StoreError> {
        /// Blocks read ahead of the one given.
        const AHEAD: usize = 3;
        rows::check_shape(&self.conn, chain.id, rows::Awaiting::Refuse)?;
        let mut stmt =
            self.conn.prepare_cached("SELECT id, data FROM entry_block WHERE id >= ?1 AND id < ?2 ORDER BY id")?;
        let mut rows = stmt.query(rusqlite::params![block::block_id(chain.id, 0), block::block_id(chain.id + 1, 0)])?;
        std::thread::scope(|scope| {
            let (blobs, to_decode) = std::sync::mpsc::sync_channel::<(i64, Vec<u8>)>(AHEAD);
            let (done, decoded) = std::sync::mpsc::channel::<(i64, Result<T, StoreError>, Vec<u8>)>();
            scope.spawn(move || {
                for (id, data) in to_decode {
                    let d = decode(id, &data);
                    if done.send((id, d, data)).is_err() {
                        break;
                    }
                }
            });
            // A block's buffer comes back with its decoding, to be filled again: a fresh one
            // of ~200 KB each time is memory mapped, faulted in page by page and unmapped.
            let mut spare: Vec<Vec<u8>> = Vec::new();
            let mut take = |(id, d, data): (i64, Result<T, StoreError>, Vec<u8>)| -> Result<Vec<u8>, StoreError> {
                let d = d.map_err(|e| e.in_block(&self.conn, id))?;
                give(block::split_entry_id(id).1 as usize * block::BLOCK, d);
                Ok(data)
            };
            let mut waiting = 0;
            let gone = || StoreError::BadValue("the thread decoding blocks stopped".into());
            while let Some(r) = rows.next()? {
                if waiting == AHEAD {
                    spare.push(take(decoded.recv().map_err(|_| gone())?)?);
                    waiting -= 1;
                }
                let mut data = spare.pop().unwrap_or_default();
                data.clear();
                match r.get_ref(1)? {
                    rusqlite::types::ValueRef::Blob(blob) => data.extend_from_slice(blob),
                    // Refused as a blob is refused anywhere else.
                    _ => data = r.get(1)?,
                }
                blobs.send((r.get(0)?, data)).map_err(|_| gone())?;
                waiting += 1;
            }
            drop(blobs);
            for _ in 0..waiting {
                take(decoded.recv().map_err(|_| gone())?)?;
            }
            Ok(())
        })
    }

    /// The entries at these positions of a chain's walk order, in the order given; each block is
    /// decoded once.
    pub fn entries_at(&self, chain_id: i64, positions: &[u64]) -> Result<Vec<Entry>, StoreError> {
        // Texts are filled in after every block is read, with one query per few hundred labels
        // instead of one per entry (a finding's descriptions are often each one of a kind).
        let unnamed = |_: u32| -> Arc<str> { Arc::from("") };
        let mut ids: Vec<(usize, u32, u32, crate::model::Dims)> = Vec::with_capacity(positions.len());
        let dims = self.dimension_keys(chain_id)?;
        let mut by_block: std::collections::BTreeMap<u64, Vec<(u64, usize)>> = Default::default();
        for (k, &p) in positions.iter().enumerate() {
            by_block.entry(p / block::BLOCK as u64).or_default().push((p % block::BLOCK as u64, k));
        }
        let mut out: Vec<Option<Entry>> = vec![None; positions.len()];
        for (number, mut wanted) in by_block {
            wanted.sort_unstable();
            let data = self.block(block::block_id(chain_id, number))?;
            let mut w = wanted.iter().peekable();
            block::for_each_row(&data, |i, r| {
                while let Some(&&(at, k)) = w.peek() {
                    if at != i as u64 {
                        break;
                    }
                    out[k] = Some(entry_from_row(chain_id, &r, &unnamed, &dims));
                    ids.push((k, r.kind, r.description, r.dims));
                    w.next();
                }
                Ok(())
            })?;
        }
        let wanted: Vec<u32> =
            ids.iter().flat_map(|&(_, kind, description, d)| [kind, description].into_iter().chain(d)).collect();
        self.fetch_labels(&wanted)?;
        for (k, kind, description, d) in ids {
            if let Some(e) = out[k].as_mut() {
                e.kind = self.label(kind);
                e.description = self.label(description);
                e.labels = entry_labels(&d, &|id| self.label(id), &dims);
            }
        }
        positions
            .iter()
            .zip(out)
            .map(|(p, e)| e.ok_or_else(|| StoreError::NotFound(format!("entry at position {p} of chain {chain_id}"))))
            .collect()
    }

    /// One stored entry by id.
    pub fn entry_by_row(&self, row_id: i64) -> Result<Entry, StoreError> {
        let dims = self.dimension_keys(block::split_entry_id(row_id).0)?;
        self.with_row(row_id, |chain_id, r| entry_from_row(chain_id, r, &|id| self.label(id), &dims))
    }

    /// Transaction IDs of a chain seen with more than one content.
    pub fn conflicts(&self, chain_id: i64) -> Result<Vec<Conflict>, StoreError> {
        let dims = self.dimension_keys(chain_id)?;
        let label = |id: i64| self.label(u32::try_from(id).unwrap_or(0));
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.txn_id, c.ts, c.type_id, c.description_id, c.amount, c.balance_after, c.dim1_id,
                    c.dim2_id, c.dim3_id, c.dim4_id, s.path, c.source_line, c.content_hash
             FROM conflict c JOIN source_file s ON s.id = c.source_id
             WHERE c.chain_id = ?1 ORDER BY c.txn_id, c.id",
        )?;
        let others = stmt
            .query_map([chain_id], |r| {
                let mut ids = [0u32; MAX_DIMS];
                for (d, id) in ids.iter_mut().enumerate() {
                    *id = r.get::<_, Option<u32>>(7 + d)?.unwrap_or(0);
                }
                let other = Entry {
                    row_id: r.get(0)?,
                    txn_id: r.get(1)?,
                    ts: r.get(2)?,
                    kind: label(r.get(3)?),
                    description: label(r.get(4)?),
                    amount: money::from_units(r.get(5)?),
                    balance_after: money::from_units(r.get(6)?),
                    labels: entry_labels(&ids, &|id| self.label(id), &dims),
                };
                Ok((other, r.get::<_, String>(11)?, r.get::<_, i64>(12)? as u64, r.get::<_, i64>(13)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        if others.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: rustc_hash::FxHashSet<&str> = others.iter().map(|o| o.0.txn_id.as_str()).collect();
        let mut stored: HashMap<String, Entry> = HashMap::new();
        rows::scan_chain(&self.conn, chain_id, 0, |_, r| {
            if wanted.contains(r.txn_id) {
                stored.insert(r.txn_id.to_string(), entry_from_row(chain_id, &r, &|id| self.label(id), &dims));
            }
            Ok(if stored.len() == wanted.len() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
        })?;
        Ok(others
            .into_iter()
            .filter_map(|(other, other_source, other_line, other_hash)| {
                let stored = stored.get(&other.txn_id)?.clone();
                Some(Conflict { stored, other, other_source, other_line, other_hash })
            })
            .collect())
    }
}

/// One stored block's facts and, when asked, transaction IDs.
struct Decoded {
    facts: Vec<Fact<i64>>,
    txns: TxnIds,
}

/// A run of a chain's facts in walk order, held by a streamed check after it has passed them,
/// with their transaction IDs and a table that finds one by ID.
#[derive(Debug)]
pub struct HeldFacts {
    /// The position of the run's first entry.
    pub start: usize,
    pub facts: Vec<Fact<i64>>,
    txns: TxnIds,
    /// Open addressing by the ID's hash: its high 32 bits, then its index in the run + 1; 0 for
    /// an empty slot.
    slots: Vec<u64>,
}

impl HeldFacts {
    /// A decoded block cut into runs of at most `block` entries.
    fn runs(start: usize, d: Decoded, block: usize) -> Vec<HeldFacts> {
        if d.facts.len() <= block {
            return vec![HeldFacts::new(start, d.facts, d.txns)];
        }
        d.facts
            .chunks(block)
            .enumerate()
            .map(|(k, facts)| {
                let at = k * block;
                let mut txns = TxnIds::with_capacity(facts.len());
                (at..at + facts.len()).for_each(|i| txns.push(d.txns.get(i)));
                HeldFacts::new(start + at, facts.to_vec(), txns)
            })
            .collect()
    }

    fn new(start: usize, facts: Vec<Fact<i64>>, txns: TxnIds) -> HeldFacts {
        let mut slots = vec![0u64; (txns.len() * 2).next_power_of_two()];
        let mask = slots.len() - 1;
        for k in 0..txns.len() {
            let hash = HeldFacts::hash(txns.get(k));
            let mut at = hash as usize & mask;
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = (hash & !0xFFFF_FFFF) | (k as u64 + 1);
        }
        HeldFacts { start, facts, txns, slots }
    }

    /// The hash `find` takes of an ID.
    pub fn hash(id: &[u8]) -> u64 {
        xxhash_rust::xxh3::xxh3_64(id)
    }

    /// The index in this run of the entry with transaction ID `id`, whose `hash` is given.
    pub fn find(&self, id: &[u8], hash: u64) -> Option<usize> {
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return None;
            }
            let k = (slot & 0xFFFF_FFFF) as usize - 1;
            if slot >> 32 == hash >> 32 && self.txns.get(k) == id {
                return Some(k);
            }
            at = (at + 1) & mask;
        }
    }

    /// The transaction ID of the run's entry `k`.
    pub fn id(&self, k: usize) -> &[u8] {
        self.txns.get(k)
    }

    pub fn len(&self) -> usize {
        self.facts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }
}

/// Decodes a block of `chain_id` (checksum first) into its facts, with its IDs when `ids`.
fn decode_facts(chain_id: i64, data: &[u8], ids: bool) -> Result<Decoded, StoreError> {
    let mut d = block::Decoder::new(data)?;
    let mut out = Decoded { facts: Vec::with_capacity(block::BLOCK), txns: TxnIds::default() };
    while let Some((txn, r)) = d.next_parts()? {
        if ids {
            out.txns.push(txn);
        }
        out.facts.push(Fact {
            row_id: block::entry_id(chain_id, r.seq),
            ts: r.ts,
            kind: r.kind,
            description: r.description,
            amount: r.amount,
            after: r.after,
            dims: r.dims,
        });
    }
    Ok(out)
}
