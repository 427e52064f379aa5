//! Orb: a customer's credit ledger as `GET /v1/customers/{id}/credits/ledger` answers it
//! (`{"data": [...], "pagination_metadata": {...}}`, newest first), saved to a file as one
//! page, an array of pages or a bare array of entries. Its reader `orb-json`; the source is
//! [`source::ORB`].
//!
//! A chain is a customer (`external_customer_id`, else `customer.id`) in one `currency`.
//! An entry's change is `ending_balance - starting_balance` (the sign of `amount` is not
//! documented); an `amount` whose magnitude disagrees with it is named in the description.
//! Pending entries are not part of the committed balance: they go to the chain
//! `<currency> (pending)`. Numbers are read from their exact text, never through a float;
//! more than six decimal places (`0.30000000000000004`) is refused, not rounded.

use std::ops::ControlFlow;
use std::path::Path;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::json::{self, At, Document};
use super::{parse_time, Fields, ImportError, OutOfRange, Reader, DATE_EXPECTED};
use crate::model::{normalize_type, source, ChainKey, Labels, ParsedEntry, ParsedFile};
use crate::money::{self, AmountError};

/// Orb's credit ledger API answer, saved to a file.
pub(super) static READER: Reader = Reader {
    name: "orb-json",
    aliases: &["orb"],
    source: &source::ORB,
    detect,
    read: |path, bytes, progress| json::read(path, bytes, progress, parse_with),
    parse: Some(|origin, raw| json::parse(origin, raw, parse_with)),
    raw_text: json::object_at,
};

/// A JSON document naming Orb's ledger members. Asked before Reverie's JSON reader, which
/// takes any JSON; Reverie entries have neither member.
fn detect(head: &str) -> bool {
    (head.starts_with('{') || head.starts_with('['))
        && (json::has_member(head, "ledger_sequence_number") || json::has_member(head, "pagination_metadata"))
}

const DOCUMENT: &str = "one page of Orb's credit ledger ({\"data\": [entry, ...], \"pagination_metadata\": {...}}), an array of such pages, or a bare array of entries";

const SHAPE: &str = "{\"id\", \"created_at\", \"entry_type\", \"entry_status\", \"amount\", \"starting_balance\", \"ending_balance\", \"currency\", \"customer\", \"credit_block\", \"description\"}";

/// The pending chain's currency: pending entries are shown apart from the committed balance.
const PENDING_SUFFIX: &str = " (pending)";

#[derive(Deserialize)]
struct OrbEntry<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    created_at: Option<&'a RawValue>,
    #[serde(borrow)]
    entry_type: Option<&'a RawValue>,
    #[serde(borrow)]
    entry_status: Option<&'a RawValue>,
    #[serde(borrow)]
    amount: Option<&'a RawValue>,
    #[serde(borrow)]
    starting_balance: Option<&'a RawValue>,
    #[serde(borrow)]
    ending_balance: Option<&'a RawValue>,
    #[serde(borrow)]
    currency: Option<&'a RawValue>,
    #[serde(borrow)]
    description: Option<&'a RawValue>,
    #[serde(borrow)]
    customer: Option<&'a RawValue>,
    #[serde(borrow)]
    credit_block: Option<&'a RawValue>,
}

/// `customer` and `credit_block` objects: the members Reckon reads.
#[derive(Deserialize)]
struct Nested<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    external_customer_id: Option<&'a RawValue>,
}

fn parse_with(
    path: &Path,
    raw: Vec<u8>,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    json::read_entries(path, raw, bytes, progress, &READER, Document::Pages(DOCUMENT), SHAPE, |at, labels| {
        read_entry(at, labels).map(json::key_of)
    })
}

/// One ledger entry: its chain (the customer in the currency, pending apart) and the entry.
fn read_entry(at: &At<'_>, labels: &mut Labels) -> Result<(Option<ChainKey>, ParsedEntry), ImportError> {
    let entry: OrbEntry = at.parse()?;
    let txn_id = at.required(entry.id, "id", "a ledger entry ID")?;
    let created = at.string(entry.created_at, "created_at")?.ok_or_else(|| at.missing("created_at"))?;
    let ts = parse_time(&created).ok_or_else(|| at.bad("created_at", entry.created_at, &created, DATE_EXPECTED))?;
    let kind = at.required(entry.entry_type, "entry_type", "an entry type such as increment or decrement")?;
    let kind = normalize_type(&kind).into_owned();
    let status = at.required(entry.entry_status, "entry_status", "committed or pending")?;
    let pending = match status.as_str() {
        "committed" => false,
        "pending" => true,
        _ => return Err(at.bad("entry_status", entry.entry_status, &status, "committed or pending")),
    };
    let currency = at.required(entry.currency, "currency", "a currency such as credits or USD")?;
    let account = customer(at, entry.customer)?;
    let block = match entry.credit_block {
        Some(raw) if raw.get() != "null" => {
            let nested: Nested = serde_json::from_str(raw.get())
                .map_err(|_| at.bad("credit_block", Some(raw), raw.get(), "an object {\"id\", \"expiry_date\"}"))?;
            at.string(nested.id, "credit_block.id")?.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
        }
        _ => None,
    };
    let amount = exact(at, entry.amount, "amount")?;
    let starting = exact(at, entry.starting_balance, "starting_balance")?;
    let ending = exact(at, entry.ending_balance, "ending_balance")?;
    let change = ending.checked_sub(starting).ok_or_else(|| {
        at.bad(
            "ending_balance",
            entry.ending_balance,
            entry.ending_balance.map_or("", |r| r.get()),
            OutOfRange::Amount.expected(),
        )
    })?;
    let mut description = at.string(entry.description, "description")?.unwrap_or_default().trim().to_string();
    if amount.unsigned_abs() != change.unsigned_abs() {
        // The balances carry the walk; the disagreement stays in sight of whoever reads it.
        let note = format!("(amount field says {})", money::format_units(amount));
        description = if description.is_empty() { note } else { format!("{description} {note}") };
    }
    let key = ChainKey::new(account, if pending { format!("{currency}{PENDING_SUFFIX}") } else { currency });
    let dims = [block.as_deref(), Some(status.as_str())];
    let fields = Fields {
        txn_id: &txn_id,
        ts,
        kind: &kind,
        description: &description,
        amount: change,
        balance_after: ending,
        dims: &dims,
        line: at.line,
        offset: at.offset as u64,
    };
    let parsed = fields.into_entry(labels).map_err(|range| {
        let (field, raw, value) = match range {
            OutOfRange::Amount => {
                ("ending_balance - starting_balance", entry.ending_balance, money::format_units(change))
            }
            OutOfRange::BalanceAfter => ("ending_balance", entry.ending_balance, money::format_units(ending)),
            OutOfRange::Time => ("created_at", entry.created_at, created.clone()),
        };
        at.bad(field, raw, &value, range.expected())
    })?;
    Ok((Some(key), parsed))
}

/// The account: the customer's `external_customer_id` where Orb has one, else its Orb `id`.
fn customer(at: &At<'_>, raw: Option<&RawValue>) -> Result<String, ImportError> {
    const EXPECTED: &str = "an object {\"id\", \"external_customer_id\"} naming the customer";
    let raw = raw.filter(|r| r.get() != "null").ok_or_else(|| at.missing("customer"))?;
    let nested: Nested =
        serde_json::from_str(raw.get()).map_err(|_| at.bad("customer", Some(raw), raw.get(), EXPECTED))?;
    let external = at.string(nested.external_customer_id, "customer.external_customer_id")?;
    match external.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => Ok(id.to_string()),
        None => at.required(nested.id, "customer.id", EXPECTED),
    }
}

/// A JSON number (or a decimal string) as micro-credits, read from its exact text: no float,
/// no rounding. Trailing zeros and exponents are exact and accepted; a seventh significant
/// decimal place is refused.
fn exact(at: &At<'_>, raw: Option<&RawValue>, field: &'static str) -> Result<i64, ImportError> {
    let r = raw.filter(|r| r.get() != "null").ok_or_else(|| at.missing(field))?;
    let text = if r.get().starts_with('"') {
        serde_json::from_str::<String>(r.get()).map_err(|_| at.bad(field, raw, r.get(), "a decimal number"))?
    } else {
        r.get().to_string()
    };
    exact_units(text.trim()).map_err(|e| {
        let expected = match e {
            AmountError::TooPrecise => format!(
                "{e}: Reckon keeps amounts exactly and never rounds them (a value like this is often a floating-point artefact; ask Orb for the exact amount)"
            ),
            e => e.to_string(),
        };
        at.bad(field, raw, &text, &expected)
    })
}

fn exact_units(text: &str) -> Result<i64, AmountError> {
    if text.contains(['e', 'E']) {
        let value = Decimal::from_scientific(text).map_err(|_| AmountError::Invalid('e'))?.normalize();
        if value.scale() > money::SCALE {
            return Err(AmountError::TooPrecise);
        }
        return money::to_units(value).ok_or(AmountError::TooLarge);
    }
    // `1.5000000` is exactly 1.5: only significant places count against the six.
    let trimmed = match text.split_once('.') {
        Some((whole, frac)) if frac.len() > money::SCALE as usize && frac.bytes().all(|b| b.is_ascii_digit()) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                whole.to_string()
            } else {
                format!("{whole}.{frac}")
            }
        }
        _ => text.to_string(),
    };
    money::parse_units(&trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_exactly_or_refused() {
        assert_eq!(exact_units("0.3"), Ok(300_000));
        assert_eq!(exact_units("-7.125"), Ok(-7_125_000));
        assert_eq!(exact_units("1.50000000000"), Ok(1_500_000));
        assert_eq!(exact_units("1.5e2"), Ok(150_000_000));
        assert_eq!(exact_units("25E-1"), Ok(2_500_000));
        assert_eq!(exact_units("100"), Ok(100_000_000));
        assert_eq!(exact_units("0.30000000000000004"), Err(AmountError::TooPrecise));
        assert_eq!(exact_units("1e-7"), Err(AmountError::TooPrecise));
    }

    #[test]
    fn detection_needs_orb_members() {
        assert!(detect(r#"{"data": [{"id": "x", "ledger_sequence_number": 1}]"#));
        assert!(detect(r#"{"data": [], "pagination_metadata": {"has_more": false}}"#));
        assert!(!detect(r#"{"data": [{"id": "txn_1", "balance_after": "1.00", "type": "CHAT"}]"#));
        assert!(!detect("Transaction ID,Date"));
    }
}
