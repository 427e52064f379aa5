//! `reckon export`: ledgers written for other tools. `--journal hledger|beancount`: one ledger
//! as a plain-text accounting journal (`cli/journal.rs`); `--parquet DIR`: every ledger as
//! Parquet for `reckon-scale check DIR` (`reckon::export_parquet`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use reckon::export_parquet;
use reckon::store::Store;

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    journal: super::journal::JournalArgs,
    /// Write every ledger's entries as Parquet under this new or empty folder, one folder per
    /// account and currency (account=A/currency=C/entries.parquet, with chain.json beside it),
    /// for reckon-scale.
    #[arg(long, value_name = "DIR", conflicts_with = "journal")]
    parquet: Option<PathBuf>,
}

pub(super) fn run(store: &Store, args: Args) -> Result<ExitCode> {
    let Some(dir) = args.parquet else {
        return super::journal::run(store, args.journal);
    };
    let summary = export_parquet::export(store, &dir)?;
    note!(
        "wrote {} ledger{} ({} entries) to {}",
        summary.chains,
        if summary.chains == 1 { "" } else { "s" },
        summary.entries,
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
