//! The local SQLite database: schema by numbered migrations, one transaction per import,
//! paged and indexed queries for every screen. Money is stored as micro-credits (`i64`).
//!
//! *Invariant:* `(chain_id, txn_id)` is unique in `entry`; a second version of a transaction
//! goes to `conflict`, never over the first.

mod block;
mod ingest;
mod query;
mod repair;
mod rows;

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use rust_decimal::Decimal;

use crate::model::{ChainKey, Conflict, Dimension, Entry, Fact, Note, MAX_DIMS};
use crate::money;

pub use ingest::{FileSummary, ImportSummary, Ingest, KnownFile};
pub use query::{BalancePoint, Facets, GroupBy, LedgerFilter, LedgerRow, SummaryRow, Totals};
pub use repair::{BlockDamage, ChainHealth, RepairSummary, StoredSource};

/// The Rust half of a migration.
type MigrationStep = fn(&rusqlite::Transaction<'_>) -> Result<(), StoreError>;

/// A schema step: SQL, then perhaps Rust for what SQL cannot do.
struct Migration {
    sql: &'static str,
    then: Option<MigrationStep>,
}

/// Puts the database in WAL mode. On a fresh file another connection opening at the same moment
/// can make the switch fail "database is locked" without SQLite calling the busy handler (it
/// will not wait while holding a lock another waiter needs), so the switch is retried here for
/// as long as the busy timeout allows.
fn use_wal(conn: &Connection) -> Result<(), StoreError> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0)) {
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Migrations, applied in order at open; `PRAGMA user_version` records how many ran.
const MIGRATIONS: [Migration; 6] = [
    Migration { sql: include_str!("migrations/0001_init.sql"), then: None },
    Migration { sql: include_str!("migrations/0002_blocks.sql"), then: Some(move_entries_to_blocks) },
    Migration { sql: include_str!("migrations/0003_sources.sql"), then: Some(number_entries) },
    Migration { sql: include_str!("migrations/0004_application_id.sql"), then: None },
    Migration { sql: include_str!("migrations/0005_sync.sql"), then: None },
    Migration { sql: include_str!("migrations/0006_chain_counts.sql"), then: Some(count_chains_and_labels) },
];

/// `PRAGMA application_id` of a Reckon database: "RCKN" (set by migration 4).
pub const APPLICATION_ID: i32 = i32::from_be_bytes(*b"RCKN");

/// The schema versions before `application_id` was set: a file at one of them is Reckon's if
/// it has Reckon's tables.
const UNMARKED_VERSIONS: std::ops::RangeInclusive<i64> = 1..=3;

/// Whether the database behind `conn` may be opened by this Reckon, read before anything is
/// written to it (WAL included): refuses another application's file and a newer schema.
/// Returns the schema version.
fn check_identity(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    read_identity(conn, path).map_err(|e| match e {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::NotADatabase => {
            StoreError::NotReckon { path: path.to_path_buf() }
        }
        other => other,
    })
}

fn read_identity(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let known = MIGRATIONS.len() as i64;
    // One statement, so one snapshot: another connection creating the schema meanwhile is
    // seen wholly or not at all.
    let (id, version, tables, reckon): (i32, i64, i64, i64) = conn.query_row(
        "SELECT (SELECT application_id FROM pragma_application_id),
                (SELECT user_version FROM pragma_user_version),
                (SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'),
                (SELECT count(*) FROM sqlite_schema
                 WHERE type = 'table' AND name IN ('chain', 'source_file', 'label'))",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let ours = match id {
        APPLICATION_ID => true,
        0 if tables == 0 && version == 0 => true,
        0 if UNMARKED_VERSIONS.contains(&version) => reckon == 3,
        _ => false,
    };
    if !ours {
        return Err(StoreError::NotReckon { path: path.to_path_buf() });
    }
    if version < 0 {
        // No Reckon writes one: the header is damaged, and migrating "from" it would loop.
        return Err(StoreError::Malformed {
            path: path.to_path_buf(),
            detail: format!("its schema version reads {version}, which no Reckon writes: its header is damaged"),
            sources: salvage(conn),
        });
    }
    if version > known {
        return Err(StoreError::NewerSchema { found: version, known });
    }
    Ok(version)
}

/// What a damaged file still says about its ledgers' sources: each query that fails on the
/// damage is skipped.
fn salvage(conn: &Connection) -> Salvage {
    let mut found = Salvage::default();
    if let Ok(mut stmt) = conn.prepare("SELECT path FROM source_file GROUP BY path ORDER BY min(id)") {
        if let Ok(rows) = stmt.query_map([], |r| r.get::<_, String>(0)) {
            // A sync records each page by its URL: its base URL is listed below instead.
            found.files = rows
                .map_while(Result::ok)
                .filter(|p| !p.starts_with("http://") && !p.starts_with("https://"))
                .collect();
        }
    }
    if let Ok(mut stmt) = conn.prepare("SELECT DISTINCT source, base_url, customer FROM chain_sync ORDER BY 1, 2, 3") {
        if let Ok(rows) = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))) {
            found.syncs = rows.map_while(Result::ok).collect();
        }
    }
    found
}

/// Whether SQLite said the file is damaged (as opposed to busy, full or missing).
fn is_corrupt(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DatabaseCorrupt)
}

/// Version 6: each chain records the blocks and entries it holds now, and `label_check` the
/// label table as it is now (a file damaged before this version is taken as it is: only
/// `doctor`'s block checks can find that).
fn count_chains_and_labels(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE chain SET
            entry_count = (SELECT coalesce(sum(entries), 0) FROM entry_block b
                           WHERE b.id >= chain.id * 4294967296 AND b.id < (chain.id + 1) * 4294967296),
            block_count = (SELECT count(*) FROM entry_block b
                           WHERE b.id >= chain.id * 4294967296 AND b.id < (chain.id + 1) * 4294967296)",
        [],
    )?;
    ingest::record_label_sum(tx, ingest::label_sum(tx)?)?;
    Ok(())
}

/// Version 3: every entry gets its sequence number (its position, which was its id until
/// now, so ids held anywhere stay valid); version 1 blocks are re-encoded as version 2.
fn number_entries(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    let blocks: Vec<(i64, Vec<u8>)> = tx
        .prepare("SELECT id, data FROM entry_block ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut update = tx.prepare("UPDATE entry_block SET data = ?2 WHERE id = ?1")?;
    let mut seqs = tx.prepare("INSERT INTO block_seq (block_id, min_seq, max_seq) VALUES (?1, ?2, ?3)")?;
    for (id, data) in blocks {
        let start = block::split_entry_id(id).1 * block::BLOCK as u64;
        let mut d = block::Decoder::new(&data).map_err(|e| e.in_block(tx, id))?;
        let old = d.version() == 1;
        let mut encoder = block::Encoder::new(d.dims());
        let (mut lo, mut hi) = (u64::MAX, 0);
        while let Some(mut row) = d.next_row()? {
            if old {
                row.seq += start;
            }
            (lo, hi) = (lo.min(row.seq), hi.max(row.seq));
            encoder.push(&row);
        }
        if old {
            update.execute(params![id, encoder.finish()])?;
        }
        seqs.execute(params![id, lo.min(hi) as i64, hi as i64])?;
    }
    Ok(())
}

/// Version 2: moves version 1's one-row-per-entry table into blocks, chain by chain in walk
/// order (`ts`, then `seq`), and drops it with its per-type totals.
fn move_entries_to_blocks(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    let chains: Vec<i64> =
        tx.prepare("SELECT id FROM chain")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    for chain_id in chains {
        struct Old(String, i64, u32, u32, i64, i64, Option<u32>, Option<u32>, i64, u64, u64);
        let mut stmt = tx.prepare(
            "SELECT txn_id, ts, type_id, description_id, amount, balance_after, character_id, model_id, source_id,
                    source_line, source_offset
             FROM entry WHERE chain_id = ?1 ORDER BY ts, seq, id",
        )?;
        let old = stmt
            .query_map([chain_id], |r| {
                Ok(Old(
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get::<_, i64>(9)? as u64,
                    r.get::<_, i64>(10)? as u64,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let rows = old.iter().enumerate().map(|(seq, o)| block::Row {
            txn_id: &o.0,
            ts: o.1,
            kind: o.2,
            description: o.3,
            amount: o.4,
            after: o.5,
            dims: [o.6.unwrap_or(0), o.7.unwrap_or(0), 0, 0],
            source: o.8,
            line: o.9,
            offset: o.10,
            seq: seq as u64,
        });
        rows::write_blocks(tx, chain_id, 0, 2, rows::Schema::Version2, rows)?;
    }
    tx.execute_batch("DROP TABLE entry; DROP TABLE chain_type_total;")?;
    Ok(())
}

/// A chain's transaction IDs in walk order, packed: a million take one allocation, not a million.
#[derive(Debug, Default)]
pub struct TxnIds {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl TxnIds {
    fn with_capacity(n: usize) -> TxnIds {
        TxnIds { bytes: Vec::with_capacity(n * 24), ends: Vec::with_capacity(n) }
    }

    fn push(&mut self, id: &[u8]) {
        self.bytes.extend_from_slice(id);
        self.ends.push(self.bytes.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The ID at position `i`, as stored (the store wrote it from a `str`).
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
}

/// An `Entry` from a stored row of `chain_id`, label texts from `label`, its dimensions named
/// by `dims` (the chain's, in order).
fn entry_from_row(chain_id: i64, r: &block::Row<'_>, label: &dyn Fn(u32) -> Arc<str>, dims: &[Arc<str>]) -> Entry {
    Entry {
        row_id: block::entry_id(chain_id, r.seq),
        txn_id: r.txn_id.to_string(),
        ts: r.ts,
        kind: label(r.kind),
        description: label(r.description),
        amount: money::from_units(r.amount),
        balance_after: money::from_units(r.after),
        labels: entry_labels(&r.dims, label, dims),
    }
}

/// `(dimension key, value)` of each dimension an entry has a value in.
fn entry_labels(ids: &[u32], label: &dyn Fn(u32) -> Arc<str>, dims: &[Arc<str>]) -> Vec<(Arc<str>, Arc<str>)> {
    dims.iter().zip(ids).filter(|(_, &id)| id != 0).map(|(k, &id)| (k.clone(), label(id))).collect()
}

/// Label texts by id, fetched on first use and kept: labels are never changed or removed, so a
/// kept text stays true, and a chain of a million distinct descriptions is never loaded whole
/// to show a page or a finding. Emptied when it grows past `KEPT_LABELS`.
#[derive(Debug, Default)]
struct LabelCache(RefCell<rustc_hash::FxHashMap<u32, Arc<str>>>);

/// The most label texts a store keeps between calls.
const KEPT_LABELS: usize = 200_000;

/// The text of label `id` in a table from `Store::label_table`; empty for an unknown id.
fn label_text(labels: &[Arc<str>], id: i64) -> Arc<str> {
    usize::try_from(id).ok().and_then(|i| labels.get(i)).cloned().unwrap_or_else(|| Arc::from(""))
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {}{}", .0, if is_corrupt(.0) { CORRUPT_HINT } else { "" })]
    Sqlite(#[from] rusqlite::Error),
    /// The database directory could not be created.
    #[error("cannot create the database folder {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    /// The database was written by a newer Reckon.
    #[error("the database has schema version {found}, newer than this Reckon knows ({known}); upgrade Reckon")]
    NewerSchema { found: i64, known: i64 },
    /// No such chain, entry or finding.
    #[error("{0} not found")]
    NotFound(String),
    /// The file is a SQLite database of another application (or not a database at all).
    #[error("{path} is not a Reckon database; nothing was written to it. Choose another database file")]
    NotReckon { path: PathBuf },
    /// A read found no database at the path; nothing was created.
    #[error("no database at {path}")]
    NoDatabase { path: PathBuf },
    /// A read-only open found a database an older Reckon wrote, which only a writer may migrate.
    #[error("{path} was written by an older Reckon (schema version {found} of {known}); open it once with a command that writes (an import) to bring it up to date")]
    NeedsMigration { path: PathBuf, found: i64, known: i64 },
    /// An entry block fails its checksum or does not decode.
    #[error("{}", damaged_text(.chain.as_deref(), *.block))]
    Damaged {
        /// The ledger (`account/currency`), when known.
        chain: Option<String>,
        /// The block's number in its chain, when known.
        block: Option<u64>,
    },
    /// The label table (types, descriptions, dimension values) no longer matches its checksum:
    /// a label was changed, removed or added behind the store's back.
    #[error(
        "the label table is damaged in the database (the types, descriptions and labels of entries would read \
         wrong); run `reckon doctor` to verify it and restore it from the imported files"
    )]
    LabelsDamaged,
    /// A repair dropped entries of this chain that only a sync can bring back; it is refused
    /// until a sync has fetched its whole ledger again.
    #[error(
        "the ledger {chain} lost entries to damage in the database and waits for a sync to fetch them again; \
         sync it (or run `reckon doctor --repair`) before reading it"
    )]
    AwaitingSync { chain: String },
    /// The file is empty: no database, and no ledgers, at all.
    #[error(
        "{path} is an empty file (0 bytes), not a Reckon database: it holds no ledgers. If it held some, it was \
         wiped: restore it from a backup, or import the ledgers into a new database"
    )]
    Empty { path: PathBuf },
    /// SQLite cannot read the file as a database (damaged pages, a cut-off file, a damaged
    /// header). `sources` lists what the file still says the ledgers came from.
    #[error("{}", malformed_text(path, detail, sources))]
    Malformed {
        path: PathBuf,
        /// What SQLite (or the header) said.
        detail: String,
        sources: Salvage,
    },
    /// A value the store cannot hold.
    #[error("{0}")]
    BadValue(String),
    /// Entries of one source would go into a chain that holds another source's.
    #[error("the ledger {account}/{currency} holds {holds} entries, not {found}; import these into another account")]
    OtherSource { account: String, currency: String, holds: String, found: String },
}

/// What a SQLite-level damage message adds: what happened, and where to go next.
const CORRUPT_HINT: &str = "; the database file itself is damaged (below the ledgers Reckon checks): run `reckon \
                            doctor` for what can still be read from it, and restore it from a backup or rebuild it \
                            from its sources";

/// What a damaged database file still says about where its ledgers came from, read as far
/// as the damage allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Salvage {
    /// Imported files, as recorded (oldest first, each once).
    pub files: Vec<String>,
    /// Syncs: `(api, base URL, customer or "")`.
    pub syncs: Vec<(String, String, String)>,
}

fn malformed_text(path: &Path, detail: &str, sources: &Salvage) -> String {
    let mut text = format!(
        "{} is damaged below the ledgers ({detail}): SQLite cannot read it as a whole, so Reckon cannot verify or \
         repair it, and nothing was written to it. Restore it from a backup, or move it aside and rebuild the \
         ledgers in a new database from their sources",
        path.display()
    );
    if sources.files.is_empty() && sources.syncs.is_empty() {
        text.push_str(" (none could be read from the damaged file)");
        return text;
    }
    text.push_str(", which the damaged file still names:");
    for f in &sources.files {
        text.push_str(&format!("\n  import {f}"));
    }
    for (api, url, customer) in &sources.syncs {
        let whose = if customer.is_empty() { String::new() } else { format!(" (customer {customer})") };
        text.push_str(&format!("\n  sync {api} from {url}{whose}"));
    }
    text
}

fn damaged_text(chain: Option<&str>, block: Option<u64>) -> String {
    let ledger = chain.map_or_else(|| "a ledger".to_string(), |c| format!("the ledger {c}"));
    let block = block.map_or_else(String::new, |b| format!(" (entry block {b})"));
    format!(
        "{ledger} is damaged in the database{block}; run `reckon doctor` to verify every ledger and repair it from \
         its imported files"
    )
}

/// `path` as a SQLite URI opened read-only and immutable (`%`, `?` and `#` escaped).
fn immutable_uri(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for c in absolute.to_string_lossy().chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    uri
}

impl StoreError {
    /// Names the ledger and block of a `Damaged` error from block `block_id` (other errors
    /// pass through).
    pub(crate) fn in_block(self, conn: &Connection, block_id: i64) -> StoreError {
        match self {
            StoreError::Damaged { chain: None, block: None } => {
                let (chain_id, number) = block::split_entry_id(block_id);
                let chain = conn
                    .query_row("SELECT account || '/' || currency FROM chain WHERE id = ?1", [chain_id], |r| r.get(0))
                    .ok();
                StoreError::Damaged { chain, block: Some(number) }
            }
            other => other,
        }
    }
}

/// A chain as listed on the Ledgers screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainInfo {
    pub id: i64,
    pub key: ChainKey,
    /// The source whose entries the chain holds (`reverie`).
    pub source: String,
    /// Its label dimensions beyond the type, in the order entries carry them.
    pub dimensions: Vec<Dimension>,
    pub entries: u64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    /// The newest entry's balance after, in walk order.
    pub ledger_balance: Option<Decimal>,
    /// What the vendor's page states now (a check may use another for one run).
    pub stated_balance: Option<Decimal>,
    /// The balance before the oldest entry.
    pub opening_balance: Option<Decimal>,
    /// The last sync through a vendor's API that reached the chain, if any.
    pub last_sync: Option<LastSync>,
}

/// When and from where a chain was last synced (never with the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastSync {
    /// Unix microseconds.
    pub at: i64,
    /// The API (`reverie`, `orb`, `stripe`).
    pub source: String,
    pub base_url: String,
    /// The customer asked for; `None` for every customer or a source without customers.
    pub customer: Option<String>,
}

/// An API account the app syncs: where, and which customers. Never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConnection {
    pub id: i64,
    /// The API (`reverie`, `orb`, `stripe`).
    pub source: String,
    pub base_url: String,
    /// `None`: every customer (or a source without customers).
    pub customer: Option<String>,
}

/// An open database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    labels: LabelCache,
    /// What queries keep between calls; emptied when the database changes.
    cache: RefCell<query::Cache>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// Another application's SQLite file, or a newer Reckon's, is refused before anything is
    /// written to it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir { path: dir.to_path_buf(), source })?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        check_identity(&conn, path)?;
        Store::init(conn)
    }

    /// Opens the database at `path` for reading only: nothing is created, migrated or written
    /// (a missing file is `NoDatabase`, a database that needs migrating `NeedsMigration`).
    ///
    /// A WAL database needs its `-shm` file, which SQLite creates beside it; in a folder the
    /// user may not write, that fails, and the file is then opened `immutable` (SQLite reads
    /// it without locks or the shared memory, trusting that nobody writes it meanwhile, which
    /// nobody without write access to the folder can do but an administrator). The last
    /// writer's close has checkpointed the WAL into the file, so nothing is missed.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.is_file() {
            return Err(StoreError::NoDatabase { path: path.to_path_buf() });
        }
        if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
            // Not "an older schema": nothing at all, which a read must not take for an empty ledger.
            return Err(StoreError::Empty { path: path.to_path_buf() });
        }
        let conn = match Store::read_only_connection(path, false) {
            Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::CannotOpen
                        | rusqlite::ErrorCode::ReadOnly
                        | rusqlite::ErrorCode::PermissionDenied
                ) =>
            {
                Store::read_only_connection(path, true)?
            }
            other => other?,
        };
        Ok(Store { conn, labels: LabelCache::default(), cache: RefCell::default() })
    }

    /// A read-only connection to `path`, identity and schema checked; `immutable` opens it
    /// without locks or shared memory (see `open_read_only`).
    fn read_only_connection(path: &Path, immutable: bool) -> Result<Connection, StoreError> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = if immutable {
            Connection::open_with_flags(immutable_uri(path), flags)?
        } else {
            Connection::open_with_flags(path, flags)?
        };
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let version = check_identity(&conn, path)?;
        let known = MIGRATIONS.len() as i64;
        if version < known {
            return Err(StoreError::NeedsMigration { path: path.to_path_buf(), found: version, known });
        }
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "cache_size", -32_000)?;
        Ok(conn)
    }

    /// Checks the database file below the ledgers, before `reckon doctor` opens it: an empty
    /// file is `Empty` (a wiped database is no healthy empty one), and a file SQLite cannot
    /// read whole (`PRAGMA quick_check`: damaged pages, cut off, a damaged header) is
    /// `Malformed`, listing the sources it still names. Reads only; nothing is created.
    pub fn check_file(path: &Path) -> Result<(), StoreError> {
        use rusqlite::OpenFlags;
        let meta = std::fs::metadata(path).map_err(|_| StoreError::NoDatabase { path: path.to_path_buf() })?;
        if meta.len() == 0 {
            return Err(StoreError::Empty { path: path.to_path_buf() });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let malformed = |detail: String, conn: &Connection| StoreError::Malformed {
            path: path.to_path_buf(),
            detail,
            sources: salvage(conn),
        };
        match check_identity(&conn, path) {
            Err(StoreError::Sqlite(e)) if is_corrupt(&e) => return Err(malformed(e.to_string(), &conn)),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        let problems: Result<Vec<String>, rusqlite::Error> = conn
            .prepare("PRAGMA quick_check(20)")
            .and_then(|mut stmt| stmt.query_map([], |r| r.get::<_, String>(0))?.collect());
        match problems {
            Ok(lines) if lines == ["ok"] => Ok(()),
            Ok(lines) => Err(malformed(format!("SQLite's check: {}", lines.join("; ")), &conn)),
            Err(e)
                if is_corrupt(&e)
                    || matches!(&e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase) =>
            {
                Err(malformed(e.to_string(), &conn))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A database that lives only as long as the value (tests, previews).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Store::init(Connection::open_in_memory()?)
    }

    /// Whether this connection can only read (`open_read_only`).
    pub fn is_read_only(&self) -> bool {
        self.conn.is_readonly(rusqlite::DatabaseName::Main).unwrap_or(false)
    }

    fn init(conn: Connection) -> Result<Store, StoreError> {
        // First, so that every statement below waits out another connection (the app opens one
        // for an import while the screens hold theirs) instead of failing "database is locked".
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL lets the app read while an import writes; FULL keeps every commit durable.
        use_wal(&conn)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // 32 MB of page cache: a million-row import measured no faster with 64 MB (6.5 s either
        // way) but peaked 33 MiB higher.
        conn.pragma_update(None, "cache_size", -32_000)?;
        let mut store = Store { conn, labels: LabelCache::default(), cache: RefCell::default() };
        store.migrate()?;
        Ok(store)
    }

    /// Applies the migrations this database lacks. Each runs in an IMMEDIATE transaction that
    /// reads `user_version` again once it holds the write lock, so two connections opening a
    /// fresh database at once apply every migration exactly once between them. An up-to-date
    /// database is recognised without the write lock, so opening never waits for an import.
    fn migrate(&mut self) -> Result<(), StoreError> {
        let known = MIGRATIONS.len() as i64;
        let version: i64 = self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version == known {
            return Ok(());
        }
        loop {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if version > known {
                return Err(StoreError::NewerSchema { found: version, known });
            }
            if version < 0 {
                return Err(StoreError::Malformed {
                    path: PathBuf::from(tx.path().unwrap_or_default()),
                    detail: format!(
                        "its schema version reads {version}, which no Reckon writes: its header is damaged"
                    ),
                    sources: salvage(&tx),
                });
            }
            let Some(step) = MIGRATIONS.get(version as usize) else {
                return Ok(());
            };
            tx.execute_batch(step.sql)?;
            if let Some(then) = step.then {
                then(&tx)?;
            }
            tx.pragma_update(None, "user_version", version + 1)?;
            tx.commit()?;
        }
    }

    /// The database the CLI and the desktop app share unless told otherwise: `$RECKON_DB`, else
    /// `reckon/reckon.db` in the platform's data directory (`~/.local/share` on Linux).
    pub fn default_path() -> PathBuf {
        match std::env::var_os("RECKON_DB").filter(|p| !p.is_empty()) {
            Some(path) => PathBuf::from(path),
            None => dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("reckon").join("reckon.db"),
        }
    }

    /// Every chain, ordered by account and currency.
    pub fn chains(&self) -> Result<Vec<ChainInfo>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT c.id, c.account, c.currency, c.stated_balance, c.opening_balance, c.source,
                    (SELECT coalesce(sum(entries), 0) FROM entry_block b WHERE b.chain_id = c.id),
                    (SELECT first_ts FROM entry_block b WHERE b.chain_id = c.id ORDER BY id LIMIT 1),
                    (SELECT last_ts FROM entry_block b WHERE b.chain_id = c.id ORDER BY id DESC LIMIT 1),
                    (SELECT last_balance FROM entry_block b WHERE b.chain_id = c.id ORDER BY id DESC LIMIT 1),
                    s.at, s.source, s.base_url, s.customer
             FROM chain c LEFT JOIN chain_sync s ON s.chain_id = c.id ORDER BY c.account, c.currency",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ChainInfo {
                id: r.get(0)?,
                key: ChainKey::new(r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                stated_balance: r.get::<_, Option<i64>>(3)?.map(money::from_units),
                opening_balance: r.get::<_, Option<i64>>(4)?.map(money::from_units),
                source: r.get(5)?,
                dimensions: Vec::new(),
                entries: r.get::<_, i64>(6)? as u64,
                first_ts: r.get(7)?,
                last_ts: r.get(8)?,
                ledger_balance: r.get::<_, Option<i64>>(9)?.map(money::from_units),
                last_sync: match r.get::<_, Option<i64>>(10)? {
                    Some(at) => Some(LastSync {
                        at,
                        source: r.get(11)?,
                        base_url: r.get(12)?,
                        customer: r.get::<_, String>(13).map(|c| Some(c).filter(|c| !c.is_empty()))?,
                    }),
                    None => None,
                },
            })
        })?;
        let mut chains: Vec<ChainInfo> = rows.collect::<Result<_, _>>()?;
        for chain in &mut chains {
            chain.dimensions = self.dimensions(chain.id)?;
        }
        Ok(chains)
    }

    /// A chain's label dimensions beyond the type, in the order its entries carry them.
    pub fn dimensions(&self, chain_id: i64) -> Result<Vec<Dimension>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT key, title FROM chain_dimension WHERE chain_id = ?1 ORDER BY field")?;
        let rows = stmt.query_map([chain_id], |r| Ok(Dimension { key: r.get(0)?, title: r.get(1)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A chain's dimension keys, shared, for building entries.
    fn dimension_keys(&self, chain_id: i64) -> Result<Vec<Arc<str>>, StoreError> {
        Ok(self.dimensions(chain_id)?.into_iter().map(|d| Arc::from(d.key)).collect())
    }

    /// One chain by id.
    pub fn chain(&self, id: i64) -> Result<ChainInfo, StoreError> {
        self.chains()?.into_iter().find(|c| c.id == id).ok_or_else(|| StoreError::NotFound(format!("chain {id}")))
    }

    /// Records that a sync reached these chains (replacing what each had recorded).
    pub fn record_sync(&mut self, chain_ids: &[i64], sync: &LastSync) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut put = tx.prepare(
                "INSERT INTO chain_sync (chain_id, at, source, base_url, customer) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (chain_id) DO UPDATE SET at = ?2, source = ?3, base_url = ?4, customer = ?5",
            )?;
            for id in chain_ids {
                put.execute(params![id, sync.at, sync.source, sync.base_url, sync.customer.as_deref().unwrap_or("")])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Keeps a connection (the same source, URL and customer are one connection); returns it.
    pub fn add_connection(
        &mut self,
        source: &str,
        base_url: &str,
        customer: Option<&str>,
    ) -> Result<SyncConnection, StoreError> {
        let customer = customer.unwrap_or("");
        self.conn.execute(
            "INSERT INTO sync_connection (source, base_url, customer) VALUES (?1, ?2, ?3)
             ON CONFLICT (source, base_url, customer) DO NOTHING",
            params![source, base_url, customer],
        )?;
        let id = self.conn.query_row(
            "SELECT id FROM sync_connection WHERE source = ?1 AND base_url = ?2 AND customer = ?3",
            params![source, base_url, customer],
            |r| r.get(0),
        )?;
        self.connection(id)
    }

    /// Every kept connection, oldest first.
    pub fn connections(&self) -> Result<Vec<SyncConnection>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id, source, base_url, customer FROM sync_connection ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(SyncConnection {
                id: r.get(0)?,
                source: r.get(1)?,
                base_url: r.get(2)?,
                customer: Some(r.get::<_, String>(3)?).filter(|c| !c.is_empty()),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One connection by id.
    pub fn connection(&self, id: i64) -> Result<SyncConnection, StoreError> {
        self.connections()?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("connection {id}")))
    }

    /// Sets (or with `None` clears) the balance the vendor's page states now.
    pub fn set_stated_balance(&mut self, chain_id: i64, value: Option<Decimal>) -> Result<(), StoreError> {
        self.set_anchor(chain_id, "stated_balance", value)
    }

    /// Sets (or clears) the balance before the chain's oldest entry.
    pub fn set_opening_balance(&mut self, chain_id: i64, value: Option<Decimal>) -> Result<(), StoreError> {
        self.set_anchor(chain_id, "opening_balance", value)
    }

    fn set_anchor(&mut self, chain_id: i64, column: &str, value: Option<Decimal>) -> Result<(), StoreError> {
        let units = value
            .map(|v| {
                money::to_units(v)
                    .ok_or_else(|| StoreError::BadValue(format!("{v} has more than {} decimal places", money::SCALE)))
            })
            .transpose()?;
        let changed =
            self.conn.execute(&format!("UPDATE chain SET {column} = ?1 WHERE id = ?2"), params![units, chain_id])?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!("chain {chain_id}")));
        }
        Ok(())
    }

    /// Marks a finding as explained (or replaces its note).
    pub fn set_note(&mut self, finding_id: &str, note: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.set_notes(&[finding_id.to_string()], note, at).map(|_| ())
    }

    /// Marks every finding in `ids` as explained with one note, in one transaction (a kind's
    /// thousands of warnings at once). Notes are keyed by finding ID, so they survive
    /// re-imports like a single one. Returns how many were written.
    pub fn set_notes(&mut self, ids: &[String], note: &str, at: DateTime<Utc>) -> Result<usize, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO finding_note (finding_id, note, explained_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (finding_id) DO UPDATE SET note = excluded.note, explained_at = excluded.explained_at",
            )?;
            let at = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            for id in ids {
                stmt.execute(params![id, note, at])?;
            }
        }
        tx.commit()?;
        Ok(ids.len())
    }

    /// Reopens an explained finding.
    pub fn clear_note(&mut self, finding_id: &str) -> Result<(), StoreError> {
        self.clear_notes(&[finding_id.to_string()]).map(|_| ())
    }

    /// Reopens every finding in `ids`, in one transaction; returns how many had a note.
    pub fn clear_notes(&mut self, ids: &[String]) -> Result<usize, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut cleared = 0;
        {
            let mut stmt = tx.prepare_cached("DELETE FROM finding_note WHERE finding_id = ?1")?;
            for id in ids {
                cleared += stmt.execute([id])?;
            }
        }
        tx.commit()?;
        Ok(cleared)
    }

    /// Every note, by finding id.
    pub fn notes(&self) -> Result<HashMap<String, Note>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT finding_id, note, explained_at FROM finding_note")?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, Note { note: r.get(1)?, explained_at: r.get(2)? })))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The text of label `id`; empty for 0 (no value) or an id the database does not hold.
    pub fn label(&self, id: u32) -> Arc<str> {
        if id == 0 {
            return Arc::from("");
        }
        if let Some(text) = self.labels.0.borrow().get(&id) {
            return text.clone();
        }
        let text: Arc<str> = self
            .conn
            .prepare_cached("SELECT text FROM label WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row([id], |r| r.get::<_, String>(0)))
            .map_or_else(|_| Arc::from(""), Arc::from);
        let mut kept = self.labels.0.borrow_mut();
        if kept.len() >= KEPT_LABELS {
            kept.clear();
        }
        kept.insert(id, text.clone());
        text
    }

    /// A chain's entries in walk order (the whole chain: its labels are read in one pass).
    pub fn load_entries(&self, chain_id: i64) -> Result<Vec<Entry>, StoreError> {
        let table = self.label_table()?;
        let label = |id: u32| label_text(&table, id.into());
        let dims = self.dimension_keys(chain_id)?;
        let mut entries = Vec::new();
        rows::scan_chain(&self.conn, chain_id, 0, |_, r| {
            entries.push(entry_from_row(chain_id, &r, &label, &dims));
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(entries)
    }

    /// All labels as a table indexed by label id (ids without a label read as empty).
    fn label_table(&self) -> Result<Vec<Arc<str>>, StoreError> {
        let empty: Arc<str> = Arc::from("");
        let mut table: Vec<Arc<str>> = Vec::new();
        let mut stmt = self.conn.prepare("SELECT id, text FROM label")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id =
                usize::try_from(r.get::<_, i64>(0)?).map_err(|_| StoreError::BadValue("negative label id".into()))?;
            if table.len() <= id {
                table.resize(id + 1, empty.clone());
            }
            table[id] = Arc::from(r.get::<_, String>(1)?);
        }
        Ok(table)
    }

    /// A chain's entries as numbers in walk order, with their transaction IDs packed in one
    /// buffer; label texts come from `label`, whole entries from `entries_at`.
    pub fn load_facts(&self, chain: &ChainInfo) -> Result<(Vec<Fact<i64>>, TxnIds), StoreError> {
        let mut facts: Vec<Fact<i64>> = Vec::with_capacity(chain.entries as usize);
        let mut txns = TxnIds::with_capacity(chain.entries as usize);
        rows::scan_chain_parts(&self.conn, chain.id, 0, |_, txn, r| {
            txns.push(txn);
            facts.push(Fact {
                row_id: block::entry_id(chain.id, r.seq),
                ts: r.ts,
                kind: r.kind,
                description: r.description,
                amount: r.amount,
                after: r.after,
                dims: r.dims,
            });
            Ok(ControlFlow::Continue(()))
        })?;
        Ok((facts, txns))
    }

    /// The entries at these positions of a chain's walk order, in the order given; each block is
    /// decoded once.
    pub fn entries_at(&self, chain_id: i64, positions: &[u64]) -> Result<Vec<Entry>, StoreError> {
        // Texts are filled in after every block is read, with one query per few hundred labels
        // instead of one per entry (a finding's descriptions are often each one of a kind).
        let unnamed = |_: u32| -> Arc<str> { Arc::from("") };
        let mut ids: Vec<(usize, u32, u32, crate::model::Dims)> = Vec::with_capacity(positions.len());
        let dims = self.dimension_keys(chain_id)?;
        let mut by_block: std::collections::BTreeMap<u64, Vec<(u64, usize)>> = Default::default();
        for (k, &p) in positions.iter().enumerate() {
            by_block.entry(p / block::BLOCK as u64).or_default().push((p % block::BLOCK as u64, k));
        }
        let mut out: Vec<Option<Entry>> = vec![None; positions.len()];
        for (number, mut wanted) in by_block {
            wanted.sort_unstable();
            let data = self.block(block::block_id(chain_id, number))?;
            let mut w = wanted.iter().peekable();
            block::for_each_row(&data, |i, r| {
                while let Some(&&(at, k)) = w.peek() {
                    if at != i as u64 {
                        break;
                    }
                    out[k] = Some(entry_from_row(chain_id, &r, &unnamed, &dims));
                    ids.push((k, r.kind, r.description, r.dims));
                    w.next();
                }
                Ok(())
            })?;
        }
        let wanted: Vec<u32> =
            ids.iter().flat_map(|&(_, kind, description, d)| [kind, description].into_iter().chain(d)).collect();
        self.fetch_labels(&wanted)?;
        for (k, kind, description, d) in ids {
            if let Some(e) = out[k].as_mut() {
                e.kind = self.label(kind);
                e.description = self.label(description);
                e.labels = entry_labels(&d, &|id| self.label(id), &dims);
            }
        }
        positions
            .iter()
            .zip(out)
            .map(|(p, e)| e.ok_or_else(|| StoreError::NotFound(format!("entry at position {p} of chain {chain_id}"))))
            .collect()
    }

    /// The texts of these labels, fetched in batches and kept (see `label`).
    pub fn labels(&self, ids: &[u32]) -> Result<Vec<Arc<str>>, StoreError> {
        self.fetch_labels(ids)?;
        Ok(ids.iter().map(|&id| self.label(id)).collect())
    }

    /// Fetches the texts of the labels not kept yet, a few hundred per query.
    fn fetch_labels(&self, ids: &[u32]) -> Result<(), StoreError> {
        let mut missing: Vec<u32> = {
            let kept = self.labels.0.borrow();
            ids.iter().copied().filter(|id| *id != 0 && !kept.contains_key(id)).collect()
        };
        missing.sort_unstable();
        missing.dedup();
        if self.labels.0.borrow().len() + missing.len() > KEPT_LABELS {
            self.labels.0.borrow_mut().clear();
        }
        for chunk in missing.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut stmt = self.conn.prepare(&format!("SELECT id, text FROM label WHERE id IN ({marks})"))?;
            let mut rows = stmt.query(rusqlite::params_from_iter(chunk))?;
            let mut kept = self.labels.0.borrow_mut();
            while let Some(r) = rows.next()? {
                kept.insert(r.get(0)?, Arc::from(r.get::<_, String>(1)?));
            }
        }
        Ok(())
    }

    /// One stored entry by id.
    pub fn entry_by_row(&self, row_id: i64) -> Result<Entry, StoreError> {
        let dims = self.dimension_keys(block::split_entry_id(row_id).0)?;
        self.with_row(row_id, |chain_id, r| entry_from_row(chain_id, r, &|id| self.label(id), &dims))
    }

    /// Transaction IDs of a chain seen with more than one content.
    pub fn conflicts(&self, chain_id: i64) -> Result<Vec<Conflict>, StoreError> {
        let dims = self.dimension_keys(chain_id)?;
        let label = |id: i64| self.label(u32::try_from(id).unwrap_or(0));
        let mut stmt = self.conn.prepare(
            "SELECT c.id, c.txn_id, c.ts, c.type_id, c.description_id, c.amount, c.balance_after, c.character_id,
                    c.model_id, c.dim3_id, c.dim4_id, s.path, c.source_line, c.content_hash
             FROM conflict c JOIN source_file s ON s.id = c.source_id
             WHERE c.chain_id = ?1 ORDER BY c.txn_id, c.id",
        )?;
        let others = stmt
            .query_map([chain_id], |r| {
                let mut ids = [0u32; MAX_DIMS];
                for (d, id) in ids.iter_mut().enumerate() {
                    *id = r.get::<_, Option<u32>>(7 + d)?.unwrap_or(0);
                }
                let other = Entry {
                    row_id: r.get(0)?,
                    txn_id: r.get(1)?,
                    ts: r.get(2)?,
                    kind: label(r.get(3)?),
                    description: label(r.get(4)?),
                    amount: money::from_units(r.get(5)?),
                    balance_after: money::from_units(r.get(6)?),
                    labels: entry_labels(&ids, &|id| self.label(id), &dims),
                };
                Ok((other, r.get::<_, String>(11)?, r.get::<_, i64>(12)? as u64, r.get::<_, i64>(13)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        if others.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: rustc_hash::FxHashSet<&str> = others.iter().map(|o| o.0.txn_id.as_str()).collect();
        let mut stored: HashMap<String, Entry> = HashMap::new();
        rows::scan_chain(&self.conn, chain_id, 0, |_, r| {
            if wanted.contains(r.txn_id) {
                stored.insert(r.txn_id.to_string(), entry_from_row(chain_id, &r, &|id| self.label(id), &dims));
            }
            Ok(if stored.len() == wanted.len() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
        })?;
        Ok(others
            .into_iter()
            .filter_map(|(other, other_source, other_line, other_hash)| {
                let stored = stored.get(&other.txn_id)?.clone();
                Some(Conflict { stored, other, other_source, other_line, other_hash })
            })
            .collect())
    }

    /// The id of a chain, if it exists.
    pub fn chain_id(&self, key: &ChainKey) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM chain WHERE account = ?1 AND currency = ?2",
                params![key.account, key.currency],
                |r| r.get(0),
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version 1 database: one chain, entries whose id order is not their walk order.
    fn version_one() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0].sql).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO chain (id, account, currency, stated_balance) VALUES (1, 'default', 'credits', 7000000);
             INSERT INTO label (id, text) VALUES (1, 'CHAT'), (2, 'PURCHASE'), (3, 'reply'), (4, 'Luna'), (5, 'pack');
             INSERT INTO source_file (id, path, format, file_hash, bytes, imported_at, entries_new, entries_known,
                                      entries_conflicting, chain_id)
                 VALUES (1, 'old.csv', 'reverie-csv', 'x', 100, '2026-01-01T00:00:00Z', 3, 0, 0, 1);
             INSERT INTO entry (id, chain_id, txn_id, ts, seq, type_id, description_id, amount, balance_after,
                                character_id, model_id, source_id, source_line, source_offset)
                 VALUES (1, 1, 'txn_c', 2000000, 1, 1, 3, -1000000, 9000000, 4, NULL, 1, 2, 60),
                        (2, 1, 'txn_b', 2000000, 0, 1, 3, -2000000, 10000000, NULL, NULL, 1, 3, 120),
                        (3, 1, 'txn_a', 1000000, 0, 2, 5, 12000000, 12000000, NULL, NULL, 1, 4, 180);
             INSERT INTO chain_type_total VALUES (1, 1, 2, 0, -3000000), (1, 2, 1, 12000000, 0);
             INSERT INTO conflict (chain_id, txn_id, ts, type_id, description_id, amount, balance_after,
                                   source_id, source_line, source_offset, content_hash)
                 VALUES (1, 'txn_b', 2000000, 1, 3, -2500000, 9500000, 1, 9, 500, 42);",
        )
        .unwrap();
        conn
    }

    #[test]
    fn version_one_entries_move_into_blocks_in_walk_order() {
        let store = Store::init(version_one()).unwrap();
        let version: i64 = store.conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let tables: i64 = store
            .conn
            .query_row("SELECT count(*) FROM sqlite_schema WHERE name IN ('entry', 'chain_type_total')", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(tables, 0, "version 1's tables are dropped");

        let entries = store.load_entries(1).unwrap();
        let ids: Vec<&str> = entries.iter().map(|e| e.txn_id.as_str()).collect();
        assert_eq!(ids, ["txn_a", "txn_b", "txn_c"], "ts, then seq");
        assert_eq!(entries[2].label("character"), Some("Luna"));
        assert_eq!(entries[1].amount, Decimal::new(-2, 0));
        assert_eq!(entries[0].row_id, 1 << 32);

        let chain = store.chain(1).unwrap();
        assert_eq!(chain.entries, 3);
        assert_eq!(chain.ledger_balance, Some(Decimal::new(9, 0)));
        assert_eq!(chain.stated_balance, Some(Decimal::new(7, 0)));
        assert_eq!((chain.first_ts, chain.last_ts), (Some(1_000_000), Some(2_000_000)));

        let chats = LedgerFilter { chain_id: Some(1), types: vec!["CHAT".into()], ..LedgerFilter::default() };
        let totals = store.ledger_totals(&chats).unwrap();
        assert_eq!((totals.entries, totals.credits_out), (2, Decimal::new(-3, 0)));
        let page = store.ledger_page(&chats, 0, 10).unwrap();
        assert_eq!(page.iter().map(|r| r.source_line).collect::<Vec<_>>(), [2, 3]);

        let conflicts = store.conflicts(1).unwrap();
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].stored.amount, Decimal::new(-2, 0));
        assert_eq!(conflicts[0].other.amount, Decimal::new(-25, 1));
    }

    #[test]
    fn an_immutable_open_reads_a_wal_database() {
        // What `open_read_only` falls back to in a folder the user may not write (where
        // SQLite cannot create the -shm file). Tests run as root, which no folder mode stops,
        // so the fallback is opened directly here.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd ?#% name.db");
        let mut store = Store::open(&path).unwrap();
        store.set_note("F-1", "kept", Utc::now()).unwrap();
        drop(store);
        let conn = Store::read_only_connection(&path, true).unwrap();
        let store = Store { conn, labels: LabelCache::default(), cache: RefCell::default() };
        assert!(store.is_read_only());
        assert_eq!(store.notes().unwrap()["F-1"].note, "kept");
        assert!(!dir.path().join("odd ?#% name.db-shm").exists(), "an immutable open makes no -shm file");
    }
}
