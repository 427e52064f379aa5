//! Stripe: a customer's balance transactions as `GET /v1/customers/{id}/balance_transactions`
//! answers them (`{"object": "list", "data": [...], "has_more": ...}`, newest first), saved to
//! a file as one page, an array of pages or a bare array of entries. Its reader
//! `stripe-json`; the source is [`source::STRIPE`].
//!
//! *Sign:* Stripe writes the customer's balance as what the customer owes, so a credit to the
//! customer is a negative `amount` and a credit balance a negative `ending_balance`. Reckon
//! shows them as the customer reads them: amount = `-amount`, balance after =
//! `-ending_balance`, so a credit is `+` and the credit balance positive.
//!
//! Amounts are integers in the currency's smallest unit: two decimals but for Stripe's
//! zero-decimal currencies (`jpy`, `krw`, ...) and three-decimal ones (`bhd`, `kwd`, ...).
//! A chain is a `customer` in one `currency`, kept as Stripe writes it (`usd`).

use std::borrow::Cow;
use std::ops::ControlFlow;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::json::{self, At, Document, KeyOf};
use super::{Fields, ImportError, OutOfRange, Reader};
use crate::model::{normalize_type, source, Labels, ParsedEntry, ParsedFile};

/// Stripe's customer balance transactions API answer, saved to a file.
pub(super) static READER: Reader = Reader {
    name: "stripe-json",
    aliases: &["stripe"],
    source: &source::STRIPE,
    detect,
    read: |path, bytes, progress| json::read(path, bytes, progress, parse_with),
    parse: Some(|origin, raw| json::parse(origin, raw, parse_with)),
    raw_text: json::object_at,
};

const OBJECT: &str = "customer_balance_transaction";

/// A JSON document holding customer balance transactions, or an empty page of them. Asked
/// before Reverie's JSON reader, which takes any JSON.
fn detect(head: &str) -> bool {
    (head.starts_with('{') || head.starts_with('['))
        && (json::has_member_value(head, "object", OBJECT)
            || (json::has_member_value(head, "object", "list") && head.contains("/balance_transactions\"")))
}

const DOCUMENT: &str = "one page of Stripe's customer balance transactions ({\"object\": \"list\", \"data\": [...], \"has_more\": ...}), an array of such pages, or a bare array of entries";

const SHAPE: &str = "{\"id\", \"object\": \"customer_balance_transaction\", \"amount\", \"ending_balance\", \"currency\", \"created\", \"customer\", \"type\", \"description\", \"invoice\", \"credit_note\"}";

/// Currencies without minor units (Stripe's zero-decimal list).
const ZERO_DECIMAL: [&str; 16] =
    ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"];
/// Currencies with three decimal places.
const THREE_DECIMAL: [&str; 5] = ["bhd", "jod", "kwd", "omr", "tnd"];

/// Decimal places of `currency`'s smallest unit, as Stripe counts them.
pub(super) fn exponent(currency: &str) -> u32 {
    let lower = currency.to_ascii_lowercase();
    if ZERO_DECIMAL.contains(&lower.as_str()) {
        0
    } else if THREE_DECIMAL.contains(&lower.as_str()) {
        3
    } else {
        2
    }
}

/// An entry's members as JSON text (`None`: absent or `null`).
struct StripeEntry<'a> {
    id: Option<&'a str>,
    object: Option<&'a str>,
    amount: Option<&'a str>,
    ending_balance: Option<&'a str>,
    currency: Option<&'a str>,
    created: Option<&'a str>,
    customer: Option<&'a str>,
    kind: Option<&'a str>,
    description: Option<&'a str>,
    invoice: Option<&'a str>,
    credit_note: Option<&'a str>,
}

/// The members read, in `StripeEntry`'s order.
const MEMBERS: [&str; 11] = [
    "id",
    "object",
    "amount",
    "ending_balance",
    "currency",
    "created",
    "customer",
    "type",
    "description",
    "invoice",
    "credit_note",
];

impl<'a> StripeEntry<'a> {
    /// The entry's members, found in one pass over its text (`json::members`), or read by
    /// serde where that pass leaves it to serde, with serde's errors.
    fn read(at: &At<'a>) -> Result<StripeEntry<'a>, ImportError> {
        let values = match json::members(at.item, &MEMBERS) {
            Some(values) => values,
            None => {
                let raw: RawEntry<'a> = at.parse()?;
                [
                    raw.id,
                    raw.object,
                    raw.amount,
                    raw.ending_balance,
                    raw.currency,
                    raw.created,
                    raw.customer,
                    raw.kind,
                    raw.description,
                    raw.invoice,
                    raw.credit_note,
                ]
                .map(|v| v.map(RawValue::get))
            }
        };
        let [id, object, amount, ending_balance, currency, created, customer, kind, description, invoice, credit_note] =
            values;
        Ok(StripeEntry {
            id,
            object,
            amount,
            ending_balance,
            currency,
            created,
            customer,
            kind,
            description,
            invoice,
            credit_note,
        })
    }
}

/// `StripeEntry` as serde reads it.
#[derive(Deserialize)]
struct RawEntry<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    object: Option<&'a RawValue>,
    #[serde(borrow)]
    amount: Option<&'a RawValue>,
    #[serde(borrow)]
    ending_balance: Option<&'a RawValue>,
    #[serde(borrow)]
    currency: Option<&'a RawValue>,
    #[serde(borrow)]
    created: Option<&'a RawValue>,
    #[serde(borrow)]
    customer: Option<&'a RawValue>,
    #[serde(borrow, rename = "type")]
    kind: Option<&'a RawValue>,
    #[serde(borrow)]
    description: Option<&'a RawValue>,
    #[serde(borrow)]
    invoice: Option<&'a RawValue>,
    #[serde(borrow)]
    credit_note: Option<&'a RawValue>,
}

/// An expanded object (`expand[]=customer`): its `id`.
#[derive(Deserialize)]
struct Expanded<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
}

fn parse_with(
    path: &Path,
    raw: Vec<u8>,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    json::read_entries(path, raw, bytes, progress, &READER, Document::Pages(DOCUMENT), SHAPE, read_entry)
}

/// One balance transaction: its chain (the customer in the currency) and the entry. Its
/// strings are borrowed from the entry's text where they have no escape (`At::str`).
fn read_entry<'a>(at: &At<'a>, labels: &mut Labels) -> Result<(Option<KeyOf<'a>>, ParsedEntry), ImportError> {
    let entry = StripeEntry::read(at)?;
    if let Some(object) = at.str(entry.object, "object")? {
        if object != OBJECT {
            return Err(at.bad(
                "object",
                entry.object,
                &object,
                "customer_balance_transaction: this reader reads a customer's balance transactions (/v1/customers/{id}/balance_transactions); save that list",
            ));
        }
    }
    let txn_id = at.required_str(entry.id, "id", "a transaction ID such as cbtxn_1Nq…")?;
    let created = integer(at, entry.created, "created", "Unix seconds, as Stripe writes them")?;
    let ts = created
        .checked_mul(1_000_000)
        .ok_or_else(|| at.bad("created", entry.created, &created.to_string(), OutOfRange::Time.expected()))?;
    let kind = at.required_str(entry.kind, "type", "a transaction type such as applied_to_invoice")?;
    let kind = normalize_type(&kind);
    let currency = at.required_str(entry.currency, "currency", "a three-letter ISO code such as usd")?;
    let account = id_of(at, entry.customer, "customer")?.ok_or_else(|| at.missing("customer"))?;
    let scale = 10_i64.pow(crate::money::SCALE - exponent(&currency));
    let minor = |raw: Option<&str>, field: &'static str| -> Result<i64, ImportError> {
        const EXPECTED: &str = "an integer in the currency's smallest unit (cents for usd), as Stripe writes it";
        let value = integer(at, raw, field, EXPECTED)?;
        // Minus: Stripe counts what the customer owes, Reckon the customer's credit.
        value
            .checked_mul(scale)
            .and_then(i64::checked_neg)
            .ok_or_else(|| at.bad(field, raw, &value.to_string(), OutOfRange::Amount.expected()))
    };
    let amount = minor(entry.amount, "amount")?;
    let balance_after = minor(entry.ending_balance, "ending_balance")?;
    let description = at.str(entry.description, "description")?.unwrap_or_default();
    let invoice = id_of(at, entry.invoice, "invoice")?;
    let credit_note = id_of(at, entry.credit_note, "credit_note")?;
    let key = KeyOf { account, currency };
    let dims = [invoice.as_deref(), credit_note.as_deref()];
    let fields = Fields {
        txn_id: &txn_id,
        ts,
        kind: &kind,
        description: description.trim(),
        amount,
        balance_after,
        dims: &dims,
        line: at.line,
        offset: at.offset as u64,
    };
    let parsed = fields.into_entry(labels).map_err(|range| {
        let (field, raw) = match range {
            OutOfRange::Amount => ("amount", entry.amount),
            OutOfRange::BalanceAfter => ("ending_balance", entry.ending_balance),
            OutOfRange::Time => ("created", entry.created),
        };
        at.bad(field, raw, raw.unwrap_or(""), range.expected())
    })?;
    Ok((Some(key), parsed))
}

/// A JSON integer, from its text (no float).
fn integer(at: &At<'_>, raw: Option<&str>, field: &'static str, expected: &str) -> Result<i64, ImportError> {
    let r = raw.filter(|&r| r != "null").ok_or_else(|| at.missing(field))?;
    r.parse::<i64>().map_err(|_| at.bad(field, raw, r, expected))
}

/// An ID given as a string, or as an expanded object with an `id`; `null` or absent is `None`.
fn id_of<'a>(at: &At<'a>, raw: Option<&'a str>, field: &'static str) -> Result<Option<Cow<'a, str>>, ImportError> {
    let Some(r) = raw.filter(|&r| r != "null") else { return Ok(None) };
    let id = if r.starts_with('{') {
        let expanded: Expanded<'a> = serde_json::from_str(r)
            .map_err(|_| at.bad(field, raw, r, "an ID, or an expanded object with an \"id\""))?;
        at.str(expanded.id, field)?
    } else {
        at.str(raw, field)?
    };
    Ok(id.map(json::trimmed).filter(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_follow_stripe() {
        assert_eq!(exponent("usd"), 2);
        assert_eq!(exponent("JPY"), 0);
        assert_eq!(exponent("krw"), 0);
        assert_eq!(exponent("kwd"), 3);
        assert_eq!(exponent("eur"), 2);
    }

    #[test]
    fn detection_needs_stripe_objects() {
        assert!(detect(r#"{"object": "list", "data": [{"id": "cbtxn_1", "object": "customer_balance_transaction"}]"#));
        assert!(detect(r#"[{"id": "cbtxn_1", "object":"customer_balance_transaction"}]"#));
        assert!(detect(
            r#"{"object": "list", "data": [], "has_more": false, "url": "/v1/customers/cus_1/balance_transactions"}"#
        ));
        assert!(!detect(r#"{"object": "list", "data": [], "url": "/v1/charges"}"#));
        assert!(!detect(r#"{"data": [{"id": "txn_1", "balance_after": "1.00", "type": "CHAT"}]"#));
    }
}
