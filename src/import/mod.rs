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

/// The raw text an entry was read from, by the reader that read it.
pub fn read_source(path: &Path, format: &str, offset: u64) -> Option<String> {
    (reader(format)?.raw_text)(path, offset)
}

/// What the date fields accept, for error messages.
const DATE_EXPECTED: &str = "an ISO 8601 time such as 2026-03-01T08:00:00Z, 2026-03-01T03:00:00-05:00 or 2026-03-01 08:00:00 (read as UTC), from 1900-01-01T00:00:00Z to 2999-12-31T23:59:59Z in UTC, with an offset of at most 14:00 and at most 6 digits after the second (Reckon keeps microseconds)";

/// The earliest instant read: 1900-01-01T00:00:00Z. The range is the years 1900 to 2999 of the
/// instant in UTC, whatever offset the text carries (`1900-01-01T00:00:00+01:00` is 1899 in UTC
/// and refused); any rendering of an accepted instant with an offset within ±14:00 still has
/// a four-digit year (1899 to 3000) and reads back. Unix microseconds.
pub const MIN_TIME: i64 = -2_208_988_800_000_000;
/// The latest instant read: 2999-12-31T23:59:59.999999Z (`2999-12-31T23:59:59-05:00` is 3000
/// in UTC and refused). Unix microseconds.
pub const MAX_TIME: i64 = 32_503_680_000_000_000 - 1;
/// The largest offset from UTC read (±14:00, the real world's range), in seconds.
pub const MAX_OFFSET_SECONDS: i32 = 14 * 3600;

/// Parses a timestamp as exports write it into Unix microseconds, UTC. `None` for anything
/// else, including instants outside [`MIN_TIME`]`..=`[`MAX_TIME`], offsets beyond ±14:00 and
/// fractions of a second finer than a microsecond (up to nine digits are read when those past
/// the sixth are zeros; others would be dropped silently, so the time is refused instead).
pub fn parse_time(text: &str) -> Option<i64> {
    if !keeps_fraction(text.trim()) {
        return None;
    }
    parse_time_any(text).filter(|ts| (MIN_TIME..=MAX_TIME).contains(ts))
}

/// Whether the fraction of a second in `text` (digits after its `.`, if any) is at most nine
/// digits, none but zeros past the sixth: what microseconds hold exactly.
fn keeps_fraction(text: &str) -> bool {
    let Some(dot) = text.find('.') else { return true };
    let digits = text[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
    digits <= 9 && text[dot + 1..].bytes().take(digits).skip(6).all(|b| b == b'0')
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
            "1899-12-31T23:59:59.999999Z",
            "3000-01-01T00:00:00Z",
            "1900-01-01T00:00:00+00:01",
            "2999-12-31T23:59:59-05:00",
            "1900-01-01T00:00:00+14:00",
            "2999-12-31T23:59:59-14:00",
            "2026-03-01T23:59:60Z",
        ] {
            assert_eq!(parse_time(text), None, "{text}");
        }
        assert!(parse_time("1970-01-01T00:00:00Z").is_some());
    }

    /// The documented range's edges used to be refused: the range is the years 1900 to 2999
    /// of the instant in UTC, whatever the offset.
    #[test]
    fn the_edges_of_the_range_are_read() {
        assert_eq!(parse_time("1900-01-01T00:00:00Z"), Some(MIN_TIME));
        assert_eq!(parse_time("1900-01-01 00:00:00"), Some(MIN_TIME));
        assert_eq!(parse_time("1899-12-31T19:00:00-05:00"), Some(MIN_TIME));
        assert_eq!(parse_time("2999-12-31T23:59:59Z"), Some(MAX_TIME - 999_999));
        assert_eq!(parse_time("2999-12-31T23:59:59.999999Z"), Some(MAX_TIME));
        assert_eq!(parse_time("3000-01-01T04:59:59.999999+05:00"), Some(MAX_TIME));
        assert_eq!(parse_time("2999-12-31T23:59:59+14:00"), Some(MAX_TIME - 999_999 - 14 * 3_600_000_000));
    }

    /// Digits past a microsecond used to be dropped silently (`.1234567` read as `.123456`).
    #[test]
    fn fractions_finer_than_a_microsecond_are_refused_unless_zeros() {
        let second = parse_time("2026-03-01T08:00:00Z").unwrap();
        assert_eq!(parse_time("2026-03-01T08:00:00.123456Z"), Some(second + 123_456));
        assert_eq!(parse_time("2026-03-01T08:00:00.123456000Z"), Some(second + 123_456));
        assert_eq!(parse_time("2026-03-01 08:00:00.5000"), Some(second + 500_000));
        for text in [
            "2026-03-01T08:00:00.1234567Z",
            "2026-03-01T08:00:00.000000001Z",
            "2026-03-01T08:00:00.1234560000Z",
            "2026-03-01 08:00:00.9999999",
            "2026-03-01T03:00:00.0000005-05:00",
        ] {
            assert_eq!(parse_time(text), None, "{text}");
        }
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
