//! Writing a filtered ledger view for the books: the Reverie CSV shape (so an export imports
//! back unchanged) or the Open API JSON shape. Rows stream from the store; nothing is paged
//! into memory whole.

use std::io::Write;

use chrono::{DateTime, Local, SecondsFormat, Utc};

use crate::model::rfc3339;
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
    Csv,
    Json,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the rows failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the file failed.
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
}

/// A stored time in the chosen zone, RFC 3339.
pub fn zoned_time(ts: i64, zone: Zone) -> String {
    match (zone, DateTime::<Utc>::from_timestamp_micros(ts)) {
        (Zone::Utc, _) | (_, None) => rfc3339(ts),
        (Zone::Local, Some(t)) => t.with_timezone(&Local).to_rfc3339_opts(SecondsFormat::AutoSi, false),
    }
}

/// Writes the filtered view, newest first, and returns how many rows were written.
pub fn write_ledger(
    store: &Store,
    filter: &LedgerFilter,
    format_: ExportFormat,
    zone: Zone,
    out: &mut dyn Write,
) -> Result<u64, ExportError> {
    match format_ {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "Transaction ID",
                "Date",
                "Type",
                "Description",
                "Amount",
                "Balance after",
                "Character",
                "Model",
            ])
            .map_err(csv_io)?;
            let n = store.for_each_row(filter, |row| {
                w.write_record([
                    row.txn_id.as_str(),
                    &zoned_time(row.ts, zone),
                    &row.kind,
                    &row.description,
                    &format_signed(row.amount),
                    &format(row.balance_after),
                    row.character.as_deref().unwrap_or(""),
                    row.model.as_deref().unwrap_or(""),
                ])
                .map_err(|e| StoreError::BadValue(e.to_string()))
            })?;
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
                let line = serde_json::to_string(&json_entry(&row, zone)).expect("entries serialise");
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

fn csv_io(e: csv::Error) -> ExportError {
    ExportError::Io(std::io::Error::other(e.to_string()))
}

fn json_entry(row: &LedgerRow, zone: Zone) -> serde_json::Value {
    serde_json::json!({
        "id": row.txn_id,
        "created_at": zoned_time(row.ts, zone),
        "type": row.kind,
        "description": row.description,
        "amount": format(row.amount),
        "balance_after": format(row.balance_after),
        "character": row.character,
        "model": row.model,
    })
}
