//! Integration tests of the engine and the `reckon` CLI: one binary, one module per concern.

mod blocks;
mod cli;
mod errors;
mod findings;
mod hostile;
mod store;
mod support;
mod sync;
mod tidy;
