//! The local SQLite database: schema by numbered migrations, one transaction per import,
//! paged and indexed queries for every screen. Money is stored as micro-credits (`i64`).
//!
//! A chain's entries live in blocks (`entry_block`, encoded by `block.rs`, read and written by
//! `rows.rs`), each entry numbered within its chain.
//!
//! *Invariant:* a transaction ID is stored once per chain; a second version of it goes to
//! `conflict`, never over the first.
//!
//! One file per concern: `open.rs` (identity, WAL, read-only opens), `migrate.rs`, `labels.rs`
//! (label texts and the label table's checksum), `error.rs`, `chains.rs` (chains, dimensions,
//! anchors), `sync_records.rs`, `notes.rs`, `decode.rs` (stored rows back into entries),
//! `ingest.rs` (writes), `query.rs` (screens), `repair.rs` (doctor).

mod block;
mod chains;
mod decode;
mod error;
mod id_hashes;
mod ingest;
mod known;
mod labels;
mod matches;
mod migrate;
mod notes;
mod open;
mod query;
mod repair;
mod revise;
mod rows;
mod stream;
mod sync_records;
mod watch;

use std::cell::RefCell;

use rusqlite::Connection;

pub use chains::ChainInfo;
pub use decode::{HeldFacts, TxnIds};
pub use error::{Remedy, Salvage, StoreError};
pub use ingest::{FileSummary, ImportSummary, Ingest, KeptAnchor, KnownFile};
pub use matches::{MatchRun, Unmatched};
pub use open::APPLICATION_ID;
pub use query::{BalancePoint, Facets, GroupBy, LedgerFilter, LedgerRow, SummaryRow, Totals};
pub use repair::{BlockDamage, ChainHealth, RepairSummary, StoredSource};
pub use revise::{revision_id, split_revision};
pub use stream::{Split, Streamed, StreamedFile};
pub use sync_records::{LastSync, SyncConnection, DEFAULT_SYNC_PERIOD_SECS};
pub use watch::{ChainCheck, Change, CheckRun, FindingChange, LowBalance, RunCounts, SeenFinding};

/// An open database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    labels: labels::LabelCache,
    /// What queries keep between calls; emptied when the database changes.
    cache: RefCell<query::Cache>,
}
