//! A large JSON export stored as it is read, so that neither the file nor its entries are
//! held whole: the top-level array (or, for Reverie's saved answer, the `data` array of
//! `{"data": [...], "next_cursor": null}`) is cut between its elements into windows (`cut`),
//! and two threads parse them with the reader's own `parse`. A vendor's whole customer base
//! (an array of API pages, one or more per customer) is stored a ledger at a time, as soon as
//! the file has moved past it, through the same `Ingest::store_files` the whole-file import
//! calls per ledger; a file of one ledger whose entries name none (Reverie's) is stored as a
//! CSV export is, window by window (`Ingest::store_stream`), its entries in time order.
//!
//! The result is the whole-file import's: ledgers stored in the order the file first names
//! them, each with all its entries in file order, labels in the file's order, positions
//! (line, byte offset) those of the file. The account of a window's last entry (all its
//! ledgers: currencies, Orb's pending ones) is carried over to the next window, as it may go on
//! there. Anything that would make the result differ (a ledger named again
//! after another one came between, a balance the file states, an account it leaves unnamed,
//! Reverie's entries out of time order, members after `data` that are not simple values)
//! or any error drops the streamed write and reads the file whole, so errors and results are
//! the whole-file import's; the cost is the time spent before the streaming path gave up.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use rustc_hash::{FxHashMap, FxHashSet};

use super::stream::Streamable;
use super::{ImportError, ImportOptions, Input, Progress, ProgressSink, Stage};
use crate::model::{ChainKey, Labels, OwnLabels, ParsedEntry, ParsedFile};
use crate::store::{ImportSummary, Ingest, Store};
use crate::trace;

/// The JSON readers whose large files are streamed: arrays of pages or of entries, whose
/// entries name their ledger (or all go to the import's), with no balance of the file's own.
const STREAMED: &[&str] = &["stripe-json", "orb-json", "reverie-json"];

/// The streamed JSON readers whose entries never name a ledger: the file is one ledger.
const ONE_LEDGER: &[&str] = &["reverie-json"];

/// Bytes read from the file at a time.
const READ_BYTES: usize = 4 << 20;

/// Stores `input` (recorded as `recorded`) a few ledgers at a time when it can; `None` when
/// the file is to be read whole (nothing was written). `print` gives the file's fingerprint.
pub(super) fn import(
    store: &mut Store,
    input: &Input,
    streamable: &Streamable,
    recorded: &Path,
    options: &ImportOptions,
    sink: &mut dyn ProgressSink,
    print: &mut dyn FnMut() -> Result<String, ImportError>,
) -> Result<Option<ImportSummary>, ImportError> {
    let path = &input.path;
    let &Streamable { bytes, every, reader } = streamable;
    let Some(parse) = reader.parse.filter(|_| STREAMED.contains(&reader.name)) else { return Ok(None) };
    let t = std::time::Instant::now();
    let cancel = AtomicBool::new(false);
    let template = ParsedFile {
        path: recorded.to_path_buf(),
        format: reader.name,
        source: reader.source.name,
        dimensions: reader.source.dimensions(),
        bytes,
        labels: Labels::default(),
        chains: vec![None],
        entries: Vec::new(),
        anchors: Vec::new(),
    };
    let outcome = std::thread::scope(|scope| {
        let (to_parsers, from_cutter): (Vec<_>, Vec<_>) = (0..2).map(|_| sync_channel::<Cut>(1)).unzip();
        let cancel = &cancel;
        let in_data = ONE_LEDGER.contains(&reader.name);
        scope.spawn(move || cut(path, every as usize, in_data, to_parsers, cancel));
        let parsed: Vec<Receiver<Parsed>> = from_cutter
            .into_iter()
            .map(|windows| {
                let (send, receive) = sync_channel(1);
                scope.spawn(move || parse_windows(windows, send, parse, path));
                receive
            })
            .collect();
        let mut progress = |bytes_done, stage| {
            sink.progress(&Progress {
                file: &input.name,
                file_index: 0,
                files: 1,
                bytes_done,
                bytes_total: bytes,
                stage,
            })
        };
        // A ledger whose entries name none (Reverie's) is one ledger, however long: stored as
        // a CSV export is, block by block, not held until the file moves past it.
        let stored = if ONE_LEDGER.contains(&reader.name) {
            store_one_ledger(store, &parsed, &template, options, &mut progress, print)
        } else {
            store_windows(store, &parsed, &template, options, &mut progress, print)
        };
        // The cutter and the parsers stop at their next window, finding no one listening.
        cancel.store(true, Ordering::Relaxed);
        drop(parsed);
        stored
    });
    match &outcome {
        Ok(Some(_)) => trace::phase("import: store ledgers as the file is read", t),
        Ok(None) => trace::phase("import: streaming the ledgers gave up", t),
        Err(_) => t,
    };
    outcome
}

/// A piece of the file for a parser: `text` is `[`, some of the top-level array's elements,
/// `]`; `start` is the file offset of the first element's byte (`text[1]`), `line` the file's
/// line there, `end` the offset the window reaches (for progress).
struct Window {
    text: Vec<u8>,
    start: u64,
    line: u64,
    end: u64,
    /// How deep its arrays and objects nest, as the parser's bounds check counts (`[` 1).
    deepest: u32,
}

/// What the cutter hands a parser.
enum Cut {
    Window(Window),
    /// The file cannot be cut exactly (not an array, broken, unreadable): read it whole.
    ReadWhole,
}

/// What a parser hands the store.
enum Parsed {
    Window(Box<ParsedFile>, u64),
    ReadWhole,
}

/// Cuts the file's top-level array (with `in_data`, also the `data` array of a top-level
/// object, `{"data": [...], "next_cursor": null}`) into windows of about `every` bytes between
/// elements, window `i` to parser `i % 2`. Stops when a parser hangs up or `cancel` is set.
fn cut(path: &Path, every: usize, in_data: bool, to: Vec<SyncSender<Cut>>, cancel: &AtomicBool) {
    let mut turn = 0usize;
    let mut send = |cut: Cut| -> bool {
        let ok = !cancel.load(Ordering::Relaxed) && to[turn % to.len()].send(cut).is_ok();
        turn += 1;
        ok
    };
    if let Err(NotCut) = cut_windows(path, every, in_data, &mut |w| send(Cut::Window(w))) {
        send(Cut::ReadWhole);
    }
}

/// The file cannot be cut exactly where the whole-file read would find the same elements.
struct NotCut;

/// Reads `path` and hands `window` each window in file order, until it says stop (`false`).
fn cut_windows(path: &Path, every: usize, in_data: bool, window: &mut dyn FnMut(Window) -> bool) -> Result<(), NotCut> {
    let mut file = std::fs::File::open(path).map_err(|_| NotCut)?;
    // Up to `READ_BYTES` more into `buf` (none: the end of the file), read into its spare
    // capacity: zeroing 4 MiB before each read cost as much as the read.
    let mut read = |buf: &mut Vec<u8>| -> Result<usize, NotCut> {
        buf.reserve(READ_BYTES);
        (&mut file).take(READ_BYTES as u64).read_to_end(buf).map_err(|_| NotCut)
    };
    // The array's opening bracket, after a byte-order mark and JSON whitespace.
    let mut buf = Vec::with_capacity(every + 2 * READ_BYTES);
    while buf.len() < 3 && read(&mut buf)? > 0 {}
    // The opening, `[` or (with `in_data`) `{"data": [`, within the file's first bytes.
    while buf.len() < OPENING_MAX && read(&mut buf)? > 0 {}
    let bom = if buf.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let skip = |mut i: usize| {
        while buf.get(i).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
            i += 1;
        }
        i
    };
    let mut i = skip(bom);
    let in_object = in_data && buf.get(i) == Some(&b'{');
    if in_object {
        i = skip(i + 1);
        if !buf[i..].starts_with(b"\"data\"") {
            return Err(NotCut);
        }
        i = skip(i + 6);
        if buf.get(i) != Some(&b':') {
            return Err(NotCut);
        }
        i = skip(i + 1);
    }
    if buf.get(i) != Some(&b'[') {
        return Err(NotCut);
    }
    let mut line = 1 + memchr::memchr_iter(b'\n', &buf[..i]).count() as u64;
    // `buf` holds `[` and the window's elements so far; `start` is the file offset of buf[1].
    let mut start = (i + 1) as u64;
    buf.drain(..i);
    let (mut scan, mut at) = (Scan::default(), 1usize);
    loop {
        let cut_from = every + 1;
        match scan.next_cut(&buf, &mut at, cut_from) {
            Some(Stop::Comma) => {
                // The next window starts with what was read past the comma, copied once.
                let mut next = Vec::with_capacity(every + 2 * READ_BYTES);
                next.push(b'[');
                next.extend_from_slice(&buf[at + 1..]);
                buf.truncate(at);
                if is_blank(&buf[1..]) {
                    return Err(NotCut);
                }
                let end = start + at as u64;
                let next_line = line + memchr::memchr_iter(b'\n', &buf).count() as u64;
                buf.push(b']');
                let text = std::mem::replace(&mut buf, next);
                if !window(Window { text, start, line, end, deepest: scan.take_deepest() }) {
                    return Ok(());
                }
                (start, line, at) = (end, next_line, 1);
            }
            Some(Stop::Close) => {
                // Nothing but JSON whitespace may follow the array; after an object's `data`,
                // members of simple values and its closing brace.
                let mut tail = buf.split_off(at + 1);
                while read(&mut tail)? > 0 {
                    if tail.len() > TAIL_MAX {
                        return Err(NotCut);
                    }
                }
                let fits = if in_object { closes_object(&tail) } else { is_blank(&tail) };
                if !fits {
                    return Err(NotCut);
                }
                buf.truncate(at);
                // `[]`, or `[..., ]` (a comma before the bracket): the whole-file read says.
                if is_blank(&buf[1..]) {
                    return Err(NotCut);
                }
                let end = start + at as u64 + 1;
                buf.push(b']');
                window(Window { text: buf, start, line, end, deepest: scan.take_deepest() });
                return Ok(());
            }
            Some(Stop::Broken) => return Err(NotCut),
            None => {
                if read(&mut buf)? == 0 {
                    return Err(NotCut);
                }
            }
        }
    }
}

/// The bytes within which the array that is cut must open.
const OPENING_MAX: usize = 4096;

/// The most a file may hold after the array that is cut.
const TAIL_MAX: usize = 64 << 10;

/// Whether `tail` is what may follow an object's `data` array: members whose values are
/// `null`, `true`, `false`, a number or a string without escapes, then `}`, then whitespace.
/// Anything else is left to the whole-file read.
fn closes_object(tail: &[u8]) -> bool {
    let text = match std::str::from_utf8(tail) {
        Ok(t) => t.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n')),
        Err(_) => return false,
    };
    let Some(members) = text.strip_suffix('}') else { return false };
    let scalar = |v: &str| {
        matches!(v, "null" | "true" | "false")
            || v.parse::<f64>().is_ok() && v.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
            || v.len() >= 2 && v.starts_with('"') && v.ends_with('"') && !v[1..v.len() - 1].contains(['"', '\\'])
    };
    let blank = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    members.split(',').skip(1).all(|member| {
        let Some((key, value)) = member.split_once(':') else { return false };
        let key = key.trim_matches(blank);
        key.len() >= 2
            && key.starts_with('"')
            && key.ends_with('"')
            && !key[1..key.len() - 1].contains(['"', '\\'])
            && scalar(value.trim_matches(blank))
    }) && members.split(',').next().is_some_and(|first| first.trim_matches(blank).is_empty())
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Where the cutter stopped.
#[derive(Debug, PartialEq, Eq)]
enum Stop {
    /// A comma between two elements of the top-level array.
    Comma,
    /// The top-level array's closing bracket.
    Close,
    /// A `}` where the top-level array closes.
    Broken,
}

/// How deep the scan is in the top-level array (1: between its elements) and whether inside
/// a string, carried from one read to the next.
#[derive(Debug)]
struct Scan {
    depth: u32,
    in_string: bool,
    /// The deepest `depth` since the last window was cut.
    deepest: u32,
}

impl Default for Scan {
    fn default() -> Self {
        Scan { depth: 1, in_string: false, deepest: 1 }
    }
}

impl Scan {
    /// The deepest nesting since the last cut, and a new count from the top level.
    fn take_deepest(&mut self) -> u32 {
        std::mem::replace(&mut self.deepest, 1)
    }

    /// Moves through `buf` from `*at` to the first comma between top-level elements at or
    /// past `cut_from`, or to the array's closing bracket, leaving `*at` on it; `None` at the
    /// end of `buf` (or before an escape whose next byte is not read yet). Strings are
    /// skipped with `memchr`. A mismatched bracket is left to the parser, except at the top
    /// level, where anything but `]` is refused (`NotCut` through `Close`'s check).
    fn next_cut(&mut self, buf: &[u8], at: &mut usize, cut_from: usize) -> Option<Stop> {
        let mut i = *at;
        while i < buf.len() {
            if self.in_string {
                match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                    None => i = buf.len(),
                    Some(j) if buf[i + j] == b'\\' => {
                        if i + j + 1 >= buf.len() {
                            *at = i + j;
                            return None;
                        }
                        i += j + 2;
                    }
                    Some(j) => {
                        i += j + 1;
                        self.in_string = false;
                    }
                }
                continue;
            }
            match buf[i] {
                b'"' => self.in_string = true,
                b'[' | b'{' => {
                    self.depth += 1;
                    self.deepest = self.deepest.max(self.depth);
                }
                b']' | b'}' if self.depth == 1 => {
                    *at = i;
                    // `}` closing the array is broken JSON, which a window ending here would hide.
                    return Some(if buf[i] == b']' { Stop::Close } else { Stop::Broken });
                }
                b']' | b'}' => self.depth -= 1,
                b',' if self.depth == 1 && i >= cut_from => {
                    *at = i;
                    return Some(Stop::Comma);
                }
                _ => {}
            }
            i += 1;
        }
        *at = i;
        None
    }
}

/// Parses each window `windows` brings with the reader's `parse`, its entries' positions made
/// the file's, and sends it on; stops at the first window that cannot be read (the whole-file
/// read reports it) or when no one listens.
fn parse_windows(windows: Receiver<Cut>, to: SyncSender<Parsed>, parse: super::ParseFn, path: &Path) {
    for cut in windows {
        let Cut::Window(w) = cut else {
            let _ = to.send(Parsed::ReadWhole);
            return;
        };
        // The cutter counted how deep the window nests, byte for byte as the parser's bounds
        // check would; a window of fewer bytes than `MAX_ENTRIES` cannot hold more entries.
        let checked = w.deepest as usize <= super::MAX_JSON_DEPTH && w.text.len() <= super::MAX_ENTRIES;
        let parsed = match super::json::bounds_checked(checked, || parse(path, w.text)) {
            Ok(mut file) => {
                for e in &mut file.entries {
                    // Window text: `[` at the file's offset `start - 1`, line 1 at `line`.
                    e.offset = e.offset + w.start - 1;
                    e.line = e.line + w.line - 1;
                }
                Parsed::Window(Box::new(file), w.end)
            }
            Err(_) => Parsed::ReadWhole,
        };
        let stop = matches!(parsed, Parsed::ReadWhole);
        if to.send(parsed).is_err() || stop {
            return;
        }
    }
}

/// Takes the parsed windows in file order (window `i` from `parsed[i % 2]`) and stores each
/// ledger once the file has moved past it, then commits. `None`: the file is to be read
/// whole (nothing written). `progress` hears the bytes reached and may cancel.
fn store_windows(
    store: &mut Store,
    parsed: &[Receiver<Parsed>],
    template: &ParsedFile,
    options: &ImportOptions,
    progress: &mut dyn FnMut(u64, Stage) -> std::ops::ControlFlow<()>,
    print: &mut dyn FnMut() -> Result<String, ImportError>,
) -> Result<Option<ImportSummary>, ImportError> {
    let ingest = store.begin_large()?;
    let first_file = ingest.last_file_id()?;
    let mut ledgers = Ledgers {
        ingest: &ingest,
        template,
        options,
        labels: Labels::default(),
        own: OwnLabels::default(),
        store_ids: Vec::new(),
        stored: FxHashSet::default(),
        parts: Vec::new(),
    };
    let mut carried: Vec<Ledger> = Vec::new();
    let mut entries = 0usize;
    for turn in 0.. {
        let Ok(read) = parsed[turn % parsed.len()].recv() else { break };
        let Parsed::Window(file, end) = read else { return Ok(None) };
        entries += file.entries.len();
        if entries > super::MAX_ENTRIES || !file.anchors.is_empty() {
            return Ok(None);
        }
        if progress(end.min(template.bytes), Stage::Reading).is_break() {
            return Err(ImportError::Cancelled);
        }
        let Some((groups, last)) = ledgers.group(*file) else { return Ok(None) };
        // The ledgers carried over come first (the file named them before these), each with
        // what this window adds to it.
        let mut merged = std::mem::take(&mut carried);
        let mut at: FxHashMap<ChainKey, usize> = merged.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)).collect();
        for (key, group) in groups {
            match at.get(&key) {
                Some(&i) => merged[i].1.extend(group),
                None => {
                    at.insert(key.clone(), merged.len());
                    merged.push((key, group));
                }
            }
        }
        // The last entry's account may go on in the next window, in any of its ledgers (its
        // currencies, Orb's pending ones), and the ledgers named after them must wait.
        let first_of_last =
            merged.iter().position(|(k, _)| k.account == last.account).expect("the last entry's ledger is merged");
        carried = merged.split_off(first_of_last);
        for (key, group) in merged {
            if !ledgers.store(key, group)? {
                return Ok(None);
            }
        }
    }
    for (key, group) in carried {
        if !ledgers.store(key, group)? {
            return Ok(None);
        }
    }
    ingest.record_fingerprint_after(first_file, &print()?)?;
    let summary = ImportSummary::merged(std::mem::take(&mut ledgers.parts));
    if progress(template.bytes, Stage::Done).is_break() {
        return Err(ImportError::Cancelled);
    }
    ingest.commit()?;
    Ok(Some(summary))
}

/// Takes the parsed windows of a file of one ledger in file order and stores them as they come
/// (`Ingest::store_stream`: entries in time order into a new ledger, or one the file
/// continues), then commits. `None`: the file is to be read whole (nothing written).
fn store_one_ledger(
    store: &mut Store,
    parsed: &[Receiver<Parsed>],
    template: &ParsedFile,
    options: &ImportOptions,
    progress: &mut dyn FnMut(u64, Stage) -> std::ops::ControlFlow<()>,
    print: &mut dyn FnMut() -> Result<String, ImportError>,
) -> Result<Option<ImportSummary>, ImportError> {
    let ingest = store.begin_large()?;
    let file = crate::store::StreamedFile {
        path: template.path.clone(),
        format: template.format,
        source: template.source,
        dimensions: template.dimensions.clone(),
        bytes: template.bytes,
        split: None,
    };
    let (mut turn, mut entries) = (0usize, 0usize);
    // Why the windows stopped before the end: cancelled (`true`), or the file is to be read whole.
    let mut stopped: Option<bool> = None;
    let mut next = || -> Option<ParsedFile> {
        let read = parsed[turn % parsed.len()].recv().ok()?;
        turn += 1;
        let Parsed::Window(window, end) = read else {
            stopped = Some(false);
            return None;
        };
        entries += window.entries.len();
        if entries > super::MAX_ENTRIES || !window.anchors.is_empty() {
            stopped = Some(false);
            return None;
        }
        if progress(end.min(template.bytes), Stage::Reading).is_break() {
            stopped = Some(true);
            return None;
        }
        Some(*window)
    };
    let streamed = ingest.store_stream(&options.chain, &file, options.now, &mut next)?;
    match stopped {
        Some(true) => return Err(ImportError::Cancelled),
        Some(false) => return Ok(None),
        None => {}
    }
    let crate::store::Streamed::Stored { summary, file_ids } = streamed else { return Ok(None) };
    let print = print()?;
    for file_id in file_ids {
        ingest.record_fingerprint(file_id, &print)?;
    }
    if progress(template.bytes, Stage::Done).is_break() {
        return Err(ImportError::Cancelled);
    }
    ingest.commit()?;
    Ok(Some(summary))
}

/// A ledger's entries, in file order.
type Ledger = (ChainKey, Vec<ParsedEntry>);

/// The ledgers of a streamed file on their way to the store.
struct Ledgers<'a, 's> {
    ingest: &'a Ingest<'s>,
    template: &'a ParsedFile,
    options: &'a ImportOptions,
    /// Every label of the windows so far, in the file's order.
    labels: Labels,
    own: OwnLabels,
    /// The store's id of each of `labels` (by its id there) once a ledger stored it; 0 before.
    store_ids: Vec<u32>,
    /// The ledgers stored so far.
    stored: FxHashSet<ChainKey>,
    parts: Vec<ImportSummary>,
}

impl Ledgers<'_, '_> {
    /// A window's entries by ledger, in the order the window first names them, each ledger's
    /// in file order, labels made the file's, and the ledger of the window's last entry.
    /// `None` when the window holds no entry, or leaves an account unnamed (another file of
    /// the import would name it).
    fn group(&mut self, file: ParsedFile) -> Option<(Vec<Ledger>, ChainKey)> {
        let map = self.labels.absorb(&file.labels);
        let mut groups: Vec<Ledger> = Vec::new();
        let mut index: FxHashMap<ChainKey, usize> = FxHashMap::default();
        let mut of_chain = Vec::with_capacity(file.chains.len());
        for key in file.chains {
            let key = key.unwrap_or_else(|| self.options.chain.clone());
            if key.account.is_empty() {
                return None;
            }
            let g = *index.entry(key.clone()).or_insert_with(|| {
                groups.push((key, Vec::new()));
                groups.len() - 1
            });
            of_chain.push(g);
        }
        let last = groups[of_chain[file.entries.last()?.chain as usize]].0.clone();
        for mut e in file.entries {
            let g = of_chain[e.chain as usize];
            e.chain = 0;
            e.relabel(&map);
            groups[g].1.push(e);
        }
        groups.retain(|(_, entries)| !entries.is_empty());
        Some((groups, last))
    }

    /// Stores one ledger's entries as the whole-file import would; `false` when the file named
    /// it before (another ledger came between: only the whole-file read stores that exactly).
    fn store(&mut self, key: ChainKey, mut entries: Vec<ParsedEntry>) -> Result<bool, ImportError> {
        if !self.stored.insert(key.clone()) {
            return Ok(false);
        }
        let labels = self.own.relabel(&mut entries, &self.labels);
        let used = self.own.used();
        let (store_ids, high) = (&mut self.store_ids, used.last().map_or(0, |&id| id as usize));
        if store_ids.len() <= high {
            store_ids.resize(high + 1, 0);
        }
        let mut ids: Vec<u32> = std::iter::once(0).chain(used.iter().map(|&id| store_ids[id as usize])).collect();
        let part = ParsedFile { labels, entries, ..self.template.clone() };
        self.parts.push(self.ingest.store_file_with_ids(&key, &part, "", self.options.now, &mut ids)?);
        for (&id, &stored) in used.iter().zip(&ids[1..]) {
            store_ids[id as usize] = stored;
        }
        Ok(true)
    }
}
