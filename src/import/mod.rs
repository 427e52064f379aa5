//! Reading ledger exports into memory, once, ready for the store. One module per source
//! format; the format is detected from the content. Nothing here touches the database:
//! a file is read and validated completely before anything is written.
//!
//! *Invariant:* every entry carries the file, line and byte offset it came from.

mod reverie_csv;
mod reverie_json;

pub use reverie_csv::read_line_at;

use std::fmt;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// A format Reckon reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Reverie's "Export -> CSV" of the ledger page.
    ReverieCsv,
    /// Reverie's Open API ledger JSON, saved to a file.
    ReverieJson,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::ReverieCsv => "reverie-csv",
            Format::ReverieJson => "reverie-json",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "reverie-csv" | "csv" => Some(Format::ReverieCsv),
            "reverie-json" | "json" => Some(Format::ReverieJson),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a file could not be imported. Every variant names the file; value errors name the line,
/// column and field, what was found, what would be accepted and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read the file: {source}. Check the path and that Reckon may read it.")]
    Io { path: PathBuf, source: std::io::Error },
    /// The content is neither a Reverie CSV nor a Reverie JSON export.
    #[error("{path}:1:1: not a ledger export Reckon reads: {reason}. Export the ledger as CSV (Settings -> Billing -> Credit ledger -> Export) or save the Open API JSON, or name the format with --format.")]
    UnknownFormat { path: PathBuf, reason: String },
    /// A required column is absent from the CSV header.
    #[error("{path}:{line}:1: the header has no {name:?} column (found: {found}). Add the column; the export's header is: Transaction ID, Date, Type, Description, Amount, Balance after, Character, Model.")]
    MissingColumn { path: PathBuf, line: u64, name: &'static str, found: String },
    /// A value that cannot be read.
    #[error("{path}:{line}:{column}: {field} {value:?} cannot be read: expected {expected}. Correct that value in the file and import again; nothing from this import was stored.")]
    BadValue { path: PathBuf, line: u64, column: u64, field: &'static str, value: String, expected: String },
    /// The file's structure is broken (a row with the wrong number of fields, malformed JSON).
    #[error("{path}:{line}:{column}: {problem}. {fix} Nothing from this import was stored.")]
    Malformed { path: PathBuf, line: u64, column: u64, problem: String, fix: String },
    /// The caller asked to stop.
    #[error("import cancelled; nothing from this import was stored")]
    Cancelled,
    /// The store refused the write.
    #[error("could not store the import: {0}")]
    Store(#[from] crate::store::StoreError),
}

impl ImportError {
    /// Whether the fault is in the input (as opposed to the machine or the caller).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ImportError::UnknownFormat { .. }
                | ImportError::MissingColumn { .. }
                | ImportError::BadValue { .. }
                | ImportError::Malformed { .. }
        )
    }
}

/// Where a long job is; handed to a `ProgressSink`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress<'a> {
    pub file: &'a Path,
    pub file_index: usize,
    pub files: usize,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub stage: Stage,
}

/// The phase of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Reading,
    Storing,
    Done,
}

/// Receives progress and may stop the job by returning `Break`. The engine never decides where
/// progress goes: the CLI draws a bar, the desktop forwards to its window.
pub trait ProgressSink {
    fn progress(&mut self, progress: &Progress<'_>) -> ControlFlow<()>;
}

/// Ignores progress and never cancels.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn progress(&mut self, _: &Progress<'_>) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

/// Small strings that repeat (types, descriptions, characters, models), stored once.
#[derive(Debug, Default)]
pub struct Labels {
    ids: rustc_hash::FxHashMap<Box<str>, u32>,
    texts: Vec<Box<str>>,
}

impl Labels {
    pub fn intern(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.texts.len() as u32;
        self.texts.push(text.into());
        self.ids.insert(text.into(), id);
        id
    }

    pub fn text(&self, id: u32) -> &str {
        &self.texts[id as usize]
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }
}

/// One entry as read from a file, before it has a row in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEntry {
    pub txn_id: Box<str>,
    /// Unix microseconds, UTC.
    pub ts: i64,
    pub kind: u32,
    pub description: u32,
    /// Micro-credits.
    pub amount: i64,
    pub balance_after: i64,
    pub character: Option<u32>,
    pub model: Option<u32>,
    pub line: u64,
    pub offset: u64,
    /// `content_hash` of the entry's fields, computed while reading (on the reader threads).
    pub hash: i64,
}

/// One entry's fields as a reader found them, trimmed, the type normalised.
struct Fields<'a> {
    txn_id: &'a str,
    ts: i64,
    kind: &'a str,
    description: &'a str,
    amount: i64,
    balance_after: i64,
    character: Option<&'a str>,
    model: Option<&'a str>,
    line: u64,
    offset: u64,
}

impl ParsedEntry {
    /// Interns the texts of `f` into `labels` and hashes its content.
    fn new(f: Fields<'_>, labels: &mut Labels) -> ParsedEntry {
        ParsedEntry {
            hash: content_hash(f.ts, f.kind, f.description, f.amount, f.balance_after, f.character, f.model),
            txn_id: f.txn_id.into(),
            ts: f.ts,
            kind: labels.intern(f.kind),
            description: labels.intern(f.description),
            amount: f.amount,
            balance_after: f.balance_after,
            character: f.character.map(|c| labels.intern(c)),
            model: f.model.map(|m| labels.intern(m)),
            line: f.line,
            offset: f.offset,
        }
    }
}

/// A hash of everything but the source position: the same transaction exported twice hashes
/// the same; a rewritten one does not.
pub fn content_hash(
    ts: i64,
    kind: &str,
    description: &str,
    amount: i64,
    balance_after: i64,
    character: Option<&str>,
    model: Option<&str>,
) -> i64 {
    // The bytes earlier versions fed a streaming hasher part by part (stored hashes must not
    // change), gathered first and hashed in one call: faster for input this short.
    let parts = [Some(kind), Some(description), character, model];
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

/// A whole file, read and validated.
#[derive(Debug)]
pub struct ParsedFile {
    pub path: PathBuf,
    pub format: Format,
    pub bytes: u64,
    pub labels: Labels,
    pub entries: Vec<ParsedEntry>,
}

/// Reads one file, detecting its format unless one is given.
pub fn read_file(
    path: &Path,
    format: Option<Format>,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    let io = |source| ImportError::Io { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let bytes = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 4096];
    let n = read_up_to(&mut file, &mut head).map_err(io)?;
    let format = match format {
        Some(f) => f,
        None => detect(path, &head[..n])?,
    };
    drop(file);
    match format {
        Format::ReverieCsv => reverie_csv::read(path, bytes, progress),
        Format::ReverieJson => reverie_json::read(path, bytes, progress),
    }
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Detects the format from the first bytes of a file.
pub fn detect(path: &Path, head: &[u8]) -> Result<Format, ImportError> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Ok(Format::ReverieJson);
    }
    let first_line = trimmed.lines().next().unwrap_or("").to_ascii_lowercase();
    if first_line.contains("transaction id") || first_line.contains("transaction_id") {
        return Ok(Format::ReverieCsv);
    }
    let reason = if trimmed.is_empty() {
        "the file is empty".to_string()
    } else {
        let shown: String = first_line.chars().take(60).collect();
        format!("its first line {shown:?} is neither a CSV header with a Transaction ID column nor JSON")
    };
    Err(ImportError::UnknownFormat { path: path.to_path_buf(), reason })
}

/// The raw text an entry was read from: its CSV line, or its JSON object.
pub fn read_source(path: &Path, format: &str, offset: u64) -> Option<String> {
    match Format::from_name(format)? {
        Format::ReverieCsv => read_line_at(path, offset),
        Format::ReverieJson => {
            use std::io::{Seek, SeekFrom};
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
    }
}

/// What the date fields accept, for error messages.
const DATE_EXPECTED: &str =
    "an ISO 8601 time such as 2026-03-01T08:00:00Z, 2026-03-01T03:00:00-05:00 or 2026-03-01 08:00:00 (read as UTC)";

/// Parses a timestamp as exports write it into Unix microseconds, UTC.
pub fn parse_time(text: &str) -> Option<i64> {
    let s = text.trim();
    if let Some(ts) = parse_time_fast(s.as_bytes()) {
        return Some(ts);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_micros());
    }
    // RFC 3339 with a space instead of the T, and an offset.
    if let Ok(t) = chrono::DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Some(t.timestamp_micros());
    }
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()?;
    Some(naive.and_utc().timestamp_micros())
}

/// The common shapes (`2026-03-01T08:00:00Z`, `…T03:00:00-05:00`, `2026-03-01 08:00:00`)
/// without a general parser; `None` sends anything else to chrono, which validates it fully.
fn parse_time_fast(b: &[u8]) -> Option<i64> {
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        b[range].iter().try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')))
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month)
        || day < 1
        || day > month_days[month as usize - 1]
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let offset = match &b[19..] {
        [] => 0,
        [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let (h, m) =
                (i64::from(h1 - b'0') * 10 + i64::from(h2 - b'0'), i64::from(m1 - b'0') * 10 + i64::from(m2 - b'0'));
            if h > 23 || m > 59 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            if *sign == b'+' {
                secs
            } else {
                -secs
            }
        }
        _ => return None,
    };
    // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hour * 3600 + minute * 60 + second) - offset) * 1_000_000)
}

/// Tracks line and column of byte offsets that only move forward through a text.
struct LineCursor<'a> {
    text: &'a str,
    offset: usize,
    line: u64,
    line_start: usize,
}

impl<'a> LineCursor<'a> {
    fn new(text: &'a str) -> Self {
        LineCursor { text, offset: 0, line: 1, line_start: 0 }
    }

    /// 1-based line and character column of `target`, which must not precede earlier targets.
    fn locate(&mut self, target: usize) -> (u64, u64) {
        let bytes = self.text.as_bytes();
        for (i, &b) in bytes[self.offset..target].iter().enumerate() {
            if b == b'\n' {
                self.line += 1;
                self.line_start = self.offset + i + 1;
            }
        }
        self.offset = target;
        let column = self.text[self.line_start..target].chars().count() as u64 + 1;
        (self.line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                character,
                model,
            );
            assert_eq!(one, streaming(1_772_352_000_000_000, texts, -350_000, 12_345_670_000), "{texts:?}");
        }
        // And one value pinned (the old streaming code gave it), so changing both at once is caught.
        assert_eq!(content_hash(0, "CHAT", "x", 1, 2, None, None), -5_658_081_438_122_745_318);
    }

    #[test]
    fn times_in_every_accepted_shape() {
        let utc = parse_time("2026-03-01T08:00:00Z").unwrap();
        assert_eq!(parse_time("2026-03-01T03:00:00-05:00"), Some(utc));
        assert_eq!(parse_time("2026-03-01 08:00:00"), Some(utc));
        assert_eq!(parse_time("2026-03-01T08:00:00"), Some(utc));
        assert_eq!(parse_time("2026-03-01 09:00:00+01:00"), Some(utc));
        assert_eq!(parse_time("2026-03-01T08:00:00.250Z"), Some(utc + 250_000));
        assert_eq!(parse_time("01/03/2026 08:00"), None);
        assert_eq!(
            parse_time("2024-02-29T23:59:59+14:00"),
            Some(chrono::DateTime::parse_from_rfc3339("2024-02-29T23:59:59+14:00").unwrap().timestamp_micros())
        );
        assert_eq!(parse_time("1969-12-31T23:59:59Z"), Some(-1_000_000));
        assert_eq!(parse_time("2025-02-29T08:00:00Z"), None);
        assert_eq!(parse_time("2026-03-01T24:00:00Z"), None);
        assert_eq!(parse_time("2026-03-01 08:00:00Z"), Some(utc));
        assert_eq!(parse_time("2026-02-30T08:00:00Z"), None);
    }

    #[test]
    fn detects_formats_from_content() {
        let p = Path::new("x");
        assert_eq!(detect(p, b"\xEF\xBB\xBFTransaction ID,Date\r\n").unwrap(), Format::ReverieCsv);
        assert_eq!(detect(p, b"  \n{\"data\": []}").unwrap(), Format::ReverieJson);
        assert_eq!(detect(p, b"[]").unwrap(), Format::ReverieJson);
        assert!(matches!(detect(p, b"date,amount\n"), Err(ImportError::UnknownFormat { .. })));
        assert!(matches!(detect(p, b""), Err(ImportError::UnknownFormat { .. })));
    }

    #[test]
    fn line_cursor_counts_characters() {
        let text = "ab\ncé,x\ny";
        let mut c = LineCursor::new(text);
        assert_eq!(c.locate(1), (1, 2));
        assert_eq!(c.locate(text.find('x').unwrap()), (2, 4));
        assert_eq!(c.locate(text.len() - 1), (3, 1));
    }
}
