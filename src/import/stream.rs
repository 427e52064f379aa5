//! A large CSV export stored window by window, so that memory does not grow with the file: the
//! file is cut at record boundaries into windows (`csv::Windows`), two threads read them, and
//! the store takes them oldest first (`Ingest::store_stream`). An export newest first (the
//! usual case) is taken from its last window back, each window reversed.
//!
//! Only what can be done exactly is streamed: one file of a format in `windowed`, entries
//! in time order (either way), into a ledger with no entries, or into one whose entries the
//! file holds again unchanged with its new entries after them (a grown export imported
//! again); a grant ledger's entries into a new ledger per currency, each currency's entries
//! in time order. Anything else (a bad row, entries out of order, a transaction ID twice, a
//! new entry among the stored ones, a stored one changed, a currency whose ledger has
//! entries) drops the streamed write and reads the file whole, so errors and results are those
//! of the whole-file import; the cost is the time spent before the streaming path gave up.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};

use super::csv::{Layout, Windows};
use super::{
    detect, encoding, read_up_to, Encoding, ImportError, ImportOptions, Input, Progress, ProgressSink, Reader, Stage,
};
use crate::model::ParsedFile;
use crate::store::{ImportSummary, Split, Store, Streamed, StreamedFile};
use crate::trace;

/// Files at least this long (sixteen windows) are streamed when they can be; smaller ones are
/// read whole. Streaming is as fast from 100,000 Reverie rows (12 MB) on and faster beyond, in
/// less memory: 300,000 rows 0.27 s at 54 MiB against 0.31 s at 91 MiB, 1M rows 0.78 s at
/// 141 MiB against 1.01 s at 242 MiB (release build; it was 256 MiB before).
pub const STREAM_MIN_BYTES: u64 = 32 << 20;
/// The size of a window: about 17,000 Reverie rows. Smaller windows keep what is being read,
/// cut and inserted within the caches and shorten the end, where the readers are done and the
/// cutter takes the last windows alone: 1M rows 424 -> 414 ms, CPU 689 -> 662 ms with 2 MiB
/// against 8 MiB (medians of 15 alternated), 10M the same time at 148 against 240 MiB.
pub const WINDOW_BYTES: u64 = 2 << 20;

/// The CSV formats whose files are streamed (no revisions of stored rows), each with the
/// dimension whose value names an entry's ledger where the file holds several (the grant
/// ledger's currency); `None`: one ledger per file.
fn windowed(reader: &str) -> Option<(&'static dyn Layout, Option<usize>)> {
    match reader {
        "reverie-csv" => Some((&super::reverie_csv::FORMAT, None)),
        "usage-feed-csv" => Some((&super::usage_feed::FORMAT, None)),
        "grant-ledger-csv" => Some((&super::grant_ledger::FORMAT, Some(super::grant_ledger::DIM_CURRENCY))),
        _ => None,
    }
}

/// A single input the streaming paths may take: long enough (or `ImportOptions::window`
/// asks for windows), UTF-8, and of a known reader; each path then says whether it takes
/// that reader.
pub(super) struct Streamable {
    pub bytes: u64,
    /// The window size.
    pub every: u64,
    pub reader: &'static Reader,
}

/// Whether `input` may be streamed (`None`: read it whole), worked out once for both paths:
/// its size, its first bytes' encoding and reader.
pub(super) fn streamable(
    store: &Store,
    input: &Input,
    options: &ImportOptions,
) -> Result<Option<Streamable>, ImportError> {
    let path = &input.path;
    let io = |source| ImportError::Io { path: path.to_path_buf(), source };
    let bytes = std::fs::metadata(path).map_err(io)?.len();
    let every = match options.window {
        Some(every) => every,
        None if bytes >= STREAM_MIN_BYTES || continues_long_ledger(store, options)? => WINDOW_BYTES,
        None => return Ok(None),
    };
    let mut head = [0u8; 4096];
    let n = read_up_to(&mut std::fs::File::open(path).map_err(io)?, &mut head).map_err(io)?;
    if !matches!(encoding(path, &head[..n]), Ok(Encoding::Utf8)) {
        return Ok(None);
    }
    let reader = match options.format {
        Some(r) => r,
        None => match detect(path, &head[..n]) {
            Ok(r) => r,
            Err(_) => return Ok(None),
        },
    };
    Ok(Some(Streamable { bytes, every, reader }))
}

/// Whether the import's ledger holds at least `CONTINUE_FROM` entries: a file of any size
/// that continues it is streamed onto it (`Ingest::store_stream`'s `Continued`), its stored
/// blocks passing by a few at a time, where the whole-file read would load every stored entry
/// to add a few (1,000 new onto 10M: 11 s at 1.9 GB).
fn continues_long_ledger(store: &Store, options: &ImportOptions) -> Result<bool, ImportError> {
    let Some(id) = store.chain_id(&options.chain)? else { return Ok(false) };
    let from = std::env::var(CONTINUE_VAR).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(CONTINUE_FROM);
    Ok(store.chain(id)?.entries >= from)
}

/// A ledger of at least this many entries is continued by a streamed import, whatever the
/// file's size: from here on it is as fast or faster (1,000 new entries onto 100,000: 0.03 s
/// against 0.04-0.05 s; onto 1M: 0.15 s at 86 MiB against 0.27 s at 212 MiB; release build).
pub const CONTINUE_FROM: u64 = 100_000;

/// `RECKON_CONTINUE_FROM=N`: continue ledgers of N entries or more that way (tests, on small
/// ledgers).
pub const CONTINUE_VAR: &str = "RECKON_CONTINUE_FROM";

/// Stores `input` (recorded as `recorded`) window by window when it can; `None` when the file
/// is to be read whole (nothing was written). `print` gives the file's fingerprint.
pub(super) fn import(
    store: &mut Store,
    input: &Input,
    streamable: &Streamable,
    recorded: &Path,
    options: &ImportOptions,
    sink: &mut dyn ProgressSink,
    print: &mut dyn FnMut() -> Result<String, ImportError>,
) -> Result<Option<ImportSummary>, ImportError> {
    let &Streamable { bytes, every, reader } = streamable;
    let Some((layout, split_by)) = windowed(reader.name) else { return Ok(None) };
    let csv = WindowedCsv { path: &input.path, name: &input.name, bytes, every, layout, split_by };
    import_csv(store, &csv, recorded, options, sink, print)
}

/// A CSV file to store window by window: where to read it, what messages call it, its size,
/// the window size, its layout (a detected format's or a mapping profile's) and the
/// dimension that names each entry's ledger, if its entries name one.
pub(super) struct WindowedCsv<'a> {
    pub path: &'a Path,
    pub name: &'a Path,
    pub bytes: u64,
    pub every: u64,
    pub layout: &'a dyn Layout,
    pub split_by: Option<usize>,
}

/// `import` of a CSV file of any layout.
pub(super) fn import_csv(
    store: &mut Store,
    csv: &WindowedCsv<'_>,
    recorded: &Path,
    options: &ImportOptions,
    sink: &mut dyn ProgressSink,
    print: &mut dyn FnMut() -> Result<String, ImportError>,
) -> Result<Option<ImportSummary>, ImportError> {
    let &WindowedCsv { path, name, bytes, every, layout: format, split_by } = csv;
    let reader = format.reader();
    let t = std::time::Instant::now();
    let windows = match Windows::new(path, bytes, format, every) {
        Ok(Some(w)) => w,
        Ok(None) | Err(_) => return Ok(None),
    };
    let t = trace::phase("import: find windows", t);
    let (done, cancel) = (AtomicU64::new(0), AtomicBool::new(false));
    let count = windows.len();
    // The first and the last window say which way the file runs.
    let (first, last) = match read_ends(&windows, &done, &cancel) {
        Ok(ends) => ends,
        Err(ImportError::Cancelled) => return Err(ImportError::Cancelled),
        Err(_) => return Ok(None),
    };
    let newest_first = match (first.entries.first(), last.as_ref().unwrap_or(&first).entries.last()) {
        (Some(a), Some(b)) => a.ts > b.ts,
        _ => false,
    };
    // A file of several ledgers names no account: its ledgers are the import's account's
    // (`ingest::name_accounts`, for one file).
    let split = split_by.map(|dim| Split { dim, account: options.chain.account.clone(), newest_first });
    let file = StreamedFile {
        path: recorded.to_path_buf(),
        format: reader.name,
        source: reader.source.name,
        dimensions: format.dimensions(),
        bytes,
        split,
    };
    // Window numbers in the order the store takes them.
    let at = |p: usize| if newest_first { count - 1 - p } else { p };
    let mut ends = [Some(first), last];
    let mut held = |i: usize| -> Option<ParsedFile> {
        match i {
            0 => ends[0].take(),
            i if i + 1 == count => ends[1].take(),
            _ => None,
        }
    };
    let is_end = |i: usize| i == 0 || i + 1 == count;
    // Each window reversed by the thread that read it, off the store's.
    let oldest_first = |mut window: ParsedFile| {
        if newest_first {
            window.entries.reverse();
        }
        window
    };
    let mut failure: Option<Stop> = None;
    let mut entries = 0usize;
    let outcome = std::thread::scope(|scope| {
        // Two readers, each with every other window not held already, in the store's order;
        // each stays at most one window ahead.
        let receivers: Vec<Receiver<Result<ParsedFile, ImportError>>> = (0..2)
            .map(|k| {
                let (send, receive) = sync_channel(1);
                let (windows, done, cancel) = (&windows, &done, &cancel);
                scope.spawn(move || {
                    for p in (k..count).step_by(2).filter(|&p| !is_end(at(p))) {
                        let read = windows.read(at(p), done, cancel).map(oldest_first);
                        let stop = read.is_err();
                        if send.send(read).is_err() || stop {
                            return;
                        }
                    }
                });
                receive
            })
            .collect();
        let mut p = 0;
        let mut next = || -> Option<ParsedFile> {
            if p == count || failure.is_some() {
                return None;
            }
            let i = at(p);
            let read = match held(i) {
                Some(w) => Ok(oldest_first(w)),
                None => receivers[p % 2].recv().unwrap_or(Err(ImportError::Cancelled)),
            };
            p += 1;
            let window = match read {
                Ok(w) => w,
                Err(ImportError::Cancelled) => {
                    failure = Some(Stop::Cancelled);
                    return None;
                }
                Err(_) => {
                    failure = Some(Stop::ReadWhole);
                    return None;
                }
            };
            entries += window.entries.len();
            if entries > super::MAX_ENTRIES {
                failure = Some(Stop::ReadWhole);
                return None;
            }
            let progress = Progress {
                file: name,
                file_index: 0,
                files: 1,
                bytes_done: done.load(Ordering::Relaxed).min(bytes),
                bytes_total: bytes,
                stage: Stage::Reading,
            };
            if sink.progress(&progress).is_break() {
                failure = Some(Stop::Cancelled);
                return None;
            }
            Some(window)
        };
        let outcome = match store.begin_large() {
            Err(e) => Err(e),
            Ok(ingest) => match ingest.store_stream(&options.chain, &file, options.now, &mut next) {
                Err(e) => Err(e),
                Ok(Streamed::Stored { summary, file_ids }) => Ok(Some((ingest, summary, file_ids))),
                Ok(Streamed::WholeFile(why)) => {
                    trace::phase(&format!("import: streaming gave up ({why})"), t);
                    Ok(None)
                }
            },
        };
        // Readers still at work stop at their next check, or when they find no one listening.
        cancel.store(true, Ordering::Relaxed);
        drop(receivers);
        outcome
    });
    let stored: Option<(crate::store::Ingest<'_>, ImportSummary, Vec<i64>)> = match outcome {
        Ok(stored) => stored,
        Err(e) => return Err(ImportError::Store(e)),
    };
    match failure {
        Some(Stop::Cancelled) => return Err(ImportError::Cancelled),
        // A bad row, or too many: the whole-file read says where, exactly as it always has.
        Some(Stop::ReadWhole) => return Ok(None),
        None => {}
    }
    let Some((ingest, summary, file_ids)) = stored else { return Ok(None) };
    let t = trace::phase("import: store windows", t);
    let print = print()?;
    for file_id in file_ids {
        ingest.record_fingerprint(file_id, &print)?;
    }
    let done =
        Progress { file: name, file_index: 0, files: 1, bytes_done: bytes, bytes_total: bytes, stage: Stage::Done };
    if sink.progress(&done).is_break() {
        return Err(ImportError::Cancelled);
    }
    ingest.commit()?;
    trace::phase("import: commit", t);
    Ok(Some(summary))
}

/// Why the windows stopped coming before the last.
enum Stop {
    Cancelled,
    /// A window could not be read (a bad row), or there are too many entries: the whole-file
    /// read reports it.
    ReadWhole,
}

/// The first window and, when there are several, the last.
fn read_ends(
    windows: &Windows<'_>,
    done: &AtomicU64,
    cancel: &AtomicBool,
) -> Result<(ParsedFile, Option<ParsedFile>), ImportError> {
    let count = windows.len();
    if count == 1 {
        return Ok((windows.read(0, done, cancel)?, None));
    }
    std::thread::scope(|scope| {
        let last = scope.spawn(|| windows.read(count - 1, done, cancel));
        let first = windows.read(0, done, cancel);
        let last = last.join().expect("a window reader panicked");
        Ok((first?, Some(last?)))
    })
}
