//! Reckon's engine: import ledger exports, store them in SQLite, walk each chain's running
//! balance and explain what does not add up, draft reports. No UI, no Tauri: the `reckon`
//! CLI and the desktop shell are both thin layers over this crate.

pub mod export;
pub mod import;
pub mod model;
pub mod money;
pub mod reconcile;
pub mod report;
pub mod store;
pub mod trace;
