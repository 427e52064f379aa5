//! Reckon's benchmark kit.
//!
//! - [`ledger`]: a deterministic generator of realistic Reverie credit ledgers (every type of the
//!   reference table, same-second entries, refunds that point at their charge, planted balance
//!   breaks) written as the Reverie CSV export ([`ledger::write_csv`]), as an hledger journal with
//!   one balance assertion per entry ([`ledger::write_journal`]) and as a sidecar that names the
//!   planted faults ([`ledger::write_faults_json`]).
//! - [`json`]: the same ledger as the JSON answers of Reverie's Open API, Orb's credit ledger and
//!   Stripe's customer balance transactions, pretty-printed or on one line ([`json::write_json`]).
//! - [`feed`]: a usage feed with refunds (charges and refunds only, with or without its
//!   `Balance` column), its planted faults and balances stated along it (anchors).
//! - [`grants`]: a grant / spend / pending grant ledger (two credit currencies, pending grants
//!   that settle later, planted breaks, unsettled and mis-settled pending grants, an overspend)
//!   and the findings planted in it.
//! - [`workspace`]: the workspace credit usage records page's Conversations tab (aggregates
//!   that grow: later figures of a conversation, and a later export moving 5% of them on) and
//!   its Credit Adjustments tab (every type, monthly package resets, identical rows), with the
//!   totals an import must give.
//! - [`measure`]: runs a child process and reports its wall time and peak RSS.
//!
//! Money is integer cents throughout: no float ever touches an amount.

#![deny(unsafe_code)]

pub mod feed;
pub mod grants;
pub mod json;
pub mod ledger;
pub mod measure;
pub mod rng;
pub mod workspace;
