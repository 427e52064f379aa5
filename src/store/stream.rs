//! Storing a large file window by window, when it can be: a first import of one file into a
//! chain with no entries, whose entries arrive in time order (the reader hands them oldest
//! first, window by window). Memory holds one window, one block, the current second's ties and
//! up to 4M transaction ID hashes (32 MiB; more are sorted into temporary files, `id_hashes`),
//! whatever the file's length.
//!
//! Anything the streaming path cannot do exactly as `Ingest::store_files` would (an entry out
//! of time order, a transaction ID seen twice, a chain that has entries) is answered
//! `Streamed::WholeFile` before the caller commits: it drops the write and stores the file
//! the whole-file way, so the database never differs by path.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::block::Row;
use super::id_hashes::{self, IdHashes};
use super::ingest::{FileSummary, ImportSummary, Ingest};
use super::labels::{label_id, load_label_ids};
use super::rows::BlockWriter;
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
        let mut writer = BlockWriter::new(tx, chain_id, file.dimensions.len());
        let mut order: InOrder<Pending, i64> = InOrder::default();
        let mut hashes = IdHashes::new(id_hashes::held());
        let (mut last_ts, mut seq) = (i64::MIN, 0u64);
        // Entries whose place in walk order is settled, on their way to a block.
        let mut ready: Vec<Pending> = Vec::new();
        let mut write = |ready: &mut Vec<Pending>, writer: &mut BlockWriter<'_>| -> Result<(), StoreError> {
            for p in ready.drain(..) {
                let e = &p.entry;
                writer.push(&Row {
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
                })?;
                seq += 1;
            }
            Ok(())
        };
        while let Some(window) = next() {
            if window.chains.iter().any(Option::is_some) || window.dimensions != file.dimensions {
                return Ok(Streamed::WholeFile("a window names its own ledgers"));
            }
            let mut map = Vec::with_capacity(window.labels.len() + 1);
            map.push(0);
            for id in 1..=window.labels.len() as u32 {
                map.push(label_id(tx, &mut label_ids, window.labels.text(id))?);
            }
            for mut entry in window.entries {
                if entry.ts < last_ts {
                    return Ok(Streamed::WholeFile("an entry is out of time order"));
                }
                last_ts = entry.ts;
                hashes
                    .push(xxhash_rust::xxh3::xxh3_64(entry.txn_id.as_bytes()))
                    .map_err(|source| StoreError::TempFile { source })?;
                entry.kind = map[entry.kind as usize];
                entry.description = map[entry.description as usize];
                entry.dims = entry.dims.map(|d| map[d as usize]);
                order.push(Pending { entry }, &mut |p| ready.push(p));
                if ready.len() >= 1024 {
                    write(&mut ready, &mut writer)?;
                }
            }
        }
        order.finish(&mut |p| ready.push(p));
        write(&mut ready, &mut writer)?;
        let t = trace::phase("import: stream windows", t);
        // A transaction ID twice (or two sharing a hash): the whole-file path tells known
        // from conflicting versions.
        if hashes.repeats().map_err(|source| StoreError::TempFile { source })? {
            return Ok(Streamed::WholeFile("a transaction ID hash repeats"));
        }
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
}
