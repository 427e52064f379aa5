//! `reckon explain` and `reckon reopen`: notes on findings, kept across re-imports.

use std::process::ExitCode;

use anyhow::{bail, Result};
use chrono::Utc;

use reckon::check::{check, CheckOptions};
use reckon::store::Store;

#[derive(clap::Args)]
pub(super) struct ExplainArgs {
    finding: String,
    #[arg(long)]
    note: String,
}

#[derive(clap::Args)]
pub(super) struct ReopenArgs {
    finding: String,
}

pub(super) fn explain(store: &mut Store, args: ExplainArgs) -> Result<ExitCode> {
    let report = check(store, &CheckOptions::default())?;
    if report.finding(&args.finding).is_none() {
        bail!("no finding {}; `reckon check --include-explained` lists finding IDs", args.finding);
    }
    store.set_note(&args.finding, &args.note, Utc::now())?;
    println!("{} marked as explained", args.finding);
    Ok(ExitCode::SUCCESS)
}

pub(super) fn reopen(store: &mut Store, args: ReopenArgs) -> Result<ExitCode> {
    store.clear_note(&args.finding)?;
    println!("{} reopened", args.finding);
    Ok(ExitCode::SUCCESS)
}
