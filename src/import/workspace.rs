//! Workspace credit usage records (FORMATS.md section 3): the page's four tabs, each exported
//! as its own CSV and detected by its header, all read into one chain (the workspace's
//! credits). Usage rows (conversations, MCP-HTTP calls, import tasks) take their `Credits`
//! away; Credit Adjustments add their signed `Amount`, except a `Package reset`, which sets
//! the balance to it: the store records an anchor of kind reset for it
//! ([`Revisions::reset_types`](crate::model::source::Revisions)). No row states a balance
//! (`model::NO_BALANCE`): the page's "Remaining credits" is an anchor.
//!
//! A Conversations row is an aggregate that grows: the store turns a later figure for the same
//! conversation into a revision entry carrying the change (`store::ingest`). `User` is left
//! out of an entry's identity, so a later export that fills it in updates it instead of
//! conflicting. Credit Adjustments rows have no ID: each gets one from its values and its
//! occurrence among identical rows of the file ([`key_by_value`]).

use std::ops::ControlFlow;
use std::path::Path;

use super::csv::{self, Column, Format, Record};
use super::{parse_time, Fields, ImportError, OutOfRange, Reader, DATE_EXPECTED};
use crate::model::{content_hash, Labels, ParsedEntry, ParsedFile, NO_BALANCE};
use crate::money;

/// The Conversations tab.
pub(super) static CONVERSATIONS: Reader = Reader {
    name: "workspace-conversations-csv",
    aliases: &["conversations-csv"],
    source: &crate::model::source::WORKSPACE,
    detect: |head| named(head, &["conversation id", "message count", "billing type", "updated at"]) >= 2,
    read: |path, bytes, progress| csv::read(path, bytes, progress, &CONVERSATIONS_FORMAT),
    parse: None,
    raw_text: csv::read_line_at,
};

/// The MCP-HTTP Calls tab.
pub(super) static MCP_CALLS: Reader = Reader {
    name: "workspace-mcp-calls-csv",
    aliases: &["mcp-calls-csv"],
    source: &crate::model::source::WORKSPACE,
    detect: |head| named(head, &["call id", "api key name", "created at"]) >= 2,
    read: |path, bytes, progress| csv::read(path, bytes, progress, &MCP_FORMAT),
    parse: None,
    raw_text: csv::read_line_at,
};

/// The Import Usage tab.
pub(super) static IMPORT_USAGE: Reader = Reader {
    name: "workspace-import-usage-csv",
    aliases: &["import-usage-csv"],
    source: &crate::model::source::WORKSPACE,
    detect: |head| named(head, &["task id", "import type", "import url", "created at"]) >= 2,
    read: |path, bytes, progress| csv::read(path, bytes, progress, &IMPORT_FORMAT),
    parse: None,
    raw_text: csv::read_line_at,
};

/// The Credit Adjustments tab.
pub(super) static ADJUSTMENTS: Reader = Reader {
    name: "workspace-credit-adjustments-csv",
    aliases: &["credit-adjustments-csv"],
    source: &crate::model::source::WORKSPACE,
    detect: |head| {
        // `Detail` may be left out; Reverie's export has `Type` and `Amount` but a `Date`.
        named(head, &["type", "amount", "detail", "created at"]) >= 2
            && named(head, &["detail", "created at"]) >= 1
            && named(head, &["transaction id", "entry id"]) == 0
    },
    read: read_adjustments,
    parse: None,
    raw_text: csv::read_line_at,
};

/// How many of `names` the header (the first line of `head`) names as whole columns, compared
/// as the CSV engine compares them (case, surrounding spaces, `_` and `-` aside). Each tab is
/// known by two of its own columns, so a header missing any one column is still taken for its
/// tab and the import names the missing column (with every one required, a header short of one
/// was "not a ledger export").
fn named(head: &str, names: &[&str]) -> usize {
    let first_line = head.split(['\n', '\r']).next().unwrap_or("");
    let columns: Vec<String> = first_line
        .split([',', '\t'])
        .map(|c| c.trim().trim_matches('"').trim().to_lowercase().replace(['_', '-'], " "))
        .collect();
    names.iter().filter(|name| columns.iter().any(|c| c == *name)).count()
}

static CONVERSATIONS_FORMAT: Format = Format {
    reader: &CONVERSATIONS,
    columns: &[
        Column::required("Conversation ID"),
        Column::optional("Title"),
        Column::optional("Message Count"),
        Column::required("Credits"),
        Column::optional("User"),
        Column::optional("Billing Type"),
        Column::required("Updated At"),
    ],
    header: "Conversation ID, Title, Message Count, Credits, User, Billing Type, Updated At",
    entry: conversation,
};

static MCP_FORMAT: Format = Format {
    reader: &MCP_CALLS,
    columns: &[
        Column::required("Call ID"),
        Column::optional("API Key Name"),
        Column::required("Credits"),
        Column::optional("User"),
        Column::required("Created At"),
    ],
    header: "Call ID, API Key Name, Credits, User, Created At",
    entry: mcp_call,
};

static IMPORT_FORMAT: Format = Format {
    reader: &IMPORT_USAGE,
    columns: &[
        Column::required("Task ID"),
        Column::optional("Import Type"),
        Column::optional("Import URL"),
        Column::required("Credits"),
        Column::optional("User"),
        Column::required("Created At"),
    ],
    header: "Task ID, Import Type, Import URL, Credits, User, Created At",
    entry: import_task,
};

static ADJUSTMENTS_FORMAT: Format = Format {
    reader: &ADJUSTMENTS,
    columns: &[
        Column::required("Type"),
        Column::required("Amount"),
        Column::optional("Detail"),
        Column::required("Created At"),
    ],
    header: "Type, Amount, Detail, Created At",
    entry: adjustment,
};

/// The reference types of the usage rows.
pub const CONVERSATION: &str = "CONVERSATION";
pub const MCP_CALL: &str = "MCP_CALL";
pub const IMPORT_TASK: &str = "IMPORT_TASK";
/// The adjustment that sets the balance outright.
pub const PACKAGE_RESET: &str = "PACKAGE_RESET";

/// Places in `WORKSPACE.dimensions`: who, what kind of usage, which key, how many messages.
pub const DIM_USER: usize = 0;
const DIMS: usize = 4;

/// What every usage row has: an ID, a positive number of credits, a user, a time.
struct Usage<'r> {
    id: &'r str,
    credits_slot: usize,
    time_slot: usize,
    kind: &'static str,
    description: &'r str,
    dims: [Option<&'r str>; DIMS],
}

/// Reads the fields every usage tab shares and makes the entry: `Credits` taken away.
fn usage(row: &Record<'_>, labels: &mut Labels, u: Usage<'_>) -> Result<ParsedEntry, ImportError> {
    let id = u.id.trim();
    if id.is_empty() {
        return Err(row.bad(0, u.id, "the row's ID, as the page shows it (copy it from the tab)".into()));
    }
    let time = row.text(u.time_slot)?;
    let ts = parse_time(time).ok_or_else(|| row.bad(u.time_slot, time, DATE_EXPECTED.into()))?;
    let credits_text = row.text(u.credits_slot)?;
    let credits = money::parse_units(credits_text).map_err(|e| row.bad(u.credits_slot, credits_text, e.to_string()))?;
    if credits < 0 {
        return Err(row.bad(
            u.credits_slot,
            credits_text,
            "a positive number of credits used (usage rows only take credits away)".into(),
        ));
    }
    let fields = Fields {
        txn_id: id,
        ts,
        kind: u.kind,
        description: u.description,
        amount: -credits,
        balance_after: 0,
        dims: &u.dims,
        line: row.line,
        offset: row.offset,
    };
    finish(fields, labels).map_err(|range| match range {
        OutOfRange::Time => row.bad(u.time_slot, time, range.expected().into()),
        _ => row.bad(u.credits_slot, credits_text, range.expected().into()),
    })
}

/// The entry with no stated balance, its identity leaving out the `User` (a later export may
/// fill it in).
fn finish(fields: Fields<'_>, labels: &mut Labels) -> Result<ParsedEntry, OutOfRange> {
    let (ts, kind, description, amount) = (fields.ts, fields.kind, fields.description, fields.amount);
    let mut identity = [None; DIMS];
    identity.copy_from_slice(fields.dims);
    identity[DIM_USER] = None;
    let mut entry = fields.into_entry(labels)?;
    entry.balance_after = NO_BALANCE;
    entry.hash = content_hash(ts, kind, description, amount, NO_BALANCE, &identity);
    Ok(entry)
}

/// Trimmed, `None` when empty.
fn optional<'r>(row: &'r Record<'_>, slot: usize) -> Result<Option<&'r str>, ImportError> {
    Ok(Some(row.text(slot)?.trim()).filter(|t| !t.is_empty()))
}

fn conversation(row: &Record<'_>, labels: &mut Labels) -> Result<ParsedEntry, ImportError> {
    let count = match optional(row, 2)? {
        Some(text) => Some(
            whole_number(text)
                .ok_or_else(|| row.bad(2, text, "a whole number of messages (12 or 1,200), or nothing".into()))?,
        ),
        None => None,
    };
    let usage_kind = optional(row, 5)?.map(lower);
    let u = Usage {
        id: row.text(0)?,
        credits_slot: 3,
        time_slot: 6,
        kind: CONVERSATION,
        description: row.text(1)?.trim(),
        dims: [optional(row, 4)?, usage_kind.as_deref(), None, count.as_deref()],
    };
    usage(row, labels, u)
}

fn mcp_call(row: &Record<'_>, labels: &mut Labels) -> Result<ParsedEntry, ImportError> {
    let key = optional(row, 1)?;
    let u = Usage {
        id: row.text(0)?,
        credits_slot: 2,
        time_slot: 4,
        kind: MCP_CALL,
        description: key.unwrap_or(""),
        dims: [optional(row, 3)?, Some("mcp-http call"), key, None],
    };
    usage(row, labels, u)
}

fn import_task(row: &Record<'_>, labels: &mut Labels) -> Result<ParsedEntry, ImportError> {
    let import_kind = optional(row, 1)?.map(lower);
    let u = Usage {
        id: row.text(0)?,
        credits_slot: 3,
        time_slot: 5,
        kind: IMPORT_TASK,
        description: row.text(2)?.trim(),
        dims: [optional(row, 4)?, import_kind.as_deref(), None, None],
    };
    usage(row, labels, u)
}

/// A count as the page writes it, `1200` or `1,200` (separators every three digits), without
/// its separators; `None` for anything else (`1,2,0,0`, `-2`, `2.5`).
fn whole_number(text: &str) -> Option<String> {
    let groups: Vec<&str> = text.split(',').collect();
    let grouped = groups.len() == 1 || (matches!(groups[0].len(), 1..=3) && groups[1..].iter().all(|g| g.len() == 3));
    let digits = groups.concat();
    (grouped && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && digits.len() <= 19)
        .then_some(digits)
}

/// `Brand Import` as the page's filters write it: `brand import`.
fn lower(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// `Referral signup reward` as a reference type: `REFERRAL_SIGNUP_REWARD`. A type the page
/// does not list is kept (and flagged as an `unknown_type`), never refused.
fn adjustment_type(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join("_").to_uppercase()
}

/// One Credit Adjustments row; its ID is given afterwards by [`key_by_value`].
fn adjustment(row: &Record<'_>, labels: &mut Labels) -> Result<ParsedEntry, ImportError> {
    const TYPE: usize = 0;
    const AMOUNT: usize = 1;
    const DETAIL: usize = 2;
    const CREATED: usize = 3;
    let type_text = row.text(TYPE)?;
    let kind = adjustment_type(type_text);
    if kind.is_empty() {
        return Err(row.bad(
            TYPE,
            type_text,
            "the adjustment's type (Credit package purchase, Package reset, ...)".into(),
        ));
    }
    let time = row.text(CREATED)?;
    let ts = parse_time(time).ok_or_else(|| row.bad(CREATED, time, DATE_EXPECTED.into()))?;
    let amount_text = row.text(AMOUNT)?;
    let amount = money::parse_units(amount_text).map_err(|e| row.bad(AMOUNT, amount_text, e.to_string()))?;
    if kind == PACKAGE_RESET && amount < 0 {
        return Err(row.bad(
            AMOUNT,
            amount_text,
            "the balance the package was reset to, zero or more (a reset sets the balance to its Amount)".into(),
        ));
    }
    let fields = Fields {
        txn_id: "",
        ts,
        kind: &kind,
        description: row.text(DETAIL)?.trim(),
        amount,
        balance_after: 0,
        dims: &[None; DIMS],
        line: row.line,
        offset: row.offset,
    };
    finish(fields, labels).map_err(|range| match range {
        OutOfRange::Time => row.bad(CREATED, time, range.expected().into()),
        _ => row.bad(AMOUNT, amount_text, range.expected().into()),
    })
}

fn read_adjustments(
    path: &Path,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    let mut file = csv::read(path, bytes, progress, &ADJUSTMENTS_FORMAT)?;
    key_by_value(&mut file);
    Ok(file)
}

/// Gives each row an ID from its values (time in UTC, type, detail, amount) and its place
/// among the identical rows before it in the file: `adj-<hash>-1`, `adj-<hash>-2`. So n
/// identical rows stay n entries, and the same rows exported again get the same IDs.
pub(super) fn key_by_value(file: &mut ParsedFile) {
    let mut seen: rustc_hash::FxHashMap<i64, u32> = rustc_hash::FxHashMap::default();
    for e in &mut file.entries {
        let n = seen.entry(e.hash).or_insert(0);
        *n += 1;
        e.txn_id = format!("adj-{:012x}-{n}", (e.hash as u64) >> 16).into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjustment_types_read_as_the_page_writes_them() {
        assert_eq!(adjustment_type("Referral first paid plan reward"), "REFERRAL_FIRST_PAID_PLAN_REWARD");
        assert_eq!(adjustment_type(" Package  reset "), PACKAGE_RESET);
        assert_eq!(adjustment_type("Subscription switch-compensation"), "SUBSCRIPTION_SWITCH_COMPENSATION");
        assert_eq!(lower(" Brand  Import "), "brand import");
    }

    #[test]
    fn message_counts_read_with_separators_every_three_digits_only() {
        for (text, read) in [("12", Some("12")), ("1,200", Some("1200")), ("12,345,678", Some("12345678"))] {
            assert_eq!(whole_number(text).as_deref(), read, "{text}");
        }
        for text in ["1,2,0,0", ",5", "1,", "1200,000", "-2", "2.5", "+3", "many", "1 200", "99999999999999999999"] {
            assert_eq!(whole_number(text), None, "{text}");
        }
    }

    #[test]
    fn each_tab_is_known_by_its_header_even_short_of_a_column() {
        let tab = |head: &str| super::super::READERS.iter().find(|r| (r.detect)(head)).map(|r| r.name);
        for (head, name) in [
            ("Title,Message Count,Credits,User,Billing Type,Updated At", "workspace-conversations-csv"),
            ("Conversation ID,Title,Message Count,Credits,User,Billing Type", "workspace-conversations-csv"),
            ("API Key Name,Credits,User,Created At", "workspace-mcp-calls-csv"),
            ("Call ID,API Key Name,Credits,User", "workspace-mcp-calls-csv"),
            ("Import Type,Import URL,Credits,User,Created At", "workspace-import-usage-csv"),
            ("Task ID,Import Type,Import URL,Credits,User", "workspace-import-usage-csv"),
            ("Amount,Detail,Created At", "workspace-credit-adjustments-csv"),
            ("Type,Detail,Created At", "workspace-credit-adjustments-csv"),
            ("Type,Amount,Detail", "workspace-credit-adjustments-csv"),
            ("\"TYPE\"\tamount\tcreated_at", "workspace-credit-adjustments-csv"),
            ("Transaction ID,Date,Type,Description,Amount,Balance after", "reverie-csv"),
        ] {
            assert_eq!(tab(head), Some(name), "{head}");
        }
        // Reverie's columns without its ID are not an adjustments tab; one column is no tab.
        assert_eq!(tab("Date,Type,Description,Amount,Balance after"), None);
        assert_eq!(tab("Created At,Credits"), None);
    }
}
