//! The schema: numbered migrations (`migrations/*.sql`), each with a Rust step where SQL cannot
//! do the work, applied at open under the write lock; `PRAGMA user_version` counts them.

use std::path::PathBuf;

use rusqlite::{params, TransactionBehavior};

use super::labels::{label_sum, record_label_sum};
use super::open::salvage;
use super::{block, rows, Store, StoreError};

/// The Rust half of a migration.
type MigrationStep = fn(&rusqlite::Transaction<'_>) -> Result<(), StoreError>;

/// A schema step: SQL, then perhaps Rust for what SQL cannot do.
struct Migration {
    sql: &'static str,
    then: Option<MigrationStep>,
}

impl Migration {
    /// Its SQL, then its Rust step, inside the caller's transaction.
    fn apply(&self, tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
        tx.execute_batch(self.sql)?;
        match self.then {
            Some(then) => then(tx),
            None => Ok(()),
        }
    }
}

/// Migrations, applied in order at open; `PRAGMA user_version` records how many ran.
const MIGRATIONS: [Migration; 12] = [
    Migration { sql: include_str!("migrations/0001_init.sql"), then: None },
    Migration { sql: include_str!("migrations/0002_blocks.sql"), then: Some(move_entries_to_blocks) },
    Migration { sql: include_str!("migrations/0003_sources.sql"), then: Some(number_entries) },
    Migration { sql: include_str!("migrations/0004_application_id.sql"), then: None },
    Migration { sql: include_str!("migrations/0005_sync.sql"), then: None },
    Migration { sql: include_str!("migrations/0006_chain_counts.sql"), then: Some(count_chains_and_labels) },
    Migration { sql: include_str!("migrations/0007_conflict_dims.sql"), then: None },
    Migration { sql: include_str!("migrations/0008_anchors.sql"), then: None },
    Migration { sql: include_str!("migrations/0009_matches.sql"), then: None },
    Migration { sql: include_str!("migrations/0010_watch.sql"), then: None },
    Migration { sql: include_str!("migrations/0011_sync_schedule.sql"), then: Some(add_sync_period) },
    Migration { sql: include_str!("migrations/0012_labels_unindexed.sql"), then: None },
];

/// The schema version this Reckon writes: how many migrations it knows.
pub(super) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Version 11: each connection's sync period, added where missing (the migration was numbered
/// while another was being written beside it; a database that has the column keeps it).
fn add_sync_period(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    let has: bool = tx.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('sync_connection') WHERE name = 'period_secs'",
        [],
        |r| r.get(0),
    )?;
    if !has {
        tx.execute_batch("ALTER TABLE sync_connection ADD COLUMN period_secs INTEGER NOT NULL DEFAULT 900")?;
    }
    Ok(())
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
    record_label_sum(tx, label_sum(tx)?)?;
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
        rows::write_blocks(tx, chain_id, 0, 2, rows::Schema::Version2, true, rows)?;
    }
    tx.execute_batch("DROP TABLE entry; DROP TABLE chain_type_total;")?;
    Ok(())
}

impl Store {
    /// Applies the migrations this database lacks, all in one IMMEDIATE transaction that reads
    /// `user_version` again once it holds the write lock, so two connections opening a fresh
    /// database at once apply every migration exactly once between them, and a database is
    /// never left between two versions. One commit, not one per migration: a new database's
    /// twelve fsyncs were most of a small import's time. An up-to-date database is recognised
    /// without the write lock, so opening never waits for an import.
    pub(super) fn migrate(&mut self) -> Result<(), StoreError> {
        let known = SCHEMA_VERSION;
        let version: i64 = self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version == known {
            return Ok(());
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > known {
            return Err(StoreError::NewerSchema { found: version, known });
        }
        if version < 0 {
            return Err(StoreError::Malformed {
                path: PathBuf::from(tx.path().unwrap_or_default()),
                detail: format!("its schema version reads {version}, which no Reckon writes: its header is damaged"),
                sources: salvage(&tx),
            });
        }
        if version == known {
            return Ok(());
        }
        for step in &MIGRATIONS[version as usize..] {
            step.apply(&tx)?;
        }
        tx.pragma_update(None, "user_version", known)?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;
    use rust_decimal::Decimal;

    use super::*;
    use crate::store::LedgerFilter;

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

    /// Version 1 brought up to `version` step by step, in one transaction, as a Reckon of that
    /// version left it; `more` is SQL run after, as that version would write it.
    fn up_to(conn: &mut Connection, version: usize, more: &str) {
        let tx = conn.transaction().unwrap();
        for step in &MIGRATIONS[1..version] {
            step.apply(&tx).unwrap();
        }
        tx.pragma_update(None, "user_version", version as i64).unwrap();
        tx.execute_batch(more).unwrap();
        tx.commit().unwrap();
    }

    /// The columns of `table`, in order.
    fn columns(conn: &Connection, table: &str) -> Vec<String> {
        let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid").unwrap();
        stmt.query_map([table], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn version_six_conflicts_keep_their_dimensions_under_the_new_column_names() {
        // Version 1 brought up to version 6, then a conflicting version written the way
        // version 6 wrote one.
        let mut conn = version_one();
        up_to(
            &mut conn,
            6,
            "INSERT INTO label (id, text) VALUES (6, 'Nova'), (7, 'large');
             INSERT INTO conflict (chain_id, txn_id, ts, type_id, description_id, amount, balance_after,
                                   character_id, model_id, dim3_id, source_id, source_line, source_offset,
                                   content_hash)
                 VALUES (1, 'txn_c', 2000000, 1, 3, -1500000, 8500000, 6, 7, NULL, 1, 11, 600, 43);",
        );
        assert!(columns(&conn, "conflict").contains(&"character_id".to_string()));

        let store = Store::init(conn).unwrap();
        let version: i64 = store.conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let names = columns(&store.conn, "conflict");
        for name in ["dim1_id", "dim2_id", "dim3_id", "dim4_id"] {
            assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
        }
        assert!(!names.iter().any(|n| n == "character_id" || n == "model_id"), "{names:?}");

        let conflicts = store.conflicts(1).unwrap();
        let ids: Vec<&str> = conflicts.iter().map(|c| c.other.txn_id.as_str()).collect();
        assert_eq!(ids, ["txn_b", "txn_c"], "both conflicting versions are kept");
        let other = &conflicts[1].other;
        assert_eq!((other.label("character"), other.label("model")), (Some("Nova"), Some("large")));
        assert_eq!(other.amount, Decimal::new(-15, 1));
        assert_eq!(conflicts[1].stored.label("character"), Some("Luna"));
        assert_eq!((conflicts[1].other_line, conflicts[1].other_hash), (11, 43));
    }

    #[test]
    fn version_twelve_keeps_every_label_and_finds_them_without_a_text_index() {
        let mut conn = version_one();
        up_to(&mut conn, 11, "");
        let label_indexes = |conn: &Connection| -> i64 {
            conn.query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'label'", [], |r| {
                r.get(0)
            })
            .unwrap()
        };
        assert_eq!(label_indexes(&conn), 1, "version 11 indexes the texts");

        let store = Store::init(conn).unwrap();
        assert_eq!(label_indexes(&store.conn), 0);
        let labels: Vec<(u32, String)> = store
            .conn
            .prepare("SELECT id, text FROM label ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let expected = [(1, "CHAT"), (2, "PURCHASE"), (3, "reply"), (4, "Luna"), (5, "pack")];
        assert_eq!(labels, expected.map(|(id, text)| (id, text.to_string())));
        assert_eq!(label_sum(&store.conn).unwrap(), crate::store::labels::recorded_label_sum(&store.conn).unwrap());

        // Filters name labels by text: found among the labels the chain's blocks use.
        let totals = |types: &[&str], labels: &[(&str, &str)]| {
            let filter = LedgerFilter {
                chain_id: Some(1),
                types: types.iter().map(|t| t.to_string()).collect(),
                labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                ..LedgerFilter::default()
            };
            store.ledger_totals(&filter).unwrap().entries
        };
        assert_eq!(totals(&["PURCHASE"], &[]), 1);
        assert_eq!(totals(&[], &[("character", "Luna")]), 1);
        assert_eq!(totals(&["CHAT"], &[("character", "Luna")]), 1);
        // A label's text used in another field, or by no entry, matches nothing.
        assert_eq!(totals(&["Luna"], &[]), 0);
        assert_eq!(totals(&[], &[("character", "CHAT")]), 0);
        assert_eq!(totals(&["reply"], &[]), 0);
        assert_eq!(totals(&["GIFT"], &[]), 0);
    }
}
