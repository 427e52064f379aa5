//! Reading ledger exports into memory, once, then handing them to the store. One module per
//! source format, each listed once in [`READERS`]; the format is detected from the content.
//! A file is read and validated completely before anything is written.
//!
//! *Invariant:* every entry carries the file, line and byte offset it came from.

mod csv;
mod grant_ledger;
mod ingest;
mod json;
mod json_stream;
mod lago;
mod orb;
pub mod profile;
mod repair;
mod reverie_csv;
mod reverie_json;
mod stream;
mod stripe;
mod stripe_credits;
mod time;
mod usage_feed;
mod workspace;

pub use self::csv::read_line_at;
pub use crate::model::source::{named as source, REVERIE_TYPES};
pub use crate::model::Source;
pub use ingest::{entry_detail, fingerprint_bytes, import, store_parsed, EntryDetail, ImportOptions};
pub use json::position_bytes_scanned;
pub use lago::PENDING_SUFFIX;
pub use repair::{repair_chain, NeededFile, Repair};
use time::DATE_EXPECTED;
pub use time::{parse_time, MAX_OFFSET_SECONDS, MAX_TIME, MIN_TIME};

use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::model::{content_hash, Labels, ParsedEntry, ParsedFile, MAX_DIMS};
use crate::store::StoreError;

/// Every reader Reckon has. Adding a source is a module, its fixtures and a line here.
/// Detection asks them in this order: the vendors' JSON readers look for their own members,
/// so they come before Reverie's, which takes any JSON.
pub static READERS: [&Reader; 12] = [
    &orb::READER,
    &stripe_credits::READER,
    &stripe::READER,
    &lago::READER,
    &reverie_json::READER,
    &reverie_csv::READER,
    &usage_feed::READER,
    &grant_ledger::READER,
    &workspace::CONVERSATIONS,
    &workspace::MCP_CALLS,
    &workspace::IMPORT_USAGE,
    &workspace::ADJUSTMENTS,
];

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
    #[error("{path}:1:1: not a ledger export Reckon reads: {reason}. Export the ledger from the vendor as CSV (Reverie: Settings -> Billing -> Credit ledger -> Export; a workspace: each tab of Credit usage records) or save its API answer as JSON, name the format with --format, or read any other CSV through a mapping profile (reckon profile save, then --profile).")]
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

    /// The same error naming `name` instead of the file it was read from (a spooled or decoded
    /// copy of an input is read under a temporary name).
    pub(crate) fn renamed(mut self, name: &Path) -> ImportError {
        match &mut self {
            ImportError::Io { path, .. }
            | ImportError::UnknownFormat { path, .. }
            | ImportError::MissingColumn { path, .. }
            | ImportError::BadValue { path, .. }
            | ImportError::Malformed { path, .. }
            | ImportError::DuplicateColumn { path, .. }
            | ImportError::Limit { path, .. } => *path = name.to_path_buf(),
            ImportError::Cancelled | ImportError::Store(_) => {}
        }
        self
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
        for (d, (slot, value)) in dims.iter_mut().zip(self.dims).enumerate() {
            *slot = value.map_or(0, |v| labels.intern_field(2 + d, v));
        }
        Ok(ParsedEntry {
            hash: content_hash(self.ts, self.kind, self.description, self.amount, self.balance_after, self.dims),
            txn_id: self.txn_id.into(),
            ts: self.ts,
            kind: labels.intern_field(0, self.kind),
            description: labels.intern_field(1, self.description),
            amount: self.amount,
            balance_after: self.balance_after,
            dims,
            chain: 0,
            line: self.line,
            offset: self.offset,
        })
    }
}

/// The path that names standard input (`reckon import -`).
pub const STDIN: &str = "-";
/// What messages call standard input.
pub const STDIN_NAME: &str = "standard input";

/// An input ready to be opened as often as an import needs (fingerprint, detection, reading,
/// the CSV reader's second thread). A regular file or a device is read where it is; standard
/// input ([`STDIN`]), a pipe or a FIFO (`<(cat f.csv)`, `/dev/stdin`, `mkfifo`) can be read only
/// once, so it is read once, bounded by [`MAX_FILE_BYTES`], into a temporary file.
#[derive(Debug)]
pub(crate) struct Input {
    /// What messages and the store call it: the path as given, or [`STDIN_NAME`].
    pub name: PathBuf,
    /// Where to read it.
    pub path: PathBuf,
    /// The temporary copy, removed when the input is dropped.
    _spool: Option<tempfile::TempPath>,
}

impl Input {
    /// `path` made readable again and again; `reader`, when forced, skips the check that the
    /// first bytes are a format Reckon reads (made before a stream is copied whole).
    pub(crate) fn open(path: &Path, reader: Option<&'static Reader>) -> Result<Input, ImportError> {
        let at_most_once = |name: PathBuf, from: &mut dyn Read| -> Result<Input, ImportError> {
            let spool = spool(&name, from, reader)?;
            Ok(Input { name, path: spool.to_path_buf(), _spool: Some(spool) })
        };
        if path == Path::new(STDIN) {
            return at_most_once(PathBuf::from(STDIN_NAME), &mut std::io::stdin().lock());
        }
        let io = |source| ImportError::Io { path: path.to_path_buf(), source };
        if read_only_once(&std::fs::metadata(path).map_err(io)?.file_type()) {
            return at_most_once(path.to_path_buf(), &mut std::fs::File::open(path).map_err(io)?);
        }
        Ok(Input { name: path.to_path_buf(), path: path.to_path_buf(), _spool: None })
    }
}

/// A pipe, a FIFO or a socket: whatever one open reads is gone for the next.
fn read_only_once(kind: &std::fs::FileType) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        kind.is_fifo() || kind.is_socket()
    }
    #[cfg(not(unix))]
    {
        let _ = kind;
        false
    }
}

/// Copies `from` to a temporary file, at most [`MAX_FILE_BYTES`]. Unless `reader` is forced,
/// its first block must be a format Reckon reads, so an endless stream of something else
/// (`yes | reckon import -`) stops at once.
fn spool(name: &Path, from: &mut dyn Read, reader: Option<&'static Reader>) -> Result<tempfile::TempPath, ImportError> {
    let io = |source| ImportError::Io { path: name.to_path_buf(), source };
    let mut out = tempfile::NamedTempFile::new().map_err(io)?;
    let mut block = vec![0u8; 1 << 16];
    let n = read_up_to(from, &mut block[..4096]).map_err(io)?;
    if reader.is_none() && encoding(name, &block[..n])? == Encoding::Utf8 {
        detect(name, &block[..n])?;
    }
    let (mut total, mut lines, mut n) = (0u64, 1u64, n);
    while n > 0 {
        total += n as u64;
        if total > MAX_FILE_BYTES {
            return Err(ImportError::limit(name, (lines, 1), "the file is longer", MAX_FILE_BYTES));
        }
        lines += memchr::memchr_iter(b'\n', &block[..n]).count() as u64;
        std::io::Write::write_all(&mut out, &block[..n]).map_err(io)?;
        n = loop {
            match from.read(&mut block) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => break other.map_err(io)?,
            }
        };
    }
    Ok(out.into_temp_path())
}

/// How a file's text is encoded, by its byte-order mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// UTF-8, with or without a byte-order mark (and anything that is not one of the others).
    Utf8,
    /// Excel's "Unicode text" and other UTF-16 with a byte-order mark: decoded to UTF-8.
    Utf16 { big_endian: bool },
}

/// The encoding `head` announces. UTF-32, and UTF-16 without a byte-order mark (which only
/// its NUL bytes betray), are named and refused: no export Reckon knows writes them.
fn encoding(path: &Path, head: &[u8]) -> Result<Encoding, ImportError> {
    let refuse = |what: &str| {
        ImportError::UnknownFormat {
        path: path.to_path_buf(),
        reason: format!(
            "the file is {what}, which Reckon does not read; save it as \"CSV UTF-8\" (Excel: File -> Save As -> CSV UTF-8), or as UTF-16 (\"Unicode text\")"
        ),
    }
    };
    match head {
        [0xFF, 0xFE, 0, 0, ..] => Err(refuse("UTF-32 (little-endian, with a byte-order mark)")),
        [0, 0, 0xFE, 0xFF, ..] => Err(refuse("UTF-32 (big-endian, with a byte-order mark)")),
        [0xFF, 0xFE, ..] => Ok(Encoding::Utf16 { big_endian: false }),
        [0xFE, 0xFF, ..] => Ok(Encoding::Utf16 { big_endian: true }),
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => Err(refuse("UTF-16 (little-endian) without a byte-order mark")),
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => Err(refuse("UTF-16 (big-endian) without a byte-order mark")),
        _ => Ok(Encoding::Utf8),
    }
}

/// The rest of a UTF-16 `file` (its 2-byte byte-order mark next) decoded into a temporary UTF-8
/// file. Lines and characters are the same in both, so errors in the decoded text name the
/// line and column of the original. Bounded by the file's own size (at most 1.5 times it).
fn decoded(path: &Path, file: std::fs::File, big_endian: bool) -> Result<tempfile::TempPath, ImportError> {
    use std::io::{BufReader, BufWriter, Seek, SeekFrom, Write};
    let io = |source| ImportError::Io { path: path.to_path_buf(), source };
    let mut file = file;
    file.seek(SeekFrom::Start(2)).map_err(io)?;
    if file.metadata().map_err(io)?.len() > MAX_FILE_BYTES {
        return Err(ImportError::limit(path, (1, 1), "the file is longer", MAX_FILE_BYTES));
    }
    let temp = tempfile::NamedTempFile::new().map_err(io)?;
    let mut out = BufWriter::with_capacity(1 << 16, temp);
    let mut input = BufReader::with_capacity(1 << 16, file);
    let (mut line, mut column, mut odd) = (1u64, 1u64, false);
    let mut units = std::iter::from_fn(|| {
        let mut pair = [0u8; 2];
        match read_up_to(&mut input, &mut pair) {
            Ok(2) => Some(Ok(if big_endian { u16::from_be_bytes(pair) } else { u16::from_le_bytes(pair) })),
            Ok(1) => {
                odd = true;
                None
            }
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        }
    });
    let mut error = None;
    let chars = char::decode_utf16(std::iter::from_fn(|| match units.next()? {
        Ok(unit) => Some(unit),
        Err(e) => {
            error = Some(e);
            None
        }
    }));
    let mut utf8 = [0u8; 4];
    for c in chars {
        let Ok(c) = c else {
            return Err(ImportError::malformed(
                path,
                (line, column),
                "the file is UTF-16 (it begins with a byte-order mark), but here holds half of a character (a lone surrogate)",
                "Save it again from the program that made it, as \"CSV UTF-8\" or \"Unicode text\".".into(),
            ));
        };
        out.write_all(c.encode_utf8(&mut utf8).as_bytes()).map_err(io)?;
        if c == '\n' {
            (line, column) = (line + 1, 1);
        } else {
            column += 1;
        }
    }
    if let Some(e) = error {
        return Err(io(e));
    }
    if odd {
        return Err(ImportError::malformed(
            path,
            (line, column),
            "the file is UTF-16 (it begins with a byte-order mark), but ends in the middle of a character",
            "The file looks cut off: export it again.".into(),
        ));
    }
    let temp = out.into_inner().map_err(|e| io(e.into_error()))?;
    Ok(temp.into_temp_path())
}

/// Reads one file with `reader`, or the reader its content calls for. A file Reckon can read
/// only once is copied first (see [`Input`]); one in UTF-16 is decoded first (see [`decoded`]).
pub fn read_file(
    path: &Path,
    reader: Option<&'static Reader>,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    let input = Input::open(path, reader)?;
    read_input(&input, reader, progress)
}

/// Reads an [`Input`]: the file at its `path`, named by its `name`.
pub(crate) fn read_input(
    input: &Input,
    reader: Option<&'static Reader>,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    let read = read_at(&input.path, reader, progress).map_err(|e| e.renamed(&input.name))?;
    Ok(ParsedFile { path: input.name.clone(), ..read })
}

fn read_at(
    path: &Path,
    reader: Option<&'static Reader>,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    let io = |source| ImportError::Io { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let bytes = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 4096];
    let n = read_up_to(&mut file, &mut head).map_err(io)?;
    match encoding(path, &head[..n])? {
        Encoding::Utf8 => {}
        Encoding::Utf16 { big_endian } => {
            let text = decoded(path, file, big_endian)?;
            let text: &Path = &text;
            let read = read_at(text, reader, progress).map_err(|e| e.renamed(path))?;
            // The file as it is on disk, as its fingerprint is.
            return Ok(ParsedFile { path: path.to_path_buf(), bytes, ..read });
        }
    }
    let reader = match reader {
        Some(r) => r,
        None => detect(path, &head[..n])?,
    };
    drop(file);
    (reader.read)(path, bytes, progress)
}

fn read_up_to(reader: &mut (impl Read + ?Sized), buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
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

/// The raw text an entry was read from, by the reader that read it (a mapping profile's
/// reader too, which is not in `READERS`: nothing is detected as one).
pub fn read_source(path: &Path, format: &str, offset: u64) -> Option<String> {
    let reader = reader(format).or_else(|| (format == profile::READER.name).then_some(&profile::READER))?;
    (reader.raw_text)(path, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
