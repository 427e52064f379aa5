//! The result of matching two accounts (`reckon match`, migration 9): one run per pair of
//! accounts, replaced when the match runs again, and the entries either side left without a
//! counterpart, which `check` reports.

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};

/// A match kept in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchRun {
    /// The two accounts, sorted.
    pub accounts: (String, String),
    pub tolerance_seconds: i64,
    pub pairs_by_id: i64,
    pub pairs: i64,
    /// Unix microseconds.
    pub created: i64,
}

/// An entry a match left without a counterpart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    /// The entry's stable id.
    pub entry_id: i64,
    /// The account it has no counterpart in.
    pub other_account: String,
    pub tolerance_seconds: i64,
}

impl Store {
    /// Keeps a match of two accounts, replacing the one kept for them before (in one
    /// transaction): `unmatched` are the entries of either with no counterpart, each with the
    /// account it was looked for in.
    pub fn save_match(&mut self, run: &MatchRun, unmatched: &[(i64, &str)]) -> Result<(), StoreError> {
        let (a, b) = if run.accounts.0 <= run.accounts.1 {
            (&run.accounts.0, &run.accounts.1)
        } else {
            (&run.accounts.1, &run.accounts.0)
        };
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let old: Option<i64> = tx
            .prepare_cached("SELECT id FROM match_run WHERE account_a = ?1 AND account_b = ?2")?
            .query_row(params![a, b], |r| r.get(0))
            .optional()?;
        if let Some(id) = old {
            tx.prepare_cached("DELETE FROM match_unmatched WHERE run_id = ?1")?.execute([id])?;
            tx.prepare_cached("DELETE FROM match_run WHERE id = ?1")?.execute([id])?;
        }
        tx.prepare_cached(
            "INSERT INTO match_run (account_a, account_b, tolerance_seconds, pairs_by_id, pairs, created)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![a, b, run.tolerance_seconds, run.pairs_by_id, run.pairs, run.created])?;
        let run_id = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO match_unmatched (run_id, entry_id, other_account) VALUES (?1, ?2, ?3)",
            )?;
            for (entry_id, other) in unmatched {
                insert.execute(params![run_id, entry_id, other])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The matches kept, by their accounts.
    pub fn match_runs(&self) -> Result<Vec<MatchRun>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT account_a, account_b, tolerance_seconds, pairs_by_id, pairs, created FROM match_run
             ORDER BY account_a, account_b",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(MatchRun {
                accounts: (r.get(0)?, r.get(1)?),
                tolerance_seconds: r.get(2)?,
                pairs_by_id: r.get(3)?,
                pairs: r.get(4)?,
                created: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The entries of chain `chain_id` a kept match left without a counterpart, by entry id.
    pub fn unmatched_entries(&self, chain_id: i64) -> Result<Vec<Unmatched>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT u.entry_id, u.other_account, r.tolerance_seconds FROM match_unmatched u
             JOIN match_run r ON r.id = u.run_id
             WHERE u.entry_id >= ?1 * 4294967296 AND u.entry_id < (?1 + 1) * 4294967296
             ORDER BY u.entry_id, u.other_account",
        )?;
        let rows = stmt.query_map([chain_id], |r| {
            Ok(Unmatched { entry_id: r.get(0)?, other_account: r.get(1)?, tolerance_seconds: r.get(2)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
