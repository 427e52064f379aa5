//! Reverie's Open API ledger JSON saved to a file: `{"data": [entry, ...]}` or a bare array.
//! Each entry is borrowed from the file text and converted in place, so positions in errors
//! point into the file and no second copy of the ledger is built.

use std::ops::ControlFlow;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::json::{self, At, Document};
use super::{parse_time, Fields, ImportError, OutOfRange, Reader, DATE_EXPECTED};
use crate::model::{normalize_type, Labels, ParsedEntry, ParsedFile};

/// Reverie's Open API ledger JSON, saved to a file.
pub(super) static READER: Reader = Reader {
    name: "reverie-json",
    aliases: &["json"],
    source: &crate::model::source::REVERIE,
    detect: |head| head.starts_with('{') || head.starts_with('['),
    read: |path, bytes, progress| json::read(path, bytes, progress, parse_with),
    parse: Some(|origin, raw| json::parse(origin, raw, parse_with)),
    raw_text: json::object_at,
};

/// An entry's members, for the fix of a malformed entry.
const SHAPE: &str =
    "{\"id\", \"created_at\", \"type\", \"description\", \"amount\", \"balance_after\", \"character\", \"model\"}";

#[derive(Deserialize)]
struct JsonEntry<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    created_at: Option<&'a RawValue>,
    #[serde(borrow, rename = "type")]
    kind: Option<&'a RawValue>,
    #[serde(borrow)]
    description: Option<&'a RawValue>,
    #[serde(borrow)]
    amount: Option<&'a RawValue>,
    #[serde(borrow)]
    balance_after: Option<&'a RawValue>,
    #[serde(borrow)]
    character: Option<&'a RawValue>,
    #[serde(borrow)]
    model: Option<&'a RawValue>,
}

/// The document, for the fix of a syntax error.
const DOCUMENT: &str = "{\"data\": [entry, ...]} or a bare array of entries, as the Open API returns them";

fn parse_with(
    path: &Path,
    raw: Vec<u8>,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    json::read_entries(path, raw, bytes, progress, &READER, Document::Data(DOCUMENT), SHAPE, |at, labels| {
        Ok((None, read_entry(at, labels)?))
    })
}

/// One entry of the Open API's ledger.
fn read_entry(at: &At<'_>, labels: &mut Labels) -> Result<ParsedEntry, ImportError> {
    let entry: JsonEntry = at.parse()?;
    let txn_id = at.string(entry.id, "id")?.ok_or_else(|| at.missing("id"))?;
    if txn_id.trim().is_empty() {
        return Err(at.bad("id", entry.id, &txn_id, "a transaction ID such as txn_01HV3K…"));
    }
    let created = at.string(entry.created_at, "created_at")?.ok_or_else(|| at.missing("created_at"))?;
    let ts = parse_time(&created).ok_or_else(|| at.bad("created_at", entry.created_at, &created, DATE_EXPECTED))?;
    let kind = at.string(entry.kind, "type")?.ok_or_else(|| at.missing("type"))?;
    let kind_norm = normalize_type(&kind);
    if kind_norm.is_empty() {
        return Err(at.bad("type", entry.kind, &kind, "a transaction type such as CHAT or PURCHASE"));
    }
    let description = at.string(entry.description, "description")?.unwrap_or_default();
    let amount = at.money(entry.amount, "amount")?;
    let balance_after = at.money(entry.balance_after, "balance_after")?;
    let optional = |raw, name| -> Result<Option<String>, ImportError> {
        Ok(at.string(raw, name)?.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
    };
    let (character, model) = (optional(entry.character, "character")?, optional(entry.model, "model")?);
    let dims = [character.as_deref(), model.as_deref()];
    let fields = Fields {
        txn_id: txn_id.trim(),
        ts,
        kind: &kind_norm,
        description: description.trim(),
        amount,
        balance_after,
        dims: &dims,
        line: at.line,
        offset: at.offset as u64,
    };
    fields.into_entry(labels).map_err(|range| {
        let (field, raw) = match range {
            OutOfRange::Amount => ("amount", entry.amount),
            OutOfRange::BalanceAfter => ("balance_after", entry.balance_after),
            OutOfRange::Time => ("created_at", entry.created_at),
        };
        at.bad(field, raw, raw.map_or("", |r| r.get()), range.expected())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::MAX_FIELD_BYTES;

    fn parse_text(text: &str) -> Result<ParsedFile, ImportError> {
        json::parse(Path::new("t.json"), text.as_bytes().to_vec(), parse_with)
    }

    const ENTRY: &str = r#"{"id": "txn_1", "created_at": "2026-03-01T08:00:00Z", "type": "BONUS", "description": "a", "amount": "1.00", "balance_after": "1.00", "character": null, "model": null}"#;

    /// serde reads a struct from a positional array; an entry written that way was accepted.
    #[test]
    fn an_entry_that_is_not_an_object_is_refused() {
        let text = format!(
            "[\n{ENTRY},\n[\"txn_2\", \"2026-03-01T08:00:01Z\", \"BONUS\", \"b\", \"1.00\", \"2.00\", null, null]\n]"
        );
        let err = parse_text(&text).unwrap_err().to_string();
        assert!(err.starts_with("t.json:3:1: an entry is not a JSON object"), "{err}");
        assert_eq!(parse_text(&format!("[{ENTRY}]")).unwrap().entries.len(), 1);
    }

    #[test]
    fn deep_nesting_and_duplicate_keys_are_refused() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse_text(&deep).unwrap_err().to_string();
        assert!(
            err.starts_with("t.json:1:129: arrays and objects nest deeper than Reckon reads (128 levels)"),
            "{err}"
        );
        // An ignored member is skipped by serde_json without a depth limit: bounded here.
        let hidden =
            format!("{{\"x\": \"[{{\\\"\", \"meta\": {}1{}, \"data\": []}}", "{\"a\":".repeat(1000), "}".repeat(1000));
        let err = parse_text(&hidden).unwrap_err().to_string();
        assert!(err.contains("nest deeper"), "{err}");
        let fine = format!("{{\"meta\": {}1{}, \"data\": []}}", "{\"a\":".repeat(120), "}".repeat(120));
        assert_eq!(parse_text(&fine).unwrap().entries.len(), 0);
        let dup = ENTRY.replace(r#""amount": "1.00""#, r#""amount": "1.00", "amount": "2.00""#);
        let err = parse_text(&format!("[{dup}]")).unwrap_err().to_string();
        assert!(err.contains("duplicate field"), "{err}");
    }

    #[test]
    fn a_huge_value_is_refused() {
        let big =
            ENTRY.replace(r#""description": "a""#, &format!(r#""description": "{}""#, "d".repeat(MAX_FIELD_BYTES + 1)));
        let err = parse_text(&format!("[{big}]")).unwrap_err().to_string();
        assert!(err.contains("a value is longer than Reckon reads (64 KiB)") && err.len() < 400, "{err}");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn an_endless_file_stops_at_once() {
        let started = std::time::Instant::now();
        let err =
            (READER.read)(Path::new("/dev/zero"), 0, &mut |_, _| ControlFlow::Continue(())).unwrap_err().to_string();
        assert!(err.starts_with("/dev/zero:1:1: the file holds a NUL byte"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    proptest::proptest! {
        /// Arbitrary bytes and damaged exports never panic; errors name the file and a line.
        #[test]
        fn fuzz_json_reader(
            bytes in proptest::collection::vec(proptest::sample::select(b"[]{}\",:0123456789.-+eE truenlfasid\n\\".to_vec()), 0..300),
            flips in proptest::collection::vec((0usize..30_000, proptest::num::u8::ANY), 0..4),
            cut in proptest::option::of(0usize..30_000),
            clean in proptest::bool::ANY,
        ) {
            let mut data = if clean {
                std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/clean.json")).unwrap()
            } else {
                bytes
            };
            for (at, byte) in flips {
                if !data.is_empty() {
                    let n = data.len();
                    data[at % n] = byte;
                }
            }
            if let Some(c) = cut {
                data.truncate(c % (data.len() + 1));
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("f.json");
            std::fs::write(&path, &data).unwrap();
            let r = (READER.read)(&path, data.len() as u64, &mut |_, _| ControlFlow::Continue(()));
            if let Ok(f) = &r {
                for e in &f.entries {
                    proptest::prop_assert!(e.line >= 1);
                }
            }
            super::super::csv::tests::check_outcome_from(&path, r, 1)?;
        }
    }
}
