//! Subcommands of `reckon`, one module each: parse the arguments (values are parsed by clap,
//! so a bad decimal or date is a usage error naming the flag), call the engine, print.

/// `println!` that returns an error instead of panicking when standard output is closed
/// (`reckon chains | head`): the error ends the command quietly.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// `eprintln!` that never panics: a line for a standard error closed under us (`reckon sync
/// 2>&1 | head -1`) is lost, and the command goes on.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod anchor;
mod check;
mod doctor;
mod export;
mod history;
mod import;
mod journal;
mod key;
mod ledger;
mod matching;
mod mock_server;
mod notes;
mod profile;
pub mod remedy;
mod report;
mod sync;
mod threshold;
pub mod trace;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;

use reckon::model::ChainKey;
use reckon::store::Store;

#[derive(Parser)]
#[command(
    name = "reckon",
    version,
    about = "Reconcile prepaid-credit ledgers: find where the running balance stops adding up."
)]
struct Cli {
    /// The database (default: $RECKON_DB, else reckon/reckon.db in the platform's data
    /// directory, the same one the desktop app opens).
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import ledger exports (CSV or JSON, detected from the content), atomically.
    Import(import::Args),
    /// Record, list or remove balances stated at a point in time (anchors).
    Anchor(anchor::Args),
    /// Walk every chain's running balance and print findings. The check is kept in each
    /// ledger's history (reckon history), so it opens the database for writing; a database it
    /// cannot write is still checked, without history (said on standard error). Not kept when
    /// balances or rule options are given for this run only.
    Check(check::Args),
    /// A ledger's checks, newest first: what was new, resolved and explained each time, with
    /// the finding IDs; its runway and low-balance threshold.
    History(history::Args),
    /// Set, clear or list a ledger's low-balance threshold: sync and check warn below it.
    Threshold(threshold::Args),
    /// Draft a Markdown report for the vendor's support or for a customer.
    Report(report::Args),
    /// List the ledger, filtered, newest first; or export the filtered view.
    Ledger(ledger::LedgerArgs),
    /// Totals per type, dimension (character, model, ...) or day over a filtered range.
    Summary(ledger::SummaryArgs),
    /// List the ledgers with entries, balance and open findings; --with-findings, --sort,
    /// --search, --limit/--offset. Runs the check (the store keeps no check result).
    Chains(ledger::ChainsArgs),
    /// Write a ledger for other tools: a plain-text accounting journal for hledger or beancount
    /// (--journal), balance assertions and findings included.
    Export(export::Args),
    /// Mark a finding as explained, with a note; it leaves the error count and reports.
    Explain(notes::ExplainArgs),
    /// Reopen a finding marked as explained.
    Reopen(notes::ReopenArgs),
    /// Pull a ledger through a vendor's API into the store (key from the OS keyring, else
    /// $RECKON_API_KEY).
    Sync(sync::Args),
    /// Verify every block of every ledger; with --repair, rebuild a damaged ledger from its
    /// imported files.
    Doctor(doctor::Args),
    /// Store or delete a source's API key in the OS keyring.
    Key(key::Args),
    /// Pair the entries of two accounts that describe the same money; the next check reports
    /// each entry with no counterpart (unmatched_across_sources).
    Match(matching::Args),
    /// Save, list, show or delete mapping profiles (how any CSV's columns read as entries).
    Profile(profile::Args),
    /// Serve the Reverie, Orb and Stripe APIs on 127.0.0.1 from ledger files, to try a sync
    /// offline (test and demo builds).
    #[command(hide = !reckon_api::HAS_MOCK)]
    MockServer(mock_server::Args),
}

/// Which chain, where a command takes one.
#[derive(clap::Args)]
struct ChainArgs {
    /// The account the ledger belongs to.
    #[arg(long, default_value = ChainKey::DEFAULT_ACCOUNT)]
    account: String,
    /// The credit currency.
    #[arg(long, default_value = ChainKey::DEFAULT_CURRENCY)]
    currency: String,
}

/// A day or time range.
#[derive(clap::Args)]
struct RangeArgs {
    /// From this day or time (2026-03-01 or RFC 3339), inclusive.
    #[arg(long, value_parser = day_start)]
    from: Option<i64>,
    /// To this day (inclusive) or time (exclusive).
    #[arg(long, value_parser = day_end)]
    to: Option<i64>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
}

/// How a command opens the database.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Read-only; a missing database is an error instead of a new empty one.
    Read,
    /// An existing database, for writing where it can be written, else read-only: a check
    /// keeps its history, a threshold is set. Refused, missing or damaged, exactly as `Read`;
    /// never created, migrated or repaired (`Store::open_existing`).
    Existing,
    /// For writing, created and brought up to date if needed.
    Write,
}

impl Command {
    fn access(&self) -> Access {
        let read = |only: bool| if only { Access::Read } else { Access::Write };
        match self {
            Command::Check(args) if args.saves_balance() => Access::Write,
            Command::Check(args) if args.records() => Access::Existing,
            Command::Check(_) => Access::Read,
            Command::Threshold(args) if args.reads_only() => Access::Read,
            Command::Threshold(_) => Access::Existing,
            Command::History(_) => Access::Read,
            Command::Report(args) => read(!args.saves_balance()),
            Command::Ledger(_) | Command::Summary(_) | Command::Chains(_) | Command::Export(_) => Access::Read,
            Command::Anchor(args) => read(args.reads_only()),
            Command::Doctor(args) => read(!args.repair),
            Command::Import(_) | Command::Explain(_) | Command::Reopen(_) | Command::Sync(_) => Access::Write,
            Command::Match(_) => Access::Write,
            Command::Key(_) | Command::MockServer(_) | Command::Profile(_) => Access::Write,
        }
    }
}

pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    // These two never touch the database.
    let command = match cli.command {
        Command::Key(args) => return key::run(args),
        Command::Profile(args) => return profile::run(args),
        Command::MockServer(args) => return mock_server::run(args),
        command => command,
    };
    let db = cli.db.clone().unwrap_or_else(Store::default_path);
    if let Command::Doctor(_) = &command {
        // Doctor never creates a database (not even to repair), and checks the file below the
        // ledgers before anything opens it.
        if !db.is_file() {
            anyhow::bail!("no database at {}; import a ledger first or check --db", db.display());
        }
        doctor::check_file(&db)?;
    }
    let access = command.access();
    if access != Access::Write && !db.is_file() {
        anyhow::bail!("no database at {}; import a ledger first or check --db", db.display());
    }
    let mut store = match access {
        Access::Read => Store::open_read_only(&db),
        Access::Existing => Store::open_existing(&db),
        Access::Write => Store::open(&db),
    }
    .with_context(|| format!("cannot open the database {}", db.display()))?;
    match command {
        Command::Import(args) => import::run(&mut store, args),
        Command::Anchor(args) => anchor::run(&mut store, args),
        Command::Check(args) => check::run(&mut store, args),
        Command::History(args) => history::run(&store, args),
        Command::Threshold(args) => threshold::run(&mut store, args),
        Command::Report(args) => report::run(&mut store, args),
        Command::Ledger(args) => ledger::run_ledger(&store, args),
        Command::Summary(args) => ledger::run_summary(&store, args),
        Command::Chains(args) => ledger::run_chains(&store, args),
        Command::Export(args) => export::run(&store, args),
        Command::Explain(args) => notes::explain(&mut store, args),
        Command::Reopen(args) => notes::reopen(&mut store, args),
        Command::Sync(args) => sync::run(&mut store, args),
        Command::Match(args) => matching::run(&mut store, args),
        Command::Doctor(args) => doctor::run(&mut store, args),
        Command::Key(_) | Command::MockServer(_) | Command::Profile(_) => unreachable!("run above"),
    }
}

/// A decimal as exports write them (`+1,000.00`, `-0.35`).
fn decimal(text: &str) -> Result<Decimal, String> {
    reckon::money::parse(text).map_err(|e| format!("expected {e}"))
}

/// A day (`2026-03-01`, its first moment, UTC) or an RFC 3339 time, in Unix microseconds.
fn day_start(text: &str) -> Result<i64, String> {
    day_or_time(text, false)
}

/// A day (the moment after it ends, UTC) or an RFC 3339 time, in Unix microseconds.
fn day_end(text: &str) -> Result<i64, String> {
    day_or_time(text, true)
}

fn day_or_time(text: &str, end_of_day: bool) -> Result<i64, String> {
    if let Ok(day) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        let day = if end_of_day { day.succ_opt().unwrap_or(day) } else { day };
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp_micros());
    }
    reckon::import::parse_time(text)
        .ok_or_else(|| "expected a day such as 2026-03-01 or a time such as 2026-03-01T08:00:00Z".to_string())
}

/// The chain named by optional account and currency flags, if either is given.
fn chain_key(account: &Option<String>, currency: &Option<String>) -> Option<ChainKey> {
    match (account, currency) {
        (None, None) => None,
        (a, c) => Some(ChainKey::new(
            a.clone().unwrap_or_else(|| ChainKey::DEFAULT_ACCOUNT.into()),
            c.clone().unwrap_or_else(|| ChainKey::DEFAULT_CURRENCY.into()),
        )),
    }
}

/// Writes to the file, or to standard output.
fn write_out(path: Option<&PathBuf>, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    match path {
        Some(p) => std::fs::write(p, bytes).with_context(|| format!("cannot write {}", p.display())),
        None => Ok(std::io::stdout().write_all(bytes)?),
    }
}

/// The ledger `text` names, for commands that take one as an argument: an account with one
/// ledger (or its `credits` one), else `ACCOUNT/CURRENCY` (split at the last `/`, so an
/// account may hold one).
fn ledger_named(store: &Store, text: &str) -> Result<reckon::store::ChainInfo> {
    use reckon::escape::terminal;
    let chains = store.chains()?;
    let of_account: Vec<_> = chains.iter().filter(|c| c.key.account == text).collect();
    match of_account.as_slice() {
        [one] => return Ok((*one).clone()),
        [] => {}
        several => {
            if let Some(c) = several.iter().find(|c| c.key.currency == ChainKey::DEFAULT_CURRENCY) {
                return Ok((*c).clone());
            }
            let names: Vec<String> =
                several.iter().map(|c| format!("{}/{}", terminal(&c.key.account), terminal(&c.key.currency))).collect();
            anyhow::bail!("{} has several ledgers: name one of {}", terminal(text), names.join(", "));
        }
    }
    if let Some((account, currency)) = text.rsplit_once('/') {
        if let Some(c) = chains.iter().find(|c| c.key.account == account && c.key.currency == currency) {
            return Ok(c.clone());
        }
    }
    anyhow::bail!(
        "no ledger {} in the database; name it as ACCOUNT or ACCOUNT/CURRENCY, as `reckon chains` lists them",
        terminal(text)
    )
}
