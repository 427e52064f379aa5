//! Reverie's CSV export: header names matched case-insensitively in any order, RFC 4180
//! quoting, BOM and CRLF tolerated, rows in any order. Streams the file once.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::Path;

use super::{parse_time, Format, ImportError, Labels, ParsedEntry, ParsedFile, DATE_EXPECTED};
use crate::model::normalize_type;
use crate::money;

/// The columns, in the order `Columns::index` holds them.
const NAMES: [&str; 8] = [
    "Transaction ID",
    "Date",
    "Type",
    "Description",
    "Amount",
    "Balance after",
    "Character",
    "Model",
];
const REQUIRED: usize = 6;

struct Columns {
    index: [Option<usize>; 8],
}

fn header_key(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .trim()
        .to_ascii_lowercase()
        .replace(['_', '-'], " ")
}

impl Columns {
    fn from_header(path: &Path, header: &csv::ByteRecord) -> Result<Columns, ImportError> {
        let names: Vec<String> = header
            .iter()
            .map(|f| header_key(&String::from_utf8_lossy(f)))
            .collect();
        let mut index = [None; 8];
        for (slot, wanted) in NAMES.iter().enumerate() {
            let wanted = wanted.to_ascii_lowercase();
            index[slot] = names.iter().position(|n| *n == wanted);
            if index[slot].is_none() && slot < REQUIRED {
                return Err(ImportError::MissingColumn {
                    path: path.to_path_buf(),
                    line: 1,
                    name: NAMES[slot],
                    found: header
                        .iter()
                        .map(|f| {
                            String::from_utf8_lossy(f)
                                .trim_start_matches('\u{feff}')
                                .to_string()
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        Ok(Columns { index })
    }
}

/// Counts bytes and hashes them as the CSV reader pulls them through.
struct Tap<R> {
    inner: R,
    read: u64,
    hash: xxhash_rust::xxh3::Xxh3,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

pub(super) fn read(
    path: &Path,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let tap = Tap {
        inner: file,
        read: 0,
        hash: xxhash_rust::xxh3::Xxh3::new(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .buffer_capacity(1 << 16)
        // Ending records at LF only keeps record positions on the first byte of their line for
        // CRLF files too; the CR that stays on the last field is trimmed like all whitespace.
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(tap);
    let header = reader
        .byte_headers()
        .map_err(|e| csv_error(path, e))?
        .clone();
    let columns = Columns::from_header(path, &header)?;

    let mut labels = Labels::default();
    // Rows are roughly 100 bytes; reserving avoids regrowing a million-entry vector.
    let mut entries = Vec::with_capacity((bytes / 90) as usize);
    let mut record = csv::ByteRecord::new();
    let empty = labels.intern("");
    let mut since_report = 0u32;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(path, e)),
        }
        let pos = record
            .position()
            .expect("records read from a reader have a position");
        let (line, offset) = (pos.line(), pos.byte());
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        let row = Row {
            path,
            record: &record,
            line,
            offset,
        };
        let field = |slot: usize| -> Result<&str, ImportError> {
            match columns.index[slot] {
                Some(i) => row.text(i, NAMES[slot]),
                None => Ok(""),
            }
        };
        let txn_id = field(0)?.trim();
        if txn_id.is_empty() {
            return Err(row.bad(
                columns.index[0],
                "Transaction ID",
                txn_id,
                "a transaction ID such as txn_01HV3K…".into(),
            ));
        }
        let date = field(1)?;
        let ts = parse_time(date)
            .ok_or_else(|| row.bad(columns.index[1], "Date", date, DATE_EXPECTED.into()))?;
        let kind = field(2)?;
        let kind_norm = normalize_type(kind);
        if kind_norm.is_empty() {
            return Err(row.bad(
                columns.index[2],
                "Type",
                kind,
                "a transaction type such as CHAT or PURCHASE".into(),
            ));
        }
        let description = field(3)?.trim();
        let amount_text = field(4)?;
        let amount = money::parse_units(amount_text)
            .map_err(|e| row.bad(columns.index[4], "Amount", amount_text, e.to_string()))?;
        let balance_text = field(5)?;
        let balance_after = money::parse_units(balance_text).map_err(|e| {
            row.bad(
                columns.index[5],
                "Balance after",
                balance_text,
                e.to_string(),
            )
        })?;
        let optional = |text: &str, labels: &mut Labels| {
            let t = text.trim();
            (!t.is_empty()).then(|| labels.intern(t))
        };
        let character = optional(field(6)?, &mut labels);
        let model = optional(field(7)?, &mut labels);
        entries.push(ParsedEntry {
            txn_id: txn_id.into(),
            ts,
            kind: labels.intern(&kind_norm),
            description: if description.is_empty() {
                empty
            } else {
                labels.intern(description)
            },
            amount,
            balance_after,
            character,
            model,
            line,
            offset,
        });
        since_report += 1;
        if since_report == 16_384 {
            since_report = 0;
            if progress(offset, bytes).is_break() {
                return Err(ImportError::Cancelled);
            }
        }
    }
    let tap = reader.into_inner();
    if progress(tap.read, bytes).is_break() {
        return Err(ImportError::Cancelled);
    }
    Ok(ParsedFile {
        path: path.to_path_buf(),
        format: Format::ReverieCsv,
        bytes: tap.read,
        file_hash: format!("{:016x}", tap.hash.digest()),
        labels,
        entries,
    })
}

struct Row<'a> {
    path: &'a Path,
    record: &'a csv::ByteRecord,
    line: u64,
    offset: u64,
}

impl Row<'_> {
    fn text(&self, index: usize, field: &'static str) -> Result<&str, ImportError> {
        let raw = self.record.get(index).unwrap_or(b"");
        std::str::from_utf8(raw).map_err(|_| {
            self.bad(
                Some(index),
                field,
                &String::from_utf8_lossy(raw),
                "UTF-8 text; save the export as UTF-8".into(),
            )
        })
    }

    fn bad(
        &self,
        index: Option<usize>,
        field: &'static str,
        value: &str,
        expected: String,
    ) -> ImportError {
        let column = index.map_or(1, |i| field_column(self.path, self.offset, i));
        ImportError::BadValue {
            path: self.path.to_path_buf(),
            line: self.line,
            column,
            field,
            value: value.to_string(),
            expected,
        }
    }
}

/// The 1-based character column where field `index` starts on the row at byte `offset`.
/// Only called on the error path, so it re-reads that one line from the file.
fn field_column(path: &Path, offset: u64, index: usize) -> u64 {
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
            ',' if !in_quotes => field += 1,
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
    BufReader::new(file).read_until(b'\n', &mut line).ok()?;
    let mut text = String::from_utf8_lossy(&line).into_owned();
    if offset == 0 {
        text = text.trim_start_matches('\u{feff}').to_string();
    }
    Some(text.trim_end_matches(['\r', '\n']).to_string())
}

fn csv_error(path: &Path, e: csv::Error) -> ImportError {
    let (line, problem, fix) = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => (
            pos.as_ref().map_or(0, |p| p.line()),
            format!("this row has {len} fields where the header has {expected_len}"),
            "Quote any value that contains a comma (\"Hello, world\") or add the missing fields."
                .to_string(),
        ),
        csv::ErrorKind::Utf8 { pos, err } => (
            pos.as_ref().map_or(0, |p| p.line()),
            format!("field {} is not UTF-8", err.field() + 1),
            "Save the export as UTF-8.".to_string(),
        ),
        csv::ErrorKind::Io(io) => (
            0,
            format!("cannot read the file: {io}"),
            "Check the file.".to_string(),
        ),
        _ => (
            0,
            e.to_string(),
            "Check the file is an unmodified CSV export.".to_string(),
        ),
    };
    ImportError::Malformed {
        path: path.to_path_buf(),
        line: line.max(1),
        column: 1,
        problem,
        fix,
    }
}
