//! The usage feed with refunds (FORMATS.md section 4): its columns and how a row becomes an
//! entry. A charge subtracts its `Credits`, a refund adds them; `Reason` and `Refund of` are
//! the entry's labels. `Balance` may be empty or left out: such a row states no balance.

use super::csv::{self, Column, Format, Record};
use super::{parse_time, Fields, ImportError, OutOfRange, Reader, DATE_EXPECTED};
use crate::model::{content_hash, Labels, ParsedEntry, NO_BALANCE, REFUND};
use crate::money;

/// The feed's CSV export, detected by its `Entry ID` and `Kind` columns when the header is not
/// the grant ledger's (section 5 has the first two, and `Amount` or `Balance change` where the
/// feed has `Credits`): a feed missing its `Credits` is still a feed, and the message names
/// the missing column.
pub(super) static READER: Reader = Reader {
    name: "usage-feed-csv",
    aliases: &[],
    source: &crate::model::source::USAGE_FEED,
    detect: |head| csv::header_names(head, &["entry id", "kind"]) && !super::grant_ledger::looks_like(head),
    read: |path, bytes, progress| csv::read(path, bytes, progress, &FORMAT),
    parse: None,
    raw_text: csv::read_line_at,
};

/// The export's columns; `read_entry` names them by their place here.
pub(super) static FORMAT: Format = Format {
    reader: &READER,
    columns: &[
        Column::required("Entry ID"),
        Column::required("Time"),
        Column::required("Kind"),
        Column::required("Description"),
        Column::required("Credits"),
        Column::optional("Reason"),
        Column::optional("Refund of"),
        Column::optional("Balance"),
    ],
    header: "Entry ID, Time, Kind, Description, Credits, Reason, Refund of, Balance",
    entry: read_entry,
};

/// Places in `FORMAT.columns`.
const ENTRY_ID: usize = 0;
const TIME: usize = 1;
const KIND: usize = 2;
const DESCRIPTION: usize = 3;
const CREDITS: usize = 4;
const REASON: usize = 5;
const REFUND_OF: usize = 6;
const BALANCE: usize = 7;

/// The reference types of the two kinds.
const CHARGE: &str = "CHARGE";

/// One row of the feed.
fn read_entry(row: &Record<'_>, labels: &mut Labels) -> Result<ParsedEntry, ImportError> {
    let entry_id = row.text(ENTRY_ID)?.trim();
    if entry_id.is_empty() {
        return Err(row.bad(ENTRY_ID, entry_id, "an entry ID, the feed's own for the row".into()));
    }
    let time = row.text(TIME)?;
    let ts = parse_time(time).ok_or_else(|| row.bad(TIME, time, DATE_EXPECTED.into()))?;
    let kind_text = row.text(KIND)?;
    let kind = match kind_text.trim().to_ascii_lowercase().as_str() {
        "charge" => CHARGE,
        "refund" => REFUND,
        _ => return Err(row.bad(KIND, kind_text, "charge or refund".into())),
    };
    let description = row.text(DESCRIPTION)?.trim();
    let credits_text = row.text(CREDITS)?;
    let credits = money::parse_units(credits_text).map_err(|e| row.bad(CREDITS, credits_text, e.to_string()))?;
    if credits < 0 {
        return Err(row.bad(
            CREDITS,
            credits_text,
            "a positive number of credits (the Kind says whether they are charged or refunded)".into(),
        ));
    }
    let amount = if kind == CHARGE { -credits } else { credits };
    let balance_text = row.text(BALANCE)?;
    let balance_after = if balance_text.trim().is_empty() {
        None
    } else {
        Some(money::parse_units(balance_text).map_err(|e| row.bad(BALANCE, balance_text, e.to_string()))?)
    };
    let optional =
        |slot| -> Result<Option<&str>, ImportError> { Ok(Some(row.text(slot)?.trim()).filter(|t| !t.is_empty())) };
    let dims = [optional(REASON)?, optional(REFUND_OF)?];
    if dims[1] == Some(entry_id) {
        let text = row.text(REFUND_OF)?;
        let expected = if kind == REFUND {
            "the Entry ID of the charge this refund reimburses, not the refund's own (or empty, to pair it by amount)"
        } else {
            "empty, or the charge a refund reimburses: an entry does not refund itself"
        };
        return Err(row.bad(REFUND_OF, text, expected.into()));
    }
    let fields = Fields {
        txn_id: entry_id,
        ts,
        kind,
        description,
        amount,
        balance_after: balance_after.unwrap_or(0),
        dims: &dims,
        line: row.line,
        offset: row.offset,
    };
    let mut entry = fields.into_entry(labels).map_err(|range| {
        let (slot, text) = match range {
            OutOfRange::Amount => (CREDITS, credits_text),
            OutOfRange::BalanceAfter => (BALANCE, balance_text),
            OutOfRange::Time => (TIME, time),
        };
        row.bad(slot, text, range.expected().into())
    })?;
    if balance_after.is_none() {
        entry.balance_after = NO_BALANCE;
        entry.hash = content_hash(ts, kind, description, amount, NO_BALANCE, &dims);
    }
    Ok(entry)
}
