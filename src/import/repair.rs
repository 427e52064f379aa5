//! Repairing a damaged chain from the files its entries were imported from: the store says
//! which files it needs (`Store::repair_sources`), each is read again with the reader that
//! read it, if it is still where it was and unchanged (same xxh3), and the store rebuilds the
//! chain from its readable blocks and those files in one transaction. A file that is gone or
//! changed is named, with its fingerprint, and nothing changes. A chain whose lost entries
//! came from a vendor's API (pages no file holds) keeps what can be read, and waits for a
//! sync to fetch its whole ledger again. The label table is restored the same way, from every
//! file a stored entry came from (`Repair::labels`).

use std::ops::ControlFlow;
use std::path::PathBuf;

use super::ingest::fingerprint;
use super::{read_file, reader, ImportError};
use crate::model::ParsedFile;
use crate::store::{LastSync, RepairSummary, Store, StoredSource};

/// What a repair did or needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// Every block verified: nothing to do.
    Healthy,
    /// The chain was rebuilt.
    Repaired(RepairSummary),
    /// These files must be brought back (to their paths, with these fingerprints) first;
    /// nothing was changed.
    NeedsFiles(Vec<NeededFile>),
    /// The chain was synced: what could be read is kept, the entries only its API can give
    /// again were dropped, and the chain waits for a sync from `from` (its last), which
    /// fetches its whole ledger. Reads of it are refused until then.
    NeedsSync { summary: RepairSummary, from: Option<LastSync> },
}

/// A file a repair needs that is not there as it was imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeededFile {
    pub path: PathBuf,
    /// xxh3 of the file as imported (`source_file.file_hash`).
    pub file_hash: String,
    /// Whether a file is at the path with other content (else there is none).
    pub changed: bool,
}

/// Whether a recorded source is a page of an API answer (a sync stores the page's URL as its
/// path), which no file on disk holds.
fn is_page(source: &StoredSource) -> bool {
    let path = source.path.to_string_lossy();
    path.starts_with("https://") || path.starts_with("http://")
}

/// The recorded files that are gone or changed.
fn missing(sources: &[&StoredSource]) -> Vec<NeededFile> {
    let mut needed = Vec::new();
    for s in sources {
        let changed = match fingerprint(&s.path) {
            Ok(print) if print == s.file_hash => continue,
            Ok(_) => true,
            Err(_) => false,
        };
        needed.push(NeededFile { path: s.path.clone(), file_hash: s.file_hash.clone(), changed });
    }
    needed
}

/// Repairs chain `chain_id` when verification finds damage.
pub fn repair_chain(store: &mut Store, chain_id: i64) -> Result<Repair, ImportError> {
    let health = store.verify_chain(chain_id)?;
    if health.is_ok() {
        return Ok(Repair::Healthy);
    }
    let last_sync = health.chain.last_sync.clone();
    if health.damaged.is_empty() && health.problems.is_empty() && health.awaiting_sync {
        // Dropped before: only the sync is missing.
        return Ok(Repair::NeedsSync {
            summary: RepairSummary { kept: health.entries, recovered: 0, dropped: 0 },
            from: last_sync,
        });
    }
    let sources = store.repair_sources(chain_id)?;
    let (pages, files): (Vec<&StoredSource>, Vec<&StoredSource>) = sources.iter().partition(|s| is_page(s));
    let needed = missing(&files);
    if !needed.is_empty() {
        return Ok(Repair::NeedsFiles(needed));
    }
    let key = &health.chain.key;
    let mut parts = Vec::with_capacity(files.len());
    for s in &files {
        let file = read_file(&s.path, reader(&s.format), &mut |_, _| ControlFlow::Continue(()))?;
        // A file that spoke of several accounts gave this chain only its part; a file that
        // named none went wholly to the chain it was imported into; a part of a currency whose
        // account the file left unnamed (a grant ledger's, Stripe's credit transactions) went
        // to the account the import named, this chain's.
        let split = file.split_by_chain();
        let whole = split.len() == 1 && split[0].0.is_none();
        for (part_key, part) in split {
            let here =
                part_key.as_ref().is_some_and(|k| k == key || (k.account.is_empty() && k.currency == key.currency));
            if whole || here {
                parts.push((s.id, part));
            }
        }
    }
    if pages.is_empty() {
        return Ok(Repair::Repaired(store.repair_chain(chain_id, &parts)?));
    }
    let summary = store.drop_damaged_blocks(chain_id, &parts)?;
    if summary.dropped == 0 {
        return Ok(Repair::Repaired(summary));
    }
    Ok(Repair::NeedsSync { summary, from: last_sync })
}

impl Repair {
    /// Restores the label table when it fails its checksum, from every file a stored entry
    /// came from (the checksum says the table is wrong, not where): each is read again whole
    /// if it is still there unchanged, else named and nothing changes. Labels of entries that
    /// came from a sync's pages are restored by no file: those pages are named too.
    pub fn labels(store: &mut Store) -> Result<Repair, ImportError> {
        if store.verify_labels()?.is_none() {
            return Ok(Repair::Healthy);
        }
        let sources = store.label_sources()?;
        let all: Vec<&StoredSource> = sources.iter().collect();
        let needed = missing(&all);
        if !needed.is_empty() {
            return Ok(Repair::NeedsFiles(needed));
        }
        let mut files: Vec<(i64, ParsedFile)> = Vec::with_capacity(sources.len());
        for s in &sources {
            files.push((s.id, read_file(&s.path, reader(&s.format), &mut |_, _| ControlFlow::Continue(()))?));
        }
        Ok(Repair::Repaired(store.repair_labels(&files)?))
    }
}
