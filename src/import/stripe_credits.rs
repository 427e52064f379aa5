//! Stripe billing credits (FORMATS.md section 6), its reader `stripe-credits-json`; the source
//! is [`source::STRIPE_CREDITS`]. Three saved answers, each one page, an array of pages or a
//! bare array where Stripe answers a list:
//!
//! - credit balance transactions (`GET /v1/billing/credit_balance_transactions?customer=`):
//!   `credit` adds and `debit` subtracts a positive amount in the currency's minor units; the
//!   entry's type is the credit's or debit's own (`CREDITS_GRANTED`, `CREDITS_APPLIED`,
//!   `CREDITS_EXPIRED`, ...), the grant it names is the `grant` dimension. No entry states a
//!   balance (`NO_BALANCE`): the chain is reconciled from anchors.
//! - credit grants (`GET /v1/billing/credit_grants?customer=`): each grant is an entry of
//!   amount 0 (the `credits_granted` transaction moves the money) at its `effective_at`, type
//!   `CREDIT_GRANT`, carrying its `category`, `priority` and `expires_at` as dimensions, so the
//!   rule `expired_grant_spend` (`reconcile/expired_grants.rs`) finds them beside the debits.
//!   `voided_at` is left out of a grant's content: voiding a grant later is not a rewrite of
//!   history (Stripe writes the void as a `credits_voided` debit).
//! - the credit balance summary (`GET /v1/billing/credit_balance_summary?customer=`): each
//!   balance's `available_balance` is a stated anchor of its chain, at the chain's newest
//!   entry once the import is stored (the summary says no time of its own).
//!
//! A chain is a customer in one currency. A transaction does not name its customer (only
//! the request did): it is the one its expanded `credit_grant` names, else the one the
//! import's other files name (grants, summary), else the import's account.

use std::ops::ControlFlow;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::json::{self, At, Document};
use super::stripe::exponent;
use super::{Fields, ImportError, OutOfRange, Reader};
use crate::model::{
    content_hash, normalize_type, source, ChainKey, FileAnchor, Labels, ParsedEntry, ParsedFile, NO_BALANCE,
};

/// Stripe's billing credits API answers, saved to a file.
pub(super) static READER: Reader = Reader {
    name: "stripe-credits-json",
    aliases: &["stripe-credits"],
    source: &source::STRIPE_CREDITS,
    detect,
    read: |path, bytes, progress| json::read(path, bytes, progress, parse_with),
    parse: Some(|origin, raw| json::parse(origin, raw, parse_api)),
    raw_text: json::object_at,
};

const TRANSACTION: &str = "billing.credit_balance_transaction";
const GRANT: &str = "billing.credit_grant";
const SUMMARY: &str = "billing.credit_balance_summary";

/// The type of a grant's own entry.
pub const GRANT_TYPE: &str = "CREDIT_GRANT";

/// An account not named by the file: the import's (see `ingest::by_chain`).
pub(super) const UNNAMED_ACCOUNT: &str = "";

/// A document holding billing credit objects, or an empty list of them. Asked before
/// Stripe's customer balance reader and Reverie's JSON reader.
fn detect(head: &str) -> bool {
    (head.starts_with('{') || head.starts_with('['))
        && ([TRANSACTION, GRANT, SUMMARY].iter().any(|o| json::has_member_value(head, "object", o))
            || (json::has_member_value(head, "object", "list")
                && (head.contains("/v1/billing/credit_balance_transactions")
                    || head.contains("/v1/billing/credit_grants"))))
}

const DOCUMENT: &str = "one page of Stripe's credit balance transactions or credit grants ({\"object\": \"list\", \"data\": [...], \"has_more\": ...}), an array of such pages, a bare array of them, or a credit balance summary ({\"object\": \"billing.credit_balance_summary\", \"customer\", \"balances\": [...]})";

const SHAPE: &str = "{\"id\", \"object\": \"billing.credit_balance_transaction\", \"created\", \"effective_at\", \"credit_grant\", \"type\": \"credit\" | \"debit\", \"credit\": {\"amount\", \"type\"}, \"debit\": {\"amount\", \"type\", \"credits_applied\"}} or {\"id\", \"object\": \"billing.credit_grant\", \"customer\", \"amount\", \"category\", \"priority\", \"effective_at\", \"expires_at\", \"name\"}";

/// The members of a transaction and of a grant (a page may hold either).
#[derive(Deserialize)]
struct Item<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    object: Option<&'a RawValue>,
    #[serde(borrow)]
    created: Option<&'a RawValue>,
    #[serde(borrow)]
    effective_at: Option<&'a RawValue>,
    #[serde(borrow, rename = "type")]
    kind: Option<&'a RawValue>,
    #[serde(borrow)]
    credit_grant: Option<&'a RawValue>,
    #[serde(borrow)]
    credit: Option<&'a RawValue>,
    #[serde(borrow)]
    debit: Option<&'a RawValue>,
    #[serde(borrow)]
    customer: Option<&'a RawValue>,
    #[serde(borrow)]
    amount: Option<&'a RawValue>,
    #[serde(borrow)]
    category: Option<&'a RawValue>,
    #[serde(borrow)]
    priority: Option<&'a RawValue>,
    #[serde(borrow)]
    expires_at: Option<&'a RawValue>,
    #[serde(borrow)]
    name: Option<&'a RawValue>,
}

/// A credit or a debit: its amount, its type, where credits were applied.
#[derive(Deserialize)]
struct Movement<'a> {
    #[serde(borrow)]
    amount: Option<&'a RawValue>,
    #[serde(borrow, rename = "type")]
    kind: Option<&'a RawValue>,
    #[serde(borrow)]
    credits_applied: Option<&'a RawValue>,
    #[serde(borrow)]
    credits_application_invoice_voided: Option<&'a RawValue>,
}

/// `{"type": "monetary", "monetary": {"currency", "value"}}`.
#[derive(Deserialize)]
struct AmountOf<'a> {
    #[serde(borrow, rename = "type")]
    kind: Option<&'a RawValue>,
    #[serde(borrow)]
    monetary: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Monetary<'a> {
    #[serde(borrow)]
    currency: Option<&'a RawValue>,
    #[serde(borrow)]
    value: Option<&'a RawValue>,
}

/// Where credits were applied: `{"invoice", "invoice_line_item"}`.
#[derive(Deserialize)]
struct Invoice<'a> {
    #[serde(borrow)]
    invoice: Option<&'a RawValue>,
    #[serde(borrow)]
    invoice_line_item: Option<&'a RawValue>,
}

/// An expanded object: its `id` and, for a grant, its `customer`.
#[derive(Deserialize)]
struct Expanded<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    customer: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Summary<'a> {
    #[serde(borrow)]
    object: Option<&'a RawValue>,
    #[serde(borrow)]
    customer: Option<&'a RawValue>,
    #[serde(borrow)]
    balances: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct SummaryBalance<'a> {
    #[serde(borrow)]
    available_balance: Option<&'a RawValue>,
}

fn parse_with(
    path: &Path,
    raw: Vec<u8>,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    parse_for(path, raw, bytes, progress, UNNAMED_ACCOUNT)
}

/// An API answer: its transactions are the customer's its URL (`origin`) asked for.
fn parse_api(
    origin: &Path,
    raw: Vec<u8>,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    let url = origin.to_string_lossy();
    let customer = url
        .split_once('?')
        .and_then(|(_, query)| query.split('&').find_map(|pair| pair.strip_prefix("customer=")))
        .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .unwrap_or(UNNAMED_ACCOUNT)
        .to_string();
    parse_for(origin, raw, bytes, progress, &customer)
}

/// `account`: whose transactions that do not name their customer are.
fn parse_for(
    path: &Path,
    raw: Vec<u8>,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
    account: &str,
) -> Result<ParsedFile, ImportError> {
    let head: &[u8] = &raw[..raw.len().min(4096)];
    let head = String::from_utf8_lossy(head);
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with('{') && json::has_member_value(head, "object", SUMMARY) {
        return summary(path, raw, bytes, progress);
    }
    json::read_entries(path, raw, bytes, progress, &READER, Document::Pages(DOCUMENT), SHAPE, |at, labels| {
        read_entry(at, labels, account).map(json::key_of)
    })
}

/// A credit balance summary: no entries, an anchor per balance.
fn summary(
    path: &Path,
    raw: Vec<u8>,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    let text = json::document(path, raw)?;
    let body = json::body(&text);
    let at = At { path, text: &text, item: body, line: 1, offset: text.len() - body.len(), shape: SUMMARY_SHAPE };
    // A syntax error at the parser's place; a wrong shape at the summary's start.
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(body) {
        return Err(ImportError::malformed(
            path,
            (e.line() as u64, e.column() as u64),
            &format!("not a credit balance summary JSON document: {e}"),
            format!("Expected {DOCUMENT}."),
        ));
    }
    let summary: Summary = at.parse()?;
    if let Some(object) = at.string(summary.object, "object")? {
        if object != SUMMARY {
            return Err(at.bad("object", summary.object, &object, SUMMARY));
        }
    }
    let customer = id_of(&at, summary.customer, "customer")?.ok_or_else(|| at.missing("customer"))?;
    let balances = summary.balances.ok_or_else(|| at.missing("balances"))?;
    let mut file = ParsedFile {
        path: path.to_path_buf(),
        format: READER.name,
        source: READER.source.name,
        dimensions: READER.source.dimensions(),
        bytes,
        labels: Labels::default(),
        chains: Vec::new(),
        entries: Vec::new(),
        anchors: Vec::new(),
    };
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    for raw in balances {
        let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let at =
            At { path, text: &text, item: raw.get(), line: at.position_of(Some(raw)).0, offset, shape: SUMMARY_SHAPE };
        let balance: SummaryBalance = at.parse()?;
        let (currency, units) = money(&at, balance.available_balance, "available_balance")?;
        let key = ChainKey::new(customer.clone(), currency);
        file.chains.push(Some(key.clone()));
        file.anchors.push(FileAnchor {
            chain: key,
            balance: units,
            ts: None,
            note: format!("Stripe credit balance summary, available balance ({name})"),
        });
    }
    if progress(bytes, bytes).is_break() {
        return Err(ImportError::Cancelled);
    }
    Ok(file)
}

const SUMMARY_SHAPE: &str = "{\"object\": \"billing.credit_balance_summary\", \"customer\", \"balances\": [{\"available_balance\": {\"type\": \"monetary\", \"monetary\": {\"currency\", \"value\"}}, \"ledger_balance\": {...}}]}";

/// One transaction or grant: its chain (the customer in the currency) and the entry.
fn read_entry(at: &At<'_>, labels: &mut Labels, account: &str) -> Result<(Option<ChainKey>, ParsedEntry), ImportError> {
    let item: Item = at.parse()?;
    let object = at.string(item.object, "object")?;
    let is_grant = match object.as_deref() {
        Some(TRANSACTION) => false,
        Some(GRANT) => true,
        // Saved without `object`: a grant has a category, a transaction a credit or debit.
        None => item.category.is_some() && item.credit.is_none() && item.debit.is_none(),
        Some(other) => {
            return Err(at.bad(
                "object",
                item.object,
                other,
                "billing.credit_balance_transaction or billing.credit_grant: this reader reads Stripe's billing credits; save /v1/billing/credit_balance_transactions or /v1/billing/credit_grants",
            ))
        }
    };
    if is_grant {
        grant(at, &item, labels)
    } else {
        transaction(at, &item, labels, account)
    }
}

fn transaction(
    at: &At<'_>,
    item: &Item<'_>,
    labels: &mut Labels,
    account: &str,
) -> Result<(Option<ChainKey>, ParsedEntry), ImportError> {
    let txn_id = at.required(item.id, "id", "a transaction ID such as cbtxn_1Qx…")?;
    let (ts, ts_raw, ts_field) = time_of(at, item)?;
    let sign = at.required(item.kind, "type", "credit or debit")?;
    let (raw, field, sign) = match sign.as_str() {
        "credit" => (item.credit, "credit", 1),
        "debit" => (item.debit, "debit", -1),
        other => return Err(at.bad("type", item.kind, other, "credit or debit")),
    };
    let movement: Movement = match raw.filter(|r| r.get() != "null") {
        Some(r) => serde_json::from_str(r.get())
            .map_err(|_| at.bad(field, raw, r.get(), "an object with \"amount\" and \"type\""))?,
        None => return Err(at.missing(field)),
    };
    let (currency, units) = money(at, movement.amount, "amount")?;
    let kind = at.required(movement.kind, "type", "a credit or debit type such as credits_applied")?;
    let kind = normalize_type(&kind).into_owned();
    let invoice = match movement.credits_applied.or(movement.credits_application_invoice_voided) {
        Some(r) if r.get() != "null" => {
            let inv: Invoice = serde_json::from_str(r.get()).map_err(|_| {
                at.bad("credits_applied", Some(r), r.get(), "an object with \"invoice\" and \"invoice_line_item\"")
            })?;
            let invoice = id_of(at, inv.invoice, "invoice")?;
            let line = at.string(inv.invoice_line_item, "invoice_line_item")?.filter(|l| !l.trim().is_empty());
            match (invoice, line) {
                (Some(i), Some(l)) => format!("Invoice {i}, line {}", l.trim()),
                (Some(i), None) => format!("Invoice {i}"),
                (None, Some(l)) => format!("Invoice line {}", l.trim()),
                (None, None) => String::new(),
            }
        }
        _ => String::new(),
    };
    let (grant, customer) = grant_of(at, item.credit_grant)?;
    let amount = units * sign;
    let key = ChainKey::new(customer.unwrap_or_else(|| account.to_string()), currency);
    let dims = [grant.as_deref(), None, None, None];
    entry(at, labels, key, &txn_id, ts, &kind, &invoice, amount, &dims, (ts_raw, ts_field))
}

fn grant(at: &At<'_>, item: &Item<'_>, labels: &mut Labels) -> Result<(Option<ChainKey>, ParsedEntry), ImportError> {
    let id = at.required(item.id, "id", "a credit grant ID such as credgr_1Qx…")?;
    let customer = id_of(at, item.customer, "customer")?.ok_or_else(|| at.missing("customer"))?;
    let (ts, ts_raw, ts_field) = time_of(at, item)?;
    let (currency, units) = money(at, item.amount, "amount")?;
    let category = at.string(item.category, "category")?.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    let priority = match item.priority.filter(|r| r.get() != "null") {
        Some(r) => Some(integer(at, Some(r), "priority", "an integer from 0 to 100, as Stripe writes it")?.to_string()),
        None => None,
    };
    let expires = match item.expires_at.filter(|r| r.get() != "null") {
        Some(r) => Some(rfc3339(at, Some(r), "expires_at")?),
        None => None,
    };
    let name = at.string(item.name, "name")?.unwrap_or_default();
    let granted = format!("{} {currency} granted", crate::money::format_units(units));
    let description = if name.trim().is_empty() { granted } else { format!("{}: {granted}", name.trim()) };
    let key = ChainKey::new(customer, currency);
    let dims = [Some(id.as_str()), category.as_deref(), priority.as_deref(), expires.as_deref()];
    entry(at, labels, key, &id, ts, GRANT_TYPE, &description, 0, &dims, (ts_raw, ts_field))
}

/// The entry, through the one range check every reader keeps.
#[allow(clippy::too_many_arguments)]
fn entry(
    at: &At<'_>,
    labels: &mut Labels,
    key: ChainKey,
    txn_id: &str,
    ts: i64,
    kind: &str,
    description: &str,
    amount: i64,
    dims: &[Option<&str>; 4],
    (ts_raw, ts_field): (Option<&RawValue>, &'static str),
) -> Result<(Option<ChainKey>, ParsedEntry), ImportError> {
    let fields = Fields {
        txn_id,
        ts,
        kind,
        description,
        amount,
        // Checked as 0, then marked as stating none (the marker is outside the range).
        balance_after: 0,
        dims,
        line: at.line,
        offset: at.offset as u64,
    };
    let mut parsed = fields.into_entry(labels).map_err(|range| match range {
        OutOfRange::Time => at.bad(ts_field, ts_raw, ts_raw.map_or("", |r| r.get()), range.expected()),
        _ => at.bad("amount", None::<&str>, &crate::money::format_units(amount), range.expected()),
    })?;
    parsed.balance_after = NO_BALANCE;
    parsed.hash = content_hash(ts, kind, description, amount, NO_BALANCE, dims);
    Ok((Some(key), parsed))
}

/// The entry's time: `effective_at` (when the credits count), else `created`.
fn time_of<'a>(at: &At<'_>, item: &Item<'a>) -> Result<(i64, Option<&'a RawValue>, &'static str), ImportError> {
    let (raw, field) = match item.effective_at.filter(|r| r.get() != "null") {
        Some(r) => (Some(r), "effective_at"),
        None => (item.created, "created"),
    };
    let secs = integer(at, raw, field, "Unix seconds, as Stripe writes them")?;
    let ts = secs
        .checked_mul(1_000_000)
        .ok_or_else(|| at.bad(field, raw, &secs.to_string(), OutOfRange::Time.expected()))?;
    Ok((ts, raw, field))
}

/// Unix seconds as RFC 3339 UTC, the form a grant's `expires_at` dimension keeps.
fn rfc3339(at: &At<'_>, raw: Option<&RawValue>, field: &'static str) -> Result<String, ImportError> {
    let secs = integer(at, raw, field, "Unix seconds, as Stripe writes them")?;
    chrono::DateTime::from_timestamp(secs, 0)
        .filter(|t| (super::MIN_TIME..=super::MAX_TIME).contains(&t.timestamp_micros()))
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .ok_or_else(|| at.bad(field, raw, &secs.to_string(), OutOfRange::Time.expected()))
}

/// A monetary amount: its currency (lower case, as Stripe writes it) and a positive number
/// of minor units converted to micro-units by the currency's exponent.
fn money(at: &At<'_>, raw: Option<&RawValue>, field: &'static str) -> Result<(String, i64), ImportError> {
    const EXPECTED: &str =
        "{\"type\": \"monetary\", \"monetary\": {\"currency\": \"usd\", \"value\": 1000}}: Reckon reads monetary billing credits";
    let r = raw.filter(|r| r.get() != "null").ok_or_else(|| at.missing(field))?;
    let amount: AmountOf = serde_json::from_str(r.get()).map_err(|_| at.bad(field, raw, r.get(), EXPECTED))?;
    if let Some(kind) = at.string(amount.kind, field)? {
        if kind != "monetary" {
            return Err(at.bad(field, amount.kind, &kind, EXPECTED));
        }
    }
    let m = amount.monetary.filter(|m| m.get() != "null").ok_or_else(|| at.bad(field, raw, r.get(), EXPECTED))?;
    let monetary: Monetary = serde_json::from_str(m.get()).map_err(|_| at.bad(field, Some(m), m.get(), EXPECTED))?;
    let currency = at.required(monetary.currency, "currency", "a three-letter ISO code such as usd")?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(at.bad("currency", monetary.currency, &currency, "a three-letter ISO code such as usd"));
    }
    let currency = currency.to_ascii_lowercase();
    const VALUE: &str = "a positive integer in the currency's smallest unit (cents for usd), as Stripe writes it";
    let value = integer(at, monetary.value, "value", VALUE)?;
    if value < 0 {
        return Err(at.bad("value", monetary.value, &value.to_string(), VALUE));
    }
    let scale = 10_i64.pow(crate::money::SCALE - exponent(&currency));
    let units = value
        .checked_mul(scale)
        .filter(|u| *u <= crate::money::MAX_UNITS)
        .ok_or_else(|| at.bad("value", monetary.value, &value.to_string(), OutOfRange::Amount.expected()))?;
    Ok((currency, units))
}

/// A JSON integer, from its text (no float).
fn integer(at: &At<'_>, raw: Option<&RawValue>, field: &'static str, expected: &str) -> Result<i64, ImportError> {
    let r = raw.filter(|r| r.get() != "null").ok_or_else(|| at.missing(field))?;
    // A number written as a string is quoted as its text.
    let shown = r.get().strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(r.get());
    r.get().parse::<i64>().map_err(|_| at.bad(field, raw, shown, expected))
}

/// The grant a transaction names (an ID, or an expanded grant), and the customer an expanded
/// grant names.
fn grant_of(at: &At<'_>, raw: Option<&RawValue>) -> Result<(Option<String>, Option<String>), ImportError> {
    let Some(r) = raw.filter(|r| r.get() != "null") else { return Ok((None, None)) };
    if !r.get().starts_with('{') {
        return Ok((at.string(raw, "credit_grant")?.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()), None));
    }
    let expanded: Expanded = serde_json::from_str(r.get())
        .map_err(|_| at.bad("credit_grant", raw, r.get(), "a credit grant ID, or an expanded grant with an \"id\""))?;
    let id = at.string(expanded.id, "credit_grant")?.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    Ok((id, id_of(at, expanded.customer, "customer")?))
}

/// An ID given as a string, or as an expanded object with an `id`; `null` or absent is `None`.
fn id_of(at: &At<'_>, raw: Option<&RawValue>, field: &'static str) -> Result<Option<String>, ImportError> {
    let Some(r) = raw.filter(|r| r.get() != "null") else { return Ok(None) };
    let id = if r.get().starts_with('{') {
        let expanded: Expanded = serde_json::from_str(r.get())
            .map_err(|_| at.bad(field, raw, r.get(), "an ID, or an expanded object with an \"id\""))?;
        at.string(expanded.id, field)?
    } else {
        at.string(raw, field)?
    };
    Ok(id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_needs_billing_credit_objects() {
        assert!(detect(
            r#"{"object": "list", "data": [{"id": "cbtxn_1", "object": "billing.credit_balance_transaction"}]"#
        ));
        assert!(detect(r#"[{"id": "credgr_1", "object":"billing.credit_grant"}]"#));
        assert!(detect(r#"{"object": "billing.credit_balance_summary", "customer": "cus_1", "balances": []}"#));
        assert!(detect(r#"{"object": "list", "data": [], "has_more": false, "url": "/v1/billing/credit_grants"}"#));
        assert!(!detect(r#"{"object": "list", "data": [{"id": "cbtxn_1", "object": "customer_balance_transaction"}]"#));
        assert!(!detect(r#"{"object": "list", "data": [], "url": "/v1/customers/cus_1/balance_transactions"}"#));
        assert!(!detect(r#"{"data": [{"id": "txn_1", "balance_after": "1.00", "type": "CHAT"}]"#));
    }
}
