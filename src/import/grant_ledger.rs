//! The grant / spend / pending grant ledger (FORMATS.md section 5): its columns and how a row
//! becomes an entry. A grant adds its signed `Amount` to the available balance, a spend takes
//! it away, and `Balance change` (`1,000 -> 880`) states the available balance before and
//! after. A pending grant changes nothing available: it is stored with amount 0 and no stated
//! balance (`model::NO_BALANCE`), its amount kept as the `pending` label, so the walk, the
//! chart and the anchored walk count only what is available, and `reconcile/pending.rs` reads
//! the pending amounts back. One chain per `Currency`.

use std::ops::ControlFlow;
use std::path::Path;

use super::csv::{self, Column, Format, Record};
use super::{parse_time, Fields, ImportError, OutOfRange, Reader, DATE_EXPECTED};
use crate::model::{content_hash, ChainKey, Labels, ParsedEntry, ParsedFile, NO_BALANCE};
use crate::money;

/// The ledger's CSV export, detected by its `Entry ID` and `Kind` columns with `Amount` or
/// `Balance change` and no `Credits` (the usage feed of section 4 has the first two, and
/// `Credits`): a header missing one of the ledger's columns is still this ledger's, and the
/// message names the missing column.
pub(super) static READER: Reader = Reader {
    name: "grant-ledger-csv",
    aliases: &[],
    source: &crate::model::source::GRANT_LEDGER,
    detect: looks_like,
    read,
    parse: None,
    raw_text: csv::read_line_at,
};

/// Whether `head`'s header is this ledger's rather than the usage feed's (see `READER`).
pub(super) fn looks_like(head: &str) -> bool {
    csv::header_names(head, &["entry id", "kind"])
        && !csv::header_names(head, &["credits"])
        && (csv::header_names(head, &["amount"]) || csv::header_names(head, &["balance change"]))
}

/// The export's columns; `read_entry` names them by their place here.
pub(super) static FORMAT: Format = Format {
    reader: &READER,
    columns: &[
        Column::required("Entry ID"),
        Column::required("Time"),
        Column::required("Currency"),
        Column::required("Event"),
        Column::required("Kind"),
        Column::required("Amount"),
        Column::required("Balance change"),
        Column::optional("Settles"),
    ],
    header: "Entry ID, Time, Currency, Event, Kind, Amount, Balance change, Settles",
    entry: read_entry,
};

/// Places in `FORMAT.columns`.
const ENTRY_ID: usize = 0;
const TIME: usize = 1;
const CURRENCY: usize = 2;
const EVENT: usize = 3;
const KIND: usize = 4;
const AMOUNT: usize = 5;
const BALANCE_CHANGE: usize = 6;
const SETTLES: usize = 7;

/// Places in `GRANT_LEDGER.dimensions`.
pub(super) const DIM_CURRENCY: usize = 2;

/// The reference types of the three kinds.
pub const GRANT: &str = "GRANT";
pub const SPEND: &str = "SPEND";
pub const PENDING_GRANT: &str = "PENDING_GRANT";

/// The file through the CSV engine, then its entries put in one chain per currency (in the
/// order currencies first appear). The file names no account: each chain's is left empty, so
/// the import files it under its own (`--account`, the app's "Into account", else `default`;
/// `ingest::name_accounts`), and a ledger in `credits` can sit beside a Reverie one.
fn read(
    path: &Path,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    let mut file = csv::read(path, bytes, progress, &FORMAT)?;
    let mut currencies: Vec<u32> = Vec::new();
    for e in &mut file.entries {
        let label = e.dims[DIM_CURRENCY];
        let index = match currencies.iter().position(|&c| c == label) {
            Some(i) => i,
            None => {
                currencies.push(label);
                currencies.len() - 1
            }
        };
        e.chain = index as u32;
    }
    file.chains = currencies.iter().map(|&c| Some(ChainKey::new(String::new(), file.labels.text(c)))).collect();
    if file.chains.is_empty() {
        file.chains = vec![None];
    }
    Ok(file)
}

/// One row of the ledger.
fn read_entry(row: &Record<'_>, labels: &mut Labels) -> Result<ParsedEntry, ImportError> {
    let entry_id = row.text(ENTRY_ID)?.trim();
    if entry_id.is_empty() {
        return Err(row.bad(ENTRY_ID, entry_id, "an entry ID, the ledger's own for the row".into()));
    }
    let time = row.text(TIME)?;
    let ts = parse_time(time).ok_or_else(|| row.bad(TIME, time, DATE_EXPECTED.into()))?;
    let currency = row.text(CURRENCY)?.trim();
    if currency.is_empty() {
        return Err(row.bad(CURRENCY, currency, "the credit currency the row moves (one ledger per currency)".into()));
    }
    let description = row.text(EVENT)?.trim();
    let kind_text = row.text(KIND)?;
    let kind = match kind_text.trim().to_ascii_lowercase().as_str() {
        "grant" => GRANT,
        "spend" => SPEND,
        "pending_grant" | "pending grant" => PENDING_GRANT,
        _ => return Err(row.bad(KIND, kind_text, "grant, spend or pending_grant".into())),
    };
    let amount_text = row.text(AMOUNT)?;
    let amount = money::parse_units(amount_text).map_err(|e| row.bad(AMOUNT, amount_text, e.to_string()))?;
    let sign_ok = if kind == SPEND { amount < 0 } else { amount > 0 };
    if !sign_ok {
        let expected = if kind == SPEND {
            "a negative amount for a spend (-120)"
        } else {
            "a positive amount for a grant or pending grant (+1,000)"
        };
        return Err(row.bad(AMOUNT, amount_text, expected.into()));
    }
    let change_text = row.text(BALANCE_CHANGE)?;
    let change = parse_change(change_text).map_err(|e| row.bad(BALANCE_CHANGE, change_text, e))?;
    let settles_text = row.text(SETTLES)?.trim();
    let settles = Some(settles_text).filter(|t| !t.is_empty());
    if settles.is_some() && kind != GRANT {
        return Err(row.bad(SETTLES, settles_text, "empty: only a grant settles a pending grant".into()));
    }
    if settles == Some(entry_id) {
        return Err(row.bad(
            SETTLES,
            settles_text,
            "the Entry ID of the pending grant this grant settles, not the grant's own".into(),
        ));
    }
    let pending_text = (kind == PENDING_GRANT).then(|| money::format_units(amount));
    let balance_after = match (kind, change) {
        (PENDING_GRANT, None) => None,
        (PENDING_GRANT, Some((before, after))) if before == after => None,
        (PENDING_GRANT, Some(_)) => {
            return Err(row.bad(
                BALANCE_CHANGE,
                change_text,
                "empty: a pending grant changes nothing available until a grant settles it".into(),
            ))
        }
        (_, None) => {
            return Err(row.bad(
                BALANCE_CHANGE,
                change_text,
                "the available balance before and after (1,000 -> 880)".into(),
            ))
        }
        (_, Some((before, after))) => {
            if after.checked_sub(amount) != Some(before) {
                return Err(row.bad(
                    BALANCE_CHANGE,
                    change_text,
                    format!(
                        "a balance before and after that differ by the Amount {} ({} -> {}); the row's own figures disagree, so its Amount or its Balance change is wrong",
                        money::format_signed(money::from_units(amount)),
                        money::format_units(before),
                        money::format_units(before + amount)
                    ),
                ));
            }
            Some(after)
        }
    };
    // A pending grant adds nothing available: amount 0, its amount in the `pending` label.
    let walk_amount = if kind == PENDING_GRANT { 0 } else { amount };
    let dims = [settles, pending_text.as_deref(), Some(currency)];
    let fields = Fields {
        txn_id: entry_id,
        ts,
        kind,
        description,
        amount: walk_amount,
        balance_after: balance_after.unwrap_or(0),
        dims: &dims,
        line: row.line,
        offset: row.offset,
    };
    let mut entry = fields.into_entry(labels).map_err(|range| {
        let (slot, text) = match range {
            OutOfRange::Amount => (AMOUNT, amount_text),
            OutOfRange::BalanceAfter => (BALANCE_CHANGE, change_text),
            OutOfRange::Time => (TIME, time),
        };
        row.bad(slot, text, range.expected().into())
    })?;
    if balance_after.is_none() {
        entry.balance_after = NO_BALANCE;
        entry.hash = content_hash(ts, kind, description, walk_amount, NO_BALANCE, &dims);
    }
    Ok(entry)
}

/// `1,000 -> 880` as (before, after) in micro-credits; `None` when empty.
fn parse_change(text: &str) -> Result<Option<(i64, i64)>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let Some((before, after)) = trimmed.split_once("->").or_else(|| trimmed.split_once('→')) else {
        return Err("the available balance before and after, written 1,000 -> 880".into());
    };
    let side = |t: &str, which: &str| {
        money::parse_units(t.trim()).map_err(|e| format!("the balance {which} as a number, written 1,000 -> 880 ({e})"))
    };
    Ok(Some((side(before, "before")?, side(after, "after")?)))
}
