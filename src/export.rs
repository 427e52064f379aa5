//! Writing a filtered ledger view for the books: CSV for a spreadsheet (formula-looking text
//! cells defused), the raw Reverie CSV shape or the Open API JSON shape (both import back
//! unchanged). Rows stream from the store; nothing is paged into memory whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, SecondsFormat, Utc};

use crate::model::{rfc3339, Dimension};
use crate::money::{format, format_signed};
use crate::store::{LedgerFilter, LedgerRow, Store, StoreError};

/// The time zone written times are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    #[default]
    Utc,
    /// The machine's local zone, with its offset written out.
    Local,
}

/// What an export file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// CSV for a spreadsheet: a text cell that a spreadsheet would run as a formula (`=…`,
    /// `+…`, `-…`, `@…`) is written with a leading apostrophe (OWASP's CSV-injection guidance).
    Csv,
    /// CSV exactly as the vendor exported it: imports back unchanged; not for spreadsheets.
    CsvRaw,
    /// The Open API JSON shape: imports back unchanged.
    Json,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the rows failed.
    // Not `transparent`: the store error stays in the chain, so a shell finds its remedy.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Writing the export failed.
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    /// Writing the export's file failed.
    #[error("cannot write the export to {path}: {error}")]
    File { path: PathBuf, error: std::io::Error },
}

/// A stored time in the chosen zone, RFC 3339.
pub fn zoned_time(ts: i64, zone: Zone) -> String {
    match (zone, DateTime::<Utc>::from_timestamp_micros(ts)) {
        (Zone::Utc, _) | (_, None) => rfc3339(ts),
        (Zone::Local, Some(t)) => t.with_timezone(&Local).to_rfc3339_opts(SecondsFormat::AutoSi, false),
    }
}

/// Writes the filtered view, newest first, and returns how many rows were written. Columns
/// (CSV) and keys (JSON) beyond the fixed ones are the dimensions of the view's chain (of the
/// first chain when the view spans several).
pub fn write_ledger(
    store: &Store,
    filter: &LedgerFilter,
    format_: ExportFormat,
    zone: Zone,
    out: &mut dyn Write,
) -> Result<u64, ExportError> {
    let dims = view_dimensions(store, filter)?;
    let cell: fn(&str) -> std::borrow::Cow<'_, str> = match format_ {
        ExportFormat::Csv => crate::escape::spreadsheet,
        _ => raw,
    };
    match format_ {
        ExportFormat::Csv | ExportFormat::CsvRaw => {
            let mut w = csv::Writer::from_writer(out);
            let fixed = ["Transaction ID", "Date", "Type", "Description", "Amount", "Balance after"];
            w.write_record(fixed.iter().copied().chain(dims.iter().map(|d| d.title.as_str()))).map_err(csv_io)?;
            let mut failure: Option<std::io::Error> = None;
            let n = store.for_each_row(filter, |row| {
                let (time, amount, balance) = (
                    zoned_time(row.ts, zone),
                    format_signed(row.amount),
                    row.balance_after.map(format).unwrap_or_default(),
                );
                let fixed = [
                    cell(&row.txn_id),
                    time.into(),
                    cell(&row.kind),
                    cell(&row.description),
                    amount.into(),
                    balance.into(),
                ];
                let labels = (0..dims.len()).map(|d| cell(row.labels.get(d).and_then(|l| l.as_deref()).unwrap_or("")));
                w.write_record(fixed.into_iter().chain(labels).map(|c| c.into_owned())).map_err(|e| {
                    let message = e.to_string();
                    if let csv::ErrorKind::Io(io) = e.into_kind() {
                        failure = Some(io);
                    }
                    StoreError::BadValue(message)
                })
            });
            if let Some(io) = failure {
                return Err(ExportError::Io(io));
            }
            let n = n?;
            w.flush()?;
            Ok(n)
        }
        ExportFormat::Json => {
            out.write_all(b"{\"data\": [")?;
            let mut first = true;
            let mut failure: Option<std::io::Error> = None;
            let n = store.for_each_row(filter, |row| {
                let sep = if first { "\n  " } else { ",\n  " };
                first = false;
                let line = serde_json::to_string(&json_entry(&row, &dims, zone)).expect("entries serialise");
                if let Err(e) = write!(out, "{sep}{line}") {
                    failure.get_or_insert(e);
                }
                Ok(())
            })?;
            if let Some(e) = failure {
                return Err(e.into());
            }
            out.write_all(b"\n], \"next_cursor\": null}\n")?;
            Ok(n)
        }
    }
}

/// Writes the filtered view to `path` atomically: into a new file beside it, renamed over it
/// only once complete, so a failed export never leaves half a file and never touches any
/// other file. Returns how many rows were written.
pub fn export_to_file(
    store: &Store,
    filter: &LedgerFilter,
    format_: ExportFormat,
    zone: Zone,
    path: &Path,
) -> Result<u64, ExportError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let io = |error: std::io::Error| ExportError::File { path: path.to_path_buf(), error };
    let temp = tempfile::Builder::new().prefix(".reckon-export-").tempfile_in(dir).map_err(io)?;
    let mut out = std::io::BufWriter::new(temp);
    let n = write_ledger(store, filter, format_, zone, &mut out)?;
    let temp = out.into_inner().map_err(|e| io(e.into_error()))?;
    temp.as_file().sync_all().map_err(io)?;
    temp.persist(path).map_err(|e| io(e.error))?;
    Ok(n)
}

/// A cell as it is.
fn raw(text: &str) -> std::borrow::Cow<'_, str> {
    std::borrow::Cow::Borrowed(text)
}

/// The dimensions of the chain a view shows.
fn view_dimensions(store: &Store, filter: &LedgerFilter) -> Result<Vec<Dimension>, StoreError> {
    match filter.chain_id {
        Some(id) => store.dimensions(id),
        None => Ok(store.chains()?.into_iter().next().map(|c| c.dimensions).unwrap_or_default()),
    }
}

fn csv_io(e: csv::Error) -> ExportError {
    ExportError::Io(std::io::Error::other(e.to_string()))
}

fn json_entry(row: &LedgerRow, dims: &[Dimension], zone: Zone) -> serde_json::Value {
    let mut entry = serde_json::json!({
        "id": row.txn_id,
        "created_at": zoned_time(row.ts, zone),
        "type": row.kind,
        "description": row.description,
        "amount": format(row.amount),
        "balance_after": row.balance_after.map(format),
    });
    for (d, dim) in dims.iter().enumerate() {
        entry[&dim.key] = serde_json::json!(row.labels.get(d).cloned().flatten());
    }
    entry
}
