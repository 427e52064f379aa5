//! An import, end to end: fingerprint the files, skip them if the chain has them already, else
//! read every one with its reader, then hand the parsed entries to the store in one write.
//! Also the one read that needs both layers: an entry with the raw text it was imported from.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{read_input, read_source, ImportError, Input, Progress, ProgressSink, Reader, Stage, STDIN};
use crate::model::{AnchorKind, ChainKey, ParsedFile};
use crate::store::{ImportSummary, KeptAnchor, KnownFile, LedgerRow, Store, StoreError};
use crate::trace;

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The chain entries go to when their source names none (Reverie exports carry no account).
    pub chain: ChainKey,
    /// Forces a reader instead of detecting one.
    pub format: Option<&'static Reader>,
    /// Recorded as the import time (the clock is a parameter).
    pub now: DateTime<Utc>,
    /// Stream one large file window by window in windows of this many bytes, however small
    /// the file (`import::stream`); `None`: files from 32 MiB on, in 2 MiB windows.
    /// `ImportOptions::new` takes it from `RECKON_WINDOW_BYTES` when set, so tests and
    /// benchmarks can make the streaming path run with many windows on a small file.
    pub window: Option<u64>,
}

impl ImportOptions {
    pub fn new(now: DateTime<Utc>) -> Self {
        let window = std::env::var("RECKON_WINDOW_BYTES").ok().and_then(|w| w.parse().ok()).filter(|&w: &u64| w > 0);
        ImportOptions {
            chain: ChainKey::new(ChainKey::DEFAULT_ACCOUNT, ChainKey::DEFAULT_CURRENCY),
            format: None,
            now,
            window,
        }
    }
}

/// Reads every file, then stores them in one transaction. Progress goes to `sink`, which
/// may cancel; a failure or cancellation leaves the database exactly as it was.
pub fn import(
    store: &mut Store,
    given: &[PathBuf],
    options: &ImportOptions,
    sink: &mut dyn ProgressSink,
) -> Result<ImportSummary, ImportError> {
    let mut t = std::time::Instant::now();
    // Standard input and pipes are read once, into temporary files: `paths` from here on are
    // where each input is read, `names` what it is called.
    let inputs = given.iter().map(|p| Input::open(p, options.format)).collect::<Result<Vec<_>, _>>()?;
    let paths: &[PathBuf] = &inputs.iter().map(|i| i.path.clone()).collect::<Vec<_>>();
    let names: Vec<PathBuf> = inputs.iter().map(|i| i.name.clone()).collect();
    // Recorded absolute, so a repair run from another folder finds the files; the summary and
    // messages keep each path as given.
    let stored: Vec<PathBuf> = given
        .iter()
        .zip(&names)
        .map(|(p, name)| if p == Path::new(STDIN) { name.clone() } else { absolute_path(p) })
        .collect();
    let as_given = |mut summary: ImportSummary| {
        for f in &mut summary.files {
            if let Some(i) = stored.iter().position(|s| *s == f.path) {
                f.path = names[i].clone();
            }
        }
        summary
    };
    let sizes = paths
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).map_err(|source| ImportError::Io { path: p.clone(), source }))
        .collect::<Result<Vec<u64>, _>>()?;
    // A file can only be a known one if the chain has a file of its size; otherwise its
    // fingerprint is worked out on another thread while it is parsed.
    let one_of_size = match &sizes[..] {
        [bytes] => store.has_file_of_size(*bytes)?,
        _ => false,
    };
    let mut prints = if one_of_size || store.has_files_of_sizes(&options.chain, &sizes)? {
        let prints = fingerprints(paths)?;
        if let Some(summary) = import_known(store, &names, &stored, &prints, options, sink)? {
            trace::phase("import: known files", t);
            return Ok(as_given(summary));
        }
        if let ([name], [path], [print]) = (&names[..], &stored[..], &prints[..]) {
            if let Some(summary) = import_known_ledgers(store, name, path, print, options, sink)? {
                trace::phase("import: known file of many ledgers", t);
                return Ok(as_given(summary));
            }
        }
        Prints::Ready(prints)
    } else {
        let paths = paths.to_vec();
        Prints::Pending(std::thread::spawn(move || fingerprints(&paths)))
    };
    t = trace::phase("import: fingerprint", t);
    if let [input] = &inputs[..] {
        if let Some(streamable) = super::stream::streamable(store, input, options)? {
            let mut print = || prints.wait().map(|p| p[0].clone());
            // One large file in time order, into a ledger with no entries or one it continues
            // (a grown export): stored window by window; or one large JSON export of many
            // ledgers: a few ledgers at a time.
            let mut streamed = super::stream::import(store, input, &streamable, &stored[0], options, sink, &mut print)?;
            if streamed.is_none() {
                streamed =
                    super::json_stream::import(store, input, &streamable, &stored[0], options, sink, &mut print)?;
            }
            if let Some(summary) = streamed {
                return Ok(as_given(summary));
            }
        }
    }
    let mut files = Vec::with_capacity(paths.len());
    for (index, input) in inputs.iter().enumerate() {
        let mut report = |done, total| {
            sink.progress(&Progress {
                file: &input.name,
                file_index: index,
                files: paths.len(),
                bytes_done: done,
                bytes_total: total,
                stage: Stage::Reading,
            })
        };
        let mut file = read_input(input, options.format, &mut report)?;
        file.path = stored[index].clone();
        files.push(file);
    }
    let last = names.last().map_or(Path::new(""), PathBuf::as_path);
    let total: u64 = files.iter().map(|f| f.bytes).sum();
    let stage = |stage| Progress {
        file: last,
        file_index: paths.len().saturating_sub(1),
        files: paths.len(),
        bytes_done: total,
        bytes_total: total,
        stage,
    };
    if sink.progress(&stage(Stage::Storing)).is_break() {
        return Err(ImportError::Cancelled);
    }
    trace::phase("import: read files", t);
    let prints = prints.get()?;
    store_parsed(store, files, &prints, options, &mut || sink.progress(&stage(Stage::Done))).map(as_given)
}

/// The absolute form of a path to record: symbolic links and `..` resolved where the file
/// exists, else joined to the working folder.
fn absolute_path(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).or_else(|_| std::path::absolute(path)).unwrap_or_else(|_| path.to_path_buf())
}

/// Stores entries already read (files, or pages of an API answer) in one transaction, each
/// with its fingerprint in `prints`; `before_commit` may still cancel. The same path for
/// every source, so a sync stores exactly what an import of the same answer would.
pub fn store_parsed(
    store: &mut Store,
    mut files: Vec<ParsedFile>,
    prints: &[String],
    options: &ImportOptions,
    before_commit: &mut dyn FnMut() -> ControlFlow<()>,
) -> Result<ImportSummary, ImportError> {
    name_accounts(&mut files, &options.chain);
    let t = std::time::Instant::now();
    let anchors = file_anchors(store, &mut files, &options.chain)?;
    let ingest = store.begin()?;
    let mut parts = Vec::new();
    for (key, group, group_prints) in by_chain(files, prints, &options.chain) {
        parts.push(ingest.store_files(&key, &group, &group_prints, options.now)?);
    }
    let mut summary = ImportSummary::merged(parts);
    let t = trace::phase("import: store (total)", t);
    if before_commit().is_break() {
        return Err(ImportError::Cancelled);
    }
    ingest.commit()?;
    trace::phase("import: commit", t);
    summary.anchors = keep_anchors(store, &anchors, options.now)?;
    Ok(summary)
}

/// The balances the files state (a saved Lago wallet), each dated: at its own time, else at
/// the newest entry its chain will hold once the files are stored. Taken out of the files
/// (a file split by chain would copy them). A balance with no time and no entry to date it by
/// is refused before anything is written.
fn file_anchors(
    store: &Store,
    files: &mut [ParsedFile],
    default: &ChainKey,
) -> Result<Vec<(ChainKey, i64, i64, String)>, ImportError> {
    let mut dated = Vec::new();
    for i in 0..files.len() {
        for anchor in std::mem::take(&mut files[i].anchors) {
            let ts = match anchor.ts {
                Some(ts) => ts,
                None => {
                    let incoming = files
                        .iter()
                        .flat_map(|f| {
                            f.entries.iter().filter(|e| {
                                f.chains.get(e.chain as usize).cloned().flatten().as_ref().unwrap_or(default)
                                    == &anchor.chain
                            })
                        })
                        .map(|e| e.ts)
                        .max();
                    let stored = match store.chain_id(&anchor.chain)? {
                        Some(id) => store.chain(id)?.last_ts,
                        None => None,
                    };
                    incoming.max(stored).ok_or_else(|| {
                        ImportError::malformed(
                            &files[i].path,
                            (1, 1),
                            &format!(
                                "the balance of {:?} states no time of its own, and its ledger has no entry to date it by",
                                anchor.chain.account
                            ),
                            "Import the ledger's transactions with it (or first), or add the balance with its time as an anchor.".into(),
                        )
                    })?
                }
            };
            dated.push((anchor.chain, ts, anchor.balance, anchor.note));
        }
    }
    Ok(dated)
}

/// Keeps each balance as a stated anchor of its chain, unless the chain has that anchor
/// already (the same file imported again). After the entries' transaction: a kill in between
/// leaves the entries without it, and importing the file again adds it.
fn keep_anchors(
    store: &mut Store,
    anchors: &[(ChainKey, i64, i64, String)],
    now: DateTime<Utc>,
) -> Result<Vec<KeptAnchor>, StoreError> {
    let mut kept = Vec::with_capacity(anchors.len());
    for (chain, ts, units, note) in anchors {
        let Some(id) = store.chain_id(chain)? else { continue };
        let balance = crate::money::from_units(*units);
        let known =
            store.anchors(id)?.iter().any(|a| a.ts == *ts && a.balance == balance && a.kind == AnchorKind::Stated);
        if !known {
            store.add_anchor(id, *ts, balance, AnchorKind::Stated, note, now.timestamp_micros())?;
        }
        kept.push(KeptAnchor { chain: chain.clone(), ts: *ts, balance, added: !known });
    }
    Ok(kept)
}

/// Names the account of chains a file could not name (an empty account: Stripe's credit
/// balance transactions do not say whose they are): the one account the import's other files
/// of the same source name (its credit grants, its balance summary), else the import's.
fn name_accounts(files: &mut [ParsedFile], default: &ChainKey) {
    let unnamed = |key: &Option<ChainKey>| key.as_ref().is_some_and(|k| k.account.is_empty());
    for i in 0..files.len() {
        if !files[i].chains.iter().any(unnamed) {
            continue;
        }
        let source = files[i].source;
        let mut named: Vec<&str> = files
            .iter()
            .filter(|f| f.source == source)
            .flat_map(|f| {
                f.chains
                    .iter()
                    .flatten()
                    .map(|k| k.account.as_str())
                    .chain(f.anchors.iter().map(|a| a.chain.account.as_str()))
            })
            .filter(|a| !a.is_empty())
            .collect();
        named.sort_unstable();
        named.dedup();
        let account = match named[..] {
            [one] => one.to_string(),
            _ => default.account.clone(),
        };
        for key in files[i].chains.iter_mut().flatten().filter(|k| k.account.is_empty()) {
            key.account.clone_from(&account);
        }
    }
}

/// The files' entries grouped by the chain they go to, each group with its files' prints.
/// A Reverie import is one group of whole files, moved, not copied.
fn by_chain(
    files: Vec<ParsedFile>,
    prints: &[String],
    default: &ChainKey,
) -> Vec<(ChainKey, Vec<ParsedFile>, Vec<String>)> {
    let mut groups: Vec<(ChainKey, Vec<ParsedFile>, Vec<String>)> = Vec::new();
    // Found by key, not by a scan: a customer base is 100,000 groups.
    let mut index: std::collections::HashMap<ChainKey, usize> = std::collections::HashMap::new();
    for (file, print) in files.into_iter().zip(prints) {
        for (key, part) in file.split_by_chain() {
            let key = key.unwrap_or_else(|| default.clone());
            match index.get(&key) {
                Some(&g) => {
                    groups[g].1.push(part);
                    groups[g].2.push(print.clone());
                }
                None => {
                    index.insert(key.clone(), groups.len());
                    groups.push((key, vec![part], vec![print.clone()]));
                }
            }
        }
    }
    groups
}

/// When every file was imported into this chain before (same bytes, same format), nothing
/// can be new: its entries all matched or conflicted with the first stored versions then,
/// and stored entries never change, so they still do. Records the import and returns the
/// counts without parsing; `None` sends the import down the full path.
fn import_known(
    store: &mut Store,
    paths: &[PathBuf],
    stored: &[PathBuf],
    prints: &[String],
    options: &ImportOptions,
    sink: &mut dyn ProgressSink,
) -> Result<Option<ImportSummary>, ImportError> {
    let Some(known) = store.known_files(&options.chain, prints)? else { return Ok(None) };
    if options.format.is_some_and(|f| known.iter().any(|k| k.format != f.name)) {
        return Ok(None);
    }
    let files =
        stored.iter().cloned().zip(prints.iter().cloned()).zip(known).map(|((p, print), k)| (p, print, k)).collect();
    record_known(store, paths, vec![(options.chain.clone(), files)], options, sink).map(Some)
}

/// A file imported before into a chain, unchanged: where it is recorded, its fingerprint and
/// what that import recorded.
type KnownIn = (PathBuf, String, KnownFile);

/// Records files that hold nothing new for the chains they went to (`import_known`,
/// `import_known_ledgers`): progress as for a read that found nothing to store, every chain
/// verified, then one write. The bytes reported are those of the first chain's files.
fn record_known(
    store: &mut Store,
    paths: &[PathBuf],
    chains: Vec<(ChainKey, Vec<KnownIn>)>,
    options: &ImportOptions,
    sink: &mut dyn ProgressSink,
) -> Result<ImportSummary, ImportError> {
    let total: u64 = chains.first().map_or(0, |(_, files)| files.iter().map(|(_, _, k)| k.bytes as u64).sum());
    for (index, path) in paths.iter().enumerate() {
        for stage in [Stage::Reading, Stage::Storing, Stage::Done] {
            let progress = Progress {
                file: path,
                file_index: index,
                files: paths.len(),
                bytes_done: total,
                bytes_total: total,
                stage,
            };
            if (stage == Stage::Reading || index + 1 == paths.len()) && sink.progress(&progress).is_break() {
                return Err(ImportError::Cancelled);
            }
        }
    }
    let t = std::time::Instant::now();
    // Recording a known file trusts that the chain holds its entries: a damaged chain is
    // named instead (its repair reads the files again), so a re-import never hides damage.
    for (key, _) in &chains {
        if let Some(chain_id) = store.chain_id(key)? {
            store.verify_checksums(chain_id)?;
        }
    }
    let t = trace::phase("import: known files verified", t);
    let ingest = store.begin()?;
    let mut parts = Vec::with_capacity(chains.len());
    for (key, files) in &chains {
        parts.push(ingest.record_known_files(key, files, options.now)?);
    }
    ingest.commit()?;
    trace::phase("import: known files recorded", t);
    // One chain's summary as it is: merging would fold a file given twice into one line.
    Ok(if parts.len() == 1 { parts.remove(0) } else { ImportSummary::merged(parts) })
}

/// The readers whose every entry names its ledger (account and currency): the same bytes
/// always go to the same ledgers, whatever the import's own ledger is.
const NAMES_ITS_LEDGERS: &[&str] = &["stripe-json", "orb-json"];

/// When one file whose entries name their ledgers (a customer base's pages) was imported
/// before, unchanged, nothing in it can be new for any of the ledgers it went to: records it
/// for each as `import_known` does for one, without parsing (a 3.6 GB customer base parsed
/// and matched again took 20 s). `None` sends the import down the full path.
fn import_known_ledgers(
    store: &mut Store,
    name: &Path,
    stored: &Path,
    print: &str,
    options: &ImportOptions,
    sink: &mut dyn ProgressSink,
) -> Result<Option<ImportSummary>, ImportError> {
    let chains = store.chains_of_file(print)?;
    let Some((_, first)) = chains.first() else { return Ok(None) };
    let same_format = |k: &KnownFile| k.format == first.format && options.format.is_none_or(|f| f.name == k.format);
    if !NAMES_ITS_LEDGERS.contains(&first.format.as_str()) || !chains.iter().all(|(_, k)| same_format(k)) {
        return Ok(None);
    }
    let chains = chains.into_iter().map(|(key, known)| (key, vec![(stored.to_path_buf(), print.to_string(), known)]));
    record_known(store, &[name.to_path_buf()], chains.collect(), options, sink).map(Some)
}

/// The files' fingerprints, worked out or on their way.
enum Prints {
    Ready(Vec<String>),
    Pending(std::thread::JoinHandle<Result<Vec<String>, ImportError>>),
}

impl Prints {
    /// The fingerprints, waiting for them if they are on their way.
    fn wait(&mut self) -> Result<&[String], ImportError> {
        if let Prints::Pending(_) = self {
            let Prints::Pending(handle) = std::mem::replace(self, Prints::Ready(Vec::new())) else { unreachable!() };
            *self = Prints::Ready(handle.join().expect("the fingerprint thread panicked")?);
        }
        match self {
            Prints::Ready(p) => Ok(p),
            Prints::Pending(_) => unreachable!("waited for above"),
        }
    }

    fn get(self) -> Result<Vec<String>, ImportError> {
        match self {
            Prints::Ready(p) => Ok(p),
            Prints::Pending(handle) => handle.join().expect("the fingerprint thread panicked"),
        }
    }
}

fn fingerprints(paths: &[PathBuf]) -> Result<Vec<String>, ImportError> {
    paths.iter().map(|p| fingerprint(p).map_err(|source| ImportError::Io { path: p.clone(), source })).collect()
}

/// The fingerprint `source_file.file_hash` records for bytes held in memory (an API page),
/// the same as a file of those bytes would get.
pub fn fingerprint_bytes(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

/// xxh3 of a file's bytes, read in large blocks.
pub(super) fn fingerprint(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buf)? {
            0 => break,
            n => hash.update(&buf[..n]),
        }
    }
    Ok(format!("{:016x}", hash.digest()))
}

/// An entry with the text it was imported from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryDetail {
    pub row: LedgerRow,
    /// The raw source text, when the file is still where it was imported from and unchanged.
    pub raw: Option<String>,
    /// Why `raw` is missing.
    pub raw_note: Option<String>,
}

/// One stored entry with its raw source text, read again through the reader that read it.
pub fn entry_detail(store: &Store, entry_id: i64) -> Result<EntryDetail, StoreError> {
    let row = store.entry_row(entry_id)?;
    let (raw, raw_note) = match read_source(Path::new(&row.source_path), &row.source_format, row.source_offset) {
        Some(text) if text.contains(row.txn_id.as_str()) => (Some(text), None),
        Some(_) => (
            None,
            Some(format!("{} has changed since it was imported; the stored fields are shown instead", row.source_path)),
        ),
        None => (None, Some(format!("{} is no longer readable; the stored fields are shown instead", row.source_path))),
    };
    Ok(EntryDetail { row, raw, raw_note })
}
