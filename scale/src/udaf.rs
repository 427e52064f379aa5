//! `reckon_check`: the engine's check of one chain as a DataFusion aggregate. Grouped by
//! account and currency, it gathers a chain's entries (in any order, from any partition),
//! puts them back in walk order by their stored position, and runs `reckon::check::check_chain`
//! on them: the same walk and rules as `reckon check`, never a copy. Its value is the chain's
//! result as JSON (`ChainResult`), which the driver turns back into a `CheckReport`.
//!
//! Arguments, in order: the export's folder (a literal), then the entry columns of
//! `reckon::export_parquet::ENTRY_COLUMNS` from `account` and `currency` on:
//! `account, currency, seq, entry_id, ts, txn_id, type, description, amount, balance_after,
//! label1, label2, label3, label4`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BinaryArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use datafusion::common::{exec_err, DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use datafusion::physical_expr::expressions::Literal;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use reckon::check::{check_chain, ChainWalk};
use reckon::export_parquet::{read_notes, ChainFile};
use reckon::model::{ChainKey, Dims, Entry, Fact, Note, MAX_DIMS, NO_BALANCE};
use reckon::reconcile::{Anchors, Lookup, RuleConfig};

/// The aggregate's name in plans (and in a Ballista executor's function registry).
pub const NAME: &str = "reckon_check";

/// How many arguments it takes: the folder and the 14 entry columns.
const ARGS: usize = 15;

/// The aggregate. Stateless: everything it needs comes in its arguments, so a Ballista
/// executor that registers it by name runs it as the client planned it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReckonCheck {
    signature: Signature,
}

impl Default for ReckonCheck {
    fn default() -> Self {
        ReckonCheck { signature: Signature::any(ARGS, Volatility::Immutable) }
    }
}

impl AggregateUDFImpl for ReckonCheck {
    fn name(&self) -> &str {
        NAME
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let dir = match args.exprs.first().and_then(|e| e.downcast_ref::<Literal>()).map(|l| l.value()) {
            Some(ScalarValue::Utf8(Some(d)) | ScalarValue::Utf8View(Some(d)) | ScalarValue::LargeUtf8(Some(d))) => {
                PathBuf::from(d)
            }
            _ => return exec_err!("{NAME}: the first argument must be the export's folder, as a string literal"),
        };
        Ok(Box::new(ChainAccumulator::new(Arc::new(dir))))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format!("{}[entries]", args.name), DataType::Binary, true))])
    }
}

/// One entry as gathered: its stored walk position and its fact, labels interned.
#[derive(Debug, Clone, Copy)]
struct Row {
    seq: i64,
    fact: Fact<i64>,
}

/// One chain's entries, gathered batch by batch.
#[derive(Debug)]
struct ChainAccumulator {
    dir: Arc<PathBuf>,
    key: Option<ChainKey>,
    rows: Vec<Row>,
    /// Transaction IDs, aligned with `rows`.
    txn_ids: Vec<Box<str>>,
    /// Label texts; id 0 is "no value" (and the empty text), as in the store.
    labels: Vec<Arc<str>>,
    ids: FxHashMap<Arc<str>, u32>,
    /// Bytes held by strings (IDs and labels).
    text_bytes: usize,
}

impl ChainAccumulator {
    fn new(dir: Arc<PathBuf>) -> ChainAccumulator {
        ChainAccumulator {
            dir,
            key: None,
            rows: Vec::new(),
            txn_ids: Vec::new(),
            labels: vec![Arc::from("")],
            ids: FxHashMap::default(),
            text_bytes: 0,
        }
    }

    fn intern(&mut self, text: Option<&str>) -> u32 {
        let text = match text {
            None | Some("") => return 0,
            Some(t) => t,
        };
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.labels.len() as u32;
        let shared: Arc<str> = Arc::from(text);
        self.text_bytes += text.len();
        self.labels.push(shared.clone());
        self.ids.insert(shared, id);
        id
    }

    fn set_key(&mut self, account: &str, currency: &str) -> Result<()> {
        match &self.key {
            None => {
                self.key = Some(ChainKey::new(account, currency));
                Ok(())
            }
            Some(k) if k.account == account && k.currency == currency => Ok(()),
            Some(k) => exec_err!(
                "{NAME}: entries of {account}/{currency} reached the group of {}/{}; group by account and currency",
                k.account,
                k.currency
            ),
        }
    }

    fn push(&mut self, seq: i64, fact: Fact<i64>, txn_id: &str) {
        self.text_bytes += txn_id.len();
        self.rows.push(Row { seq, fact });
        self.txn_ids.push(Box::from(txn_id));
    }
}

/// `array` as `to`, cast when it is another type (Parquet strings may read as views).
fn as_type(array: &ArrayRef, to: &DataType) -> Result<ArrayRef> {
    if array.data_type() == to {
        Ok(array.clone())
    } else {
        Ok(cast(array, to)?)
    }
}

impl Accumulator for ChainAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        if values.len() != ARGS {
            return exec_err!("{NAME} takes {ARGS} arguments, got {}", values.len());
        }
        let text: Vec<ArrayRef> = values.iter().map(|a| as_type(a, &DataType::Utf8)).collect::<Result<_>>()?;
        let int: Vec<ArrayRef> = values.iter().map(|a| as_type(a, &DataType::Int64)).collect::<Result<_>>()?;
        let s = |i: usize| text[i].as_string::<i32>();
        let n = |i: usize| int[i].as_primitive::<Int64Type>();
        let (account, currency) = (s(1), s(2));
        let (seq, entry_id, ts, txn, kind, description, amount, after) =
            (n(3), n(4), n(5), s(6), s(7), s(8), n(9), n(10));
        let label_columns: Vec<_> = (11..11 + MAX_DIMS).map(s).collect();
        for r in 0..values[1].len() {
            self.set_key(account.value(r), currency.value(r))?;
            let mut dims: Dims = [0; MAX_DIMS];
            for (d, column) in label_columns.iter().enumerate() {
                dims[d] = self.intern(column.is_valid(r).then(|| column.value(r)));
            }
            let fact = Fact {
                row_id: entry_id.value(r),
                ts: ts.value(r),
                amount: amount.value(r),
                after: if after.is_valid(r) { after.value(r) } else { NO_BALANCE },
                kind: self.intern(Some(kind.value(r))),
                description: self.intern(Some(description.value(r))),
                dims,
            };
            self.push(seq.value(r), fact, txn.value(r));
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Binary(Some(self.encode()))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(array) = states.first() else { return Ok(()) };
        let Some(binary) = array.as_any().downcast_ref::<BinaryArray>() else {
            return exec_err!("{NAME}: its state is binary, got {}", array.data_type());
        };
        for i in 0..binary.len() {
            if binary.is_valid(i) {
                self.decode(binary.value(i))?;
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let Some(key) = self.key.clone() else { return Ok(ScalarValue::Utf8(None)) };
        let result = self
            .check(&key)
            .map_err(|e| DataFusionError::Execution(format!("{NAME}: ledger {}/{}: {e}", key.account, key.currency)))?;
        let json = serde_json::to_string(&result).map_err(|e| DataFusionError::Execution(e.to_string()))?;
        Ok(ScalarValue::Utf8(Some(json)))
    }

    fn size(&self) -> usize {
        let size = std::mem::size_of::<Self>()
            + self.rows.capacity() * std::mem::size_of::<Row>()
            + self.txn_ids.capacity() * std::mem::size_of::<Box<str>>()
            + self.labels.capacity() * std::mem::size_of::<Arc<str>>()
            + self.ids.capacity() * (std::mem::size_of::<(Arc<str>, u32)>() + 1)
            + self.text_bytes;
        LARGEST.fetch_max(size, Ordering::Relaxed);
        size
    }
}

/// The largest `size()` any of this process's accumulators reported (what the memory pool was
/// asked for one chain).
static LARGEST: AtomicUsize = AtomicUsize::new(0);

/// The largest accumulator size reported so far in this process, in bytes.
pub fn largest_accumulator() -> usize {
    LARGEST.load(Ordering::Relaxed)
}

impl ChainAccumulator {
    /// The entries gathered, as bytes: key, labels, then each row (the state handed between
    /// a partial and a final aggregate, and spilled).
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.rows.len() * 80 + self.text_bytes);
        let put_str = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        match &self.key {
            None => out.push(0),
            Some(k) => {
                out.push(1);
                put_str(&mut out, &k.account);
                put_str(&mut out, &k.currency);
            }
        }
        out.extend_from_slice(&(self.labels.len() as u32).to_le_bytes());
        for l in &self.labels {
            put_str(&mut out, l);
        }
        out.extend_from_slice(&(self.rows.len() as u64).to_le_bytes());
        for (row, txn) in self.rows.iter().zip(&self.txn_ids) {
            let f = &row.fact;
            for v in [row.seq, f.row_id, f.ts, f.amount, f.after] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            for v in [f.kind, f.description].into_iter().chain(f.dims) {
                out.extend_from_slice(&v.to_le_bytes());
            }
            put_str(&mut out, txn);
        }
        out
    }

    /// Adds the entries of an `encode`d state.
    fn decode(&mut self, bytes: &[u8]) -> Result<()> {
        let mut r = Reader { bytes, at: 0 };
        if r.u8()? == 1 {
            let (account, currency) = (r.str()?.to_string(), r.str()?.to_string());
            self.set_key(&account, &currency)?;
        }
        let count = r.u32()? as usize;
        let mut remap = Vec::with_capacity(count);
        for _ in 0..count {
            let text = r.str()?;
            remap.push(self.intern(Some(text)));
        }
        let map = |id: u32| remap.get(id as usize).copied().unwrap_or(0);
        let rows = r.u64()? as usize;
        self.rows.reserve(rows);
        self.txn_ids.reserve(rows);
        for _ in 0..rows {
            let (seq, row_id, ts, amount, after) = (r.i64()?, r.i64()?, r.i64()?, r.i64()?, r.i64()?);
            let (kind, description) = (map(r.u32()?), map(r.u32()?));
            let mut dims: Dims = [0; MAX_DIMS];
            for d in dims.iter_mut() {
                *d = map(r.u32()?);
            }
            let txn = r.str()?;
            let fact = Fact { row_id, ts, amount, after, kind, description, dims };
            self.push(seq, fact, txn);
        }
        Ok(())
    }

    /// The engine's check of the chain gathered.
    fn check(&mut self, key: &ChainKey) -> std::result::Result<ChainResult, String> {
        let file = ChainFile::read(&self.dir, key).map_err(|e| e.to_string())?;
        let notes = notes(&self.dir)?;
        // Walk order: the position each entry was stored at.
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_unstable_by_key(|&i| self.rows[i].seq);
        let facts: Vec<Fact<i64>> = order.iter().map(|&i| self.rows[i].fact).collect();
        let txn_ids: Vec<Box<str>> = order.iter().map(|&i| std::mem::take(&mut self.txn_ids[i])).collect();
        self.rows = Vec::new();
        self.txn_ids = Vec::new();
        let chain = file.chain();
        let anchors = Anchors { stated: chain.stated_balance, opening: chain.opening_balance };
        let lookup = MemoryLookup {
            facts: &facts,
            txn_ids: &txn_ids,
            labels: &self.labels,
            dims: chain.dimensions.iter().map(|d| Arc::from(d.key.as_str())).collect(),
        };
        let conflicts = file.conflicts();
        let unmatched = file.unmatched();
        let walk = ChainWalk {
            chain: &chain,
            facts: &facts,
            lookup: &lookup,
            anchors,
            points: file.anchors()?,
            conflicts: &conflicts,
            unmatched: &unmatched,
            notes: &notes,
        };
        let checked = check_chain(walk, &RuleConfig::default());
        Ok(ChainResult {
            id: file.id,
            account: file.account,
            currency: file.currency,
            source: file.source,
            dimensions: file.dimensions,
            entries: facts.len() as u64,
            first_ts: file.first_ts,
            last_ts: file.last_ts,
            ledger_balance: checked.ledger_balance,
            stated_balance: anchors.stated,
            opening_balance: anchors.opening,
            pending: checked.pending.map(|p| (p.balance, p.available)),
            rebuilt: checked.rebuilt,
            findings: checked.findings.into_iter().map(FindingResult::from).collect(),
        })
    }
}

/// An export's notes, by finding ID.
type Notes = Arc<HashMap<String, Note>>;

/// The notes of an export, read once per process and folder.
fn notes(dir: &Path) -> std::result::Result<Notes, String> {
    static NOTES: OnceLock<Mutex<HashMap<PathBuf, Notes>>> = OnceLock::new();
    let mut kept = NOTES.get_or_init(Default::default).lock().map_err(|_| "the notes cache is poisoned".to_string())?;
    if let Some(notes) = kept.get(dir) {
        return Ok(notes.clone());
    }
    let notes = Arc::new(read_notes(dir).map_err(|e| e.to_string())?);
    kept.insert(dir.to_path_buf(), notes.clone());
    Ok(notes)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else { return exec_err!("{NAME}: a partial aggregate's state is cut off") };
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap_or_default()))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap_or_default()))
    }
    fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into().unwrap_or_default()))
    }
    fn str(&mut self) -> Result<&'a str> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.take(n)?).map_err(|e| DataFusionError::Execution(format!("{NAME}: state: {e}")))
    }
}

/// Whole entries for the findings, from what the aggregate gathered.
struct MemoryLookup<'a> {
    facts: &'a [Fact<i64>],
    txn_ids: &'a [Box<str>],
    labels: &'a [Arc<str>],
    dims: Vec<Arc<str>>,
}

impl Lookup for MemoryLookup<'_> {
    fn label(&self, id: u32) -> Arc<str> {
        self.labels.get(id as usize).cloned().unwrap_or_else(|| Arc::from(""))
    }
    fn entry(&self, i: usize) -> Entry {
        let f = &self.facts[i];
        Entry {
            row_id: f.row_id,
            txn_id: self.txn_ids[i].to_string(),
            ts: f.ts,
            kind: self.label(f.kind),
            description: self.label(f.description),
            amount: reckon::money::from_units(f.amount),
            balance_after: reckon::money::from_units(f.after),
            labels: self
                .dims
                .iter()
                .zip(f.dims)
                .filter(|(_, id)| *id != 0)
                .map(|(k, id)| (k.clone(), self.label(id)))
                .collect(),
        }
    }
    fn same_txn(&self, i: usize, j: usize) -> bool {
        // A transaction ID is stored once per chain.
        i == j
    }
    fn find_txns(&self, ids: &[&str]) -> FxHashMap<String, usize> {
        let wanted: rustc_hash::FxHashSet<&str> = ids.iter().copied().collect();
        let mut found = FxHashMap::default();
        if wanted.is_empty() {
            return found;
        }
        for (i, id) in self.txn_ids.iter().enumerate() {
            if wanted.contains(&**id) {
                found.insert(id.to_string(), i);
            }
        }
        found
    }
}

/// One chain's check as the aggregate returns it: what `reckon check` prints of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainResult {
    pub id: i64,
    pub account: String,
    pub currency: String,
    pub source: String,
    pub dimensions: Vec<(String, String)>,
    pub entries: u64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    pub ledger_balance: Option<Decimal>,
    pub stated_balance: Option<Decimal>,
    pub opening_balance: Option<Decimal>,
    /// Pending and available balance at the end, where the chain keeps pending grants apart.
    pub pending: Option<(Decimal, Option<Decimal>)>,
    pub rebuilt: Option<Decimal>,
    pub findings: Vec<FindingResult>,
}

/// A finding with its note.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FindingResult {
    pub chain_id: i64,
    pub id: String,
    pub kind: String,
    pub transaction_ids: Vec<String>,
    pub row_ids: Vec<i64>,
    pub delta: Option<Decimal>,
    pub message: String,
    pub ts: Option<i64>,
    /// Reading, transaction IDs, amount.
    pub candidates: Vec<(String, Vec<String>, Decimal)>,
    /// Note and when it was left.
    pub note: Option<(String, String)>,
}

impl From<reckon::check::CheckedFinding> for FindingResult {
    fn from(c: reckon::check::CheckedFinding) -> FindingResult {
        let f = c.finding;
        FindingResult {
            chain_id: c.chain_id,
            id: f.id,
            kind: f.kind.as_str().to_string(),
            transaction_ids: f.transaction_ids,
            row_ids: f.row_ids,
            delta: f.delta,
            message: f.message,
            ts: f.ts,
            candidates: f
                .candidates
                .into_iter()
                .map(|c| (c.reading.as_str().to_string(), c.transaction_ids, c.amount))
                .collect(),
            note: c.note.map(|n| (n.note, n.explained_at)),
        }
    }
}
