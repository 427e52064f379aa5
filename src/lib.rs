//! Reckon's engine: import ledger exports, store them in SQLite, walk each chain's running
//! balance and explain what does not add up, draft reports, sync ledgers through vendors' APIs.
//! No UI, no Tauri: the `reckon` CLI and the desktop shell are layers over this crate. Only
//! `sync` reaches the network, through the `reckon-api` crate; the layers below never do.
//!
//! Data flows down, orchestration up: `model` (shared data) and `order` (pure) depend on
//! nothing; `store` knows neither files nor rules; `reconcile` receives facts; `import` and
//! `check` orchestrate the layers below them; `report` and `export` read the results.

pub mod chain_list;
pub mod check;
pub mod check_output;
pub mod escape;
pub mod export;
#[cfg(feature = "parquet")]
pub mod export_parquet;
pub mod import;
pub mod journal;
pub mod matching;
pub mod model;
pub mod money;
pub mod order;
pub mod reconcile;
pub mod report;
pub mod series;
pub mod store;
pub mod sync;
pub mod trace;
pub mod usage;
pub mod watch;
