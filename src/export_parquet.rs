//! `reckon export --parquet DIR`: every chain's entries as Parquet, for `reckon-scale` (a check
//! on Apache DataFusion or a Ballista cluster) and for any engine that reads Parquet.
//!
//! The directory, hive-style, one folder per chain:
//!
//! ```text
//! DIR/account=<account>/currency=<currency>/entries.parquet   the entries, in walk order
//! DIR/account=<account>/currency=<currency>/chain.json        the chain: source, dimensions,
//!                                                              balances, anchors, conflicts,
//!                                                              one-sided matches
//! DIR/notes.json                                              the notes, by finding ID
//! ```
//!
//! Account and currency are percent-encoded in folder names (every byte but `A-Z a-z 0-9 . _ -`)
//! and also kept as columns. An entry's columns are what the walk reads (`ENTRY_COLUMNS`):
//! amounts and balances are integer micro-credits, never floats; `balance_after` is null where
//! the entry states none. The check of an exported chain is the check of the stored one
//! (`ChainFile` gives back what `check::check_chain` takes beside the entries).

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::{Anchor, AnchorKind, ChainKey, Conflict, Dimension, Entry, Note, MAX_DIMS, NO_BALANCE};
use crate::store::{ChainInfo, Store, StoreError, Unmatched};

/// The entry columns, in order: walk position, entry id, time (Unix microseconds, UTC),
/// transaction ID, type, description, amount and balance after (micro-credits), the chain's
/// dimension labels (`label1`.. in `chain.json`'s order, null where none), account, currency.
pub const ENTRY_COLUMNS: [&str; 14] = [
    "seq",
    "entry_id",
    "ts",
    "txn_id",
    "type",
    "description",
    "amount",
    "balance_after",
    "label1",
    "label2",
    "label3",
    "label4",
    "account",
    "currency",
];

/// Rows per record batch (and row group) written.
const BATCH_ROWS: usize = 65_536;

/// Why an export could not be written or read back.
#[derive(Debug, thiserror::Error)]
pub enum ParquetExportError {
    /// The store failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A file or folder could not be written or read.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The Parquet writer failed.
    #[error("{path}: cannot write Parquet: {message}")]
    Parquet { path: PathBuf, message: String },
    /// The target holds files already.
    #[error("{0} exists and is not empty; name a new or empty folder")]
    NotEmpty(PathBuf),
    /// A `chain.json` or `notes.json` that does not read.
    #[error("{path}: {message}; export the database again with reckon export --parquet")]
    BadFile { path: PathBuf, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ParquetExportError + '_ {
    move |source| ParquetExportError::Io { path: path.to_path_buf(), source }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportSummary {
    pub chains: usize,
    pub entries: u64,
}

/// The folder of a chain under the export's root: `account=<A>/currency=<C>`.
pub fn chain_dir(key: &ChainKey) -> PathBuf {
    Path::new(&format!("account={}", encode(&key.account))).join(format!("currency={}", encode(&key.currency)))
}

/// Percent-encodes every byte but ASCII letters, digits, `.`, `_` and `-` (never a lone `.`).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && text != "." && text != "..") {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Writes every chain of `store` under `dir` (a new or empty folder). The files are written
/// in a folder beside it and moved into place at the end, so `dir` holds a whole export or
/// nothing.
pub fn export(store: &Store, dir: &Path) -> Result<ExportSummary, ParquetExportError> {
    if dir.exists() {
        let mut items = fs::read_dir(dir).map_err(io(dir))?;
        if items.next().is_some() {
            return Err(ParquetExportError::NotEmpty(dir.to_path_buf()));
        }
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io(&parent))?;
    let work = tempfile::Builder::new().prefix(".reckon-export-").tempdir_in(&parent).map_err(io(&parent))?;
    let mut summary = ExportSummary::default();
    for chain in store.chains()? {
        summary.entries += write_chain(store, &chain, work.path())?;
        summary.chains += 1;
    }
    let notes: HashMap<String, NoteFile> = store
        .notes()?
        .into_iter()
        .map(|(id, n)| (id, NoteFile { note: n.note, explained_at: n.explained_at }))
        .collect();
    write_json(&work.path().join("notes.json"), &notes)?;
    if dir.exists() {
        fs::remove_dir(dir).map_err(io(dir))?;
    }
    let kept = work.keep();
    fs::rename(&kept, dir).map_err(io(dir))?;
    Ok(summary)
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ParquetExportError> {
    let text = serde_json::to_vec(value)
        .map_err(|e| ParquetExportError::BadFile { path: path.to_path_buf(), message: e.to_string() })?;
    fs::write(path, text).map_err(io(path))
}

/// The entries' schema (`ENTRY_COLUMNS`).
pub fn entry_schema() -> Arc<Schema> {
    let utf8 = |name: &str, nullable| Field::new(name, DataType::Utf8, nullable);
    let int = |name: &str, nullable| Field::new(name, DataType::Int64, nullable);
    Arc::new(Schema::new(vec![
        int("seq", false),
        int("entry_id", false),
        int("ts", false),
        utf8("txn_id", false),
        utf8("type", false),
        utf8("description", false),
        int("amount", false),
        int("balance_after", true),
        utf8("label1", true),
        utf8("label2", true),
        utf8("label3", true),
        utf8("label4", true),
        utf8("account", false),
        utf8("currency", false),
    ]))
}

/// One chain's folder; the number of entries written.
fn write_chain(store: &Store, chain: &ChainInfo, root: &Path) -> Result<u64, ParquetExportError> {
    let dir = root.join(chain_dir(&chain.key));
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    let (facts, txn_ids) = store.load_facts(chain)?;
    // Every label the chain's entries name, fetched in batches before the rows are built.
    let mut ids: Vec<u32> = facts.iter().flat_map(|f| [f.kind, f.description].into_iter().chain(f.dims)).collect();
    ids.sort_unstable();
    ids.dedup();
    store.labels(&ids)?;
    let path = dir.join("entries.parquet");
    let parquet_error =
        |e: parquet::errors::ParquetError| ParquetExportError::Parquet { path: path.clone(), message: e.to_string() };
    let file = fs::File::create(&path).map_err(io(&path))?;
    let schema = entry_schema();
    let props = WriterProperties::builder().set_max_row_group_row_count(Some(BATCH_ROWS * 16)).build();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(parquet_error)?;
    for (start, part) in facts.chunks(BATCH_ROWS).enumerate().map(|(i, p)| (i * BATCH_ROWS, p)) {
        let n = part.len();
        let mut seq = Int64Builder::with_capacity(n);
        let mut entry_id = Int64Builder::with_capacity(n);
        let mut ts = Int64Builder::with_capacity(n);
        let mut txn = StringBuilder::new();
        let mut kind = StringBuilder::new();
        let mut description = StringBuilder::new();
        let mut amount = Int64Builder::with_capacity(n);
        let mut after = Int64Builder::with_capacity(n);
        let mut labels: Vec<StringBuilder> = (0..MAX_DIMS).map(|_| StringBuilder::new()).collect();
        let mut account = StringBuilder::new();
        let mut currency = StringBuilder::new();
        for (i, f) in part.iter().enumerate() {
            seq.append_value((start + i) as i64);
            entry_id.append_value(f.row_id);
            ts.append_value(f.ts);
            txn.append_value(String::from_utf8_lossy(txn_ids.get(start + i)));
            kind.append_value(store.label(f.kind));
            description.append_value(store.label(f.description));
            amount.append_value(f.amount);
            after.append_option((f.after != NO_BALANCE).then_some(f.after));
            for (d, builder) in labels.iter_mut().enumerate() {
                let id = f.dims[d];
                builder.append_option((id != 0).then(|| store.label(id)));
            }
            account.append_value(&chain.key.account);
            currency.append_value(&chain.key.currency);
        }
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(seq.finish()),
            Arc::new(entry_id.finish()),
            Arc::new(ts.finish()),
            Arc::new(txn.finish()),
            Arc::new(kind.finish()),
            Arc::new(description.finish()),
            Arc::new(amount.finish()),
            Arc::new(after.finish()),
        ];
        columns.extend(labels.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        columns.push(Arc::new(account.finish()));
        columns.push(Arc::new(currency.finish()));
        let batch = RecordBatch::try_new(schema.clone(), columns)
            .map_err(|e| ParquetExportError::Parquet { path: path.clone(), message: e.to_string() })?;
        writer.write(&batch).map_err(parquet_error)?;
    }
    writer.close().map_err(parquet_error)?;
    let file = ChainFile {
        id: chain.id,
        account: chain.key.account.clone(),
        currency: chain.key.currency.clone(),
        source: chain.source.clone(),
        dimensions: chain.dimensions.iter().map(|d| (d.key.clone(), d.title.clone())).collect(),
        entries: chain.entries,
        first_ts: chain.first_ts,
        last_ts: chain.last_ts,
        ledger_balance: chain.ledger_balance,
        stated_balance: chain.stated_balance,
        opening_balance: chain.opening_balance,
        anchors: store.anchors(chain.id)?.iter().map(AnchorFile::from).collect(),
        conflicts: store.conflicts(chain.id)?.iter().map(ConflictFile::from).collect(),
        unmatched: store
            .unmatched_entries(chain.id)?
            .into_iter()
            .map(|u| (u.entry_id, u.other_account, u.tolerance_seconds))
            .collect(),
    };
    write_json(&dir.join("chain.json"), &file)?;
    Ok(facts.len() as u64)
}

/// A chain's `chain.json`: everything the check takes beside its entries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainFile {
    pub id: i64,
    pub account: String,
    pub currency: String,
    pub source: String,
    /// Dimension keys and titles, in the order of the `label1`.. columns.
    pub dimensions: Vec<(String, String)>,
    pub entries: u64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    pub ledger_balance: Option<Decimal>,
    pub stated_balance: Option<Decimal>,
    pub opening_balance: Option<Decimal>,
    pub anchors: Vec<AnchorFile>,
    pub conflicts: Vec<ConflictFile>,
    /// Entry id, the other account, the tolerance in seconds.
    pub unmatched: Vec<(i64, String, i64)>,
}

impl ChainFile {
    /// The `chain.json` of the chain `key` under the export's root `dir`.
    pub fn read(dir: &Path, key: &ChainKey) -> Result<ChainFile, ParquetExportError> {
        let path = dir.join(chain_dir(key)).join("chain.json");
        let text = fs::read(&path).map_err(io(&path))?;
        serde_json::from_slice(&text).map_err(|e| ParquetExportError::BadFile { path, message: e.to_string() })
    }

    /// The chain as the store lists it.
    pub fn chain(&self) -> ChainInfo {
        ChainInfo {
            id: self.id,
            key: ChainKey::new(&self.account, &self.currency),
            source: self.source.clone(),
            dimensions: self.dimensions.iter().map(|(k, t)| Dimension::new(k, t)).collect(),
            entries: self.entries,
            first_ts: self.first_ts,
            last_ts: self.last_ts,
            ledger_balance: self.ledger_balance,
            stated_balance: self.stated_balance,
            opening_balance: self.opening_balance,
            last_sync: None,
        }
    }

    /// Its anchors, as the store keeps them.
    pub fn anchors(&self) -> Result<Vec<Anchor>, String> {
        self.anchors.iter().map(AnchorFile::to_anchor).collect()
    }

    pub fn conflicts(&self) -> Vec<Conflict> {
        self.conflicts.iter().map(ConflictFile::to_conflict).collect()
    }

    pub fn unmatched(&self) -> Vec<Unmatched> {
        self.unmatched
            .iter()
            .map(|(entry_id, other, tolerance)| Unmatched {
                entry_id: *entry_id,
                other_account: other.clone(),
                tolerance_seconds: *tolerance,
            })
            .collect()
    }
}

/// The notes of an export (`notes.json`), by finding ID.
pub fn read_notes(dir: &Path) -> Result<HashMap<String, Note>, ParquetExportError> {
    let path = dir.join("notes.json");
    let text = fs::read(&path).map_err(io(&path))?;
    let notes: HashMap<String, NoteFile> = serde_json::from_slice(&text)
        .map_err(|e| ParquetExportError::BadFile { path: path.clone(), message: e.to_string() })?;
    Ok(notes.into_iter().map(|(id, n)| (id, Note { note: n.note, explained_at: n.explained_at })).collect())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct NoteFile {
    note: String,
    explained_at: String,
}

/// An anchor in `chain.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnchorFile {
    id: i64,
    ts: i64,
    balance: Decimal,
    kind: String,
    note: String,
    created: i64,
}

impl From<&Anchor> for AnchorFile {
    fn from(a: &Anchor) -> AnchorFile {
        AnchorFile {
            id: a.id,
            ts: a.ts,
            balance: a.balance,
            kind: a.kind.as_str().into(),
            note: a.note.clone(),
            created: a.created,
        }
    }
}

impl AnchorFile {
    fn to_anchor(&self) -> Result<Anchor, String> {
        Ok(Anchor {
            id: self.id,
            ts: self.ts,
            balance: self.balance,
            kind: AnchorKind::from_name(&self.kind).ok_or_else(|| format!("unknown anchor kind {:?}", self.kind))?,
            note: self.note.clone(),
            created: self.created,
        })
    }
}

/// A conflicting second version of a transaction in `chain.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConflictFile {
    stored: EntryFile,
    other: EntryFile,
    other_source: String,
    other_line: u64,
    other_hash: i64,
}

impl From<&Conflict> for ConflictFile {
    fn from(c: &Conflict) -> ConflictFile {
        ConflictFile {
            stored: EntryFile::from(&c.stored),
            other: EntryFile::from(&c.other),
            other_source: c.other_source.clone(),
            other_line: c.other_line,
            other_hash: c.other_hash,
        }
    }
}

impl ConflictFile {
    fn to_conflict(&self) -> Conflict {
        Conflict {
            stored: self.stored.to_entry(),
            other: self.other.to_entry(),
            other_source: self.other_source.clone(),
            other_line: self.other_line,
            other_hash: self.other_hash,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct EntryFile {
    row_id: i64,
    txn_id: String,
    ts: i64,
    kind: String,
    description: String,
    amount: Decimal,
    balance_after: Decimal,
    labels: Vec<(String, String)>,
}

impl From<&Entry> for EntryFile {
    fn from(e: &Entry) -> EntryFile {
        EntryFile {
            row_id: e.row_id,
            txn_id: e.txn_id.clone(),
            ts: e.ts,
            kind: e.kind.to_string(),
            description: e.description.to_string(),
            amount: e.amount,
            balance_after: e.balance_after,
            labels: e.labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }
}

impl EntryFile {
    fn to_entry(&self) -> Entry {
        Entry {
            row_id: self.row_id,
            txn_id: self.txn_id.clone(),
            ts: self.ts,
            kind: Arc::from(self.kind.as_str()),
            description: Arc::from(self.description.as_str()),
            amount: self.amount,
            balance_after: self.balance_after,
            labels: self.labels.iter().map(|(k, v)| (Arc::from(k.as_str()), Arc::from(v.as_str()))).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_keep_only_safe_bytes() {
        assert_eq!(encode("acct_1-a.b"), "acct_1-a.b");
        assert_eq!(encode("a/b c"), "a%2Fb%20c");
        assert_eq!(encode(".."), "%2E%2E");
        assert_eq!(encode("é"), "%C3%A9");
    }
}
