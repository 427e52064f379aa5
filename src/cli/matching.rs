//! `reckon match --account A --with B [--tolerance-seconds N]` (FORMATS.md section 7): pairs
//! the entries of two accounts that describe the same money and keeps the one-sided ones for
//! the next `reckon check` (`unmatched_across_sources`).

use std::process::ExitCode;

use anyhow::Result;
use chrono::Utc;

use reckon::escape::terminal;
use reckon::matching::{self, MatchOptions, DEFAULT_TOLERANCE_SECONDS};
use reckon::model::format_ts;
use reckon::store::Store;

#[derive(clap::Args)]
pub(super) struct Args {
    /// One account (its ledgers in every currency).
    #[arg(long)]
    account: String,
    /// The account that describes the same money from another source.
    #[arg(long)]
    with: String,
    /// How far apart two entries of the same amount may be and still pair.
    #[arg(long, default_value_t = DEFAULT_TOLERANCE_SECONDS, allow_hyphen_values = true)]
    tolerance_seconds: i64,
}

pub(super) fn run(store: &mut Store, args: Args) -> Result<ExitCode> {
    let options = MatchOptions {
        account: args.account,
        with: args.with,
        tolerance_seconds: args.tolerance_seconds,
        now: Utc::now().timestamp_micros(),
    };
    let s = matching::match_accounts(store, &options)?;
    out!(
        "{} ({} entries) with {} ({} entries): {} paired ({} by transaction ID), {} only in {}, {} only in {}",
        terminal(&options.account),
        s.entries.0,
        terminal(&options.with),
        s.entries.1,
        s.pairs,
        s.pairs_by_id,
        s.only_account.len(),
        terminal(&options.account),
        s.only_with.len(),
        terminal(&options.with),
    );
    for (list, other) in [(&s.only_account, &options.with), (&s.only_with, &options.account)] {
        for e in list {
            out!(
                "  {} {} {} {} {}: no counterpart in {}",
                terminal(&e.account),
                terminal(&e.txn_id),
                format_ts(e.ts),
                reckon::money::format_units(e.amount),
                terminal(&e.currency),
                terminal(other)
            );
        }
    }
    if !s.only_account.is_empty() || !s.only_with.is_empty() {
        out!("reckon check reports each as unmatched_across_sources.");
    }
    Ok(ExitCode::SUCCESS)
}
