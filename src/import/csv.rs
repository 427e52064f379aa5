//! What the CSV readers share: a source declares its columns and how a record becomes an entry
//! (a [`Format`]); this engine does the rest. Header names matched case-insensitively in any
//! order (`_` and `-` read as spaces), RFC 4180 quoting, BOM tolerated, rows in any order. CR,
//! LF and CRLF each end a record, mixed in one file as RFC 4180 readers allow (a lone CR is read
//! as LF, see [`LoneCr`]). Large files are read as two halves on two threads, each streamed
//! once; the split falls on a record boundary, found by [`RecordScan`] exactly as the csv crate
//! parses. Reading is bounded: file, record and field sizes (`MAX_*` in `import`) and entries
//! per file. The last row may go without a line end (spreadsheets leave it off); a file that
//! ends inside a quoted value, or inside a row short of the header's columns, was cut off and
//! is refused rather than read with a cut value. Errors name the line and the column.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::{shown, ImportError, Reader, MAX_ENTRIES, MAX_FIELD_BYTES, MAX_FILE_BYTES, MAX_RECORD_BYTES};
use crate::model::{Labels, ParsedEntry, ParsedFile};

/// A CSV source: its columns, and how one record becomes an entry. The engine reads the file.
pub(super) struct Format {
    /// The reader this format is read by: the `ParsedFile`'s format and source.
    pub reader: &'static Reader,
    /// The columns an entry is read from; a [`Record`] names them by their place here.
    pub columns: &'static [Column],
    /// The header as the export writes it, for messages.
    pub header: &'static str,
    /// One record read into an entry, its texts interned into the labels.
    pub entry: fn(&Record<'_>, &mut Labels) -> Result<ParsedEntry, ImportError>,
}

/// A column a [`Format`] reads.
pub(super) struct Column {
    /// As the export's header writes it (`Balance after`); also names the column in messages.
    pub name: &'static str,
    /// Whether a header without it is refused (else its values read as empty).
    pub required: bool,
    /// Other names a header may give it.
    pub aliases: &'static [&'static str],
}

/// What the engine reads a file by: a source's static [`Format`], or a layout built at run
/// time (a saved mapping profile, `profile.rs`). The one seam between a CSV source and the
/// engine; every layout is read by the same parallel reader.
pub(super) trait Layout: Sync {
    /// The reader the `ParsedFile` is stamped with (its format and source).
    fn reader(&self) -> &'static Reader;
    /// The columns an entry is read from; a [`Record`] names them by their place here.
    fn columns(&self) -> &[Column];
    /// The header as the export writes it, for messages.
    fn header(&self) -> &'static str;
    /// The field delimiter; `None`: `,`, or TAB when the header is tab-separated.
    fn delimiter(&self) -> Option<u8> {
        None
    }
    /// The label dimensions the entries carry, in order.
    fn dimensions(&self) -> Vec<crate::model::Dimension> {
        self.reader().source.dimensions()
    }
    /// One record read into an entry, its texts interned into the labels.
    fn entry(&self, row: &Record<'_>, labels: &mut Labels) -> Result<ParsedEntry, ImportError>;
}

impl Layout for Format {
    fn reader(&self) -> &'static Reader {
        self.reader
    }
    fn columns(&self) -> &[Column] {
        self.columns
    }
    fn header(&self) -> &'static str {
        self.header
    }
    fn entry(&self, row: &Record<'_>, labels: &mut Labels) -> Result<ParsedEntry, ImportError> {
        (self.entry)(row, labels)
    }
}

impl Column {
    /// A column every file has.
    pub const fn required(name: &'static str) -> Column {
        Column { name, required: true, aliases: &[] }
    }

    /// A column a file may leave out.
    pub const fn optional(name: &'static str) -> Column {
        Column { name, required: false, aliases: &[] }
    }
}

/// Files smaller than this are read on one thread; the split costs more than it saves.
const PARALLEL_MIN: u64 = 8 << 20;

/// Where each of a format's columns is in the file's header.
struct Columns {
    /// Field index of each of the format's columns, in its order; `None` where the header has
    /// none (an optional column).
    index: Vec<Option<usize>>,
    /// `,`, or TAB in a tab-separated file (Excel's "Unicode text").
    delimiter: u8,
}

fn header_key(name: &str) -> String {
    name.trim_start_matches('\u{feff}').trim().to_ascii_lowercase().replace(['_', '-'], " ")
}

impl Columns {
    fn from_header(
        path: &Path,
        format: &dyn Layout,
        header: &csv::ByteRecord,
        delimiter: u8,
    ) -> Result<Columns, ImportError> {
        let names: Vec<String> = header.iter().map(|f| header_key(&String::from_utf8_lossy(f))).collect();
        let mut index = vec![None; format.columns().len()];
        for (slot, column) in format.columns().iter().enumerate() {
            let wanted: Vec<String> =
                std::iter::once(column.name).chain(column.aliases.iter().copied()).map(header_key).collect();
            let mut found = names.iter().enumerate().filter(|(_, n)| wanted.contains(n)).map(|(i, _)| i);
            index[slot] = found.next();
            if let (Some(first), Some(second)) = (index[slot], found.next()) {
                return Err(ImportError::DuplicateColumn {
                    path: path.to_path_buf(),
                    line: 1,
                    name: column.name,
                    first: first as u64 + 1,
                    second: second as u64 + 1,
                });
            }
            if index[slot].is_none() && column.required {
                return Err(ImportError::MissingColumn {
                    path: path.to_path_buf(),
                    line: 1,
                    name: column.name,
                    found: header
                        .iter()
                        .map(|f| shown(String::from_utf8_lossy(f).trim_start_matches('\u{feff}').trim()))
                        .collect::<Vec<_>>()
                        .join(", "),
                    expected: format.header(),
                });
            }
        }
        Ok(Columns { index, delimiter })
    }
}

/// A byte stream with every lone CR (one not followed by LF) turned into LF, byte for byte, so
/// offsets stay those of the file. The csv crate, ending records at LF only (see [`builder`]),
/// then ends one at CR, LF or CRLF, and counts a CR-only line end (Excel's "CSV (Macintosh)",
/// or one stray CR in an LF file) as a line; [`RecordScan`] reads the same bytes.
struct LoneCr<R> {
    inner: R,
    /// A byte read ahead to judge the CR before it.
    pending: Option<u8>,
}

impl<R: Read> LoneCr<R> {
    fn new(inner: R) -> Self {
        LoneCr { inner, pending: None }
    }
}

impl<R: Read> Read for LoneCr<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut n = 0;
        if let Some(b) = self.pending.take() {
            buf[0] = b;
            n = 1;
        }
        if n < buf.len() {
            match self.inner.read(&mut buf[n..]) {
                Ok(k) => n += k,
                Err(e) => {
                    // Kept for a retry (`Interrupted`).
                    self.pending = (n == 1).then_some(buf[0]);
                    return Err(e);
                }
            }
        }
        if n == 0 {
            return Ok(0);
        }
        let mut at = 0;
        while let Some(i) = memchr::memchr(b'\r', &buf[at..n - 1]).map(|i| at + i) {
            if buf[i + 1] != b'\n' {
                buf[i] = b'\n';
            }
            at = i + 1;
        }
        if buf[n - 1] == b'\r' {
            let mut next = [0u8; 1];
            let k = loop {
                match self.inner.read(&mut next) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other?,
                }
            };
            if k == 0 || next[0] != b'\n' {
                buf[n - 1] = b'\n';
            }
            if k == 1 {
                self.pending = Some(next[0]);
            }
        }
        Ok(n)
    }
}

/// The bytes of one range of the file as the CSV reader pulls them through (lone CRs already
/// LFs): counted for progress, bounded (a file past `MAX_FILE_BYTES`, a record past
/// `MAX_RECORD_BYTES` stop the read with [`Overrun`]), the last byte and the end noted.
struct Tap<'a, R> {
    inner: LoneCr<R>,
    shared: &'a AtomicU64,
    /// The file offset of the next byte.
    pos: u64,
    state: &'a TapState,
}

/// Which limit a [`Tap`] hit; carried through the csv crate as an `io::Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum Overrun {
    #[error("the file goes past the size limit")]
    File,
    #[error("a record goes past the size limit")]
    Record,
}

impl<'a, R: Read> Tap<'a, R> {
    fn new(inner: R, at: u64, shared: &'a AtomicU64, state: &'a TapState) -> Self {
        state.record_start.set(at);
        state.pos.set(at);
        Tap { inner: LoneCr::new(inner), shared, pos: at, state }
    }
}

/// What a [`Tap`] shares with the loop that reads its records.
#[derive(Default)]
struct TapState {
    /// Where the record being read starts (the reading loop sets it before each record).
    record_start: Cell<u64>,
    /// The last byte read, once any has been.
    last: Cell<Option<u8>>,
    /// The file offset after the last byte read.
    pos: Cell<u64>,
    /// The input has ended.
    eof: Cell<bool>,
}

impl TapState {
    /// Whether the record that ended at file offset `after` was the input's last and had no
    /// line end after it: the csv crate ended it at the end of the input.
    fn ended_unterminated(&self, after: u64) -> bool {
        self.eof.get() && after == self.pos.get() && self.last.get() != Some(b'\n')
    }
}

impl<R: Read> Read for Tap<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Only a record still unfinished asks for more bytes, so everything read since its
        // start belongs to it.
        if self.pos - self.state.record_start.get() > MAX_RECORD_BYTES {
            return Err(std::io::Error::other(Overrun::Record));
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.state.eof.set(true);
            return Ok(0);
        }
        self.pos += n as u64;
        if self.pos > MAX_FILE_BYTES {
            return Err(std::io::Error::other(Overrun::File));
        }
        self.state.pos.set(self.pos);
        self.state.last.set(Some(buf[n - 1]));
        self.shared.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Finds record boundaries exactly where the csv crate (as `builder` configures it) ends
/// records: an LF outside a quoted field, where a quote opens a quoted field only as a field's
/// first byte (after the delimiter or a line end), `""` inside one is a quote, and a quote anywhere else is text. Fed in pieces;
/// it jumps between quotes and LFs with `memchr`, so it costs about what counting them does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RecordScan {
    quoted: bool,
    /// A quote ended the last piece inside a quoted field: the next byte decides.
    pending_quote: bool,
    /// The byte before the next piece (LF at a record's start).
    prev: u8,
    delimiter: u8,
}

impl RecordScan {
    /// A scan at the start of a record of fields separated by `delimiter`.
    fn new(delimiter: u8) -> Self {
        RecordScan { quoted: false, pending_quote: false, prev: b'\n', delimiter }
    }

    /// Whether the bytes fed so far end inside a quoted field.
    fn in_quotes(&self) -> bool {
        self.quoted && !self.pending_quote
    }

    /// Feeds the next `buf`; returns the index of the first LF in it that ends a record,
    /// searching from `from`. The scan then stands just after that LF (feed `&buf[i + 1..]`
    /// to go on); with `None` it has taken all of `buf`.
    fn feed(&mut self, buf: &[u8], from: usize) -> Option<usize> {
        let mut i = 0;
        if self.pending_quote && !buf.is_empty() {
            self.pending_quote = false;
            if buf[0] == b'"' {
                i = 1;
            } else {
                self.quoted = false;
            }
        }
        while i < buf.len() {
            if self.quoted {
                match memchr::memchr(b'"', &buf[i..]) {
                    None => return None,
                    Some(j) if i + j + 1 == buf.len() => {
                        self.pending_quote = true;
                        return None;
                    }
                    Some(j) if buf[i + j + 1] == b'"' => i += j + 2,
                    Some(j) => {
                        self.quoted = false;
                        i += j + 1;
                    }
                }
                continue;
            }
            let quote = memchr::memchr(b'"', &buf[i..]).map(|j| i + j);
            let end = quote.unwrap_or(buf.len());
            let lo = i.max(from);
            if lo < end {
                if let Some(k) = memchr::memchr(b'\n', &buf[lo..end]) {
                    self.prev = b'\n';
                    return Some(lo + k);
                }
            }
            match quote {
                None => break,
                Some(q) => {
                    let prev = if q == 0 { self.prev } else { buf[q - 1] };
                    self.quoted = prev == self.delimiter || prev == b'\n';
                    i = q + 1;
                }
            }
        }
        if let Some(&last) = buf.last() {
            self.prev = last;
        }
        None
    }
}

fn builder(delimiter: u8) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(1 << 16)
        // Ending records at LF only keeps record positions on the first byte of their line for
        // CRLF files too; the CR that stays on the last field is trimmed like all whitespace.
        .terminator(csv::Terminator::Any(b'\n'));
    b
}

/// One contiguous byte range of the file, read into entries.
struct Part {
    labels: Labels,
    entries: Vec<ParsedEntry>,
}

/// A CSV reader's `read`: a whole file of `bytes` bytes in `format`, reporting `(done, total)`
/// bytes.
pub(super) fn read(
    path: &Path,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
    format: &Format,
) -> Result<ParsedFile, ImportError> {
    read_with(path, bytes, progress, format, PARALLEL_MIN)
}

/// [`read`] for a layout built at run time (a mapping profile): the same engine.
pub(super) fn read_layout(
    path: &Path,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
    layout: &dyn Layout,
) -> Result<ParsedFile, ImportError> {
    read_with(path, bytes, progress, layout, PARALLEL_MIN)
}

/// What a file's header says: its columns, width, delimiter, and where its records start.
struct Body {
    columns: Columns,
    width: usize,
    start: u64,
    /// The line `start` is on.
    line: u64,
    /// A regular file (not a device or a pipe), whose length can be trusted.
    regular: bool,
}

/// Opens `path`, checks its length and reads its header against `format`.
fn body(path: &Path, bytes: u64, format: &dyn Layout) -> Result<Body, ImportError> {
    let io = |source| ImportError::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    // A device or a pipe has no length worth trusting (`/dev/zero` says 0): it is read to its
    // end, whatever its metadata says, and only the limits stop it.
    let regular = file.metadata().map_err(io)?.is_file();
    if regular && bytes > MAX_FILE_BYTES {
        return Err(ImportError::limit(path, (1, 1), "the file is longer", MAX_FILE_BYTES));
    }
    // The header, and where the first record starts. A header of one field with TABs in it is
    // tab-separated (Excel's "Unicode text", once decoded from UTF-16): read again so.
    let read_header = |file: std::fs::File, delimiter: u8| -> Result<_, ImportError> {
        let (header_done, header_state) = (AtomicU64::new(0), TapState::default());
        let mut reader =
            builder(delimiter).has_headers(false).from_reader(Tap::new(file, 0, &header_done, &header_state));
        let mut header = csv::ByteRecord::new();
        if !reader.read_byte_record(&mut header).map_err(|e| csv_error(path, e))? {
            return Err(ImportError::UnknownFormat { path: path.to_path_buf(), reason: "the file is empty".into() });
        }
        let (body_start, body_line) = (reader.position().byte(), reader.position().line());
        Ok((header, body_start, body_line, header_state.ended_unterminated(body_start)))
    };
    let mut delimiter = format.delimiter().unwrap_or(b',');
    let mut header = read_header(file, delimiter)?;
    if format.delimiter().is_none() && header.0.len() == 1 && header.0[0].contains(&b'\t') {
        delimiter = b'\t';
        header = read_header(std::fs::File::open(path).map_err(io)?, delimiter)?;
    }
    let (header, start, line, unterminated) = header;
    // A header alone, without a line end, is an empty export; one whose quote runs to the end
    // of the file is not a header.
    if regular && unterminated && record_left_open(path, 0, delimiter).map_err(io)? {
        return Err(left_open(path, 1));
    }
    let columns = Columns::from_header(path, format, &header, delimiter)?;
    Ok(Body { columns, width: header.len(), start, line, regular })
}

fn read_with(
    path: &Path,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
    format: &dyn Layout,
    parallel_min: u64,
) -> Result<ParsedFile, ImportError> {
    let io = |source| ImportError::Io { path: path.to_path_buf(), source };
    let Body { columns, width, start: body_start, line: body_line, regular } = body(path, bytes, format)?;
    let delimiter = columns.delimiter;

    let split = if regular && bytes >= parallel_min {
        find_split(path, body_start, body_line, bytes, delimiter).map_err(io)?
    } else {
        None
    };
    let ranges = match split {
        Some((at, line)) => vec![(body_start, Some(at), body_line), (at, None, line)],
        None => vec![(body_start, None, body_line)],
    };
    let done = AtomicU64::new(body_start);
    let cancel = AtomicBool::new(false);
    let finished = AtomicU64::new(0);
    let results: Vec<Result<Part, ImportError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|&(start, end, first_line)| {
                let (columns, done, cancel, finished) = (&columns, &done, &cancel, &finished);
                scope.spawn(move || {
                    let range = Range { start, end, first_line };
                    let part = read_range(path, range, format, columns, width, done, cancel);
                    finished.fetch_add(1, Ordering::Release);
                    part
                })
            })
            .collect();
        while finished.load(Ordering::Acquire) < ranges.len() as u64 {
            if progress(done.load(Ordering::Relaxed).min(bytes), bytes).is_break() {
                cancel.store(true, Ordering::Relaxed);
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        handles.into_iter().map(|h| h.join().expect("a reader thread panicked")).collect()
    });
    if cancel.load(Ordering::Relaxed) {
        return Err(ImportError::Cancelled);
    }
    let mut parts = results.into_iter().collect::<Result<Vec<Part>, ImportError>>()?;
    if parts.iter().map(|p| p.entries.len()).sum::<usize>() > MAX_ENTRIES {
        let line = parts.last().and_then(|p| p.entries.last()).map_or(1, |e| e.line);
        return Err(too_many_entries(path, line));
    }

    if progress(bytes, bytes).is_break() {
        return Err(ImportError::Cancelled);
    }
    let mut first = parts.remove(0);
    for mut part in parts {
        let map = first.labels.absorb(&part.labels);
        part.entries.iter_mut().for_each(|e| e.relabel(&map));
        first.entries.append(&mut part.entries);
    }
    Ok(ParsedFile {
        path: path.to_path_buf(),
        format: format.reader().name,
        source: format.reader().source.name,
        dimensions: format.dimensions(),
        chains: vec![None],
        bytes,
        labels: first.labels,
        entries: first.entries,
        anchors: Vec::new(),
    })
}

/// A record boundary near the middle: the first LF at or after it that ends a record (see
/// [`RecordScan`]). Returns the byte after that LF and its line; `body_start` is on `body_line`.
fn find_split(
    path: &Path,
    body_start: u64,
    body_line: u64,
    bytes: u64,
    delimiter: u8,
) -> std::io::Result<Option<(u64, u64)>> {
    let mid = body_start + (bytes - body_start) / 2;
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(body_start))?;
    let mut reader = BufReader::with_capacity(1 << 20, LoneCr::new(file));
    let (mut pos, mut lines, mut scan) = (body_start, body_line - 1, RecordScan::new(delimiter));
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        let len = buf.len();
        let from = mid.saturating_sub(pos).min(len as u64) as usize;
        if let Some(i) = scan.feed(buf, from) {
            lines += memchr::memchr_iter(b'\n', &buf[..=i]).count() as u64;
            let at = pos + i as u64 + 1;
            return Ok((at < bytes).then_some((at, lines + 1)));
        }
        lines += memchr::memchr_iter(b'\n', buf).count() as u64;
        pos += len as u64;
        reader.consume(len);
    }
}

/// Record boundaries about every `every` bytes after `body_start` (on `body_line`): the byte
/// after each LF that ends a record there, and its line. One pass over the file with
/// [`RecordScan`], which costs about what counting LFs does.
fn boundaries(
    path: &Path,
    body_start: u64,
    body_line: u64,
    bytes: u64,
    delimiter: u8,
    every: u64,
) -> std::io::Result<Vec<(u64, u64)>> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(body_start))?;
    let mut reader = BufReader::with_capacity(1 << 20, LoneCr::new(file));
    let (mut pos, mut lines, mut scan) = (body_start, body_line - 1, RecordScan::new(delimiter));
    let mut target = body_start + every.max(1);
    let mut found = Vec::new();
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(found);
        }
        let len = buf.len();
        let mut off = 0;
        while off < len {
            let from = target.saturating_sub(pos + off as u64).min((len - off) as u64) as usize;
            match scan.feed(&buf[off..], from) {
                Some(i) => {
                    lines += memchr::memchr_iter(b'\n', &buf[off..=off + i]).count() as u64;
                    let at = pos + (off + i) as u64 + 1;
                    if at < bytes {
                        found.push((at, lines + 1));
                    }
                    target = at + every.max(1);
                    off += i + 1;
                }
                None => {
                    lines += memchr::memchr_iter(b'\n', &buf[off..]).count() as u64;
                    off = len;
                }
            }
        }
        pos += len as u64;
        reader.consume(len);
    }
}

/// A file cut at record boundaries into windows of about a given size, each read on its own
/// into a `ParsedFile` of its entries (labels numbered per window), so that a large file can
/// be stored window by window. Errors name the same line and column as a whole read.
pub(super) struct Windows<'f> {
    path: std::path::PathBuf,
    bytes: u64,
    format: &'f dyn Layout,
    columns: Columns,
    width: usize,
    ranges: Vec<Range>,
}

impl<'f> Windows<'f> {
    /// Cuts `path` (`bytes` long, a regular file) into windows of about `every` bytes; `None`
    /// for a device or a pipe.
    pub(super) fn new(
        path: &Path,
        bytes: u64,
        format: &'f dyn Layout,
        every: u64,
    ) -> Result<Option<Windows<'f>>, ImportError> {
        let io = |source| ImportError::Io { path: path.to_path_buf(), source };
        let body = body(path, bytes, format)?;
        if !body.regular {
            return Ok(None);
        }
        let cuts = boundaries(path, body.start, body.line, bytes, body.columns.delimiter, every).map_err(io)?;
        let mut ranges = Vec::with_capacity(cuts.len() + 1);
        let (mut start, mut first_line) = (body.start, body.line);
        for (at, line) in cuts {
            ranges.push(Range { start, end: Some(at), first_line });
            (start, first_line) = (at, line);
        }
        ranges.push(Range { start, end: None, first_line });
        Ok(Some(Windows { path: path.to_path_buf(), bytes, format, columns: body.columns, width: body.width, ranges }))
    }

    pub(super) fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Reads window `i`, adding the bytes it reads to `done`; stops when `cancel` is set.
    pub(super) fn read(&self, i: usize, done: &AtomicU64, cancel: &AtomicBool) -> Result<ParsedFile, ImportError> {
        let part = read_range(&self.path, self.ranges[i], self.format, &self.columns, self.width, done, cancel)?;
        Ok(ParsedFile {
            path: self.path.clone(),
            format: self.format.reader().name,
            source: self.format.reader().source.name,
            dimensions: self.format.dimensions(),
            chains: vec![None],
            bytes: self.bytes,
            labels: part.labels,
            entries: part.entries,
            anchors: Vec::new(),
        })
    }
}

/// One contiguous byte range of the file: `end` is `None` for "to the end of the file".
#[derive(Debug, Clone, Copy)]
struct Range {
    start: u64,
    end: Option<u64>,
    first_line: u64,
}

fn read_range(
    path: &Path,
    range: Range,
    format: &dyn Layout,
    columns: &Columns,
    width: usize,
    done: &AtomicU64,
    cancel: &AtomicBool,
) -> Result<Part, ImportError> {
    let io = |source| ImportError::Io { path: path.to_path_buf(), source };
    if let Some((part, read)) = lines::read(path, range, format, columns, width, cancel).map_err(io)? {
        done.fetch_add(read, Ordering::Relaxed);
        return part;
    }
    read_range_csv(path, range, format, columns, width, done, cancel)
}

/// `read_range` by the csv crate.
fn read_range_csv(
    path: &Path,
    range: Range,
    format: &dyn Layout,
    columns: &Columns,
    width: usize,
    done: &AtomicU64,
    cancel: &AtomicBool,
) -> Result<Part, ImportError> {
    let Range { start, end, first_line } = range;
    let io = |source| ImportError::Io { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(io)?;
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    let state = TapState::default();
    let tap = Tap::new(file.take(end.map_or(u64::MAX, |e| e - start)), start, done, &state);
    let mut reader = builder(columns.delimiter).has_headers(false).from_reader(tap);
    let mut labels = Labels::default();
    // Rows are roughly 100 bytes; reserving avoids regrowing a million-entry vector.
    let expected_len = end.unwrap_or_else(|| std::fs::metadata(path).map_or(0, |m| m.len())).saturating_sub(start);
    let mut entries = Vec::with_capacity((expected_len.min(MAX_FILE_BYTES) / 90) as usize);
    let mut record = csv::ByteRecord::new();
    let mut since_check = 0u32;
    // Where the last record read starts, its line, and whether it was blank.
    let mut last = (start, first_line, true);
    loop {
        let next = reader.position().clone();
        state.record_start.set(start + next.byte());
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error_at(path, e, first_line + next.line() - 1, first_line)),
        }
        let pos = record.position().expect("records read from a reader have a position");
        let (mut line, mut offset) = (first_line + pos.line() - 1, start + pos.byte());
        // The csv crate skips empty lines before a record but dates the record from the first
        // of them: the lines it read past the record's own (its line breaks inside quotes and
        // its line end) are those empty lines, one LF byte each (a CRLF one is a record of
        // whitespace, skipped below), and the record starts after them.
        let own = memchr::memchr_iter(b'\n', record.as_slice()).count() as u64
            + u64::from(!state.ended_unterminated(start + reader.position().byte()));
        let skipped = reader.position().line().saturating_sub(pos.line() + own);
        line += skipped;
        offset += skipped;
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            last = (offset, line, true);
            continue;
        }
        last = (offset, line, false);
        if record.len() != width {
            if end.is_none() && record_left_open(path, offset, columns.delimiter).map_err(io)? {
                return Err(left_open(path, line));
            }
            // The last row, short of its columns and without a line end: cut off.
            if record.len() < width && state.ended_unterminated(start + reader.position().byte()) {
                return Err(cut_off(path, line, record.len(), width));
            }
            return Err(ImportError::malformed(
                path,
                (line, 1),
                &format!("this row has {} fields where the header has {width}", record.len()),
                "Quote any value that contains a comma (\"Hello, world\") or add the missing fields.".into(),
            ));
        }
        if record.as_slice().len() > MAX_FIELD_BYTES {
            if let Some(i) = (0..record.len()).find(|&i| record[i].len() > MAX_FIELD_BYTES) {
                let column = field_column(path, offset, i, columns.delimiter);
                return Err(ImportError::limit(path, (line, column), "a value is longer", MAX_FIELD_BYTES as u64));
            }
        }
        // One UTF-8 check for the whole record instead of one per field.
        let whole = std::str::from_utf8(record.as_slice()).ok();
        let row = Record { path, record: Fields::Csv(&record), whole, line, offset, columns, format };
        entries.push(format.entry(&row, &mut labels)?);
        if entries.len() > MAX_ENTRIES {
            return Err(too_many_entries(path, line));
        }
        since_check += 1;
        if since_check == 16_384 {
            since_check = 0;
            if cancel.load(Ordering::Relaxed) {
                return Err(ImportError::Cancelled);
            }
        }
    }
    // Only the range that runs to the end of the file can end inside a quoted value (which
    // the csv crate closes at the end of the file). A complete last row may go without a line
    // end; one short of its columns was refused above.
    let (offset, line, blank) = last;
    if end.is_none() && !blank && record_left_open(path, offset, columns.delimiter).map_err(io)? {
        return Err(left_open(path, line));
    }
    Ok(Part { labels, entries })
}

/// Whether the record that starts at `offset` runs to the end of the file inside quotes (the
/// csv crate ends such a field at the end of the file, as if it were closed). Error path and
/// once per file only: it re-reads at most one record's bytes.
fn record_left_open(path: &Path, offset: u64, delimiter: u8) -> std::io::Result<bool> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut tail = Vec::new();
    LoneCr::new(file.take(MAX_RECORD_BYTES + 1)).read_to_end(&mut tail)?;
    let mut scan = RecordScan::new(delimiter);
    Ok(tail.len() as u64 <= MAX_RECORD_BYTES && scan.feed(&tail, 0).is_none() && scan.in_quotes())
}

fn left_open(path: &Path, line: u64) -> ImportError {
    ImportError::malformed(
        path,
        (line, 1),
        "the file ends inside a quoted value that starts on this row",
        "The file looks cut off, or a quote is missing: export it again, or close the quote.".into(),
    )
}

/// The file ends on `line`, inside a row of `fields` fields where the header has `width`.
fn cut_off(path: &Path, line: u64, fields: usize, width: usize) -> ImportError {
    ImportError::malformed(
        path,
        (line, 1),
        &format!(
            "the file ends inside this row ({fields} fields where the header has {width}), without a line end after it; it looks cut off"
        ),
        "Export it again, or complete the row.".into(),
    )
}

fn too_many_entries(path: &Path, line: u64) -> ImportError {
    ImportError::Limit {
        path: path.to_path_buf(),
        line,
        column: 1,
        what: "the file holds more entries",
        limit: format!("{MAX_ENTRIES} entries"),
    }
}

/// A record's fields: as the csv crate read them, or cut from one line by `lines::read`
/// (`whole` is then the line, and each field a range of it).
#[derive(Clone, Copy)]
enum Fields<'a> {
    Csv(&'a csv::ByteRecord),
    Line(&'a [std::ops::Range<usize>], &'a [u8]),
}

impl<'a> Fields<'a> {
    /// Where field `index` lies in the record's `whole` text.
    fn range(self, index: usize) -> Option<std::ops::Range<usize>> {
        match self {
            Fields::Csv(record) => record.range(index),
            Fields::Line(bounds, _) => bounds.get(index).cloned(),
        }
    }

    fn get(self, index: usize) -> &'a [u8] {
        match self {
            Fields::Csv(record) => record.get(index).unwrap_or(b""),
            Fields::Line(bounds, line) => bounds.get(index).map_or(b"", |r| &line[r.clone()]),
        }
    }
}

/// One record of a file, as a [`Format`]'s `entry` reads it: its fields by the format's
/// columns, its line and byte offset, and errors that name the field's line and column.
pub(super) struct Record<'a> {
    path: &'a Path,
    record: Fields<'a>,
    /// The record's fields end to end, when they are valid UTF-8 together.
    whole: Option<&'a str>,
    /// The record's line in the file (a record may span several: its first).
    pub line: u64,
    /// The byte offset of the record's first byte in the file.
    pub offset: u64,
    columns: &'a Columns,
    format: &'a dyn Layout,
}

impl<'a> Record<'a> {
    /// The text of column `slot` (its place in the format's `columns`), untrimmed; empty when
    /// the header has no such (optional) column.
    pub fn text(&self, slot: usize) -> Result<&'a str, ImportError> {
        match self.columns.index[slot] {
            Some(i) => self.field(i, slot),
            None => Ok(""),
        }
    }

    /// Column `slot`'s `value` cannot be read: `expected` says what would be, at the value's
    /// line and column.
    pub fn bad(&self, slot: usize, value: &str, expected: String) -> ImportError {
        self.bad_at(self.columns.index[slot], self.format.columns()[slot].name, value, expected)
    }

    /// Field `index` of the record, column `slot`'s (named only for an error).
    fn field(&self, index: usize, slot: usize) -> Result<&'a str, ImportError> {
        // `get` refuses a range off a character boundary (a character split across two
        // fields), which then gets the per-field check and its error below.
        if let Some(text) = self.whole.zip(self.record.range(index)).and_then(|(whole, range)| whole.get(range)) {
            return Ok(text);
        }
        let raw = self.record.get(index);
        std::str::from_utf8(raw).map_err(|_| {
            self.bad_at(
                Some(index),
                self.format.columns()[slot].name,
                &String::from_utf8_lossy(raw),
                "UTF-8 text; save the export as UTF-8".into(),
            )
        })
    }

    fn bad_at(&self, index: Option<usize>, field: &'static str, value: &str, expected: String) -> ImportError {
        let column = index.map_or(1, |i| field_column(self.path, self.offset, i, self.columns.delimiter));
        ImportError::bad_value(self.path, (self.line, column), field, value, expected)
    }
}

/// The 1-based character column where field `index` starts on the row at byte `offset`.
/// Only called on the error path, so it re-reads that one line from the file.
fn field_column(path: &Path, offset: u64, index: usize, delimiter: u8) -> u64 {
    let Some(line) = read_line_at(path, offset) else {
        return 1;
    };
    let mut field = 0;
    let mut in_quotes = false;
    for (column, c) in line.chars().enumerate() {
        if field == index {
            return column as u64 + 1;
        }
        match c {
            '"' => in_quotes = !in_quotes,
            c if c == char::from(delimiter) && !in_quotes => field += 1,
            _ => {}
        }
    }
    line.chars().count() as u64 + 1
}

/// The text of the source line that starts at byte `offset` of `path`, without its line end.
pub fn read_line_at(path: &Path, offset: u64) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut line = Vec::new();
    BufReader::new(file.take(MAX_RECORD_BYTES)).read_until(b'\n', &mut line).ok()?;
    // A CR-only file's line ends at its CR.
    if let Some(cr) = memchr::memchr(b'\r', &line) {
        line.truncate(cr);
    }
    let mut text = String::from_utf8_lossy(&line).into_owned();
    if offset == 0 {
        text = text.trim_start_matches('\u{feff}').to_string();
    }
    Some(text.trim_end_matches(['\r', '\n']).to_string())
}

fn csv_error(path: &Path, e: csv::Error) -> ImportError {
    csv_error_at(path, e, 1, 1)
}

/// A csv error of a reader that started on line `first_line`, met while reading the record
/// that starts on line `record_line`.
fn csv_error_at(path: &Path, e: csv::Error, record_line: u64, first_line: u64) -> ImportError {
    if let csv::ErrorKind::Io(io) = e.kind() {
        match io.get_ref().and_then(|inner| inner.downcast_ref::<Overrun>()) {
            Some(Overrun::Record) => {
                return ImportError::limit(path, (record_line, 1), "a row is longer", MAX_RECORD_BYTES)
            }
            Some(Overrun::File) => {
                return ImportError::limit(path, (record_line, 1), "the file is longer", MAX_FILE_BYTES)
            }
            None => {}
        }
    }
    let line_of = |pos: Option<&csv::Position>| pos.map_or(first_line, |p| first_line + p.line() - 1);
    let (line, problem, fix) = match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => (
            line_of(pos.as_ref()),
            format!("this row has {len} fields where the header has {expected_len}"),
            "Quote any value that contains a comma (\"Hello, world\") or add the missing fields.".to_string(),
        ),
        csv::ErrorKind::Utf8 { pos, err } => (
            line_of(pos.as_ref()),
            format!("field {} is not UTF-8", err.field() + 1),
            "Save the export as UTF-8.".to_string(),
        ),
        csv::ErrorKind::Io(io) => (first_line, format!("cannot read the file: {io}"), "Check the file.".to_string()),
        _ => (first_line, e.to_string(), "Check the file is an unmodified CSV export.".to_string()),
    };
    ImportError::malformed(path, (line, 1), &problem, fix)
}

/// Whether the first line of `head` (a file's first bytes) names every one of `names`,
/// compared case-insensitively: how a CSV source recognises its export by its header. A lone
/// CR ends the line too (Excel's "CSV (Macintosh)"): else the header of a grant ledger saved so
/// runs on into its rows, whose `credits` currency passed for the usage feed's `Credits`.
pub(super) fn header_names(head: &str, names: &[&str]) -> bool {
    let first_line = head.split(['\n', '\r']).next().unwrap_or("").to_ascii_lowercase();
    names.iter().all(|name| first_line.contains(name))
}

// The mapping builder's preview (import/profile.rs): the first records of a file as text, and
// one record's fields, read here so that scanning records stays in the engine.

/// The first `n` records of `path` as text with their first line (records may span lines
/// inside quotes), each ending in a line end.
pub(super) fn head_lines(path: &Path, n: usize) -> std::io::Result<Vec<(u64, String)>> {
    use std::io::BufRead;
    let file = std::fs::File::open(path)?;
    let mut reader = std::io::BufReader::new(std::io::Read::take(file, super::MAX_RECORD_BYTES * 21));
    let mut out: Vec<(u64, String)> = Vec::new();
    let mut line_no = 0u64;
    let mut pending: Option<(u64, String)> = None;
    let mut buf = Vec::new();
    while out.len() < n {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line_no += 1;
        let text = String::from_utf8_lossy(&buf).into_owned();
        let (start, mut record) = pending.take().unwrap_or((line_no, String::new()));
        record.push_str(&text);
        if record.matches('"').count() % 2 == 1 {
            pending = Some((start, record));
            continue;
        }
        if !record.ends_with('\n') {
            record.push('\n');
        }
        if start == 1 || !record.trim().is_empty() {
            out.push((start, record));
        }
    }
    if let Some(p) = pending {
        out.push(p);
    }
    Ok(out)
}

/// The fields of one record's text (the preview's cells).
pub(super) fn split_row(text: &str, delimiter: u8) -> Vec<String> {
    let mut reader =
        ::csv::ReaderBuilder::new().has_headers(false).delimiter(delimiter).flexible(true).from_reader(text.as_bytes());
    let mut record = ::csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(|f| f.trim_start_matches('\u{feff}').to_string()).collect(),
        _ => Vec::new(),
    }
}

/// A window of plain lines read without the csv crate: every record one line ending in LF,
/// each field either unquoted (no quote in it) or quoted whole without a doubled quote inside,
/// as a chat app's export writes its rows. Byte for byte what the csv crate reads there, at a
/// fraction of its cost a byte (its state machine was a fifth of an import's instructions); a
/// window holding anything else (a quote inside a value, a line break inside quotes, a lone
/// CR, a row of the wrong width, a value a reader refuses, a limit reached) is read by the csv
/// crate instead, from its first byte, so its entries and errors are the csv crate's.
mod lines {
    use std::cell::RefCell;
    use std::io::{Read, Seek, SeekFrom};
    use std::ops::Range as Span;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::{Columns, Fields, Layout, Part, Range, Record, MAX_ENTRIES, MAX_FIELD_BYTES, MAX_RECORD_BYTES};
    use crate::import::ImportError;
    use crate::model::Labels;

    /// The longest range read this way; a longer one goes to the csv crate.
    const MAX_BYTES: u64 = 64 << 20;

    thread_local! {
        /// Each reader thread's window bytes, kept from one window to the next (a fresh
        /// buffer faulted in page by page would cost about what the read does).
        static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }

    /// Reads `range` line by line, with the bytes it read; `None` when it is not plain lines,
    /// or when the reader refused an entry (the csv crate's read then says where and why). A
    /// range to the end of the file is read so only from a regular file that ends in LF (the
    /// last row complete, no quote left open).
    pub(super) fn read(
        path: &std::path::Path,
        range: Range,
        format: &dyn Layout,
        columns: &Columns,
        width: usize,
        cancel: &AtomicBool,
    ) -> std::io::Result<Option<(Result<Part, ImportError>, u64)>> {
        let Range { start, end, first_line } = range;
        let mut file = std::fs::File::open(path)?;
        let end = match end {
            Some(end) => end,
            None => {
                let meta = file.metadata()?;
                if !meta.is_file() {
                    return Ok(None);
                }
                meta.len()
            }
        };
        if end <= start || end - start > MAX_BYTES {
            return Ok(None);
        }
        BUFFER.with(|buffer| {
            let mut buffer = buffer.borrow_mut();
            buffer.clear();
            file.seek(SeekFrom::Start(start))?;
            file.take(end - start).read_to_end(&mut buffer)?;
            if buffer.len() as u64 != end - start {
                return Ok(None);
            }
            Ok(parse(&buffer, start, first_line, format, columns, width, cancel).map(|part| (part, end - start)))
        })
    }

    /// `read` of the bytes `text`, which start at file offset `start` on line `first_line`.
    pub(super) fn parse(
        text: &[u8],
        start: u64,
        first_line: u64,
        format: &dyn Layout,
        columns: &Columns,
        width: usize,
        cancel: &AtomicBool,
    ) -> Option<Result<Part, ImportError>> {
        let delimiter = columns.delimiter;
        if text.last() != Some(&b'\n') || matches!(delimiter, b'"' | b'\r' | b'\n') {
            return None;
        }
        // A CR is a line end of its own unless LF follows it (`LoneCr`).
        if memchr::memchr_iter(b'\r', text).any(|i| text.get(i + 1) != Some(&b'\n')) {
            return None;
        }
        // One UTF-8 check for the whole range, not one per row: any row that is not UTF-8
        // sends the range to the csv crate either way. A row starts after an LF and ends
        // before one, so its bounds are character boundaries of the checked text.
        let checked = std::str::from_utf8(text).ok()?;
        let path = std::path::Path::new("");
        let mut labels = Labels::default();
        let mut entries = Vec::with_capacity(text.len() / 90);
        let mut bounds: Vec<Span<usize>> = Vec::with_capacity(width);
        let (mut at, mut line) = (0usize, first_line);
        while at < text.len() {
            let end = at + memchr::memchr(b'\n', &text[at..]).expect("the text ends in LF");
            let (row, whole) = (&text[at..end], &checked[at..end]);
            let (offset, this_line) = (start + at as u64, line);
            (at, line) = (end + 1, line + 1);
            // A line of nothing but blanks and delimiters: the csv crate's record of blank
            // fields, or no record at all, which the read skips either way.
            if row.iter().all(|&b| b == delimiter || b.is_ascii_whitespace()) {
                continue;
            }
            if row.len() as u64 > MAX_RECORD_BYTES || !split(row, delimiter, &mut bounds) || bounds.len() != width {
                return None;
            }
            if bounds.iter().any(|r| r.len() > MAX_FIELD_BYTES) {
                return None;
            }
            let record = Record {
                path,
                record: Fields::Line(&bounds, row),
                whole: Some(whole),
                line: this_line,
                offset,
                columns,
                format,
            };
            entries.push(format.entry(&record, &mut labels).ok()?);
            if entries.len() > MAX_ENTRIES {
                return None;
            }
            if entries.len() % 16_384 == 0 && cancel.load(Ordering::Relaxed) {
                return Some(Err(ImportError::Cancelled));
            }
        }
        Some(Ok(Part { labels, entries }))
    }

    /// Cuts `row` (a line without its LF) into `bounds` at `delimiter`: `false` where the csv
    /// crate might read it otherwise (a quote anywhere but around a whole value, a doubled
    /// quote inside one).
    fn split(row: &[u8], delimiter: u8, bounds: &mut Vec<Span<usize>>) -> bool {
        bounds.clear();
        let mut at = 0;
        loop {
            if row.get(at) == Some(&b'"') {
                let Some(close) = memchr::memchr(b'"', &row[at + 1..]).map(|i| at + 1 + i) else { return false };
                bounds.push(at + 1..close);
                match row.get(close + 1) {
                    None => return true,
                    Some(&b) if b == delimiter => at = close + 2,
                    Some(_) => return false,
                }
            } else {
                match memchr::memchr2(delimiter, b'"', &row[at..]).map(|i| at + i) {
                    None => {
                        bounds.push(at..row.len());
                        return true;
                    }
                    Some(i) if row[i] == b'"' => return false,
                    Some(i) => {
                        bounds.push(at..i);
                        at = i + 1;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::money;

    /// The engine read with Reverie's columns, on one thread for files under `parallel_min`.
    fn read_with(
        path: &Path,
        bytes: u64,
        progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
        parallel_min: u64,
    ) -> Result<ParsedFile, ImportError> {
        super::read_with(path, bytes, progress, &super::super::reverie_csv::FORMAT, parallel_min)
    }

    /// A file whose middle falls inside a quoted description spanning two lines.
    fn sample(dir: &Path) -> std::path::PathBuf {
        let mut text = String::from("\u{feff}Transaction ID,Date,Type,Description,Amount,Balance after\r\n");
        let mut balance = 0i64;
        for i in 0..200 {
            balance += 100;
            let desc = if i % 7 == 0 { "\"two\nlines, \"\"quoted\"\"\"" } else { "plain" };
            text.push_str(&format!(
                "txn_{i:04},2026-03-01T08:{:02}:{:02}Z,BONUS,{desc},+1.00,{}.00\r\n",
                i / 60,
                i % 60,
                balance / 100
            ));
        }
        let path = dir.join("sample.csv");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn two_halves_read_exactly_like_one_pass() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let bytes = std::fs::metadata(&path).unwrap().len();
        let one = read_with(&path, bytes, &mut |_, _| ControlFlow::Continue(()), u64::MAX).unwrap();
        let two = read_with(&path, bytes, &mut |_, _| ControlFlow::Continue(()), 0).unwrap();
        assert_eq!(one.entries.len(), 200);
        assert!(find_split(&path, 60, 2, bytes, b',').unwrap().is_some(), "the file is split");
        let text = |f: &ParsedFile, e: &ParsedEntry| {
            (f.labels.text(e.kind).to_string(), f.labels.text(e.description).to_string())
        };
        for (a, b) in one.entries.iter().zip(&two.entries) {
            assert_eq!(
                (&a.txn_id, a.ts, a.amount, a.balance_after, a.line, a.offset, a.hash),
                (&b.txn_id, b.ts, b.amount, b.balance_after, b.line, b.offset, b.hash)
            );
            assert_eq!(text(&one, a), text(&two, b));
        }
        assert_eq!(one.entries.len(), two.entries.len());
        // Line numbers count the line inside quotes: entry 1 starts on line 4.
        assert_eq!(one.entries[1].line, 4);
        assert_eq!(
            read_line_at(&path, one.entries[1].offset).unwrap(),
            "txn_0001,2026-03-01T08:00:01Z,BONUS,plain,+1.00,2.00"
        );
    }

    /// A character whose bytes straddle a comma is valid UTF-8 once the fields are joined end
    /// to end, but neither field is: that must be an error naming the field, not a panic.
    #[test]
    fn a_character_split_across_two_fields_is_not_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("split.csv");
        let mut bytes = b"Transaction ID,Date,Type,Description,Amount,Balance after\n".to_vec();
        bytes.extend_from_slice(b"txn_1,2026-03-01T08:00:00Z,BONUS,+1.00,1.00,caf\xC3\n".as_slice());
        bytes.extend_from_slice(b"txn_2,2026-03-01T08:00:01Z,BONUS,caf\xC3,\xA9,2.00\n".as_slice());
        std::fs::write(&path, &bytes).unwrap();
        let err = read_with(&path, bytes.len() as u64, &mut |_, _| ControlFlow::Continue(()), u64::MAX).unwrap_err();
        match err {
            ImportError::BadValue { line, field, expected, .. } => {
                assert_eq!((line, field), (2, "Balance after"));
                assert!(expected.contains("UTF-8"), "{expected}");
            }
            other => panic!("unexpected {other}"),
        }
        let mut bytes = b"Transaction ID,Date,Type,Description,Amount,Balance after\n".to_vec();
        bytes.extend_from_slice(b"txn_2,2026-03-01T08:00:01Z,BONUS,caf\xC3,\xA9,2.00\n".as_slice());
        std::fs::write(&path, &bytes).unwrap();
        let err = read_with(&path, bytes.len() as u64, &mut |_, _| ControlFlow::Continue(()), u64::MAX).unwrap_err();
        match err {
            ImportError::BadValue { line, field, column, .. } => {
                assert_eq!((line, field, column), (2, "Description", 34))
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn a_bad_value_in_the_second_half_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("txn_0150,2026-03-01T08:02:30Z", "txn_0150,2026-03-01T08:02:30Q");
        std::fs::write(&path, &text).unwrap();
        let bytes = text.len() as u64;
        let err = read_with(&path, bytes, &mut |_, _| ControlFlow::Continue(()), 0).unwrap_err();
        let line = text.lines().position(|l| l.starts_with("txn_0150")).unwrap() as u64 + 1;
        match err {
            ImportError::BadValue { line: l, column, field, .. } => {
                assert_eq!((l, column, field), (line, 10, "Date"));
            }
            other => panic!("unexpected {other}"),
        }
    }

    const HEAD: &str = "Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model\n";

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn read_at(path: &Path, parallel_min: u64) -> Result<ParsedFile, ImportError> {
        let bytes = std::fs::metadata(path).unwrap().len();
        read_with(path, bytes, &mut |_, _| ControlFlow::Continue(()), parallel_min)
    }

    /// What a read gave, comparable across reads: every entry's fields, or the error's text.
    fn outcome(r: &Result<ParsedFile, ImportError>) -> Result<Vec<String>, String> {
        match r {
            Ok(f) => Ok(f
                .entries
                .iter()
                .map(|e| {
                    format!(
                        "{} {} {} {} {} {} {} {} {:?}",
                        e.txn_id,
                        e.ts,
                        f.labels.text(e.kind),
                        f.labels.text(e.description),
                        e.amount,
                        e.balance_after,
                        e.line,
                        e.offset,
                        e.dims.map(|d| if d == 0 { "" } else { f.labels.text(d) })
                    )
                })
                .collect()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Empty lines between rows (which the csv crate skips, dating the next record from the
    /// first of them) leave every entry on its own line and offset, read on one thread or two,
    /// and an error after them at its own line and column.
    #[test]
    fn rows_after_empty_lines_keep_their_own_line_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        let rows = [
            "txn_1,2026-03-01T08:00:00Z,BONUS,\"two\n\nlines\",+1.00,1.00,,",
            "txn_2,2026-03-01T08:00:01Z,BONUS,b,+1.00,2.00,,",
            "txn_3,2026-03-01T08:00:02Z,BONUS,c,+1.00,3.00,,",
        ];
        let text = format!("{HEAD}\n{}\n\n\n{}\n\n{}", rows[0], rows[1], rows[2]);
        let path = write(dir.path(), "empty-lines.csv", text.as_bytes());
        for parallel_min in [u64::MAX, 1] {
            let file = read_at(&path, parallel_min).unwrap();
            let at: Vec<(u64, String)> =
                file.entries.iter().map(|e| (e.line, read_line_at(&path, e.offset).unwrap())).collect();
            assert_eq!(
                at,
                vec![
                    (3, "txn_1,2026-03-01T08:00:00Z,BONUS,\"two".to_string()),
                    (8, rows[1].into()),
                    (10, rows[2].into())
                ]
            );
        }
        let bad = write(dir.path(), "bad.csv", format!("{HEAD}\n\n{}\n", rows[1].replace("+1.00", "x")).as_bytes());
        match read_at(&bad, u64::MAX) {
            Err(ImportError::BadValue { line, column, .. }) => assert_eq!((line, column), (4, 36)),
            other => panic!("{:?}", other.map(|f| f.entries.len())),
        }
    }

    /// The audit's case: a literal quote inside an unquoted field (which the csv crate reads as
    /// text) made the quote-counting split land inside a quoted multi-line value.
    #[test]
    fn a_literal_quote_in_an_unquoted_field_does_not_move_the_split() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from(HEAD);
        for i in 0..100 {
            let desc = match i {
                10 => "a 12\" screen".to_string(),
                60 => "\"line one\nline two\"".to_string(),
                _ => "plain".to_string(),
            };
            text.push_str(&format!("txn_{i:03},2026-03-01T08:00:{:02}Z,BONUS,{desc},+1.00,{}.00,,\n", i % 60, i + 1));
        }
        let path = write(dir.path(), "quote.csv", text.as_bytes());
        let one = read_at(&path, u64::MAX);
        assert_eq!(
            one.as_ref().map(|f| f.entries.len()).ok(),
            Some(100),
            "{:?}",
            one.as_ref().err().map(|e| e.to_string())
        );
        assert_eq!(outcome(&one), outcome(&read_at(&path, 0)));
    }

    /// Excel's "CSV (Macintosh)" ends lines with CR alone: it used to import as 0 entries.
    #[test]
    fn cr_only_line_ends_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("{HEAD}txn_1,2026-03-01T08:00:00Z,BONUS,a,+1.00,1.00,,\ntxn_2,2026-03-01T08:00:01Z,CHAT,\"b\nc\",-0.50,0.50,,GPT-5 mini\n")
            .replace('\n', "\r");
        let path = write(dir.path(), "mac.csv", text.as_bytes());
        let file = read_at(&path, u64::MAX).unwrap();
        assert_eq!(file.entries.len(), 2);
        assert_eq!((file.entries[1].line, file.labels.text(file.entries[1].description)), (3, "b\nc"));
        assert_eq!(
            read_line_at(&path, file.entries[0].offset).unwrap(),
            "txn_1,2026-03-01T08:00:00Z,BONUS,a,+1.00,1.00,,"
        );
    }

    /// A complete last row without a line end (spreadsheets leave it off) used to be refused as
    /// cut off, in every variant: LF, CRLF, a one-row file, a closed quoted last field.
    #[test]
    fn a_complete_last_row_without_a_line_end_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let row1 = "txn_1,2026-03-01T08:00:00Z,CHAT,a,-1.00,1.00,,GPT-5 mini";
        let row2 = "txn_2,2026-03-01T08:00:01Z,CHAT,\"b, c\",-0.50,0.50,Nemo,\"GPT-5 mini\"";
        for (name, text, n) in [
            ("lf.csv", format!("{HEAD}{row1}\n{row2}"), 2),
            ("crlf.csv", format!("{HEAD}{row1}\n{row2}").replace('\n', "\r\n"), 2),
            ("one.csv", format!("{HEAD}{row1}"), 1),
            ("quoted.csv", format!("{HEAD}{row2}"), 1),
            ("cr.csv", format!("{HEAD}{row1}\n{row2}").replace('\n', "\r"), 2),
        ] {
            let path = write(dir.path(), name, text.as_bytes());
            for parallel_min in [u64::MAX, 0] {
                let file = read_at(&path, parallel_min).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(file.entries.len(), n, "{name}");
                let last = file.entries.last().unwrap();
                assert_eq!(file.labels.text(last.dims[1]), "GPT-5 mini", "{name}");
            }
        }
        // A header alone is an empty export, with or without a line end; trailing blank lines
        // are fine.
        for (name, text) in [("empty.csv", HEAD), ("head.csv", HEAD.trim_end())] {
            let path = write(dir.path(), name, text.as_bytes());
            assert_eq!(read_at(&path, u64::MAX).unwrap().entries.len(), 0, "{name}");
        }
        let path = write(dir.path(), "blank.csv", format!("{HEAD}{row1}\n\n  ").as_bytes());
        assert_eq!(read_at(&path, u64::MAX).unwrap().entries.len(), 1);
    }

    /// A file cut short of the last row's columns, or inside a quoted value, is refused.
    #[test]
    fn a_file_cut_inside_its_last_row_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let whole = format!("{HEAD}txn_1,2026-03-01T08:00:00Z,CHAT,a,-1.00,1.00,,GPT-5 mini\n");
        let cut = &whole[..whole.find(",,GPT").unwrap()];
        let path = write(dir.path(), "cut.csv", cut.as_bytes());
        for parallel_min in [u64::MAX, 0] {
            let err = read_at(&path, parallel_min).unwrap_err().to_string();
            assert!(
                err.contains("cut.csv:2:1: the file ends inside this row (6 fields where the header has 8)"),
                "{err}"
            );
        }
        // The same short row with its line end is a short row.
        let path = write(dir.path(), "short.csv", format!("{cut}\n").as_bytes());
        let err = read_at(&path, u64::MAX).unwrap_err().to_string();
        assert!(err.contains("short.csv:2:1: this row has 6 fields where the header has 8"), "{err}");
        // Cut inside a quoted value: the csv crate would close it at the end of the file.
        let quoted = format!("{HEAD}txn_1,2026-03-01T08:00:00Z,CHAT,a,-1.00,1.00,,\"GPT-5\nmini\n");
        let path = write(dir.path(), "open.csv", quoted.as_bytes());
        let err = read_at(&path, u64::MAX).unwrap_err().to_string();
        assert!(err.contains("open.csv:2:1: the file ends inside a quoted value"), "{err}");
        // A header whose quote runs to the end of the file.
        let path = write(dir.path(), "head.csv", b"Transaction ID,Date,Type,Description,Amount,Balance after,\"Model");
        let err = read_at(&path, u64::MAX).unwrap_err().to_string();
        assert!(err.contains("head.csv:1:1: the file ends inside a quoted value"), "{err}");
    }

    /// One stray CR in an LF file used to run two rows together ("15 fields where the header
    /// has 8"): CR, LF and CRLF each end a record, as RFC 4180 readers read them.
    #[test]
    fn mixed_line_ends_each_end_a_record() {
        let dir = tempfile::tempdir().unwrap();
        let rows: Vec<String> = (0..40)
            .map(|i| format!("txn_{i},2026-03-01T08:00:{:02}Z,BONUS,\"d\r\n{i}\",+1.00,{}.00,,", i % 60, i + 1))
            .collect();
        let mut text = String::from(HEAD);
        for (i, row) in rows.iter().enumerate() {
            text.push_str(row);
            text.push_str(["\n", "\r", "\r\n"][i % 3]);
        }
        let path = write(dir.path(), "mixed.csv", text.as_bytes());
        let one = read_at(&path, u64::MAX).unwrap();
        assert_eq!(one.entries.len(), 40);
        // Each row is a line of its own (the quoted CRLF inside counts as one).
        assert_eq!(
            one.entries.iter().map(|e| e.line).collect::<Vec<_>>(),
            (0..40).map(|i| 2 + 2 * i).collect::<Vec<_>>()
        );
        assert_eq!(one.labels.text(one.entries[1].description), "d\r\n1");
        assert_eq!(read_line_at(&path, one.entries[1].offset).unwrap(), "txn_1,2026-03-01T08:00:01Z,BONUS,\"d");
        assert_eq!(outcome(&Ok(one)), outcome(&read_at(&path, 0)));
        // The hostile corpus's case: a lone CR between two rows of an LF file.
        let text = format!("{HEAD}{}\r{}\n{}\n", rows[0], rows[1], rows[2]).replace("\r\n", "  ");
        let path = write(dir.path(), "lone.csv", text.as_bytes());
        let file = read_at(&path, u64::MAX).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file.entries.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 3, 4]);
    }

    #[test]
    fn a_column_named_twice_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let text = "Transaction ID,Date,Type,Description,Amount,Balance after,amount\ntxn_1,2026-03-01T08:00:00Z,BONUS,a,+1.00,1.00,+2.00\n";
        let path = write(dir.path(), "dup.csv", text.as_bytes());
        match read_at(&path, u64::MAX).unwrap_err() {
            ImportError::DuplicateColumn { name, first, second, .. } => {
                assert_eq!((name, first, second), ("Amount", 5, 7))
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn a_huge_value_is_refused_and_quoted_short() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("{HEAD}txn_1,2026-03-01T08:00:00Z,BONUS,{},+1.00,1.00,,\n", "d".repeat(MAX_FIELD_BYTES + 1));
        let path = write(dir.path(), "field.csv", text.as_bytes());
        let err = read_at(&path, u64::MAX).unwrap_err().to_string();
        assert!(err.contains("field.csv:2:34: a value is longer than Reckon reads (64 KiB)"), "{err}");
        let text = format!("{HEAD}txn_1,{},BONUS,a,+1.00,1.00,,\n", "9".repeat(60_000));
        let path = write(dir.path(), "date.csv", text.as_bytes());
        let err = read_at(&path, u64::MAX).unwrap_err().to_string();
        assert!(err.len() < 600 && err.contains("(60000 bytes in all)"), "{} bytes: {}", err.len(), &err[..200]);
        let text = format!("{HEAD}txn_1,\"{}\n", "x\n".repeat(MAX_RECORD_BYTES as usize));
        let path = write(dir.path(), "record.csv", text.as_bytes());
        let err = read_at(&path, u64::MAX).unwrap_err().to_string();
        assert!(err.contains("record.csv:2:1: a row is longer than Reckon reads (1 MiB)"), "{err}");
    }

    /// An endless input (`/dev/zero` claims 0 bytes) stops at the record limit, at once.
    #[test]
    #[cfg(target_os = "linux")]
    fn an_endless_file_stops_at_a_limit() {
        let started = std::time::Instant::now();
        let err = read_with(Path::new("/dev/zero"), 0, &mut |_, _| ControlFlow::Continue(()), 0).unwrap_err();
        assert!(matches!(err, ImportError::Limit { line: 1, .. }), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    /// Splits `bytes` with the csv crate as `builder` configures it: each record's fields.
    fn records(bytes: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut reader = builder(b',').has_headers(false).from_reader(bytes);
        reader.byte_records().map(|r| r.unwrap().iter().map(<[u8]>::to_vec).collect()).collect()
    }

    /// Record-ending LFs by csv_core's states, one byte at a time: 0 a field's start, 1 an
    /// unquoted field, 2 a quoted field, 3 a quote inside a quoted field.
    fn boundaries(bytes: &[u8]) -> Vec<usize> {
        let (mut state, mut out) = (0u8, Vec::new());
        for (i, &b) in bytes.iter().enumerate() {
            state = match (state, b) {
                (2, b'"') => 3,
                (2, _) => 2,
                (0, b'"') | (3, b'"') => 2,
                (_, b',') => 0,
                (_, b'\n') => {
                    out.push(i);
                    0
                }
                _ => 1,
            };
        }
        out
    }

    /// Reverie's header with both optional columns, as the tests of plain lines write it.
    const LINES_HEAD: &str = "Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model\n";

    /// `text` (a header and rows) read from its first row to its end both ways: by
    /// `lines::parse` (`None` where it leaves the text to the csv crate) and by the csv crate.
    fn both_ways(text: &str) -> (Option<Result<Part, ImportError>>, Result<Part, ImportError>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lines.csv");
        std::fs::write(&path, text).unwrap();
        let format = &super::super::reverie_csv::FORMAT;
        let body = body(&path, text.len() as u64, format).unwrap();
        let range = Range { start: body.start, end: None, first_line: body.line };
        let cancel = AtomicBool::new(false);
        let bytes = &text.as_bytes()[body.start as usize..];
        let fast = lines::parse(bytes, body.start, body.line, format, &body.columns, body.width, &cancel);
        let csv = read_range_csv(&path, range, format, &body.columns, body.width, &AtomicU64::new(0), &cancel);
        (fast, csv)
    }

    /// Two reads of the same rows agree: the same entries, and the same labels by id.
    fn same_part(a: &Part, b: &Part) -> bool {
        a.entries == b.entries
            && a.labels.len() == b.labels.len()
            && (1..=a.labels.len() as u32).all(|id| a.labels.text(id) == b.labels.text(id))
    }

    #[test]
    fn plain_lines_are_read_without_the_csv_crate_and_anything_else_with_it() {
        let plain = format!(
            "{LINES_HEAD}txn_2,2026-04-08T15:13:40Z,CHAT,\"DeepSeek V3.2 reply, 153 tokens\",-0.10,552.35,Aria,DeepSeek V3.2\n\
             \n  \n,,,\n\
             txn_1,2026-04-08T15:12:19Z,IMAGE,Flux image,-5,552.45,,\r\n"
        );
        let (fast, csv) = both_ways(&plain);
        let (fast, csv) = (fast.expect("plain lines are read line by line").unwrap(), csv.unwrap());
        assert_eq!(fast.entries.len(), 2);
        assert!(same_part(&fast, &csv));
        assert_eq!((fast.entries[1].line, fast.entries[1].offset), (6, plain.find("txn_1").unwrap() as u64));
        // Each of these goes to the csv crate, which reads what it reads.
        for row in [
            "txn_3,2026-04-08T15:13:40Z,CHAT,\"say \"\"hi\"\"\",-0.10,552.35,Aria,M\n",
            "txn_3,2026-04-08T15:13:40Z,CHAT,\"two\nlines\",-0.10,552.35,Aria,M\n",
            "txn_3,2026-04-08T15:13:40Z,CHAT,5\" screen,-0.10,552.35,Aria,M\n",
            "txn_3,2026-04-08T15:13:40Z,CHAT,\"quoted\" after,-0.10,552.35,Aria,M\n",
            "txn_3,2026-04-08T15:13:40Z,CHAT,a\rb,-0.10,552.35,Aria,M\n",
            "txn_3,2026-04-08T15:13:40Z,CHAT,short row,-0.10,552.35\n",
            "txn_3,not a date,CHAT,reply,-0.10,552.35,Aria,M\n",
            "txn_3,2026-04-08T15:13:40Z,CHAT,reply,-0.10,552.35,Aria,\"M\"\r\n",
        ] {
            let (fast, _) = both_ways(&format!("{plain}{row}"));
            assert!(fast.is_none(), "{row:?} is left to the csv crate");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

        /// Whatever the rows, a text read line by line gives exactly what the csv crate
        /// gives; and rows of plain values are read line by line.
        #[test]
        fn lines_read_as_the_csv_crate_reads_them(
            rows in proptest::collection::vec(
                (
                    proptest::sample::select(vec!["txn_1", " txn_2 ", "\"txn_3\"", "", "txn_\"4"]),
                    proptest::sample::select(vec!["2026-03-01T08:00:00Z", "\"2026-03-01T08:00:01Z\"", "bad", "2026-03-01 08:00:02"]),
                    proptest::sample::select(vec!["CHAT", "chat", "\"IMAGE\"", "DAILY LOGIN", ""]),
                    proptest::sample::select(vec![
                        "reply", "\"reply, 12 tokens\"", "\"say \"\"hi\"\"\"", "\"two\nlines\"", "a\"b", " \"lead\"",
                        "\"x\"y", "", "é ü", "\"\"", "a\rb", "\"a;b\"",
                    ]),
                    proptest::sample::select(vec!["-0.10", "\"+1,000.00\"", "1.5", "x", "\u{2212}2.00"]),
                    proptest::sample::select(vec!["552.35", "\"1,000.00\"", "", "7"]),
                    proptest::sample::select(vec!["Aria", "", "\"Orion, B\"", " "]),
                    proptest::sample::select(vec!["M", "", "\"GPT-5\"", "\"GPT\"\r", "x,y", "x,y,z,w"]),
                    proptest::sample::select(vec!["\n", "\r\n", "\n\n", "\n  \n", "\n,,,\n", "\r\r\n"]),
                ),
                1..12,
            ),
        ) {
            let mut text = String::from(LINES_HEAD);
            for (id, date, kind, description, amount, balance, character, model, end) in &rows {
                text.push_str(&format!("{id},{date},{kind},{description},{amount},{balance},{character},{model}{end}"));
            }
            let (fast, csv) = both_ways(&text);
            if let Some(fast) = fast {
                let (fast, csv) = (fast.unwrap(), csv);
                proptest::prop_assert!(csv.is_ok(), "the csv crate refused what was read line by line: {text:?}");
                proptest::prop_assert!(same_part(&fast, &csv.unwrap()), "{text:?}");
            }
        }

        #[test]
        fn plain_rows_are_read_line_by_line(
            rows in proptest::collection::vec(
                (
                    0u32..1000,
                    proptest::sample::select(vec!["CHAT", "IMAGE", "PURCHASE"]),
                    proptest::sample::select(vec!["reply", "\"reply, 12 tokens\"", "", "é ü"]),
                    proptest::sample::select(vec!["Aria", "", "\"Orion, B\""]),
                    proptest::sample::select(vec!["\n", "\r\n", "\n\n"]),
                ),
                1..12,
            ),
        ) {
            let mut text = String::from(LINES_HEAD);
            for (n, kind, description, character, end) in &rows {
                text.push_str(&format!("txn_{n},2026-03-01T08:00:00Z,{kind},{description},-0.10,5.00,{character},M{end}"));
            }
            let (fast, csv) = both_ways(&text);
            let fast = fast.expect("plain rows are read line by line").unwrap();
            proptest::prop_assert!(same_part(&fast, &csv.unwrap()), "{text:?}");
        }
    }

    proptest::proptest! {
        /// Every boundary the scan finds is one the csv crate ends a record at: reading the
        /// bytes before and after it apart gives the records of reading them together, and
        /// the scan finds the boundary nearest to any starting point, fed in any pieces.
        #[test]
        fn fuzz_record_scan_agrees_with_the_csv_crate(
            bytes in proptest::collection::vec(proptest::sample::select(b"a,\"\n\r x".to_vec()), 0..200),
            from in 0usize..200,
            piece in 1usize..50,
        ) {
            let whole = records(&bytes);
            let (mut scan, mut at, mut found) = (RecordScan::new(b','), 0usize, None);
            while at < bytes.len() && found.is_none() {
                let end = (at + piece).min(bytes.len());
                if let Some(i) = scan.feed(&bytes[at..end], from.saturating_sub(at)) {
                    found = Some(at + i);
                }
                at = end;
            }
            if let Some(i) = found {
                proptest::prop_assert!(i >= from.min(bytes.len()) && bytes[i] == b'\n');
                let mut apart = records(&bytes[..=i]);
                apart.extend(records(&bytes[i + 1..]));
                proptest::prop_assert_eq!(&apart, &whole);
            }
            // No boundary was missed: the first one at or after `from` by a byte-at-a-time
            // model of csv_core's states.
            proptest::prop_assert_eq!(found, boundaries(&bytes).into_iter().find(|&j| j >= from));
        }

        /// Read in two halves or in one pass, a file gives the same entries or the same error.
        #[test]
        fn fuzz_two_halves_agree_with_one_pass(
            rows in proptest::collection::vec((0usize..6, 0u32..3), 1..40),
            tail in proptest::sample::select(vec!["\n", "", "\r\n", "\n\n"]),
        ) {
            let descs = ["plain", "a 12\" screen", "\"two\nlines, \"\"q\"\"\"", "x\"", "\"open", "\"\""];
            let mut text = String::from(HEAD);
            let mut balance = 0;
            for (i, (d, kind)) in rows.iter().enumerate() {
                balance += 1;
                let sep = if *kind == 2 { "\r\n" } else { "\n" };
                text.push_str(&format!("txn_{i},2026-03-01T08:00:{:02}Z,BONUS,{},+1.00,{balance}.00,,{sep}", i % 60, descs[*d]));
            }
            text.push_str(tail);
            let dir = tempfile::tempdir().unwrap();
            let path = write(dir.path(), "p.csv", text.as_bytes());
            proptest::prop_assert_eq!(outcome(&read_at(&path, u64::MAX)), outcome(&read_at(&path, 0)));
        }

        /// Arbitrary bytes and damaged exports never panic; every error names the file and a
        /// line; what is accepted lies in the documented ranges; two halves read as one pass.
        #[test]
        fn fuzz_csv_reader(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400),
            flips in proptest::collection::vec((0usize..10_000, proptest::num::u8::ANY), 0..4),
            cut in proptest::option::of(0usize..10_000),
            clean in proptest::bool::ANY,
        ) {
            let mut data = if clean {
                std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/clean.csv")).unwrap()
            } else {
                let mut b = HEAD.as_bytes().to_vec();
                b.extend_from_slice(&bytes);
                b
            };
            for (at, byte) in flips {
                let n = data.len();
                data[at % n] = byte;
            }
            if let Some(c) = cut {
                data.truncate(c % (data.len() + 1));
            }
            let dir = tempfile::tempdir().unwrap();
            let path = write(dir.path(), "f.csv", &data);
            // Split anywhere it can be, a read gives what one pass gives.
            let one = read_at(&path, u64::MAX);
            let two = read_at(&path, 0);
            proptest::prop_assert_eq!(outcome(&one), outcome(&two));
            check_outcome(&path, one)?;
        }
    }

    /// What every read must give: an error naming the file and a line, or entries in range.
    fn check_outcome(
        path: &Path,
        r: Result<ParsedFile, ImportError>,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        check_outcome_from(path, r, 2)
    }

    /// Also for the JSON reader, whose entries start on line 1.
    pub(in crate::import) fn check_outcome_from(
        path: &Path,
        r: Result<ParsedFile, ImportError>,
        first_line: u64,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        match r {
            Err(e) => {
                let text = e.to_string();
                let prefix = format!("{}:", path.display());
                proptest::prop_assert!(text.starts_with(&prefix), "{}", text);
                let line: u64 = text[prefix.len()..].split(':').next().unwrap().parse().unwrap_or(0);
                proptest::prop_assert!(line >= 1, "{}", text);
                proptest::prop_assert!(text.len() < 2_000, "{}", text);
            }
            Ok(f) => {
                for e in &f.entries {
                    proptest::prop_assert!((super::super::MIN_TIME..=super::super::MAX_TIME).contains(&e.ts));
                    let max = money::MAX_CREDITS * 1_000_000;
                    proptest::prop_assert!(e.amount.abs() <= max && e.balance_after.abs() <= max);
                    proptest::prop_assert!(e.line >= first_line && !e.txn_id.is_empty());
                }
            }
        }
        Ok(())
    }
}
