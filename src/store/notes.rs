//! Notes on findings ("mark as explained"), keyed by the finding's stable id so they survive
//! re-imports.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, TransactionBehavior};

use super::{Store, StoreError};
use crate::model::Note;

impl Store {
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
        let mut stmt = self.conn.prepare_cached("SELECT finding_id, note, explained_at FROM finding_note")?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, Note { note: r.get(1)?, explained_at: r.get(2)? })))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
