//! What a reader hands to the store: a file read and validated, its entries as numbers and
//! label ids, ready to be deduplicated and put in walk order. No I/O here.

use std::path::PathBuf;

use super::{ChainKey, Dimension, Dims, MAX_DIMS};

/// Small strings that repeat (types, descriptions, dimension values), stored once per file.
/// Ids start at 1: 0 means "no value" in an entry's [`Dims`].
///
/// The texts lie end to end in one string, and the table holds only ids: a new label costs
/// no allocation of its own (interning was a third of reading a Reverie export, most of it
/// two allocations per new label).
#[derive(Debug, Default, Clone)]
pub struct Labels {
    ids: hashbrown::HashTable<u32>,
    texts: String,
    /// Where label `id`'s text ends in `texts` (at `ends[id - 1]`; it starts where the one
    /// before ends).
    ends: Vec<usize>,
    /// The label each field (`intern_field`) was given last: 0 for none yet.
    last: [u32; FIELDS],
}

/// The fields `intern_field` remembers a label for: the type, the description and each
/// dimension.
pub const FIELDS: usize = 2 + MAX_DIMS;

/// The text of label `id` (1-based) among `texts` cut at `ends`.
fn label_text<'a>(texts: &'a str, ends: &[usize], id: u32) -> &'a str {
    let Some(i) = id.checked_sub(1).map(|i| i as usize) else { return "" };
    match ends.get(i) {
        Some(&end) => &texts[if i == 0 { 0 } else { ends[i - 1] }..end],
        None => "",
    }
}

fn hash(text: &str) -> u64 {
    std::hash::BuildHasher::hash_one(&rustc_hash::FxBuildHasher, text)
}

impl Labels {
    pub fn intern(&mut self, text: &str) -> u32 {
        let Labels { ids, texts, ends, .. } = self;
        let entry =
            ids.entry(hash(text), |&id| label_text(texts, ends, id) == text, |&id| hash(label_text(texts, ends, id)));
        match entry {
            hashbrown::hash_table::Entry::Occupied(found) => *found.get(),
            hashbrown::hash_table::Entry::Vacant(place) => {
                texts.push_str(text);
                ends.push(texts.len());
                let id = ends.len() as u32;
                place.insert(id);
                id
            }
        }
    }

    /// `intern` for field `field` (< [`FIELDS`]) of one entry after another: the field's last
    /// label is compared first. In an export a type, a character or a model often repeats
    /// from one row to the next (more than half the rows of a chat app's), and the comparison
    /// costs less than hashing the text.
    pub fn intern_field(&mut self, field: usize, text: &str) -> u32 {
        let last = self.last[field];
        if last != 0 && label_text(&self.texts, &self.ends, last) == text {
            return last;
        }
        let id = self.intern(text);
        self.last[field] = id;
        id
    }

    /// The id of `text`, if it is a label here.
    pub fn find(&self, text: &str) -> Option<u32> {
        let Labels { ids, texts, ends, .. } = self;
        ids.find(hash(text), |&id| label_text(texts, ends, id) == text).copied()
    }

    /// The text of label `id` (1-based); empty for 0 or an unknown id.
    pub fn text(&self, id: u32) -> &str {
        label_text(&self.texts, &self.ends, id)
    }

    /// `other`'s labels interned here: `other`'s id -> this table's (0 -> 0), the map
    /// [`ParsedEntry::relabel`] takes.
    pub fn absorb(&mut self, other: &Labels) -> Vec<u32> {
        (0..=other.len() as u32).map(|id| if id == 0 { 0 } else { self.intern(other.text(id)) }).collect()
    }

    /// Number of labels; ids run from 1 to this.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// One entry as read from a file, before it has a place in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEntry {
    pub txn_id: super::TxnId,
    /// Unix microseconds, UTC.
    pub ts: i64,
    pub kind: u32,
    pub description: u32,
    /// Micro-credits.
    pub amount: i64,
    pub balance_after: i64,
    /// Label ids of the file's declared dimensions, in their order; 0 where there is none.
    pub dims: Dims,
    /// Index into `ParsedFile::chains`: the chain this entry belongs to.
    pub chain: u32,
    pub line: u64,
    pub offset: u64,
    /// `content_hash` of the entry's fields, computed while reading (on the reader threads).
    pub hash: i64,
}

impl ParsedEntry {
    /// Its label ids (type, description, dimensions) replaced by `map[id]` (`map[0]` is 0).
    pub fn relabel(&mut self, map: &[u32]) {
        self.kind = map[self.kind as usize];
        self.description = map[self.description as usize];
        self.dims.iter_mut().for_each(|d| *d = map[*d as usize]);
    }
}

/// A whole file, read and validated.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    pub path: PathBuf,
    /// The reader's name (`reverie-csv`), recorded with the file.
    pub format: &'static str,
    /// The source the reader belongs to (`reverie`): a chain holds one source's entries.
    pub source: &'static str,
    /// The label dimensions beyond the type that this source's entries carry.
    pub dimensions: Vec<Dimension>,
    pub bytes: u64,
    pub labels: Labels,
    /// The chains entries go to; `None` is the chain the import was asked for.
    pub chains: Vec<Option<ChainKey>>,
    pub entries: Vec<ParsedEntry>,
    /// Balances the file states for its chains (a saved Lago wallet's `credits_balance`),
    /// kept as stated anchors when it is imported.
    pub anchors: Vec<FileAnchor>,
}

/// A balance a file states for a chain at a point in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAnchor {
    pub chain: ChainKey,
    /// Micro-credits.
    pub balance: i64,
    /// Unix microseconds; `None`: the time of the chain's newest entry once the import is
    /// stored (the file says no time of its own).
    pub ts: Option<i64>,
    /// Where the figure came from, for the anchor's note.
    pub note: String,
}

impl ParsedFile {
    /// Splits a file whose entries go to several chains into one file per chain, in the order
    /// of `chains`; a single-chain file comes back whole.
    pub fn split_by_chain(mut self) -> Vec<(Option<ChainKey>, ParsedFile)> {
        if self.chains.len() <= 1 {
            let key = self.chains.first().cloned().flatten();
            self.chains = vec![None];
            self.entries.iter_mut().for_each(|e| e.chain = 0);
            return vec![(key, self)];
        }
        let mut parts: Vec<Vec<ParsedEntry>> = vec![Vec::new(); self.chains.len()];
        for mut e in std::mem::take(&mut self.entries) {
            let c = e.chain as usize;
            e.chain = 0;
            parts[c].push(e);
        }
        let chains = std::mem::take(&mut self.chains);
        let labels = std::mem::take(&mut self.labels);
        // Each part gets only the labels its entries use: a copy of the whole file's table per
        // chain made a customer base (100,000 chains, a label per description) quadratic in
        // time and memory, and the store maps every label of a file it is handed.
        let mut own = OwnLabels::default();
        let mut parts_out = Vec::with_capacity(chains.len());
        for (key, mut entries) in chains.into_iter().zip(parts) {
            if entries.is_empty() {
                continue;
            }
            let part_labels = own.relabel(&mut entries, &labels);
            let part = ParsedFile {
                path: self.path.clone(),
                format: self.format,
                source: self.source,
                dimensions: self.dimensions.clone(),
                bytes: self.bytes,
                labels: part_labels,
                chains: vec![None],
                entries,
                anchors: self.anchors.clone(),
            };
            parts_out.push((key, part));
        }
        parts_out
    }
}

/// Gives a chain's entries a label table of their own, holding only the labels they use, in
/// the order of the table they come from (so labels reach the store in the order the file
/// gave them). Keeps its scratch between calls: the table's id -> the part's, all 0 between.
#[derive(Debug, Default)]
pub struct OwnLabels {
    local: Vec<u32>,
    used: Vec<u32>,
}

impl OwnLabels {
    /// `entries`' label ids, which are `labels`', renumbered into the table returned.
    pub fn relabel(&mut self, entries: &mut [ParsedEntry], labels: &Labels) -> Labels {
        let OwnLabels { local, used } = self;
        used.clear();
        if local.len() <= labels.len() {
            local.resize(labels.len() + 1, 0);
        }
        for e in entries.iter() {
            for id in [e.kind, e.description].into_iter().chain(e.dims) {
                if id != 0 && local[id as usize] == 0 {
                    local[id as usize] = u32::MAX;
                    used.push(id);
                }
            }
        }
        used.sort_unstable();
        let mut own = Labels::default();
        for &id in used.iter() {
            local[id as usize] = own.intern(labels.text(id));
        }
        // `local[0]` stays 0: "no value".
        entries.iter_mut().for_each(|e| e.relabel(local));
        for &id in used.iter() {
            local[id as usize] = 0;
        }
        own
    }

    /// The last `relabel`'s labels by the ids of the table it was given: the returned table's
    /// label `i` is `used()[i - 1]` there.
    pub fn used(&self) -> &[u32] {
        &self.used
    }
}

/// A hash of everything but the source position: the same transaction exported twice hashes
/// the same; a rewritten one does not. `dims` holds exactly the source's declared dimensions.
pub fn content_hash(
    ts: i64,
    kind: &str,
    description: &str,
    amount: i64,
    balance_after: i64,
    dims: &[Option<&str>],
) -> i64 {
    // The bytes earlier versions fed a streaming hasher part by part (stored hashes must not
    // change), gathered first and hashed in one call: faster for input this short.
    debug_assert!(dims.len() <= MAX_DIMS);
    let mut parts = [None; 2 + MAX_DIMS];
    parts[0] = Some(kind);
    parts[1] = Some(description);
    parts[2..2 + dims.len()].copy_from_slice(dims);
    let parts = &parts[..2 + dims.len()];
    let size = 24 + parts.iter().map(|p| p.map_or(1, |t| 9 + t.len())).sum::<usize>();
    let mut stack = [0u8; 256];
    let mut heap = Vec::new();
    let buf: &mut [u8] = if size <= stack.len() {
        &mut stack[..size]
    } else {
        heap.resize(size, 0);
        &mut heap
    };
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        buf[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    put(&ts.to_le_bytes());
    put(&amount.to_le_bytes());
    put(&balance_after.to_le_bytes());
    for part in parts {
        match part {
            Some(text) => {
                put(&[1]);
                put(&(text.len() as u64).to_le_bytes());
                put(text.as_bytes());
            }
            None => put(&[0]),
        }
    }
    xxhash_rust::xxh3::xxh3_64(buf) as i64
}

/// One entry as numbers, in walk order: what the walk and the rules read. Label ids point into
/// a table the caller keeps; transaction IDs and texts are fetched only for flagged entries.
#[derive(Debug, Clone, Copy)]
pub struct Fact<K> {
    /// The entry's stable id.
    pub row_id: i64,
    pub ts: i64,
    pub amount: K,
    pub after: K,
    pub kind: u32,
    pub description: u32,
    /// Label ids of the chain's dimensions; 0 where there is none.
    pub dims: Dims,
}

impl<K: Copy + std::ops::Sub<Output = K>> Fact<K> {
    pub fn before(&self) -> K {
        self.after - self.amount
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Interning field by field gives each text the id `intern` gives it, whether the text
    /// repeats the field's last one, another field's, or neither.
    #[test]
    fn interning_by_field_gives_the_ids_interning_gives() {
        let rows = [
            ["CHAT", "reply", "Luna"],
            ["CHAT", "reply, 12 tokens", "Luna"],
            ["IMAGE", "CHAT", "Luna"],
            ["CHAT", "Luna", "Nova"],
            ["CHAT", "", "Nova"],
            ["Luna", "", "CHAT"],
        ];
        let (mut by_field, mut plain) = (Labels::default(), Labels::default());
        for row in rows {
            for (field, text) in row.into_iter().enumerate() {
                let id = by_field.intern_field(field, text);
                assert_eq!(id, plain.intern(text), "{text:?} in field {field}");
                assert_eq!(by_field.text(id), text);
            }
        }
        assert_eq!(by_field.len(), plain.len());
        assert_eq!(by_field.find("reply, 12 tokens"), plain.find("reply, 12 tokens"));
    }

    /// Stored databases hold hashes made part by part with a streaming hasher; the one-call
    /// hash must give the same value, or every re-import would look like a conflict.
    #[test]
    fn content_hash_equals_the_streaming_hash_stored_by_earlier_versions() {
        fn streaming(ts: i64, texts: [Option<&str>; 4], amount: i64, balance: i64) -> i64 {
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            h.update(&ts.to_le_bytes());
            h.update(&amount.to_le_bytes());
            h.update(&balance.to_le_bytes());
            for part in texts {
                match part {
                    Some(text) => {
                        h.update(&[1]);
                        h.update(&(text.len() as u64).to_le_bytes());
                        h.update(text.as_bytes());
                    }
                    None => h.update(&[0]),
                }
            }
            h.digest() as i64
        }
        let long = "a description far longer than the stack buffer, ".repeat(8);
        let cases: [[Option<&str>; 4]; 4] = [
            [Some("CHAT"), Some("Chat reply"), Some("Mira"), Some("gpt-4o")],
            [Some("PURCHASE"), Some(""), None, None],
            [Some("IMAGE"), Some(&long), Some("Mira"), None],
            [Some("REFUND"), Some("Refund für Bild · ✓"), None, Some("m")],
        ];
        for texts in cases {
            let [kind, description, character, model] = texts;
            let one = content_hash(
                1_772_352_000_000_000,
                kind.unwrap(),
                description.unwrap(),
                -350_000,
                12_345_670_000,
                &[character, model],
            );
            assert_eq!(one, streaming(1_772_352_000_000_000, texts, -350_000, 12_345_670_000), "{texts:?}");
        }
        // And one value pinned (the old streaming code gave it), so changing both at once is caught.
        assert_eq!(content_hash(0, "CHAT", "x", 1, 2, &[None, None]), -5_658_081_438_122_745_318);
    }
}
