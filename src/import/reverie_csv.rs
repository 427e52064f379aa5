//! Reverie's CSV export: its columns and how a row becomes an entry. The engine that reads
//! the file (header, quoting, line ends, two threads, limits, cut-off files) is `csv.rs`.

use super::csv::{self, Column, Format, Record};
use super::{parse_time, Fields, ImportError, OutOfRange, Reader, DATE_EXPECTED};
use crate::model::{normalize_type, Labels, ParsedEntry};
use crate::money;

/// Reverie's "Export -> CSV" of the ledger page.
pub(super) static READER: Reader = Reader {
    name: "reverie-csv",
    aliases: &["csv"],
    source: &crate::model::source::REVERIE,
    detect: |head| csv::header_names(head, &["transaction id"]) || csv::header_names(head, &["transaction_id"]),
    read: |path, bytes, progress| csv::read(path, bytes, progress, &FORMAT),
    parse: None,
    raw_text: csv::read_line_at,
};

/// The export's columns; `read_entry` names them by their place here.
pub(super) static FORMAT: Format = Format {
    reader: &READER,
    columns: &[
        Column::required("Transaction ID"),
        Column::required("Date"),
        Column::required("Type"),
        Column::required("Description"),
        Column::required("Amount"),
        Column::required("Balance after"),
        Column::optional("Character"),
        Column::optional("Model"),
    ],
    header: "Transaction ID, Date, Type, Description, Amount, Balance after, Character, Model",
    entry: read_entry,
};

/// Places in `FORMAT.columns`.
const TXN_ID: usize = 0;
const DATE: usize = 1;
const TYPE: usize = 2;
const DESCRIPTION: usize = 3;
const AMOUNT: usize = 4;
const BALANCE_AFTER: usize = 5;
const CHARACTER: usize = 6;
const MODEL: usize = 7;

/// One row of the export.
fn read_entry(row: &Record<'_>, labels: &mut Labels) -> Result<ParsedEntry, ImportError> {
    let txn_id = row.text(TXN_ID)?.trim();
    if txn_id.is_empty() {
        return Err(row.bad(TXN_ID, txn_id, "a transaction ID such as txn_01HV3K…".into()));
    }
    let date = row.text(DATE)?;
    let ts = parse_time(date).ok_or_else(|| row.bad(DATE, date, DATE_EXPECTED.into()))?;
    let kind = row.text(TYPE)?;
    let kind_norm = normalize_type(kind);
    if kind_norm.is_empty() {
        return Err(row.bad(TYPE, kind, "a transaction type such as CHAT or PURCHASE".into()));
    }
    let description = row.text(DESCRIPTION)?.trim();
    let amount_text = row.text(AMOUNT)?;
    let amount = money::parse_units(amount_text).map_err(|e| row.bad(AMOUNT, amount_text, e.to_string()))?;
    let balance_text = row.text(BALANCE_AFTER)?;
    let balance_after =
        money::parse_units(balance_text).map_err(|e| row.bad(BALANCE_AFTER, balance_text, e.to_string()))?;
    let optional =
        |slot| -> Result<Option<&str>, ImportError> { Ok(Some(row.text(slot)?.trim()).filter(|t| !t.is_empty())) };
    let dims = [optional(CHARACTER)?, optional(MODEL)?];
    let fields = Fields {
        txn_id,
        ts,
        kind: &kind_norm,
        description,
        amount,
        balance_after,
        dims: &dims,
        line: row.line,
        offset: row.offset,
    };
    fields.into_entry(labels).map_err(|range| {
        let (slot, text) = match range {
            OutOfRange::Amount => (AMOUNT, amount_text),
            OutOfRange::BalanceAfter => (BALANCE_AFTER, balance_text),
            OutOfRange::Time => (DATE, date),
        };
        row.bad(slot, text, range.expected().into())
    })
}
