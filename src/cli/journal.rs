//! `reckon export --journal hledger|beancount`: one ledger as a plain-text accounting journal
//! (`reckon::journal`), with a balance assertion after every stated balance and anchor and
//! the check's findings as comments, for `hledger check` or `bean-check` to verify on their own.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use rust_decimal::Decimal;

use super::{chain_key, decimal};
use reckon::check::{check, CheckOptions};
use reckon::escape::terminal;
use reckon::journal::{self, Syntax};
use reckon::store::Store;

/// The journal flags of `reckon export`.
#[derive(clap::Args)]
pub(super) struct JournalArgs {
    /// Write one ledger as a plain-text accounting journal: hledger or beancount (a balance
    /// assertion after every stated balance and anchor, findings as comments).
    #[arg(long, value_enum)]
    pub(super) journal: Option<JournalArg>,
    /// The journal's file (default: standard output); written whole or not at all.
    #[arg(long, short = 'o', requires = "journal")]
    out: Option<PathBuf>,
    /// The ledger's account (needed when the database holds several).
    #[arg(long, requires = "journal")]
    account: Option<String>,
    /// The ledger's currency.
    #[arg(long, requires = "journal")]
    currency: Option<String>,
    /// The balance the vendor's page states now, for this export (else the one saved).
    #[arg(long, allow_hyphen_values = true, value_parser = decimal, requires = "journal")]
    stated_balance: Option<Decimal>,
    /// The balance before the oldest entry, for this export (else the one saved).
    #[arg(long, allow_hyphen_values = true, value_parser = decimal, requires = "journal")]
    opening_balance: Option<Decimal>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum JournalArg {
    Hledger,
    Beancount,
}

pub(super) fn run(store: &Store, args: JournalArgs) -> Result<ExitCode> {
    let Some(journal) = args.journal else {
        anyhow::bail!("name the journal's syntax: --journal hledger or --journal beancount");
    };
    let syntax = match journal {
        JournalArg::Hledger => Syntax::Hledger,
        JournalArg::Beancount => Syntax::Beancount,
    };
    let options = CheckOptions {
        chain: chain_key(&args.account, &args.currency),
        stated: args.stated_balance,
        opening: args.opening_balance,
        ..CheckOptions::default()
    };
    if options.chain.is_none() {
        let chains = store.chains()?;
        if chains.len() > 1 {
            anyhow::bail!(
                "the database holds {} ledgers ({}); name one with --account and --currency",
                chains.len(),
                chains
                    .iter()
                    .map(|c| terminal(&format!("{}/{}", c.key.account, c.key.currency)).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let report = check(store, &options)?;
    let Some(chain) = report.chains.first() else { anyhow::bail!("the database holds no ledger; import one first") };
    let written = match &args.out {
        Some(path) => journal::journal_to_file(store, &report, &chain.key, syntax, path)?,
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let written = journal::write_journal(store, &report, &chain.key, syntax, &mut out)?;
            out.flush()?;
            written
        }
    };
    let to = args.out.as_ref().map(|p| format!(" to {}", p.display())).unwrap_or_default();
    let (assertions, tool) = match syntax {
        Syntax::Hledger => ("balance assertions", "hledger check"),
        Syntax::Beancount => ("balance directives", "bean-check"),
    };
    note!(
        "wrote {} entries, {} {assertions}, {} findings as comments{to}",
        written.entries,
        written.assertions,
        written.findings
    );
    let open_errors = report.open_errors();
    if open_errors > 0 {
        note!("{open_errors} open error findings: {tool} stops at the first balance that does not add up");
    }
    Ok(ExitCode::SUCCESS)
}
