//! Reckon's engine: import ledger exports, store them in SQLite, walk each chain's running
//! balance and explain what does not add up, draft reports. No UI, no Tauri, no network: the
//! `reckon` CLI, the desktop shell and the `reckon-sync` crate are layers over this crate.
//!
//! Data flows down, orchestration up: `model` (shared data) and `order` (pure) depend on
//! nothing; `store` knows neither files nor rules; `reconcile` receives facts; `import` and
//! `check` orchestrate the layers below them; `report` and `export` read the results.

pub mod check;
pub mod escape;
pub mod export;
pub mod import;
pub mod model;
pub mod money;
pub mod order;
pub mod reconcile;
pub mod report;
pub mod store;
pub mod trace;
