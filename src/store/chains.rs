//! Chains (ledgers): listing them with their counts, times, balances and last sync, their
//! label dimensions, and the anchors a person sets: the stated and opening balance, and
//! balances stated or set at a point in time (`anchor`).

use std::sync::Arc;

use rusqlite::{params, OptionalExtension};
use rust_decimal::Decimal;

use super::{LastSync, Store, StoreError};
use crate::model::{Anchor, AnchorKind, ChainKey, Dimension, NO_BALANCE};
use crate::money;

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
    /// The newest entry's balance after, in walk order; `None` when it states none (a feed
    /// without its balance column: the balance is rebuilt from anchors).
    pub ledger_balance: Option<Decimal>,
    /// What the vendor's page states now (a check may use another for one run).
    pub stated_balance: Option<Decimal>,
    /// The balance before the oldest entry.
    pub opening_balance: Option<Decimal>,
    /// The last sync through a vendor's API that reached the chain, if any.
    pub last_sync: Option<LastSync>,
}

impl Store {
    /// Every chain, ordered by account and currency.
    pub fn chains(&self) -> Result<Vec<ChainInfo>, StoreError> {
        let mut chains = self.chains_query("", &[])?;
        // Every chain's dimensions in one query: one query per chain cost a customer base of
        // 100,000 chains that many round trips.
        let mut dims: rustc_hash::FxHashMap<i64, Vec<Dimension>> = rustc_hash::FxHashMap::default();
        let mut stmt =
            self.conn.prepare_cached("SELECT chain_id, key, title FROM chain_dimension ORDER BY chain_id, field")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            dims.entry(r.get(0)?).or_default().push(Dimension { key: r.get(1)?, title: r.get(2)? });
        }
        for chain in &mut chains {
            chain.dimensions = dims.remove(&chain.id).unwrap_or_default();
        }
        Ok(chains)
    }

    /// The chains `filter` (a `WHERE` on `chain c` naming `?1`...; empty: all) selects, without
    /// their dimensions.
    fn chains_query(&self, filter: &str, params: &[&dyn rusqlite::ToSql]) -> Result<Vec<ChainInfo>, StoreError> {
        let sql = format!(
            "SELECT c.id, c.account, c.currency, c.stated_balance, c.opening_balance, c.source,
                    (SELECT coalesce(sum(entries), 0) FROM entry_block b WHERE b.chain_id = c.id),
                    (SELECT first_ts FROM entry_block b WHERE b.chain_id = c.id ORDER BY id LIMIT 1),
                    (SELECT last_ts FROM entry_block b WHERE b.chain_id = c.id ORDER BY id DESC LIMIT 1),
                    (SELECT last_balance FROM entry_block b WHERE b.chain_id = c.id ORDER BY id DESC LIMIT 1),
                    s.at, s.source, s.base_url, s.customer
             FROM chain c LEFT JOIN chain_sync s ON s.chain_id = c.id {filter} ORDER BY c.account, c.currency"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params, |r| {
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
                ledger_balance: r.get::<_, Option<i64>>(9)?.filter(|&u| u != NO_BALANCE).map(money::from_units),
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
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A chain's label dimensions beyond the type, in the order its entries carry them.
    pub fn dimensions(&self, chain_id: i64) -> Result<Vec<Dimension>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT key, title FROM chain_dimension WHERE chain_id = ?1 ORDER BY field")?;
        let rows = stmt.query_map([chain_id], |r| Ok(Dimension { key: r.get(0)?, title: r.get(1)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A chain's dimension keys, shared, for building entries.
    pub(super) fn dimension_keys(&self, chain_id: i64) -> Result<Vec<Arc<str>>, StoreError> {
        Ok(self.dimensions(chain_id)?.into_iter().map(|d| Arc::from(d.key)).collect())
    }

    /// One chain by id.
    pub fn chain(&self, id: i64) -> Result<ChainInfo, StoreError> {
        // By its id, not by listing every chain (100,000 in a customer base).
        let mut chain = self
            .chains_query("WHERE c.id = ?1", &[&id])?
            .pop()
            .ok_or_else(|| StoreError::NotFound(format!("chain {id}")))?;
        chain.dimensions = self.dimensions(id)?;
        Ok(chain)
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

    /// The id of a chain, if it exists.
    pub fn chain_id(&self, key: &ChainKey) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM chain WHERE account = ?1 AND currency = ?2")?
            .query_row(params![key.account, key.currency], |r| r.get(0))
            .optional()?)
    }

    /// Keeps a balance stated (or set) at a point in time for a chain, added at `created`
    /// (Unix microseconds: the clock is the caller's). Returns the anchor's id.
    pub fn add_anchor(
        &mut self,
        chain_id: i64,
        ts: i64,
        balance: Decimal,
        kind: AnchorKind,
        note: &str,
        created: i64,
    ) -> Result<i64, StoreError> {
        let units = money::to_units(balance)
            .ok_or_else(|| StoreError::BadValue(format!("{balance} has more than {} decimal places", money::SCALE)))?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let exists: Option<i64> =
            tx.prepare_cached("SELECT id FROM chain WHERE id = ?1")?.query_row([chain_id], |r| r.get(0)).optional()?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("chain {chain_id}")));
        }
        tx.prepare_cached(
            "INSERT INTO anchor (chain_id, ts, balance, kind, note, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![chain_id, ts, units, kind.as_str(), note, created])?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// A chain's anchors in walk order: by time, then in the order they were added.
    pub fn anchors(&self, chain_id: i64) -> Result<Vec<Anchor>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, ts, balance, kind, note, created FROM anchor WHERE chain_id = ?1 ORDER BY ts, id",
        )?;
        let rows = stmt.query_map([chain_id], anchor_row)?;
        rows.collect::<Result<Result<Vec<_>, _>, _>>()?
    }

    /// Removes the anchor with this id, returning it with its chain's id.
    pub fn remove_anchor(&mut self, id: i64) -> Result<(i64, Anchor), StoreError> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let found = tx
            .prepare_cached("SELECT id, ts, balance, kind, note, created, chain_id FROM anchor WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get::<_, i64>(6)?, anchor_row(r)?)))
            .optional()?;
        let Some((chain_id, anchor)) = found else {
            return Err(StoreError::NotFound(format!("anchor {id}")));
        };
        let anchor = anchor?;
        tx.prepare_cached("DELETE FROM anchor WHERE id = ?1")?.execute([id])?;
        tx.commit()?;
        Ok((chain_id, anchor))
    }
}

/// An `anchor` row (id, ts, balance, kind, note, created); a kind no Reckon writes is an error.
fn anchor_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Anchor, StoreError>> {
    let kind: String = r.get(3)?;
    let Some(kind) = AnchorKind::from_name(&kind) else {
        return Ok(Err(StoreError::BadValue(format!(
            "anchor {} has kind {kind:?}, which no Reckon writes",
            r.get::<_, i64>(0)?
        ))));
    };
    Ok(Ok(Anchor {
        id: r.get(0)?,
        ts: r.get(1)?,
        balance: money::from_units(r.get(2)?),
        kind,
        note: r.get(4)?,
        created: r.get(5)?,
    }))
}
