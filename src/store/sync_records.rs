//! What syncs leave behind: each chain's last sync (`chain_sync`: time, API, base URL,
//! customer) and the connections the app keeps (`sync_connection`, with how often the app
//! syncs each on its own). Never a key.

use rusqlite::{params, TransactionBehavior};

use super::{Store, StoreError};

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
    /// Seconds between two scheduled syncs while the app runs; 0: only when asked.
    pub period_secs: i64,
}

/// How often a new connection is synced on its own: every 15 minutes.
pub const DEFAULT_SYNC_PERIOD_SECS: i64 = 15 * 60;

impl Store {
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
        let mut stmt =
            self.conn.prepare("SELECT id, source, base_url, customer, period_secs FROM sync_connection ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(SyncConnection {
                id: r.get(0)?,
                source: r.get(1)?,
                base_url: r.get(2)?,
                customer: Some(r.get::<_, String>(3)?).filter(|c| !c.is_empty()),
                period_secs: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sets how often the app syncs connection `id` on its own (seconds; 0: only when asked).
    pub fn set_connection_period(&mut self, id: i64, period_secs: i64) -> Result<SyncConnection, StoreError> {
        let changed = self
            .conn
            .execute("UPDATE sync_connection SET period_secs = ?2 WHERE id = ?1", params![id, period_secs.max(0)])?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!("connection {id}")));
        }
        self.connection(id)
    }

    /// One connection by id.
    pub fn connection(&self, id: i64) -> Result<SyncConnection, StoreError> {
        self.connections()?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("connection {id}")))
    }
}
