//! What the JSON readers share: the file as UTF-8 text, the entries of a saved API answer
//! (one page, an array of pages, or a bare array of entries), errors that point at the value
//! in the file, detection by member name, and an entry's raw object for the detail panel.

use std::borrow::Cow;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{shown, ImportError, Reader, MAX_ENTRIES, MAX_FIELD_BYTES, MAX_FILE_BYTES, MAX_JSON_DEPTH};
use crate::model::{ChainKey, Labels, ParsedEntry, ParsedFile};
use crate::money;

/// A JSON reader's parse of a whole document: `raw`, from a file of `bytes` bytes or an API
/// answer, reporting `(done, total)` bytes.
pub(super) type ParseWith = fn(
    path: &Path,
    raw: Vec<u8>,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError>;

/// A JSON reader's `read`: the file read bounded, then parsed.
pub(super) fn read(
    path: &Path,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
    parse_with: ParseWith,
) -> Result<ParsedFile, ImportError> {
    let raw = read_bounded(path, bytes)?;
    parse_with(path, raw, bytes, progress)
}

/// A JSON reader's `parse`: an API answer held in memory; `origin` names it in errors.
pub(super) fn parse(origin: &Path, raw: Vec<u8>, parse_with: ParseWith) -> Result<ParsedFile, ImportError> {
    let bytes = raw.len() as u64;
    parse_with(origin, raw, bytes, &mut |_, _| ControlFlow::Continue(()))
}

/// The document's text: UTF-8, within `MAX_JSON_DEPTH` and `MAX_ENTRIES` (see `check_bounds`,
/// left out when the caller checked them: `bounds_checked`). [`body`] is the text without its
/// byte-order mark.
pub(super) fn document(path: &Path, raw: Vec<u8>) -> Result<String, ImportError> {
    let text = utf8(path, raw)?;
    if !BOUNDS_CHECKED.with(std::cell::Cell::get) {
        check_bounds(path, &text, body(&text))?;
    }
    Ok(text)
}

thread_local! {
    /// Set while a parse runs whose bounds its caller checked (`bounds_checked`).
    static BOUNDS_CHECKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `parse` with `document`'s bounds check left out if `checked`: a large file's cutter
/// (`json_stream.rs`) scans every byte of each window for where to cut it and counts its
/// nesting on the way, and a second scan in the parse was a twentieth of a customer base's
/// import.
pub(super) fn bounds_checked<R>(checked: bool, parse: impl FnOnce() -> R) -> R {
    /// Clears the flag however `parse` ends.
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            BOUNDS_CHECKED.with(|b| b.set(false));
        }
    }
    BOUNDS_CHECKED.with(|b| b.set(checked));
    let _reset = Reset;
    parse()
}

/// A document's text without its byte-order mark.
pub(super) fn body(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Refuses a document of more than `MAX_ENTRIES` entries.
fn entry_count(path: &Path, entries: usize) -> Result<(), ImportError> {
    if entries > MAX_ENTRIES {
        return Err(ImportError::Limit {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            what: "the file holds more entries",
            limit: format!("{MAX_ENTRIES} entries"),
        });
    }
    Ok(())
}

/// How a document holds its entries; the text completes the fix of a syntax error
/// ("Expected ...").
#[derive(Debug, Clone, Copy)]
pub(super) enum Document {
    /// One page (`{"data": [...], ...}`), an array of pages or a bare array of entries: the
    /// vendors' saved API answers (see [`page_entries`]).
    Pages(&'static str),
    /// `{"data": [...]}` or a bare array of entries: Reverie's Open API.
    Data(&'static str),
    /// As `Pages`, for an API whose pages hold their entries in another member (Lago:
    /// `{"wallet_transactions": [...], "meta": {...}}`): the member, then the text.
    PagesOf(&'static str, &'static str),
}

/// Documents with at least this many entries are read on two threads, one half each; below
/// it, the second thread costs more than it saves.
const PARALLEL_MIN: usize = 50_000;

/// The loop every JSON reader shares: `raw` checked as a [`document`], its entries found as
/// `doc` says, each placed (line, offset; an object, else refused) and handed to `entry`, which
/// reads it into a [`ParsedEntry`] with its labels in `labels`, and the chain it belongs to when
/// the file holds several (`None`: the file's one chain). A document of `PARALLEL_MIN` entries
/// or more is read as two halves on two threads, then joined (the second half's labels and
/// chains renumbered into the first's), so the result, and the first error in file order, are
/// those of one thread. Progress every 16,384 entries, where the caller may cancel; the
/// wrap-up into a [`ParsedFile`] of `reader`'s format and source. `shape` lists an entry's
/// members, for the fix of a malformed entry.
#[allow(clippy::too_many_arguments)]
pub(super) fn read_entries(
    path: &Path,
    raw: Vec<u8>,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
    reader: &'static Reader,
    doc: Document,
    shape: &'static str,
    entry: impl for<'e> Fn(&At<'e>, &mut Labels) -> Result<(Option<KeyOf<'e>>, ParsedEntry), ImportError> + Sync,
) -> Result<ParsedFile, ImportError> {
    let text = document(path, raw)?;
    let body = body(&text);
    let items = match doc {
        Document::Pages(expected) => page_entries(path, body, expected)?,
        Document::Data(expected) => data_entries(path, body, expected)?,
        Document::PagesOf(member, expected) => member_entries(path, body, member, expected)?,
    };
    let read = Halves { path, text: &text, shape, entry: &entry, cancel: AtomicBool::new(false) };
    let mut first = read.all(&items, bytes, progress, PARALLEL_MIN)?;
    if progress(bytes, bytes).is_break() {
        return Err(ImportError::Cancelled);
    }
    first.entries.shrink_to_fit();
    Ok(ParsedFile {
        path: path.to_path_buf(),
        format: reader.name,
        source: reader.source.name,
        dimensions: reader.source.dimensions(),
        bytes,
        labels: first.labels,
        chains: if first.chains.is_empty() { vec![None] } else { first.chains.into_iter().map(Some).collect() },
        entries: first.entries,
        anchors: Vec::new(),
    })
}

/// An entry's chain as its reader finds it: the account and the currency, borrowed from the
/// entry's text where they can be. Entries mostly follow their neighbour's chain, and a
/// customer base's 10M entries each made two `String`s only to find them equal to it.
#[derive(Debug)]
pub(super) struct KeyOf<'a> {
    pub account: Cow<'a, str>,
    pub currency: Cow<'a, str>,
}

impl KeyOf<'_> {
    fn is(&self, key: &ChainKey) -> bool {
        key.account == self.account && key.currency == self.currency
    }

    fn into_key(self) -> ChainKey {
        ChainKey::new(self.account.into_owned(), self.currency.into_owned())
    }
}

impl From<ChainKey> for KeyOf<'_> {
    fn from(key: ChainKey) -> Self {
        KeyOf { account: Cow::Owned(key.account), currency: Cow::Owned(key.currency) }
    }
}

/// A reader's entry with its chain as a `ChainKey`, as `read_entries` takes it.
pub(super) fn key_of<'a>(read: (Option<ChainKey>, ParsedEntry)) -> (Option<KeyOf<'a>>, ParsedEntry) {
    (read.0.map(KeyOf::from), read.1)
}

/// Byte offset of `item` in `text`.
fn offset_in(text: &str, item: &RawValue) -> usize {
    item.get().as_ptr() as usize - text.as_ptr() as usize
}

/// What each half of a document's reading shares.
struct Halves<'a, F> {
    path: &'a Path,
    text: &'a str,
    shape: &'static str,
    entry: &'a F,
    /// Set when the first half failed or was cancelled: the second stops at its next progress.
    cancel: AtomicBool,
}

/// The entries of some of a document's items, with their own labels and chains.
struct Part {
    labels: Labels,
    chains: Vec<ChainKey>,
    chain_index: rustc_hash::FxHashMap<ChainKey, u32>,
    entries: Vec<ParsedEntry>,
}

impl<F> Halves<'_, F>
where
    F: for<'e> Fn(&At<'e>, &mut Labels) -> Result<(Option<KeyOf<'e>>, ParsedEntry), ImportError> + Sync,
{
    /// Reads every item, as two halves on two threads when there are `parallel_min` or more.
    fn all(
        &self,
        items: &[&RawValue],
        bytes: u64,
        progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
        parallel_min: usize,
    ) -> Result<Part, ImportError> {
        if items.len() < parallel_min.max(2) {
            return self.part(items, &mut |at| progress(at as u64, bytes));
        }
        let (head, tail) = items.split_at(items.len() / 2);
        let tail_from = offset_in(self.text, tail[0]);
        let tail_done = AtomicU64::new(tail_from as u64);
        let (first, second) = std::thread::scope(|scope| {
            let second = scope.spawn(|| {
                self.part(tail, &mut |at| {
                    tail_done.store(at as u64, Ordering::Relaxed);
                    ControlFlow::Continue(())
                })
            });
            // Bytes read: the head's up to `at`, the tail's from its start.
            let first = self.part(head, &mut |at| {
                let tail = tail_done.load(Ordering::Relaxed) as usize - tail_from;
                progress((at + tail) as u64, bytes)
            });
            if first.is_err() {
                self.cancel.store(true, Ordering::Relaxed);
            }
            (first, second.join().expect("a JSON reader thread panicked"))
        });
        // The first half's error comes first in the file; only then the second's.
        let mut first = first?;
        first.append(second?);
        Ok(first)
    }

    /// Reads `items` in order; `progress` hears the byte offset reached every 16,384 entries.
    fn part(
        &self,
        items: &[&RawValue],
        progress: &mut dyn FnMut(usize) -> ControlFlow<()>,
    ) -> Result<Part, ImportError> {
        let mut cursor = LineCursor::new(self.text);
        let mut part = Part {
            labels: Labels::default(),
            chains: Vec::new(),
            // A chain's index by key: a customer base is 100,000 chains, and a scan of them for
            // each entry made its import quadratic.
            chain_index: rustc_hash::FxHashMap::default(),
            entries: Vec::with_capacity(items.len()),
        };
        // Entries mostly follow their neighbour's chain.
        let mut last: Option<u32> = None;
        for (n, item) in items.iter().enumerate() {
            let at = place(self.path, self.text, &mut cursor, item, self.shape)?;
            let (key, mut parsed) = (self.entry)(&at, &mut part.labels)?;
            if let Some(key) = key {
                parsed.chain = match last.filter(|&i| key.is(&part.chains[i as usize])) {
                    Some(i) => i,
                    None => {
                        let i = part.index(key.into_key());
                        last = Some(i);
                        i
                    }
                };
            }
            part.entries.push(parsed);
            if n % 16_384 == 16_383 && (progress(at.offset).is_break() || self.cancel.load(Ordering::Relaxed)) {
                self.cancel.store(true, Ordering::Relaxed);
                return Err(ImportError::Cancelled);
            }
        }
        Ok(part)
    }
}

impl Part {
    /// The index of chain `key`, added if new.
    fn index(&mut self, key: ChainKey) -> u32 {
        let chains = &mut self.chains;
        *self.chain_index.entry(key).or_insert_with_key(|key| {
            chains.push(key.clone());
            chains.len() as u32 - 1
        })
    }

    /// `next`'s entries after these, its labels and chains renumbered into these.
    fn append(&mut self, mut next: Part) {
        let labels = self.labels.absorb(&next.labels);
        let chains: Vec<u32> = std::mem::take(&mut next.chains).into_iter().map(|key| self.index(key)).collect();
        for e in &mut next.entries {
            e.relabel(&labels);
            if !chains.is_empty() {
                e.chain = chains[e.chain as usize];
            }
        }
        self.entries.append(&mut next.entries);
    }
}

/// Entry `item` of `text`: its line (the `cursor` moves forward only, so entries come in file
/// order) and where it sits, once it is known to be an object (serde reads a struct from a
/// positional array too; an entry is an object).
fn place<'a>(
    path: &'a Path,
    text: &'a str,
    cursor: &mut LineCursor<'_>,
    item: &'a RawValue,
    shape: &'static str,
) -> Result<At<'a>, ImportError> {
    let offset = offset_in(text, item);
    let line = cursor.line(offset);
    let at = At { path, text, item: item.get(), line, offset, shape };
    if !item.get().starts_with('{') {
        return Err(at.not_an_object());
    }
    Ok(at)
}

/// A whole JSON file, read in blocks so that an endless input (`/dev/zero`, a pipe) stops at
/// the first NUL byte or at `MAX_FILE_BYTES`, whatever the file's metadata claims.
pub(super) fn read_bounded(path: &Path, bytes: u64) -> Result<Vec<u8>, ImportError> {
    use std::io::Read;
    let io = |source| ImportError::Io { path: path.to_path_buf(), source };
    if bytes > MAX_FILE_BYTES {
        return Err(ImportError::limit(path, (1, 1), "the file is longer", MAX_FILE_BYTES));
    }
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut raw = Vec::with_capacity(bytes as usize);
    let mut block = vec![0u8; 1 << 16];
    loop {
        let n = match file.read(&mut block) {
            Ok(0) => return Ok(raw),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        if let Some(nul) = memchr::memchr(0, &block[..n]) {
            raw.extend_from_slice(&block[..nul]);
            let at = raw.len();
            let (line, column) = LineCursor::new(&String::from_utf8_lossy(&raw)).locate_lossy(at);
            return Err(ImportError::malformed(
                path,
                (line, column),
                "the file holds a NUL byte, which JSON text never does",
                "Save the API's answer as text (UTF-8), or check that this is the right file.".into(),
            ));
        }
        raw.extend_from_slice(&block[..n]);
        if raw.len() as u64 > MAX_FILE_BYTES {
            let line = memchr::memchr_iter(b'\n', &raw).count() as u64 + 1;
            return Err(ImportError::limit(path, (line, 1), "the file is longer", MAX_FILE_BYTES));
        }
    }
}

/// Refuses a document nested deeper than `MAX_JSON_DEPTH` or holding more than `MAX_ENTRIES`
/// values at the entries' depth, before serde_json reads it (it skips ignored members without a
/// depth limit, and would hold every entry's place before its count could be checked).
/// `body` is `text` without its byte-order mark.
pub(super) fn check_bounds(path: &Path, text: &str, body: &str) -> Result<(), ImportError> {
    let Some((at, overrun)) = check_shape(body.as_bytes()) else { return Ok(()) };
    let (line, column) = LineCursor::new(text).locate(at + (text.len() - body.len()));
    let (what, limit) = match overrun {
        Overrun::Depth => ("arrays and objects nest deeper", format!("{MAX_JSON_DEPTH} levels")),
        Overrun::Entries => ("the file holds more entries", format!("{MAX_ENTRIES} entries")),
    };
    Err(ImportError::Limit { path: path.to_path_buf(), line, column, what, limit })
}

/// Which bound [`check_shape`] found broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overrun {
    Depth,
    Entries,
}

/// The offset of the first `[` or `{` nested deeper than `MAX_JSON_DEPTH`, or of the comma
/// that makes more than `MAX_ENTRIES` values at the entries' depth (1 to 3: a page, an array of
/// pages), if any. Strings are skipped with `memchr`; broken JSON is left to the parser.
fn check_shape(text: &[u8]) -> Option<(usize, Overrun)> {
    let (mut depth, mut i, mut commas) = (0usize, 0usize, 0usize);
    while i < text.len() {
        match text[i] {
            b'"' => {
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', text.get(i..)?) {
                        None => return None,
                        Some(j) if text[i + j] == b'\\' => i += j + 2,
                        Some(j) => {
                            i += j + 1;
                            break;
                        }
                    }
                }
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Some((i, Overrun::Depth));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth <= 3 => {
                commas += 1;
                if commas > MAX_ENTRIES + 16 {
                    return Some((i, Overrun::Entries));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The JSON object that starts at byte `offset` of `path`.
pub(super) fn object_at(path: &Path, offset: u64) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut text = String::new();
    // An entry is a few hundred bytes; 64 KiB bounds a damaged file.
    file.take(64 * 1024).read_to_string(&mut text).ok()?;
    let (mut depth, mut in_string, mut escaped) = (0i32, false, false);
    for (i, c) in text.char_indices() {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (false, _, '"') => in_string = true,
            (false, _, '{') => depth += 1,
            (false, _, '}') => {
                depth -= 1;
                if depth == 0 {
                    return Some(text[..=i].to_string());
                }
            }
            _ => {}
        }
    }
    None
}

/// The bytes as text, or an error at the first byte that is not UTF-8.
pub(super) fn utf8(path: &Path, raw: Vec<u8>) -> Result<String, ImportError> {
    String::from_utf8(raw).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let (line, column) = LineCursor::new(std::str::from_utf8(&e.as_bytes()[..at]).unwrap_or("")).locate(at);
        ImportError::malformed(path, (line, column), "the file is not UTF-8 text", "Save the export as UTF-8.".into())
    })
}

/// Whether `head` names `key` as an object member (`"key"` then `:`). A string value cannot
/// match: a quote inside a JSON string is escaped.
pub(super) fn has_member(head: &str, key: &str) -> bool {
    let quoted = format!("\"{key}\"");
    head.match_indices(&quoted).any(|(i, _)| head[i + quoted.len()..].trim_start().starts_with(':'))
}

/// Whether `head` has `"key": "value"`.
pub(super) fn has_member_value(head: &str, key: &str, value: &str) -> bool {
    let quoted = format!("\"{key}\"");
    let wanted = format!("\"{value}\"");
    head.match_indices(&quoted).any(|(i, _)| {
        head[i + quoted.len()..]
            .trim_start()
            .strip_prefix(':')
            .is_some_and(|rest| rest.trim_start().starts_with(&wanted))
    })
}

/// A page of an API answer: its `data`; other members are ignored.
#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    data: Option<Vec<&'a RawValue>>,
}

/// A page's `data` read from an object only (a `Page` would read an array too, by position);
/// `None` when it has none or it is `null`.
struct PageData<'a>(Option<Vec<&'a RawValue>>);

impl<'de: 'a, 'a> Deserialize<'de> for PageData<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = PageData<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a page")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut data = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key != "data" {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    } else if data.is_some() {
                        return Err(serde::de::Error::duplicate_field("data"));
                    } else {
                        data = Some(map.next_value::<Option<Vec<&'de RawValue>>>()?);
                    }
                }
                Ok(PageData(data.flatten()))
            }
        }
        d.deserialize_map(Members)
    }
}

/// The entries of a saved API answer, borrowed from `body`: one page (`{"data": [...], ...}`),
/// an array of pages, or a bare array of entries (an array element with a `data` member is a
/// page). `shape` completes the fix of a syntax error ("Expected ...").
pub(super) fn page_entries<'a>(path: &Path, body: &'a str, shape: &str) -> Result<Vec<&'a RawValue>, ImportError> {
    let syntax = |e: serde_json::Error| ImportError::Malformed {
        path: path.to_path_buf(),
        line: e.line() as u64,
        column: e.column() as u64,
        problem: format!("not a ledger JSON document: {e}"),
        fix: format!("Expected {shape}."),
    };
    if !body.trim_start().starts_with('[') {
        let page: Page = serde_json::from_str(body).map_err(syntax)?;
        return page.data.ok_or_else(|| ImportError::Malformed {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            problem: "the object has no \"data\" member".into(),
            fix: format!("Expected {shape}."),
        });
    }
    // Most often an array of pages, read in one pass; anything else (a bare entry, a page
    // without entries, an error) as below, which scans the pages twice.
    if let Ok(pages) = serde_json::from_str::<Vec<PageData>>(body) {
        if let Some(pages) = pages.into_iter().map(|p| p.0).collect::<Option<Vec<_>>>() {
            let entries: Vec<&RawValue> = pages.into_iter().flatten().collect();
            entry_count(path, entries.len())?;
            return Ok(entries);
        }
    }
    let items: Vec<&RawValue> = serde_json::from_str(body).map_err(syntax)?;
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        let is_object = item.get().starts_with('{');
        match is_object.then(|| serde_json::from_str::<Page>(item.get()).ok()).flatten().and_then(|p| p.data) {
            Some(data) => entries.extend(data),
            None => entries.push(item),
        }
    }
    entry_count(path, entries.len())?;
    Ok(entries)
}

/// The entries of a saved API answer whose pages hold them in `member`, borrowed from `body`:
/// one page (`{"<member>": [...], ...}`), an array of pages, or a bare array of entries (an
/// array element with that member is a page). `shape` completes the fix of an error.
pub(super) fn member_entries<'a>(
    path: &Path,
    body: &'a str,
    member: &str,
    shape: &str,
) -> Result<Vec<&'a RawValue>, ImportError> {
    type Object<'a> = std::collections::HashMap<std::borrow::Cow<'a, str>, &'a RawValue>;
    let syntax = |e: serde_json::Error| ImportError::Malformed {
        path: path.to_path_buf(),
        line: e.line() as u64,
        column: e.column() as u64,
        problem: format!("not a ledger JSON document: {e}"),
        fix: format!("Expected {shape}."),
    };
    // The member's array, or an error at the member's value (not at a place inside it, which
    // serde would count from the value's own start).
    let array = |raw: &'a RawValue| -> Result<Vec<&'a RawValue>, ImportError> {
        serde_json::from_str::<Vec<&'a RawValue>>(raw.get()).map_err(|_| {
            let at = raw.get().as_ptr() as usize - body.as_ptr() as usize;
            ImportError::malformed(
                path,
                LineCursor::new(body).locate(at),
                &format!(
                    "\"{member}\" is not an array of entries (it starts {:?})",
                    shown(&raw.get().chars().take(20).collect::<String>())
                ),
                format!("Expected {shape}."),
            )
        })
    };
    if !body.trim_start().starts_with('[') {
        let page: Object<'a> = serde_json::from_str(body).map_err(syntax)?;
        let raw = page.get(member).copied().ok_or_else(|| ImportError::Malformed {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            problem: format!("the object has no \"{member}\" member"),
            fix: format!("Expected {shape}."),
        })?;
        let entries = array(raw)?;
        entry_count(path, entries.len())?;
        return Ok(entries);
    }
    let items: Vec<&RawValue> = serde_json::from_str(body).map_err(syntax)?;
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        let page = item.get().starts_with('{').then(|| serde_json::from_str::<Object<'a>>(item.get()).ok()).flatten();
        match page.and_then(|p| p.get(member).copied()) {
            Some(raw) => entries.extend(array(raw)?),
            None => entries.push(item),
        }
    }
    entry_count(path, entries.len())?;
    Ok(entries)
}

/// The object a document holds in its top-level `member` (a saved Lago wallet's `wallet`),
/// placed for errors like an entry; `shape` describes the document, for the fix.
pub(super) fn member_object<'a>(
    path: &'a Path,
    text: &'a str,
    member: &str,
    shape: &'static str,
) -> Result<At<'a>, ImportError> {
    type Object<'a> = std::collections::HashMap<std::borrow::Cow<'a, str>, &'a RawValue>;
    let body = body(text);
    let doc: Object<'a> = serde_json::from_str(body).map_err(|e| {
        ImportError::malformed(
            path,
            (e.line() as u64, e.column() as u64),
            &format!("not a JSON document of the API's shape: {e}"),
            format!("Expected {shape}."),
        )
    })?;
    let raw = doc.get(member).copied().ok_or_else(|| {
        ImportError::malformed(
            path,
            (1, 1),
            &format!("the object has no \"{member}\" member"),
            format!("Expected {shape}."),
        )
    })?;
    place(path, text, &mut LineCursor::new(text), raw, shape)
}

/// `{"data": [...], "next_cursor": ...}`; other members are ignored.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    data: Vec<&'a RawValue>,
}

/// The entries of `{"data": [...]}` or of a bare array, borrowed from `body`; `expected`
/// completes the fix of a syntax error ("Expected ...").
fn data_entries<'a>(path: &Path, body: &'a str, expected: &str) -> Result<Vec<&'a RawValue>, ImportError> {
    // Untagged enums buffer their input and cannot borrow, so the shape is chosen up front.
    let parsed = if body.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<&RawValue>>(body)
    } else {
        serde_json::from_str::<Envelope>(body).map(|e| e.data)
    };
    let items = parsed.map_err(|e| {
        ImportError::malformed(
            path,
            (e.line() as u64, e.column() as u64),
            &format!("not a ledger JSON document: {e}"),
            format!("Expected {expected}."),
        )
    })?;
    entry_count(path, items.len())?;
    Ok(items)
}

/// A member's value as JSON text: serde's `&RawValue`, or the span of an entry's text that
/// [`members`] found.
pub(super) trait Raw<'a>: Copy {
    fn text(self) -> &'a str;
}

impl<'a> Raw<'a> for &'a RawValue {
    fn text(self) -> &'a str {
        self.get()
    }
}

impl<'a> Raw<'a> for &'a str {
    fn text(self) -> &'a str {
        self
    }
}

/// The values of `names` in `item`, an object already read as JSON (an entry's `RawValue`),
/// each as serde would hand an `Option<&RawValue>` of it: the value's text, `None` where the
/// member is absent or `null`. One pass over the text without a parser, where serde's
/// derived struct read each entry a second time (a customer base of 10M entries is read
/// twice: once into pages of entries, then each entry). `None` whenever its answer could
/// differ from serde's, which then reads the entry with its errors: a key with an escape (serde
/// compares keys unescaped), a name given twice (serde refuses a duplicate field).
pub(super) fn members<'a, const N: usize>(item: &'a str, names: &[&str; N]) -> Option<[Option<&'a str>; N]> {
    let b = item.as_bytes();
    let skip = |mut i: usize| {
        while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        i
    };
    let mut values = [None; N];
    let mut seen = [false; N];
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut i = skip(1);
    if b.get(i) == Some(&b'}') {
        return Some(values);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let end = i + 1 + memchr::memchr2(b'"', b'\\', &b[i + 1..])?;
        if b[end] != b'"' {
            return None;
        }
        let key = &item[i + 1..end];
        i = skip(end + 1);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip(i + 1);
        let stop = value_end(b, start)?;
        if let Some(k) = names.iter().position(|&n| n == key) {
            if std::mem::replace(&mut seen[k], true) {
                return None;
            }
            let value = &item[start..stop];
            values[k] = (value != "null").then_some(value);
        }
        i = skip(stop);
        match b.get(i) {
            Some(b',') => i = skip(i + 1),
            Some(b'}') if i + 1 == b.len() => return Some(values),
            _ => return None,
        }
    }
}

/// Where the JSON value starting at `b[i]` ends (one past its last byte), in text already
/// read as JSON; `None` where it is cut short.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *b.get(j)? {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let len = b[i..].iter().position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'));
            Some(i + len.unwrap_or(b.len() - i))
        }
    }
}

/// One past the closing quote of the string whose opening quote is `b[i]`.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        j += memchr::memchr2(b'"', b'\\', &b[j..])?;
        if b[j] == b'"' {
            return Some(j + 1);
        }
        j += 2;
        if j > b.len() {
            return None;
        }
    }
}

/// Where in the file an entry sits, for error messages.
pub(super) struct At<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    /// The entry's JSON text.
    pub item: &'a str,
    /// The entry's line in `text`.
    pub line: u64,
    /// Byte offset of the entry in `text`.
    pub offset: usize,
    /// The members an entry has, for the fix of a malformed entry (`{"id", "amount", ...}`).
    pub shape: &'static str,
}

impl<'a> At<'a> {
    /// The entry read as `T`, or an error naming its line and the entry's shape.
    pub fn parse<T: Deserialize<'a>>(&self) -> Result<T, ImportError> {
        serde_json::from_str(self.item).map_err(|e| self.malformed(&e))
    }

    pub fn position_of<'r>(&self, raw: Option<impl Raw<'r>>) -> (u64, u64) {
        let target = match raw {
            Some(r) => r.text().as_ptr() as usize - self.text.as_ptr() as usize,
            None => self.offset,
        };
        LineCursor::new(self.text).locate(target)
    }

    pub fn missing(&self, field: &'static str) -> ImportError {
        let expected = format!("every entry to have \"{field}\"");
        ImportError::bad_value(self.path, self.position_of(None::<&str>), field, "", expected)
    }

    pub fn bad<'r>(&self, field: &'static str, raw: Option<impl Raw<'r>>, value: &str, expected: &str) -> ImportError {
        ImportError::bad_value(self.path, self.position_of(raw), field, value, expected.to_string())
    }

    pub fn malformed(&self, e: &serde_json::Error) -> ImportError {
        let problem = format!("entry is not an object of the API's shape: {e}");
        let fix = format!(
            "Each entry is {} (starting: {}).",
            self.shape,
            shown(&self.item.chars().take(40).collect::<String>())
        );
        ImportError::malformed(self.path, self.position_of(None::<&str>), &problem, fix)
    }

    /// An entry written as something else than an object (serde reads a struct from a
    /// positional array too, so this is checked first).
    pub fn not_an_object(&self) -> ImportError {
        let problem = format!(
            "an entry is not a JSON object (it starts {:?})",
            shown(&self.item.chars().take(20).collect::<String>())
        );
        ImportError::malformed(
            self.path,
            self.position_of(None::<&str>),
            &problem,
            format!("Each entry is {}.", self.shape),
        )
    }

    /// A value over `MAX_FIELD_BYTES`.
    fn too_long<'r>(&self, raw: Option<impl Raw<'r>>) -> ImportError {
        ImportError::limit(self.path, self.position_of(raw), "a value is longer", MAX_FIELD_BYTES as u64)
    }

    /// A string field; `null` or absent is `None`.
    pub fn string(&self, raw: Option<impl Raw<'a>>, field: &'static str) -> Result<Option<String>, ImportError> {
        Ok(self.str(raw, field)?.map(Cow::into_owned))
    }

    /// A string field borrowed from the entry's text where it has no escape (nearly every
    /// value of an API's answer: a customer base's import made a `String` of each through a
    /// JSON parser of its own, a tenth of its time); `null` or absent is `None`.
    pub fn str(&self, raw: Option<impl Raw<'a>>, field: &'static str) -> Result<Option<Cow<'a, str>>, ImportError> {
        let Some(r) = raw else { return Ok(None) };
        let text = r.text();
        if text == "null" {
            return Ok(None);
        }
        if text.len() > MAX_FIELD_BYTES {
            return Err(self.too_long(raw));
        }
        // A string without a backslash or a control character reads as the text between its
        // quotes; anything else is left to the parser, with its errors.
        let plain = text.len() >= 2
            && text.starts_with('"')
            && text.ends_with('"')
            && !text.as_bytes()[1..text.len() - 1].iter().any(|&b| b == b'\\' || b == b'"' || b < 0x20);
        if plain {
            return Ok(Some(Cow::Borrowed(&text[1..text.len() - 1])));
        }
        serde_json::from_str::<String>(text)
            .map(|s| Some(Cow::Owned(s)))
            .map_err(|_| self.bad(field, raw, text, "a JSON string"))
    }

    /// A string field that every entry has and that is not blank, trimmed.
    pub fn required(
        &self,
        raw: Option<impl Raw<'a>>,
        field: &'static str,
        expected: &str,
    ) -> Result<String, ImportError> {
        Ok(self.required_str(raw, field, expected)?.into_owned())
    }

    /// `required`, borrowed from the entry's text where it can be (see `str`).
    pub fn required_str(
        &self,
        raw: Option<impl Raw<'a>>,
        field: &'static str,
        expected: &str,
    ) -> Result<Cow<'a, str>, ImportError> {
        let value = self.str(raw, field)?.ok_or_else(|| self.missing(field))?;
        if value.trim().is_empty() {
            return Err(self.bad(field, raw, &value, expected));
        }
        Ok(trimmed(value))
    }

    /// A decimal given as a string, or as a JSON number read from its exact text (never a float).
    pub fn money<'r>(&self, raw: Option<impl Raw<'r>>, field: &'static str) -> Result<i64, ImportError> {
        let r = raw.ok_or_else(|| self.missing(field))?.text();
        if r.len() > MAX_FIELD_BYTES {
            return Err(self.too_long(raw));
        }
        let text = if r.starts_with('"') {
            serde_json::from_str::<String>(r).map_err(|_| self.bad(field, raw, r, "a decimal string"))?
        } else {
            r.to_string()
        };
        money::parse_units(&text).map_err(|e| self.bad(field, raw, &text, &e.to_string()))
    }
}

/// `text` without its leading and trailing whitespace, still borrowed if it was.
pub(super) fn trimmed(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(t) => Cow::Borrowed(t.trim()),
        Cow::Owned(t) => Cow::Owned(t.trim().to_string()),
    }
}

/// Tracks line and column of byte offsets that only move forward through a text. Each byte is
/// scanned once however the text is split into lines, so placing every entry of a one-line
/// document (a minified API answer) costs as much as placing them in a pretty-printed one.
pub(super) struct LineCursor<'a> {
    text: &'a str,
    /// How far lines are counted: `line` is the line of this byte.
    offset: usize,
    line: u64,
    /// Where that line starts.
    line_start: usize,
    /// How far characters are counted: `column` characters from `line_start` to here (counted
    /// only when a column is asked for, which an entry's placement never does).
    column_offset: usize,
    column: u64,
}

thread_local! {
    /// Bytes this thread's line cursors have scanned: the complexity guard of the JSON readers
    /// reads it (see [`position_bytes_scanned`]).
    static SCANNED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Bytes scanned on this thread so far to place entries and errors at a line and column. A test
/// reads it before and after a parse: placing the entries of a file twice as long must scan at
/// most about twice as many bytes, whatever the file's line structure.
#[doc(hidden)]
pub fn position_bytes_scanned() -> u64 {
    SCANNED.with(std::cell::Cell::get)
}

impl<'a> LineCursor<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        LineCursor { text, offset: 0, line: 1, line_start: 0, column_offset: 0, column: 0 }
    }

    /// 1-based line of `target`, which must not precede earlier targets.
    pub(super) fn line(&mut self, target: usize) -> u64 {
        let span = &self.text.as_bytes()[self.offset..target];
        if let Some(last) = memchr::memrchr(b'\n', span) {
            self.line += memchr::memchr_iter(b'\n', span).count() as u64;
            self.line_start = self.offset + last + 1;
        }
        SCANNED.with(|s| s.set(s.get() + span.len() as u64));
        self.offset = target;
        self.line
    }

    /// 1-based line and character column of `target`, which must not precede earlier targets.
    pub(super) fn locate(&mut self, target: usize) -> (u64, u64) {
        let line = self.line(target);
        if self.column_offset < self.line_start {
            (self.column_offset, self.column) = (self.line_start, 0);
        }
        let rest = &self.text.as_bytes()[self.column_offset..target];
        // A character starts at every byte that is not a UTF-8 continuation byte.
        self.column += rest.iter().filter(|&&b| (b as i8) >= -0x40).count() as u64;
        SCANNED.with(|s| s.set(s.get() + rest.len() as u64));
        self.column_offset = target;
        (line, self.column + 1)
    }

    /// `locate` for a target that may fall off a character boundary (lossy text).
    pub(super) fn locate_lossy(&mut self, target: usize) -> (u64, u64) {
        let mut target = target.min(self.text.len());
        while !self.text.is_char_boundary(target) {
            target -= 1;
        }
        self.locate(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three members as a reader's derived struct reads them.
    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(borrow)]
        a: Option<&'a RawValue>,
        #[serde(borrow)]
        b: Option<&'a RawValue>,
        #[serde(borrow, rename = "type")]
        kind: Option<&'a RawValue>,
    }

    const PROBED: [&str; 3] = ["a", "b", "type"];

    fn serde_reads(item: &str) -> Option<[Option<&str>; 3]> {
        let p: Probe = serde_json::from_str(item).ok()?;
        Some([p.a, p.b, p.kind].map(|v| v.map(RawValue::get)))
    }

    #[test]
    fn members_are_read_in_one_pass_as_serde_reads_them() {
        let entry = r#"{ "id":"x", "a" : "say \"hi\" \\ }", "meta": {"a": [1, {"b": "}]"}], "c": null},
            "b":-12.50e1,"type" :null ,"list":[ "a", {} ]}"#;
        let found = members(entry, &PROBED).expect("a plain entry is read in one pass");
        assert_eq!(found, [Some(r#""say \"hi\" \\ }""#), Some("-12.50e1"), None]);
        assert_eq!(Some(found), serde_reads(entry));
        assert_eq!(members("{}", &PROBED), Some([None; 3]));
        assert_eq!(members(r#"{"a": {}, "b": []}"#, &PROBED), Some([Some("{}"), Some("[]"), None]));
        // Left to serde: a probed name twice (serde refuses it), a key with an escape (serde
        // compares it unescaped: this one is "a").
        assert_eq!(members(r#"{"a": 1, "a": 2}"#, &PROBED), None);
        assert!(serde_reads(r#"{"a": 1, "a": 2}"#).is_none());
        assert_eq!(members(r#"{"a": null, "a": 2}"#, &PROBED), None);
        assert_eq!(members(r#"{"\u0061": 1}"#, &PROBED), None);
        assert_eq!(serde_reads(r#"{"\u0061": 1}"#), Some([Some("1"), None, None]));
        // Unknown members may repeat, as serde lets them.
        assert_eq!(members(r#"{"c": 1, "c": 2, "b": 3}"#, &PROBED), Some([None, Some("3"), None]));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Random objects of probed and other members, repeated or not, with escapes in keys
        /// and values, nesting and spaces: wherever `members` answers, serde reads the same.
        #[test]
        fn members_answers_only_what_serde_reads(
            parts in proptest::collection::vec(
                (
                    proptest::sample::select(vec!["a", "b", "type", "c", "aa", "typ", "\\u0062", "t\\\"", ""]),
                    proptest::sample::select(vec![
                        "null", "0", "-2.5e3", "true", "\"x\"", "\"q\\\"u,o}\\\\\"", "\"\\u00e9\"",
                        "{\"a\": [1, {\"b\": \"}]\"}]}", "[]", "{}", "[null, \"]\"]",
                    ]),
                    proptest::sample::select(vec!["", " ", "\n\t "]),
                ),
                0..7,
            ),
        ) {
            let members_text: Vec<String> =
                parts.iter().map(|(k, v, w)| format!("{w}\"{k}\"{w}:{w}{v}{w}")).collect();
            let text = format!("{{{}}}", members_text.join(","));
            // An entry as the page's read hands it over: JSON, and an object.
            let item = serde_json::from_str::<&RawValue>(&text).expect("the objects built are JSON").get();
            if let Some(found) = members(item, &PROBED) {
                proptest::prop_assert_eq!(Some(found), serde_reads(item), "{}", item);
            }
            // Without escaped or repeated probed keys, it always answers.
            let probed: Vec<&str> = parts.iter().map(|p| p.0).filter(|k| PROBED.contains(k)).collect();
            let repeated = (1..probed.len()).any(|i| probed[..i].contains(&probed[i]));
            let escaped = parts.iter().any(|p| p.0.contains('\\'));
            if !repeated && !escaped {
                proptest::prop_assert!(members(item, &PROBED).is_some(), "{}", item);
            }
        }
    }

    #[test]
    fn members_are_found_by_name_not_inside_strings() {
        assert!(has_member(r#"{"data": [{"ledger_sequence_number" : 3}]}"#, "ledger_sequence_number"));
        assert!(!has_member(r#"[{"description": "ledger_sequence_number"}]"#, "ledger_sequence_number"));
        assert!(!has_member(r#"[{"description": "say \"ledger_sequence_number\": 1"}]"#, "ledger_sequence_number"));
        assert!(has_member_value(r#"{"object" : "list""#, "object", "list"));
        assert!(!has_member_value(r#"{"object": "lists""#, "object", "list"));
    }

    #[test]
    fn one_page_an_array_of_pages_and_a_bare_array_give_the_same_entries() {
        let p = Path::new("x");
        let texts = |v: Vec<&RawValue>| v.iter().map(|r| r.get().to_string()).collect::<Vec<_>>();
        let one = texts(page_entries(p, r#"{"data": [{"id": 1}, {"id": 2}], "has_more": false}"#, "").unwrap());
        let pages = texts(page_entries(p, r#"[{"data": [{"id": 1}]}, {"data": [{"id": 2}]}]"#, "").unwrap());
        let bare = texts(page_entries(p, r#"[{"id": 1}, {"id": 2}]"#, "").unwrap());
        assert_eq!(one, pages);
        assert_eq!(one, bare);
        assert!(page_entries(p, r#"{"items": []}"#, "").is_err());
    }

    #[derive(Deserialize)]
    struct TestEntry<'a> {
        id: &'a str,
        kind: &'a str,
        customer: &'a str,
        amount: i64,
    }

    /// A reader's entry: the type and the customer interned, a negative amount refused.
    fn test_entry<'a>(at: &At<'a>, labels: &mut Labels) -> Result<(Option<KeyOf<'a>>, ParsedEntry), ImportError> {
        let t: TestEntry = at.parse()?;
        if t.amount < 0 {
            return Err(at.missing("a positive amount"));
        }
        let key = KeyOf { account: Cow::Borrowed(t.customer), currency: Cow::Borrowed("usd") };
        let entry = ParsedEntry {
            txn_id: t.id.into(),
            ts: 0,
            kind: labels.intern(t.kind),
            description: labels.intern(t.customer),
            amount: t.amount,
            balance_after: 0,
            dims: Default::default(),
            chain: 0,
            line: at.line,
            offset: at.offset as u64,
            hash: 0,
        };
        Ok((Some(key), entry))
    }

    /// `n` entries, one a line, of 7 customers; a type first met in the second half; the
    /// amounts of `refused` negative.
    fn test_document(n: usize, refused: &[usize]) -> String {
        let items: Vec<String> = (0..n)
            .map(|i| {
                let kind = if i > n * 3 / 4 { "late" } else { ["a", "b", "c"][i % 3] };
                let amount = if refused.contains(&i) { -1 } else { i as i64 };
                format!(r#"{{"id": "t{i}", "kind": "{kind}", "customer": "cus_{}", "amount": {amount}}}"#, (i * 5) % 7)
            })
            .collect();
        format!("{{\"data\": [\n{}\n]}}", items.join(",\n"))
    }

    /// Entries, label texts by id, chains.
    type ReadBack = (Vec<ParsedEntry>, Vec<String>, Vec<ChainKey>);

    /// Read as two halves on two threads or on one, a document gives the same entries, labels
    /// and chains, and the same first error in file order.
    #[test]
    fn two_halves_read_as_one() {
        let read = |text: &str, parallel_min: usize| -> Result<ReadBack, String> {
            let items = page_entries(Path::new("t.json"), text, "").unwrap();
            let halves = Halves {
                path: Path::new("t.json"),
                text,
                shape: "{\"id\", ...}",
                entry: &test_entry,
                cancel: AtomicBool::new(false),
            };
            let part = halves
                .all(&items, text.len() as u64, &mut |_, _| ControlFlow::Continue(()), parallel_min)
                .map_err(|e| e.to_string())?;
            let labels = (1..=part.labels.len() as u32).map(|id| part.labels.text(id).to_string()).collect();
            Ok((part.entries, labels, part.chains))
        };
        let text = test_document(1_000, &[]);
        let (one, two) = (read(&text, usize::MAX).unwrap(), read(&text, 2).unwrap());
        assert_eq!(one.0.len(), 1_000);
        assert_eq!(one.1.last().map(String::as_str), Some("late"));
        assert_eq!(one, two);
        assert_eq!(two.0[999].line, 1_001);
        for refused in [&[800][..], &[100, 800], &[499], &[500]] {
            let text = test_document(1_000, refused);
            let (one, two) = (read(&text, usize::MAX).unwrap_err(), read(&text, 2).unwrap_err());
            assert_eq!(one, two);
            assert!(one.starts_with(&format!("t.json:{}:", refused[0] + 2)), "{one}");
        }
    }

    #[test]
    fn line_cursor_counts_characters() {
        let text = "ab\ncé,x\ny";
        let mut c = LineCursor::new(text);
        assert_eq!(c.locate(1), (1, 2));
        assert_eq!(c.locate(text.find('x').unwrap()), (2, 4));
        assert_eq!(c.locate(text.len() - 1), (3, 1));
        let one_line = "é{\"a\": 1}, {\"b\": \"ü\"}";
        let mut c = LineCursor::new(one_line);
        assert_eq!(c.locate(one_line.find('{').unwrap()), (1, 2));
        assert_eq!(c.locate(one_line.rfind('{').unwrap()), (1, 12));
        assert_eq!(c.locate(one_line.len()), (1, 22));
    }
}
