//! The local SQLite database: schema by numbered migrations, one transaction per import,
//! paged and indexed queries for every screen. Money is stored as micro-credits (`i64`).
//!
//! *Invariant:* `(chain_id, txn_id)` is unique in `entry`; a second version of a transaction
//! goes to `conflict`, never over the first.

mod ingest;
mod query;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;

use crate::model::{ChainKey, Entry};
use crate::money;
use crate::reconcile::facts::Fact;

pub use ingest::{FileSummary, ImportOptions, ImportSummary};
pub use query::{BalancePoint, EntryDetail, Facets, GroupBy, LedgerFilter, LedgerRow, SummaryRow, Totals};

/// Label texts indexed by label id.
pub(crate) type LabelTable = Vec<Arc<str>>;

/// Migrations, applied in order at open; `PRAGMA user_version` records how many ran.
const MIGRATIONS: [&str; 1] = [include_str!("migrations/0001_init.sql")];

/// The columns `entry_from_row` reads, in its order.
const ENTRY_COLUMNS: &str = "id, txn_id, ts, type_id, description_id, amount, balance_after, character_id, model_id";

/// An `Entry` from a row of `ENTRY_COLUMNS`, labels resolved by `label`.
fn entry_from_row(r: &rusqlite::Row<'_>, label: &impl Fn(i64) -> Arc<str>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        row_id: r.get(0)?,
        txn_id: r.get(1)?,
        ts: r.get(2)?,
        kind: label(r.get(3)?),
        description: label(r.get(4)?),
        amount: money::from_units(r.get(5)?),
        balance_after: money::from_units(r.get(6)?),
        character: r.get::<_, Option<i64>>(7)?.map(label),
        model: r.get::<_, Option<i64>>(8)?.map(label),
    })
}

/// The text of label `id` in a table from `Store::label_table`; empty for an unknown id.
fn label_text(labels: &[Arc<str>], id: i64) -> Arc<str> {
    usize::try_from(id).ok().and_then(|i| labels.get(i)).cloned().unwrap_or_else(|| Arc::from(""))
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
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
    /// A value the store cannot hold.
    #[error("{0}")]
    BadValue(String),
}

/// A chain as listed on the Ledgers screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainInfo {
    pub id: i64,
    pub key: ChainKey,
    pub entries: u64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    /// The newest entry's balance after, in walk order.
    pub ledger_balance: Option<Decimal>,
    pub stated_balance: Option<Decimal>,
    pub opening_balance: Option<Decimal>,
}

/// A note that marks a finding as explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub note: String,
    pub explained_at: String,
}

/// A transaction ID stored once and seen again with other content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The version in the ledger (the first one imported).
    pub stored: Entry,
    /// The other version and where it came from.
    pub other: Entry,
    pub other_source: String,
    pub other_line: u64,
}

/// An open database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir { path: dir.to_path_buf(), source })?;
        }
        Store::init(Connection::open(path)?)
    }

    /// A database that lives only as long as the value (tests, previews).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Store::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Store, StoreError> {
        // WAL lets the app read while an import writes; FULL keeps every commit durable.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // 32 MB of page cache: a million-row import measured no faster with 64 MB (6.5 s either
        // way) but peaked 33 MiB higher.
        conn.pragma_update(None, "cache_size", -32_000)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut store = Store { conn };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 = self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::NewerSchema { found: version, known });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The default database: `reckon.db` in the platform's data directory.
    pub fn default_path() -> PathBuf {
        dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("reckon").join("reckon.db")
    }

    /// Every chain, ordered by account and currency.
    pub fn chains(&self) -> Result<Vec<ChainInfo>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT c.id, c.account, c.currency, c.stated_balance, c.opening_balance,
                    (SELECT coalesce(sum(entries), 0) FROM chain_type_total t WHERE t.chain_id = c.id),
                    (SELECT min(ts) FROM entry e WHERE e.chain_id = c.id),
                    (SELECT max(ts) FROM entry e WHERE e.chain_id = c.id),
                    (SELECT balance_after FROM entry e WHERE e.chain_id = c.id ORDER BY ts DESC, seq DESC LIMIT 1)
             FROM chain c ORDER BY c.account, c.currency",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ChainInfo {
                id: r.get(0)?,
                key: ChainKey::new(r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                stated_balance: r.get::<_, Option<i64>>(3)?.map(money::from_units),
                opening_balance: r.get::<_, Option<i64>>(4)?.map(money::from_units),
                entries: r.get::<_, i64>(5)? as u64,
                first_ts: r.get(6)?,
                last_ts: r.get(7)?,
                ledger_balance: r.get::<_, Option<i64>>(8)?.map(money::from_units),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One chain by id.
    pub fn chain(&self, id: i64) -> Result<ChainInfo, StoreError> {
        self.chains()?.into_iter().find(|c| c.id == id).ok_or_else(|| StoreError::NotFound(format!("chain {id}")))
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
        self.conn.execute(
            "INSERT INTO finding_note (finding_id, note, explained_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (finding_id) DO UPDATE SET note = excluded.note, explained_at = excluded.explained_at",
            params![finding_id, note, at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)],
        )?;
        Ok(())
    }

    /// Reopens an explained finding.
    pub fn clear_note(&mut self, finding_id: &str) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM finding_note WHERE finding_id = ?1", [finding_id])?;
        Ok(())
    }

    /// Every note, by finding id.
    pub fn notes(&self) -> Result<HashMap<String, Note>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT finding_id, note, explained_at FROM finding_note")?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, Note { note: r.get(1)?, explained_at: r.get(2)? })))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A chain's entries in no particular order; `reconcile::order::walk_order` orders them.
    /// (Reading in table order and sorting in memory is several times faster than an ORDER BY.)
    pub fn load_entries(&self, chain_id: i64) -> Result<Vec<Entry>, StoreError> {
        let labels = self.label_table()?;
        let label = |id: i64| label_text(&labels, id);
        let mut stmt = self.conn.prepare(&format!("SELECT {ENTRY_COLUMNS} FROM entry WHERE chain_id = ?1"))?;
        let rows = stmt.query_map([chain_id], |r| entry_from_row(r, &label))?;
        Ok(rows.collect::<Result<_, _>>()?)
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

    /// A chain's entries as numbers in walk order (`ts`, then the stored `seq`), with the label
    /// table their ids point into. No transaction IDs: `entry_by_row` fetches those on demand.
    /// `chain` is the chain as listed by `chains`; when it holds most of the entries, reading
    /// the table straight through beats a row lookup per index entry.
    pub(crate) fn load_facts(&self, chain: &ChainInfo) -> Result<(Vec<Fact<i64>>, LabelTable), StoreError> {
        let mut labels = self.label_table()?;
        let total: i64 = self.conn.query_row("SELECT coalesce(max(id), 0) FROM entry", [], |r| r.get(0))?;
        let scan = chain.entries.saturating_mul(2) >= total as u64;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT id, ts, seq, type_id, description_id, amount, balance_after, character_id, model_id
             FROM entry {} WHERE chain_id = ?1",
            if scan { "NOT INDEXED" } else { "" }
        ))?;
        let mut rows = stmt.query([chain.id])?;
        let mut keyed: Vec<(i64, Fact<i64>)> = Vec::with_capacity(chain.entries as usize);
        let mut max_label = 0u32;
        let id = |v: i64| u32::try_from(v).map_err(|_| StoreError::BadValue(format!("label id {v}")));
        while let Some(r) = rows.next()? {
            let fact = Fact {
                row_id: r.get(0)?,
                ts: r.get(1)?,
                kind: id(r.get(3)?)?,
                description: id(r.get(4)?)?,
                amount: r.get(5)?,
                after: r.get(6)?,
                character: r.get::<_, Option<i64>>(7)?.map(id).transpose()?,
                model: r.get::<_, Option<i64>>(8)?.map(id).transpose()?,
            };
            max_label = max_label
                .max(fact.kind)
                .max(fact.description)
                .max(fact.character.unwrap_or(0))
                .max(fact.model.unwrap_or(0));
            keyed.push((r.get(2)?, fact));
        }
        if labels.len() <= max_label as usize {
            labels.resize(max_label as usize + 1, Arc::from(""));
        }
        // Table order is usually walk order already, which the sort detects.
        keyed.sort_unstable_by_key(|(seq, f)| (f.ts, *seq, f.row_id));
        Ok((keyed.into_iter().map(|(_, f)| f).collect(), labels))
    }

    /// One stored entry by row id, its labels resolved through `labels` (from `load_facts`).
    pub(crate) fn entry_by_row(&self, row_id: i64, labels: &[Arc<str>]) -> Result<Entry, StoreError> {
        let label = |id: i64| label_text(labels, id);
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {ENTRY_COLUMNS} FROM entry WHERE id = ?1"))?;
        Ok(stmt.query_row([row_id], |r| entry_from_row(r, &label))?)
    }

    /// `(txn_id, row id)` of those of `txn_ids` stored in the chain.
    pub(crate) fn rows_by_txn(&self, chain_id: i64, txn_ids: &[&str]) -> Result<Vec<(String, i64)>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT id FROM entry WHERE chain_id = ?1 AND txn_id = ?2")?;
        let mut found = Vec::new();
        for &t in txn_ids {
            if let Some(id) = stmt.query_row(params![chain_id, t], |r| r.get::<_, i64>(0)).optional()? {
                found.push((t.to_string(), id));
            }
        }
        Ok(found)
    }

    /// Transaction IDs of a chain seen with more than one content.
    pub fn conflicts(&self, chain_id: i64) -> Result<Vec<Conflict>, StoreError> {
        let labels = self.label_table()?;
        let label = |id: i64| label_text(&labels, id);
        let mut stmt = self.conn.prepare(
            "SELECT e.id, e.txn_id, e.ts, e.type_id, e.description_id, e.amount, e.balance_after, e.character_id, e.model_id,
                    c.id, c.ts, c.type_id, c.description_id, c.amount, c.balance_after, c.character_id, c.model_id,
                    s.path, c.source_line
             FROM conflict c
             JOIN entry e ON e.chain_id = c.chain_id AND e.txn_id = c.txn_id
             JOIN source_file s ON s.id = c.source_id
             WHERE c.chain_id = ?1 ORDER BY c.txn_id, c.id",
        )?;
        let rows = stmt.query_map([chain_id], |r| {
            let entry = |base: usize, row_id: i64, txn: String| -> rusqlite::Result<Entry> {
                Ok(Entry {
                    row_id,
                    txn_id: txn,
                    ts: r.get(base)?,
                    kind: label(r.get(base + 1)?),
                    description: label(r.get(base + 2)?),
                    amount: money::from_units(r.get(base + 3)?),
                    balance_after: money::from_units(r.get(base + 4)?),
                    character: r.get::<_, Option<i64>>(base + 5)?.map(label),
                    model: r.get::<_, Option<i64>>(base + 6)?.map(label),
                })
            };
            let txn: String = r.get(1)?;
            Ok(Conflict {
                stored: entry(2, r.get(0)?, txn.clone())?,
                other: entry(10, r.get(9)?, txn)?,
                other_source: r.get(17)?,
                other_line: r.get::<_, i64>(18)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
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
