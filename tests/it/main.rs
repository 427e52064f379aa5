//! Integration tests of the engine and the `reckon` CLI: one binary, one module per concern.

mod anchors;
mod blocks;
mod cli;
mod damage;
mod errors;
mod findings;
mod grant_ledger;
mod hostile;
mod journal;
mod lago;
mod matching;
mod one_line;
mod pending;
mod profile;
mod sources;
mod store;
mod stream_check;
mod streaming;
mod stripe_credits;
mod support;
mod sync;
mod tidy;
mod usage_feed;
mod version;
mod watch;
mod workspace;
