//! Repairing a damaged chain from the files its entries were imported from: the store says
//! which files it needs (`Store::repair_sources`), each is read again with the reader that
//! read it, if it is still where it was and unchanged (same xxh3), and the store rebuilds the
//! chain from its readable blocks and those files in one transaction. A file that is gone or
//! changed is named, with its fingerprint, and nothing changes.

use std::ops::ControlFlow;
use std::path::PathBuf;

use super::ingest::fingerprint;
use super::{read_file, reader, ImportError};
use crate::store::{RepairSummary, Store};

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

/// Repairs chain `chain_id` when verification finds damage.
pub fn repair_chain(store: &mut Store, chain_id: i64) -> Result<Repair, ImportError> {
    let health = store.verify_chain(chain_id)?;
    if health.is_ok() {
        return Ok(Repair::Healthy);
    }
    let sources = store.repair_sources(chain_id)?;
    let mut needed = Vec::new();
    for s in &sources {
        match fingerprint(&s.path) {
            Ok(print) if print == s.file_hash => {}
            Ok(_) => needed.push(NeededFile { path: s.path.clone(), file_hash: s.file_hash.clone(), changed: true }),
            Err(_) => needed.push(NeededFile { path: s.path.clone(), file_hash: s.file_hash.clone(), changed: false }),
        }
    }
    if !needed.is_empty() {
        return Ok(Repair::NeedsFiles(needed));
    }
    let key = &health.chain.key;
    let mut files = Vec::with_capacity(sources.len());
    for s in &sources {
        let file = read_file(&s.path, reader(&s.format), &mut |_, _| ControlFlow::Continue(()))?;
        // A file that spoke of several accounts gave this chain only its part; a file that
        // named none went wholly to the chain it was imported into.
        let parts = file.split_by_chain();
        let whole = parts.len() == 1 && parts[0].0.is_none();
        for (part_key, part) in parts {
            if whole || part_key.as_ref() == Some(key) {
                files.push((s.id, part));
            }
        }
    }
    Ok(Repair::Repaired(store.repair_chain(chain_id, &files)?))
}
