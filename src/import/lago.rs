//! Lago wallet transactions (FORMATS.md section 6): `GET /api/v1/wallets/{id}/wallet_transactions`
//! saved to a file as one page (`{"wallet_transactions": [...], "meta": {...}}`), an array of
//! pages or a bare array of transactions; and a saved wallet (`GET /api/v1/wallets/{id}`,
//! `{"wallet": {...}}`), whose `credits_balance` becomes an anchor. Its reader `lago-json`;
//! the source is [`source::LAGO`].
//!
//! A chain per wallet (`lago_wallet_id`), in credits: `credit_amount`, never the money
//! `amount` (the wallet's rate may differ from 1). `inbound` adds, `outbound` subtracts, and
//! only `settled` counts, dated when it settled. A `failed` transaction is kept with amount 0
//! and its credits named in the description, so a failed top-up never counts. A `pending` one
//! is kept apart as the grant ledger keeps pending grants: amount 0, no stated balance, its
//! credits in the `pending` label, under its own ID `<lago_id>:pending` (Lago settles it later
//! under the same `lago_id`, which must not read as a conflicting duplicate); the settled (or
//! failed) version names it in `settles`. No transaction states a balance
//! (`model::NO_BALANCE`): the chain is checked against anchors.

use std::ops::ControlFlow;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::json::{self, At, Document};
use super::{parse_time, Fields, ImportError, OutOfRange, Reader, DATE_EXPECTED, MAX_FIELD_BYTES};
use crate::model::{content_hash, source, ChainKey, FileAnchor, Labels, ParsedEntry, ParsedFile, NO_BALANCE};
use crate::money;

/// Lago's wallet transactions (or a wallet) as the API answers them, saved to a file.
pub(super) static READER: Reader = Reader {
    name: "lago-json",
    aliases: &["lago"],
    source: &source::LAGO,
    detect,
    read: |path, bytes, progress| json::read(path, bytes, progress, parse_with),
    parse: Some(|origin, raw| json::parse(origin, raw, parse_with)),
    raw_text: json::object_at,
};

/// The ID suffix of a transaction stored while pending (see the module's documentation).
pub const PENDING_SUFFIX: &str = ":pending";

/// The currency of every wallet's chain.
const CURRENCY: &str = "credits";

/// A JSON document naming Lago's members. Asked before Reverie's JSON reader, which takes any
/// JSON; no other source has these members.
fn detect(head: &str) -> bool {
    (head.starts_with('{') || head.starts_with('['))
        && (json::has_member(head, "wallet_transactions")
            || json::has_member(head, "lago_wallet_id")
            || (json::has_member(head, "wallet") && json::has_member(head, "credits_balance")))
}

const DOCUMENT: &str = "one page of Lago's wallet transactions ({\"wallet_transactions\": [transaction, ...], \"meta\": {...}}), an array of such pages, a bare array of transactions, or a wallet ({\"wallet\": {...}})";

const SHAPE: &str = "{\"lago_id\", \"lago_wallet_id\", \"status\", \"transaction_status\", \"transaction_type\", \"credit_amount\", \"amount\", \"created_at\", \"settled_at\", \"source\", \"metadata\"}";

const WALLET_SHAPE: &str =
    "{\"wallet\": {\"lago_id\", \"credits_balance\", \"updated_at\" (optional), \"currency\", \"rate_amount\", ...}}";

#[derive(Deserialize)]
struct Transaction<'a> {
    #[serde(borrow)]
    lago_id: Option<&'a RawValue>,
    #[serde(borrow)]
    lago_wallet_id: Option<&'a RawValue>,
    #[serde(borrow)]
    status: Option<&'a RawValue>,
    #[serde(borrow)]
    transaction_status: Option<&'a RawValue>,
    #[serde(borrow)]
    transaction_type: Option<&'a RawValue>,
    #[serde(borrow)]
    credit_amount: Option<&'a RawValue>,
    #[serde(borrow)]
    created_at: Option<&'a RawValue>,
    #[serde(borrow)]
    settled_at: Option<&'a RawValue>,
    #[serde(borrow)]
    source: Option<&'a RawValue>,
    #[serde(borrow)]
    metadata: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Pair<'a> {
    #[serde(borrow)]
    key: Option<&'a RawValue>,
    #[serde(borrow)]
    value: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Wallet<'a> {
    #[serde(borrow)]
    lago_id: Option<&'a RawValue>,
    #[serde(borrow)]
    credits_balance: Option<&'a RawValue>,
    #[serde(borrow)]
    updated_at: Option<&'a RawValue>,
}

fn parse_with(
    path: &Path,
    raw: Vec<u8>,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    if is_wallet(&raw) {
        return read_wallet(path, raw, bytes);
    }
    json::read_entries(
        path,
        raw,
        bytes,
        progress,
        &READER,
        Document::PagesOf("wallet_transactions", DOCUMENT),
        SHAPE,
        |at, labels| read_entry(at, labels).map(json::key_of),
    )
}

/// Whether the document is a saved wallet: an object with a `wallet` member and no
/// `wallet_transactions`.
fn is_wallet(raw: &[u8]) -> bool {
    let text = std::str::from_utf8(raw).unwrap_or("");
    let body = json::body(text).trim_start();
    body.starts_with('{') && json::has_member(body, "wallet") && !json::has_member(body, "wallet_transactions")
}

/// One wallet transaction: its chain (the wallet, in credits) and the entry.
fn read_entry(at: &At<'_>, labels: &mut Labels) -> Result<(Option<ChainKey>, ParsedEntry), ImportError> {
    let t: Transaction = at.parse()?;
    let lago_id = at.required(t.lago_id, "lago_id", "the transaction's lago_id")?;
    let wallet = at.required(t.lago_wallet_id, "lago_wallet_id", "the lago_id of the wallet")?;
    let status = at.required(t.status, "status", "pending, settled or failed")?;
    let status = match status.to_ascii_lowercase().as_str() {
        s @ ("pending" | "settled" | "failed") => s.to_string(),
        _ => return Err(at.bad("status", t.status, &status, "pending, settled or failed")),
    };
    let direction = at.required(t.transaction_type, "transaction_type", "inbound or outbound")?;
    let sign = match direction.to_ascii_lowercase().as_str() {
        "inbound" => 1,
        "outbound" => -1,
        _ => return Err(at.bad("transaction_type", t.transaction_type, &direction, "inbound or outbound")),
    };
    // Older answers have no transaction_status: the direction is the type then.
    let kind = match at.string(t.transaction_status, "transaction_status")? {
        Some(s) if !s.trim().is_empty() => s.trim().to_ascii_uppercase(),
        _ => direction.to_ascii_uppercase(),
    };
    let credits = at.money(t.credit_amount, "credit_amount")?;
    if credits < 0 {
        let text = t.credit_amount.map_or("", |r| r.get());
        return Err(at.bad(
            "credit_amount",
            t.credit_amount,
            text,
            "a credit amount of 0 or more (transaction_type says which way it goes)",
        ));
    }
    let created_text = at.string(t.created_at, "created_at")?.ok_or_else(|| at.missing("created_at"))?;
    let created =
        parse_time(&created_text).ok_or_else(|| at.bad("created_at", t.created_at, &created_text, DATE_EXPECTED))?;
    let settled = match at.string(t.settled_at, "settled_at")? {
        Some(text) if !text.trim().is_empty() => {
            Some(parse_time(&text).ok_or_else(|| at.bad("settled_at", t.settled_at, &text, DATE_EXPECTED))?)
        }
        _ => None,
    };
    let origin = at.string(t.source, "source")?.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let mut description = metadata(at, t.metadata)?;

    let signed = credits * sign;
    let pending_id = format!("{lago_id}{PENDING_SUFFIX}");
    let (txn_id, ts, amount, pending, settles) = match status.as_str() {
        // Credits become available when they settle.
        "settled" => {
            // Purchased credits wait for their payment (pending) in Lago; anything else that
            // settled later than it was made waited too.
            let was_pending = kind == "PURCHASED" || settled.is_some_and(|s| s != created);
            (lago_id.clone(), settled.unwrap_or(created), signed, None, was_pending.then(|| pending_id.clone()))
        }
        "pending" => (pending_id.clone(), created, 0, Some(money::format_units(signed)), None),
        _ => {
            let note = format!("failed: {} credits never counted", money::format_units(signed));
            description = if description.is_empty() { note } else { format!("{note}; {description}") };
            (lago_id.clone(), created, 0, None, Some(pending_id.clone()))
        }
    };
    let dims = [Some(status.as_str()), origin.as_deref(), pending.as_deref(), settles.as_deref()];
    let fields = Fields {
        txn_id: &txn_id,
        ts,
        kind: &kind,
        description: &description,
        amount,
        balance_after: 0,
        dims: &dims,
        line: at.line,
        offset: at.offset as u64,
    };
    let mut entry = fields.into_entry(labels).map_err(|range| match range {
        OutOfRange::Time if status == "settled" && settled.is_some() => {
            at.bad("settled_at", t.settled_at, t.settled_at.map_or("", |r| r.get()), range.expected())
        }
        OutOfRange::Time => at.bad("created_at", t.created_at, &created_text, range.expected()),
        _ => at.bad("credit_amount", t.credit_amount, t.credit_amount.map_or("", |r| r.get()), range.expected()),
    })?;
    entry.balance_after = NO_BALANCE;
    entry.hash = content_hash(ts, &kind, &description, amount, NO_BALANCE, &dims);
    Ok((Some(ChainKey::new(wallet, CURRENCY)), entry))
}

/// `metadata`, an array of `{"key", "value"}`, as `key: value; key: value` (empty when absent).
fn metadata(at: &At<'_>, raw: Option<&RawValue>) -> Result<String, ImportError> {
    const EXPECTED: &str = "an array of {\"key\", \"value\"} pairs";
    let Some(raw) = raw.filter(|r| r.get() != "null") else { return Ok(String::new()) };
    let pairs: Vec<Pair> =
        serde_json::from_str(raw.get()).map_err(|_| at.bad("metadata", Some(raw), raw.get(), EXPECTED))?;
    let mut parts = Vec::with_capacity(pairs.len());
    for pair in pairs {
        let key = at.string(pair.key, "metadata.key")?.unwrap_or_default();
        let value = match pair.value {
            Some(v) if v.get().starts_with('"') => at.string(Some(v), "metadata.value")?.unwrap_or_default(),
            Some(v) if v.get().len() > MAX_FIELD_BYTES => return Err(too_long(at, v)),
            Some(v) if v.get() != "null" => v.get().to_string(),
            _ => String::new(),
        };
        let (key, value) = (key.trim(), value.trim());
        if !key.is_empty() || !value.is_empty() {
            parts.push(format!("{key}: {value}"));
        }
    }
    let text = parts.join("; ");
    if text.len() > MAX_FIELD_BYTES {
        return Err(too_long(at, raw));
    }
    Ok(text)
}

/// A value (or all of `metadata` together) longer than any one value may be.
fn too_long(at: &At<'_>, raw: &RawValue) -> ImportError {
    ImportError::limit(at.path, at.position_of(Some(raw)), "a value is longer", MAX_FIELD_BYTES as u64)
}

/// A saved wallet: no entries, one anchor (its `credits_balance`), at its `updated_at` when it
/// has one, else at the newest transaction of its chain.
fn read_wallet(path: &Path, raw: Vec<u8>, bytes: u64) -> Result<ParsedFile, ImportError> {
    let text = json::document(path, raw)?;
    let at = json::member_object(path, &text, "wallet", WALLET_SHAPE)?;
    let wallet: Wallet = at.parse()?;
    let id = at.required(wallet.lago_id, "lago_id", "the wallet's lago_id")?;
    let balance = at.money(wallet.credits_balance, "credits_balance")?;
    let ts = match at.string(wallet.updated_at, "updated_at")? {
        Some(t) if !t.trim().is_empty() => {
            Some(parse_time(&t).ok_or_else(|| at.bad("updated_at", wallet.updated_at, &t, DATE_EXPECTED))?)
        }
        _ => None,
    };
    let name = path.file_name().map_or_else(|| path.display().to_string(), |f| f.to_string_lossy().into_owned());
    let when = if ts.is_some() { "at its updated_at" } else { "at the newest transaction" };
    let key = ChainKey::new(id, CURRENCY);
    Ok(ParsedFile {
        path: path.to_path_buf(),
        format: READER.name,
        source: READER.source.name,
        dimensions: READER.source.dimensions(),
        bytes,
        labels: Labels::default(),
        chains: vec![Some(key.clone())],
        entries: Vec::new(),
        anchors: vec![FileAnchor {
            chain: key,
            balance,
            ts,
            note: format!("Lago wallet credits_balance, {name} ({when})"),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ParsedFile, ImportError> {
        json::parse(Path::new("t.json"), text.as_bytes().to_vec(), parse_with)
    }

    const TX: &str = r#"{"lago_id": "t1", "lago_wallet_id": "w1", "status": "settled", "transaction_status": "purchased", "transaction_type": "inbound", "amount": "20.00", "credit_amount": "10.00", "created_at": "2026-03-01T08:00:00Z", "settled_at": "2026-03-01T08:00:00Z", "metadata": [{"key": "order", "value": "A-1"}]}"#;

    #[test]
    fn credits_not_money_and_only_settled_counts() {
        let file = parse(&format!(r#"{{"wallet_transactions": [{TX}], "meta": {{"next_page": null}}}}"#)).unwrap();
        let e = &file.entries[0];
        assert_eq!((e.amount, e.balance_after), (10_000_000, NO_BALANCE));
        assert_eq!(file.labels.text(e.kind), "PURCHASED");
        assert_eq!(file.labels.text(e.description), "order: A-1");
        assert_eq!(file.labels.text(e.dims[3]), "t1:pending", "a purchase settles its pending version");
        let granted = parse(&format!("[{}]", TX.replace("purchased", "granted"))).unwrap();
        assert_eq!(granted.entries[0].dims[3], 0, "a grant settled at once was never pending");
        assert_eq!(file.chains, vec![Some(ChainKey::new("w1", "credits"))]);
        let failed = parse(&format!("[{}]", TX.replace("\"settled\"", "\"failed\""))).unwrap();
        assert_eq!(failed.entries[0].amount, 0);
        assert!(failed.labels.text(failed.entries[0].description).starts_with("failed: 10.00 credits never counted"));
        let pending = parse(&format!("[{}]", TX.replace("\"settled\"", "\"pending\""))).unwrap();
        let p = &pending.entries[0];
        assert_eq!((&*p.txn_id, p.amount, p.balance_after), ("t1:pending", 0, NO_BALANCE));
        assert_eq!(pending.labels.text(p.dims[2]), "10.00");
        let out = parse(&format!("[{}]", TX.replace("inbound", "outbound"))).unwrap();
        assert_eq!(out.entries[0].amount, -10_000_000);
    }

    #[test]
    fn a_wallet_is_an_anchor_at_its_updated_at_if_any() {
        let file =
            parse(r#"{"wallet": {"lago_id": "w1", "credits_balance": "12.50", "updated_at": "2026-03-02T00:00:00Z"}}"#)
                .unwrap();
        assert!(file.entries.is_empty());
        assert_eq!(file.anchors[0].balance, 12_500_000);
        assert_eq!(file.anchors[0].ts, parse_time("2026-03-02T00:00:00Z"));
        let file = parse(r#"{"wallet": {"lago_id": "w1", "credits_balance": "12.50"}}"#).unwrap();
        assert_eq!(file.anchors[0].ts, None);
    }

    #[test]
    fn metadata_is_held_to_the_value_limit() {
        let pair = format!("{{\"key\": \"k\", \"value\": \"{}\"}}", "x".repeat(40_000));
        let tx = TX.replace(r#"[{"key": "order", "value": "A-1"}]"#, &format!("[{pair}, {pair}]"));
        let e = parse(&format!("[{tx}]")).unwrap_err().to_string();
        assert!(e.contains("a value is longer than Reckon reads (64 KiB)"), "{e}");
    }

    #[test]
    fn a_bad_value_is_placed() {
        let text = format!("[\n{}]", TX.replace("\"10.00\"", "\"ten\""));
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.starts_with("t.json:2:"), "{e}");
        assert!(e.contains("credit_amount"), "{e}");
        assert!(detect(r#"{"wallet_transactions": []"#));
        assert!(!detect(r#"{"data": [{"id": "txn_1"}]}"#));
    }
}
