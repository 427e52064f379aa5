//! Reverie's Open API ledger JSON saved to a file: `{"data": [entry, ...]}` or a bare array.
//! Each entry is borrowed from the file text and converted in place, so positions in errors
//! point into the file and no second copy of the ledger is built.

use std::ops::ControlFlow;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::json::{self, At};
use super::{parse_time, Fields, ImportError, LineCursor, Reader, DATE_EXPECTED};
use crate::model::{normalize_type, Labels, ParsedFile};

/// Reverie's Open API ledger JSON, saved to a file.
pub(super) static READER: Reader = Reader {
    name: "reverie-json",
    aliases: &["json"],
    source: &super::reverie::SOURCE,
    detect: |head| head.starts_with('{') || head.starts_with('['),
    read,
    parse: Some(parse),
    raw_text: json::object_at,
};

/// `{"data": [...], "next_cursor": ...}`; other members are ignored.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    data: Vec<&'a RawValue>,
}

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

pub(super) fn read(
    path: &Path,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    let raw = std::fs::read(path).map_err(|source| ImportError::Io { path: path.to_path_buf(), source })?;
    parse_with(path, raw, bytes, progress)
}

/// An Open API answer (or a saved file's bytes) held in memory; `origin` names it in errors.
fn parse(origin: &Path, raw: Vec<u8>) -> Result<ParsedFile, ImportError> {
    let bytes = raw.len() as u64;
    parse_with(origin, raw, bytes, &mut |_, _| ControlFlow::Continue(()))
}

fn parse_with(
    path: &Path,
    raw: Vec<u8>,
    bytes: u64,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    let text = json::utf8(path, raw)?;
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    // Untagged enums buffer their input and cannot borrow, so the shape is chosen up front.
    let parsed = if body.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<&RawValue>>(body)
    } else {
        serde_json::from_str::<Envelope>(body).map(|e| e.data)
    };
    let items = parsed.map_err(|e| ImportError::Malformed {
        path: path.to_path_buf(),
        line: e.line() as u64,
        column: e.column() as u64,
        problem: format!("not a ledger JSON document: {e}"),
        fix: "Expected {\"data\": [entry, ...]} or a bare array of entries, as the Open API returns them.".into(),
    })?;
    let mut cursor = LineCursor::new(&text);
    let mut labels = Labels::default();
    let mut entries = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let offset = item.get().as_ptr() as usize - text.as_ptr() as usize;
        let (line, _) = cursor.locate(offset);
        let at = At { path, text: &text, item: item.get(), offset, shape: SHAPE };
        let entry: JsonEntry = serde_json::from_str(item.get()).map_err(|e| at.malformed(&e))?;
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
            line,
            offset: offset as u64,
        };
        entries.push(fields.into_entry(&mut labels));
        if n % 16_384 == 16_383 && progress(offset as u64, bytes).is_break() {
            return Err(ImportError::Cancelled);
        }
    }
    if progress(bytes, bytes).is_break() {
        return Err(ImportError::Cancelled);
    }
    Ok(ParsedFile {
        path: path.to_path_buf(),
        format: READER.name,
        source: READER.source.name,
        dimensions: READER.source.dimensions(),
        bytes,
        labels,
        chains: vec![None],
        entries,
    })
}
