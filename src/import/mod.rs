//! Reading ledger exports into memory, once, then handing them to the store. One module per
//! source format, each listed once in [`READERS`]; the format is detected from the content.
//! A file is read and validated completely before anything is written.
//!
//! *Invariant:* every entry carries the file, line and byte offset it came from.

mod ingest;
mod json;
mod orb;
mod repair;
mod reverie;
mod reverie_csv;
mod reverie_json;
mod stripe;

pub use ingest::{entry_detail, fingerprint_bytes, import, store_parsed, EntryDetail, ImportOptions};
pub use repair::{repair_chain, NeededFile, Repair};
pub use reverie::TYPES as REVERIE_TYPES;
pub use reverie_csv::read_line_at;

use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::model::{content_hash, Labels, ParsedEntry, ParsedFile, MAX_DIMS};
use crate::store::StoreError;

/// Every reader Reckon has. Adding a source is a module, its fixtures and a line here.
/// Detection asks them in this order: the vendors' JSON readers look for their own members,
/// so they come before Reverie's, which takes any JSON.
pub static READERS: [&Reader; 4] = [&orb::READER, &stripe::READER, &reverie_json::READER, &reverie_csv::READER];

/// A vendor whose ledgers Reckon reads, whatever the file format: its type reference table and
/// the label dimensions its entries carry beyond the type. A chain holds one source's entries.
#[derive(Debug)]
pub struct Source {
    /// Stored with each chain (`reverie`).
    pub name: &'static str,
    /// For people (`Reverie`).
    pub title: &'static str,
    /// The types the vendor documents; any other is imported and is an `unknown_type`.
    pub types: &'static [&'static str],
    /// `(key, title)` of each dimension, in the order entries carry them; at most `MAX_DIMS`.
    pub dimensions: &'static [(&'static str, &'static str)],
    /// The dimension whose values set prices (Reverie: `model`): `unusual_amount` compares a
    /// charge with charges of its type on the same value.
    pub price_dimension: Option<&'static str>,
}

impl Source {
    /// The declared dimensions as the model holds them.
    pub fn dimensions(&self) -> Vec<crate::model::Dimension> {
        self.dimensions.iter().map(|(k, t)| crate::model::Dimension::new(k, t)).collect()
    }
}

/// A reader's read: a whole file of `bytes` bytes, reporting `(done, total)` bytes.
pub type ReadFn = fn(
    path: &Path,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError>;

/// A reader's parse of bytes held in memory (an API answer); `origin` names them in errors.
pub type ParseFn = fn(origin: &Path, bytes: Vec<u8>) -> Result<ParsedFile, ImportError>;

/// Reads one file format into entries.
#[derive(Debug)]
pub struct Reader {
    /// What `--format` takes and `source_file.format` records (`reverie-csv`).
    pub name: &'static str,
    /// Other names `--format` accepts.
    pub aliases: &'static [&'static str],
    pub source: &'static Source,
    /// Whether a file that begins with `head` (a byte-order mark already stripped) is this format.
    pub detect: fn(head: &str) -> bool,
    /// Reads and validates a whole file of `bytes` bytes, reporting `(done, total)` bytes.
    pub read: ReadFn,
    /// Parses bytes held in memory (an API answer), where the format allows; `origin` names
    /// them in errors (the URL of the page).
    pub parse: Option<ParseFn>,
    /// The raw text of the entry that starts at byte `offset` of `path` (its CSV line, its JSON object).
    pub raw_text: fn(path: &Path, offset: u64) -> Option<String>,
}

/// The reader called `name` (or one of its aliases).
pub fn reader(name: &str) -> Option<&'static Reader> {
    READERS.iter().copied().find(|r| r.name == name || r.aliases.contains(&name))
}

/// The source called `name`.
pub fn source(name: &str) -> Option<&'static Source> {
    READERS.iter().map(|r| r.source).find(|s| s.name == name)
}

/// The names `--format` accepts, for messages.
pub fn reader_names() -> String {
    READERS.iter().map(|r| r.name).collect::<Vec<_>>().join(", ")
}

/// The most bytes a file may hold (4 GiB). A 1M-entry CSV export is about 100 MB; a file, a
/// device or a stream that goes on past this is refused as soon as the limit is read, so an
/// endless input never grows memory.
pub const MAX_FILE_BYTES: u64 = 4 << 30;
/// The most bytes one CSV record (a row, with any line breaks inside quotes) may span (1 MiB).
/// Real rows are about 100 bytes; a longer one is a runaway quote or not a ledger.
pub const MAX_RECORD_BYTES: u64 = 1 << 20;
/// The most bytes one value (a CSV field, a JSON string) may hold (64 KiB).
pub const MAX_FIELD_BYTES: usize = 64 << 10;
/// The most entries one file may hold (50 million; a 4 GiB CSV holds about 40 million).
pub const MAX_ENTRIES: usize = 50_000_000;
/// The deepest nesting of JSON arrays and objects read. The Open API's answer is 3 deep.
pub const MAX_JSON_DEPTH: usize = 128;
/// How many characters of a value an error quotes; longer values are cut (see [`shown`]).
pub const SHOWN_CHARS: usize = 60;

/// A value as errors quote it: whole when short, else its first [`SHOWN_CHARS`] characters,
/// `…` and how long it was, so a 10 MB field never becomes a 10 MB message.
pub fn shown(value: &str) -> String {
    let mut chars = value.char_indices();
    match chars.nth(SHOWN_CHARS) {
        None => value.to_string(),
        Some((cut, _)) => format!("{}… ({} bytes in all)", &value[..cut], value.len()),
    }
}

/// A human size of a limit (`1 MiB`, `64 KiB`).
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// Why a file could not be imported. Every variant names the file; value errors name the line,
/// column and field, what was found, what would be accepted and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read the file: {source}. Check the path and that Reckon may read it.")]
    Io { path: PathBuf, source: std::io::Error },
    /// The content is not a format Reckon reads.
    #[error("{path}:1:1: not a ledger export Reckon reads: {reason}. Export the ledger as CSV (Settings -> Billing -> Credit ledger -> Export) or save the Open API JSON, or name the format.")]
    UnknownFormat { path: PathBuf, reason: String },
    /// A required column is absent from the CSV header.
    #[error("{path}:{line}:1: the header has no {name:?} column (found: {found}). Add the column; the export's header is: {expected}.")]
    MissingColumn { path: PathBuf, line: u64, name: &'static str, found: String, expected: &'static str },
    /// A value that cannot be read.
    #[error("{path}:{line}:{column}: {field} {value:?} cannot be read: expected {expected}. Correct that value in the file and import again; nothing from this import was stored.")]
    BadValue { path: PathBuf, line: u64, column: u64, field: &'static str, value: String, expected: String },
    /// The file's structure is broken (a row with the wrong number of fields, malformed JSON).
    #[error("{path}:{line}:{column}: {problem}. {fix} Nothing from this import was stored.")]
    Malformed { path: PathBuf, line: u64, column: u64, problem: String, fix: String },
    /// Two header columns are the same column (names compare case-insensitively).
    #[error("{path}:{line}:{second}: the header names the {name:?} column twice (columns {first} and {second}). Keep one of them; an export has each column once.")]
    DuplicateColumn { path: PathBuf, line: u64, name: &'static str, first: u64, second: u64 },
    /// The input goes past one of the limits above (`MAX_*`): no real export comes near them.
    #[error("{path}:{line}:{column}: {what} than Reckon reads ({limit}). No ledger export comes near this: check that this is the right file and that it is not damaged. Nothing from this import was stored.")]
    Limit { path: PathBuf, line: u64, column: u64, what: &'static str, limit: String },
    /// The caller asked to stop.
    #[error("import cancelled; nothing from this import was stored")]
    Cancelled,
    /// The store refused the write.
    #[error("could not store the import: {0}")]
    Store(#[from] StoreError),
}

impl ImportError {
    /// A value that cannot be read; `value` is quoted cut to a readable length.
    pub(crate) fn bad_value(
        path: &Path,
        (line, column): (u64, u64),
        field: &'static str,
        value: &str,
        expected: String,
    ) -> ImportError {
        ImportError::BadValue { path: path.to_path_buf(), line, column, field, value: shown(value), expected }
    }

    /// A broken structure; any value `problem` quotes is already cut with [`shown`].
    pub(crate) fn malformed(path: &Path, (line, column): (u64, u64), problem: &str, fix: String) -> ImportError {
        ImportError::Malformed {
            path: path.to_path_buf(),
            line: line.max(1),
            column: column.max(1),
            problem: problem.to_string(),
            fix,
        }
    }

    /// Past a limit: `what` (`"a row is longer"`) than `limit` bytes.
    pub(crate) fn limit(path: &Path, (line, column): (u64, u64), what: &'static str, limit: u64) -> ImportError {
        ImportError::Limit {
            path: path.to_path_buf(),
            line: line.max(1),
            column: column.max(1),
            what,
            limit: size(limit),
        }
    }

    /// Whether the fault is in the input (as opposed to the machine or the caller).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ImportError::UnknownFormat { .. }
                | ImportError::MissingColumn { .. }
                | ImportError::BadValue { .. }
                | ImportError::Malformed { .. }
                | ImportError::DuplicateColumn { .. }
                | ImportError::Limit { .. }
                | ImportError::Store(StoreError::OtherSource { .. })
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

/// One entry's fields as a reader found them, trimmed, the type normalised.
struct Fields<'a> {
    txn_id: &'a str,
    ts: i64,
    kind: &'a str,
    description: &'a str,
    amount: i64,
    balance_after: i64,
    /// Values of the source's dimensions, in declared order (exactly as many as it declares).
    dims: &'a [Option<&'a str>],
    line: u64,
    offset: u64,
}

/// A value of an entry outside the range every source is held to, whatever its reader read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutOfRange {
    Amount,
    BalanceAfter,
    Time,
}

impl OutOfRange {
    /// What is accepted, completing "expected ...".
    fn expected(self) -> &'static str {
        match self {
            OutOfRange::Amount | OutOfRange::BalanceAfter => {
                "an amount of at most 1,000,000,000 credits either way (the limit every source is held to)"
            }
            OutOfRange::Time => "a time in the years 1900 to 2999 (UTC), the range every source is held to",
        }
    }
}

impl Fields<'_> {
    /// Interns the texts into `labels` and hashes the content. The one range check every
    /// reader goes through (file or API): amounts and balances within
    /// [`money::MAX_CREDITS`](crate::money::MAX_CREDITS), times within
    /// [`MIN_TIME`]`..=`[`MAX_TIME`], so no block total can overflow and no date is absurd.
    fn into_entry(self, labels: &mut Labels) -> Result<ParsedEntry, OutOfRange> {
        let in_range = |units: i64| units.unsigned_abs() <= crate::money::MAX_UNITS.unsigned_abs();
        if !in_range(self.amount) {
            return Err(OutOfRange::Amount);
        }
        if !in_range(self.balance_after) {
            return Err(OutOfRange::BalanceAfter);
        }
        if !(MIN_TIME..=MAX_TIME).contains(&self.ts) {
            return Err(OutOfRange::Time);
        }
        let mut dims = [0u32; MAX_DIMS];
        for (slot, value) in dims.iter_mut().zip(self.dims) {
            *slot = value.map_or(0, |v| labels.intern(v));
        }
        Ok(ParsedEntry {
            hash: content_hash(self.ts, self.kind, self.description, self.amount, self.balance_after, self.dims),
            txn_id: self.txn_id.into(),
            ts: self.ts,
            kind: labels.intern(self.kind),
            description: labels.intern(self.description),
            amount: self.amount,
            balance_after: self.balance_after,
            dims,
            chain: 0,
            line: self.line,
            offset: self.offset,
        })
    }
}

/// Reads one file with `reader`, or the reader its content calls for.
pub fn read_file(
    path: &Path,
    reader: Option<&'static Reader>,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    let io = |source| ImportError::Io { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let bytes = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 4096];
    let n = read_up_to(&mut file, &mut head).map_err(io)?;
    let reader = match reader {
        Some(r) => r,
        None => detect(path, &head[..n])?,
    };
    drop(file);
    (reader.read)(path, bytes, progress)
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

/// The reader for a file that begins with `head`.
pub fn detect(path: &Path, head: &[u8]) -> Result<&'static Reader, ImportError> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start();
    if let Some(reader) = READERS.iter().copied().find(|r| (r.detect)(trimmed)) {
        return Ok(reader);
    }
    let first_line = trimmed.lines().next().unwrap_or("");
    let reason = if trimmed.is_empty() {
        "the file is empty".to_string()
    } else {
        format!("its first line {:?} is not the start of a format Reckon reads ({})", shown(first_line), reader_names())
    };
    Err(ImportError::UnknownFormat { path: path.to_path_buf(), reason })
}

/// The raw text an entry was read from, by the reader that read it.
pub fn read_source(path: &Path, format: &str, offset: u64) -> Option<String> {
    (reader(format)?.raw_text)(path, offset)
}

/// What the date fields accept, for error messages.
const DATE_EXPECTED: &str = "an ISO 8601 time such as 2026-03-01T08:00:00Z, 2026-03-01T03:00:00-05:00 or 2026-03-01 08:00:00 (read as UTC), in the years 1900 to 2999 in every time zone, with an offset of at most 14:00";

/// The earliest instant read: 1900-01-01T00:00:00 at UTC-14:00 (1900-01-01T14:00:00Z), so every
/// time zone's rendering of an accepted time (Reckon's exports write UTC or local time) falls
/// in the years 1900 to 2999 and reads back. Unix microseconds.
pub const MIN_TIME: i64 = -2_208_988_800_000_000 + 14 * 3_600_000_000;
/// The latest instant read: 2999-12-31T23:59:59.999999 at UTC+14:00 (2999-12-31T09:59:59.999999Z).
/// Unix microseconds.
pub const MAX_TIME: i64 = 32_503_680_000_000_000 - 1 - 14 * 3_600_000_000;
/// The largest offset from UTC read (±14:00, the real world's range), in seconds.
pub const MAX_OFFSET_SECONDS: i32 = 14 * 3600;

/// Parses a timestamp as exports write it into Unix microseconds, UTC. `None` for anything
/// else, including times outside [`MIN_TIME`]`..=`[`MAX_TIME`] and offsets beyond ±14:00.
pub fn parse_time(text: &str) -> Option<i64> {
    parse_time_any(text).filter(|ts| (MIN_TIME..=MAX_TIME).contains(ts))
}

fn parse_time_any(text: &str) -> Option<i64> {
    let s = text.trim();
    if let Some(ts) = parse_time_fast(s.as_bytes()) {
        return Some(ts);
    }
    let within = |t: &chrono::DateTime<chrono::FixedOffset>| {
        t.offset().local_minus_utc().abs() <= MAX_OFFSET_SECONDS && t.timestamp_subsec_nanos() < 1_000_000_000
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return within(&t).then(|| t.timestamp_micros());
    }
    // RFC 3339 with a space instead of the T, and an offset.
    if let Ok(t) = chrono::DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return within(&t).then(|| t.timestamp_micros());
    }
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()?;
    let t = naive.and_utc();
    (t.timestamp_subsec_nanos() < 1_000_000_000).then(|| t.timestamp_micros())
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
            let secs = h * 3600 + m * 60;
            if m > 59 || secs > i64::from(MAX_OFFSET_SECONDS) {
                return None;
            }
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

/// Tracks line and column of byte offsets that only move forward through a text. Each byte is
/// scanned once however the text is split into lines, so placing every entry of a one-line
/// document (a minified API answer) costs as much as placing them in a pretty-printed one.
struct LineCursor<'a> {
    text: &'a str,
    offset: usize,
    line: u64,
    /// Characters from the current line's start to `offset`.
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
    fn new(text: &'a str) -> Self {
        LineCursor { text, offset: 0, line: 1, column: 0 }
    }

    /// 1-based line and character column of `target`, which must not precede earlier targets.
    fn locate(&mut self, target: usize) -> (u64, u64) {
        let span = &self.text.as_bytes()[self.offset..target];
        let rest = match memchr::memrchr(b'\n', span) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', span).count() as u64;
                self.column = 0;
                &span[last + 1..]
            }
            None => span,
        };
        // A character starts at every byte that is not a UTF-8 continuation byte.
        self.column += rest.iter().filter(|&&b| (b as i8) >= -0x40).count() as u64;
        SCANNED.with(|s| s.set(s.get() + (span.len() + rest.len()) as u64));
        self.offset = target;
        (self.line, self.column + 1)
    }

    /// `locate` for a target that may fall off a character boundary (lossy text).
    fn locate_lossy(&mut self, target: usize) -> (u64, u64) {
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
        assert_eq!(parse_time("2026-03-01T08:00:00+14:00"), Some(utc - 14 * 3_600_000_000));
        assert_eq!(parse_time("2025-02-29T08:00:00Z"), None);
        assert_eq!(parse_time("2026-03-01T24:00:00Z"), None);
        assert_eq!(parse_time("2026-03-01 08:00:00Z"), Some(utc));
        assert_eq!(parse_time("2026-02-30T08:00:00Z"), None);
    }

    /// Years 0000 and 9999 and offsets such as -23:59 used to be read, then exported as text
    /// that Reckon's own import refused (`+10000-01-01T...`).
    #[test]
    fn times_outside_the_documented_range_are_refused() {
        for text in [
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59-23:59",
            "2026-03-01T08:00:00-23:59",
            "2026-03-01T08:00:00+14:01",
            "2026-03-01 08:00:00-15:00",
            "1899-12-31T23:59:59Z",
            "1900-01-01T00:00:00Z",
            "3000-01-01T00:00:00Z",
            "2999-12-31T23:59:59Z",
            "1900-01-01T00:00:00+14:00",
            "2999-12-31T23:59:59-14:00",
            "2026-03-01T23:59:60Z",
        ] {
            assert_eq!(parse_time(text), None, "{text}");
        }
        assert_eq!(parse_time("2999-12-31T23:59:59+14:00"), Some(MAX_TIME - 999_999));
        assert_eq!(parse_time("1900-01-01T00:00:00-14:00"), Some(MIN_TIME));
        assert!(parse_time("1970-01-01T00:00:00Z").is_some());
    }

    /// Every accepted instant renders, in UTC and at ±14:00, as RFC 3339 that reads back.
    #[test]
    fn accepted_times_round_trip_in_every_zone() {
        for ts in [MIN_TIME, MAX_TIME, 0, MIN_TIME + 1, MAX_TIME - 1] {
            let utc = chrono::DateTime::from_timestamp_micros(ts).unwrap();
            for offset in [-MAX_OFFSET_SECONDS, 0, MAX_OFFSET_SECONDS] {
                let zone = chrono::FixedOffset::east_opt(offset).unwrap();
                let text = utc.with_timezone(&zone).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
                assert_eq!(parse_time(&text), Some(ts), "{text}");
            }
        }
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        assert_eq!(shown("short"), "short");
        let long = "x".repeat(10 << 20);
        let cut = shown(&long);
        assert!(cut.len() < 100, "{cut}");
        assert!(cut.starts_with(&"x".repeat(SHOWN_CHARS)) && cut.contains("10485760 bytes"), "{cut}");
        assert_eq!(shown(&"é".repeat(61)).chars().filter(|c| *c == 'é').count(), 60);
    }

    #[test]
    fn detects_formats_from_content() {
        let p = Path::new("x");
        assert_eq!(detect(p, b"\xEF\xBB\xBFTransaction ID,Date\r\n").unwrap().name, "reverie-csv");
        assert_eq!(detect(p, b"  \n{\"data\": []}").unwrap().name, "reverie-json");
        assert_eq!(detect(p, b"[]").unwrap().name, "reverie-json");
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
        let one_line = "é{\"a\": 1}, {\"b\": \"ü\"}";
        let mut c = LineCursor::new(one_line);
        assert_eq!(c.locate(one_line.find('{').unwrap()), (1, 2));
        assert_eq!(c.locate(one_line.rfind('{').unwrap()), (1, 12));
        assert_eq!(c.locate(one_line.len()), (1, 22));
    }
}
